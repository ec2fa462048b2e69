"""Copies of imports (converted text, uploads) never outlive their process: a killed import's
copy, which holds the export's contact details in clear, is gone when the next shoplens
process starts; and leftovers of an interrupted rewrite do not show up as shops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.store import config, scratch
from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _cli(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SHOPLENS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "core.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _contact_export(path: Path, lines: int) -> None:
    """A cp1252 orders export with e-mails and phone numbers (é forces a conversion)."""
    with open(path, "w", encoding="cp1252", newline="") as fh:
        fh.write("Order,Date,SKU,Product,Qty,Price,Email,Phone\r\n")
        for i in range(lines):
            fh.write(f"{i},2025-03-{i % 28 + 1:02d} 10:00,A{i % 50},Café {i % 50},1,3.50,"
                     f"kunde{i}@example.org,+49 170 {i:07d}\r\n")


def _holds(home: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(home)}: {n!r}" for n in needles if n in data]
    return found


@pytest.mark.parametrize("attempt", range(3))
def test_a_killed_import_leaves_no_contact_data(tmp_path: Path, attempt: int) -> None:
    home = tmp_path / "home"
    export = tmp_path / "orders.csv"
    _contact_export(export, 300_000)
    proc = _cli(home, "import", str(export), "--shop", "s")
    deadline = time.monotonic() + 120
    copy = None
    while copy is None and time.monotonic() < deadline and proc.poll() is None:
        copy = next((p for p in (home / "tmp").glob("tmp-*.csv")), None) if (home / "tmp").is_dir() else None
        time.sleep(0.005 * (attempt + 1))
    assert copy is not None, "the import ended before its converted copy could be seen"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert copy.exists()  # nobody could clean up after kill -9 ...
    assert _cli(home, "shops").wait(timeout=120) == 0  # ... until the next shoplens process starts
    assert not copy.exists()
    needles = [b"kunde1@example.org", b"kunde299999@example.org", b"+49 170 0000001"]
    assert _holds(home, needles) == []


def test_sweep_spares_live_owners_and_removes_dead_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    mine = scratch.scratch_file(".csv")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    theirs = scratch.folder() / f"tmp-{dead.pid}-abc.csv"
    theirs.write_text("x")
    upload = scratch.folder() / "uploads" / "s" / str(dead.pid) / "orders.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("x")
    old = scratch.folder() / "tmpold.csv"  # an older naming, over a day old
    old.write_text("x")
    os.utime(old, (time.time() - 2 * scratch.MAX_AGE_S,) * 2)
    assert scratch.sweep() == 3
    assert mine.exists() and not theirs.exists() and not upload.exists() and not old.exists()


def test_an_interrupted_rewrite_is_not_a_shop(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    Store.open("demo").close()
    leftover = config.shop_db_path("demo").with_name(".demo.compact.duckdb")
    leftover.write_bytes(b"half a copy")
    assert config.list_shops() == ["demo"]
    Store.open("demo").close()  # the writer that holds the shop removes it
    assert not leftover.exists()


def test_a_short_secret_is_replaced_before_customers_and_refused_after(
        tmp_path: Path, monkeypatch, write_file) -> None:
    from ingest_support import HEADER, import_one, line

    from core.ingest.plan import IngestError
    from core.store import pseudonym
    from core.store.store import StoreError

    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    key = config.secrets_dir() / "s.key"
    key.write_bytes(b"")  # what a kill -9 during its first write used to leave
    with Store.open("s") as store:
        import_one(store, write_file("a.csv", HEADER + line(1)))
        assert len(key.read_bytes()) == pseudonym.SECRET_BYTES
        key.write_bytes(b"short")
        with pytest.raises((StoreError, IngestError), match="secret .* is damaged"):
            import_one(store, write_file("b.csv", HEADER + line(2, customer="c2")))
