"""Does the Segments page's map draw 100k customers? Time for headless Chromium to draw it.

    .venv/bin/python bench/map_render.py [N]

Builds the page's own figure (``core.segments.charts.segment_map``, WebGL) for N customers
(default 100,000) in 9 groups, writes it as a self-contained HTML file (plotly.js inline, no
network) and opens it in Debian's Chromium; prints the points plotly drew and the seconds from
opening the file to the drawn plot.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from core.segments.charts import segment_map

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = np.random.default_rng(0)
    seg = rng.integers(-1, 8, n)
    pts = pd.DataFrame({"x": rng.normal(size=n) + seg * 3, "y": rng.normal(size=n), "segment": seg,
                        "customer_key": [f"c_{i:06d}" for i in range(n)], "frequency": 1.0,
                        "monetary": 10.0, "recency_days": 5.0})
    pts["segment_name"] = pts["segment"].map(lambda s: f"segment {s}")
    page_file = Path(tempfile.mkdtemp()) / "map.html"
    page_file.write_text(segment_map(pts).to_html(include_plotlyjs=True, full_html=True))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        started = time.perf_counter()
        page.goto(page_file.as_uri())
        page.wait_for_function("() => { const d = document.querySelector('.js-plotly-plot');"
                               " return d && d._fullData && d._fullData.length > 0 }", timeout=120_000)
        drawn = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                              ".reduce((a, t) => a + t._length, 0)")
        seconds = time.perf_counter() - started
        browser.close()
    print(f"| customers | points drawn | seconds to drawn map |\n|---:|---:|---:|\n"  # noqa: T201
          f"| {n:,} | {drawn:,} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
