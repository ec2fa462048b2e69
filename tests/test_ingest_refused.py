"""A refused import leaves the store unchanged (no data, no ``imports`` row, no rejections) and
still reports why, row by row; a multi-file import where some file imports lands what imports."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import HEADER, counts, import_one, line

from core.ingest import ingest
from core.ingest.plan import ImportRefused, IngestError
from core.store.store import Store


def _as_parquet(text: str, path: Path) -> Path:
    rows = [r.split(",") for r in text.splitlines()]
    pq.write_table(pa.table({h: [r[j] for r in rows[1:]] for j, h in enumerate(rows[0])}), path)
    return path


def _file(fmt: str, name: str, text: str, write_file, tmp_path: Path) -> Path:
    if fmt == "parquet":
        return _as_parquet(text, tmp_path / f"{name}.parquet")
    return write_file(f"{name}.csv", text)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_line_rejected_is_refused_and_writes_nothing(
        store: Store, write_file, tmp_path: Path, fmt: str) -> None:
    import_one(store, write_file("good.csv", HEADER + line(1)))  # the store is not empty
    path = _file(fmt, "bad", HEADER + "".join(line(i, qty="x") for i in range(500)),
                 write_file, tmp_path)
    before = counts(store)
    with pytest.raises(ImportRefused) as caught:
        ingest.import_paths(store, [path])
    assert counts(store) == before  # no imports row, no rejections, no data
    message = str(caught.value)
    assert path.name in message and "every one of its 500 lines" in message
    assert "column 'qty'" in message and "nothing was written" in message
    report = caught.value.report  # the page and the CLI still show every rejection
    assert not report.committed and report.import_id is None and report.refused == message
    assert report.tables[0].rejected == 500 and len(report.tables[0].rejections) == 500
    assert report.tables[0].reconciles()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("case", ["no_dates", "missing_column"])
def test_refused_before_or_mid_way_writes_nothing(
        store: Store, write_file, tmp_path: Path, fmt: str, case: str) -> None:
    import_one(store, write_file("good.csv", HEADER + line(1)))
    if case == "no_dates":  # refused while staging: no date format fits
        text = HEADER + "".join(line(i, ts="soon") for i in range(20))
    else:  # refused before the transaction: read as orders, but no column for the date
        text = "sku,qty\n" + "".join(f"S{i},1\n" for i in range(20))
    path = _file(fmt, case, text, write_file, tmp_path)
    before = counts(store)
    with pytest.raises(IngestError) as caught:
        plans = [ingest.remap(p, kind="events") for p in ingest.plan_paths(store, [path])]
        ingest.run_import(store, plans)
    assert path.name in str(caught.value)
    assert counts(store) == before


def test_a_file_all_rejected_beside_one_that_imports_lands_with_it(
        store: Store, write_file, tmp_path: Path) -> None:
    good = write_file("good.csv", HEADER + line(1) + line(2))
    bad = _as_parquet(HEADER + "".join(line(i, qty="x") for i in range(10, 15)),
                      tmp_path / "bad.parquet")
    report = ingest.import_paths(store, [good, bad])
    assert report.committed and report.refused is None
    assert (report.accepted, report.rejected) == (2, 5)
    assert store.scalar("SELECT count(*) FROM imports") == 1
    assert store.scalar("SELECT count(*) FROM rejections WHERE file = 'bad.parquet'") == 5


def test_a_dry_run_of_an_all_rejected_file_keeps_its_report(store: Store, write_file) -> None:
    path = write_file("bad.csv", HEADER + "".join(line(i, qty="x") for i in range(5)))
    report = ingest.import_paths(store, [path], dry_run=True)
    assert not report.committed and report.tables[0].rejected == 5
    assert report.refused and "every one of its 5 lines" in report.refused
    assert any("every one of its 5 lines" in w for w in report.tables[0].warnings)
    assert store.scalar("SELECT count(*) FROM imports") == 0


def test_cli_prints_the_refused_report_and_exits_1(shoplens_home: Path, write_file,
                                                   run_python) -> None:
    path = write_file("bad.csv", HEADER + "".join(line(i, qty="x") for i in range(3)))
    done = run_python("-m", "core.cli", "import", "--shop", "s", str(path), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["committed"] is False and report["rejected"] == 3
    assert len(report["tables"][0]["rejections"]) == 3
    assert "bad.csv" in done.stderr and "nothing was written" in done.stderr
    with Store.open("s", read_only=True) as st:
        assert counts(st)["imports"] == 0 and counts(st)["rejections"] == 0
