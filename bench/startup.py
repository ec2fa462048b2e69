"""Cold start: seconds from `streamlit run` to the Overview's KPIs drawn in headless Chromium.

    .venv/bin/python bench/startup.py            # 3 runs each: empty data folder, demo shop present

"empty" is a user's very first start (the app builds the 5,000-customer demo shop, then draws
the Overview); "demo ready" is a start after `make run` has built the demo shop. Each run uses a
fresh data folder and a fresh server process. Needs Chromium (apt-get install chromium).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(prebuilt: bool, browser) -> float:
    home = Path(tempfile.mkdtemp(prefix="shoplens-start-"))
    env = {**os.environ, "SHOPLENS_HOME": str(home)}
    if prebuilt:
        subprocess.run([sys.executable, "-m", "core.cli", "demo", "--shop", "demo"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
    port = _port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("Net revenue").first.wait_for(timeout=120_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
        seconds = time.perf_counter() - started
        page.close()
        return seconds
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("needs chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        print("| start | runs (s) | median (s) |")  # noqa: T201
        print("|---|---|---:|")  # noqa: T201
        for label, prebuilt in (("empty data folder (builds the demo shop)", False),
                                ("demo shop ready (after `make run` built it)", True)):
            runs = [cold_start(prebuilt, browser) for _ in range(3)]
            print(f"| {label} | {', '.join(f'{r:.1f}' for r in runs)} | "  # noqa: T201
                  f"{statistics.median(runs):.1f} |", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
