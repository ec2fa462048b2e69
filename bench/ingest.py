"""Import speed: shoplens' importer next to DuckDB's own raw read of the same files.

    .venv/bin/python bench/ingest.py                      # 100k, 1M and 10M lines + Online Retail II
    .venv/bin/python bench/ingest.py --sizes 100000 1000000 --no-real

For each generated file (shoplens events layout, CSV and Parquet) it times
  * raw: DuckDB materialising the file into a table (`CREATE TABLE AS SELECT * FROM read_csv/
    read_parquet`, types auto-detected) - the floor any importer on DuckDB can reach;
  * import: `core.ingest.ingest.import_paths` into a fresh shop - reading, typing and checking every
    row, date-format detection, pseudonymisation, duplicate detection, the rejection report and
    the transactional insert;
and prints a markdown table with seconds, rows/s and the import/raw ratio. Each measurement
runs in a fresh shop in its own data folder; files are generated once into bench/out/.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.demo import synth  # noqa: E402
from core.ingest import ingest  # noqa: E402
from core.ingest.plan import ImportReport  # noqa: E402
from core.store.store import Store, quote_ident  # noqa: E402

OUT = ROOT / "bench" / "out"
REAL = ROOT.parent / "shared" / "data" / "online_retail_ii"
log = logging.getLogger("bench.ingest")


def _fresh_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="shoplens-bench-"))
    os.environ["SHOPLENS_HOME"] = str(home)
    return home


def time_raw(paths: list[Path]) -> float:
    """DuckDB reading the files whole into a table, types auto-detected."""
    home = _fresh_home()
    try:
        with Store.open("raw") as store:
            started = time.perf_counter()
            with store.transaction() as tx:
                for i, path in enumerate(paths):
                    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
                    table = quote_ident(f"raw_{i}")
                    tx.execute("CREATE TABLE " + table + " AS SELECT * FROM " + reader + "(?)",
                               [str(path)])
            return time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)


def time_import(paths: list[Path]) -> tuple[float, ImportReport]:
    """The shoplens importer, end to end, into a new shop."""
    home = _fresh_home()
    try:
        with Store.open("bench") as store:
            started = time.perf_counter()
            report = ingest.import_paths(store, paths)
            return time.perf_counter() - started, report
    finally:
        shutil.rmtree(home, ignore_errors=True)


def generated(n: int, fmt: str) -> Path:
    """A generated events file of exactly ``n`` lines (made once, then reused)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"events_{n}.{fmt}"
    if not path.exists():
        started = time.perf_counter()
        synth.write_event_lines(path, n, seed=7, fmt=fmt)
        log.info("generated %s in %.1fs", path.name, time.perf_counter() - started)
    return path


def measure(label: str, paths: list[Path], lines: int) -> dict[str, object]:
    raw = time_raw(paths)
    seconds, report = time_import(paths)
    assert report.lines_read == lines, (report.lines_read, lines)
    size = sum(p.stat().st_size for p in paths) / 1e6
    row = {"input": label, "lines": lines, "MB": size, "raw_s": raw, "import_s": seconds,
           "rows_per_s": lines / seconds, "ratio": seconds / raw,
           "accepted": report.accepted, "rejected": report.rejected}
    print(f"| {label} | {lines:,} | {size:,.0f} | {raw:.2f} | {seconds:.2f} | "  # noqa: T201
          f"{lines / seconds:,.0f} | {seconds / raw:.1f}x |", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--no-real", action="store_true", help="skip Online Retail II")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"shoplens ingest benchmark, {os.cpu_count()} CPUs")  # noqa: T201
    print("| input | lines | MB | DuckDB raw read (s) | shoplens import (s) | "  # noqa: T201
          "import rows/s | import / raw |")
    print("|---|---:|---:|---:|---:|---:|---:|")  # noqa: T201
    for n in args.sizes:
        for fmt in args.formats:
            measure(f"generated {fmt}", [generated(n, fmt)], n)
    if not args.no_real:
        if REAL.exists():
            files = sorted(REAL.glob("*.parquet"))
            import pyarrow.parquet as pq

            lines = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            measure("Online Retail II (2 parquet files)", files, lines)
        else:
            print(f"(Online Retail II not found at {REAL}: skipped)")  # noqa: T201


if __name__ == "__main__":
    main()
