"""Imports run under a memory limit (SHOPLENS_IMPORT_MEMORY, else a share of the computer's
memory), put the setting back afterwards, and explain running out of it with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import HEADER, counts, import_one, line

from core.ingest import ingest, land, readers
from core.ingest import plan as memory
from core.ingest.plan import IngestError
from core.store.store import Store


def _setting(store_or_tx) -> int:
    return memory.parse_size(store_or_tx.scalar("SELECT current_setting('memory_limit')"))


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The memory limit in force while the import writes its events."""
    found: list[int] = []
    original = land._events

    def spy(tx, plan, report, import_id) -> None:
        found.append(_setting(tx))
        original(tx, plan, report, import_id)

    monkeypatch.setattr(land, "_events", spy)
    return found


def test_the_import_runs_under_the_configured_limit_and_puts_it_back(
        store: Store, write_file, seen: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory.MEMORY_ENV, "300MB")
    before = _setting(store)
    import_one(store, write_file("orders.csv", HEADER + line(1) + line(2)))
    assert len(seen) == 1 and abs(seen[0] - 300 * 10**6) < 20 * 2**20  # DuckDB rounds a little
    assert _setting(store) == before  # the dashboard's own queries get their memory back


def test_by_default_a_quarter_of_the_memory_at_most_4gb(
        store: Store, write_file, seen: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(memory.MEMORY_ENV, raising=False)
    monkeypatch.setattr(memory, "total_memory", lambda: 64 << 30)
    assert memory.import_memory_limit() == 4 << 30
    monkeypatch.setattr(memory, "total_memory", lambda: None)  # the system does not say
    assert memory.import_memory_limit() == 2 << 30
    monkeypatch.setattr(memory, "total_memory", lambda: 2 << 30)
    assert memory.import_memory_limit() == 512 << 20
    import_one(store, write_file("orders.csv", HEADER + line(1)))
    assert len(seen) == 1 and abs(seen[0] - (512 << 20)) < 8 << 20


def test_a_store_opened_with_less_keeps_its_own_limit(
        shoplens_home: Path, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory.MEMORY_ENV, "2GB")
    with Store.open("small", memory_limit="64MB") as st:
        own = _setting(st)
        assert memory.effective_memory_limit(st, memory.import_memory_limit()) == own
        import_one(st, write_file("orders.csv", HEADER + line(1)))
        assert _setting(st) == own


@pytest.mark.parametrize("value", ["lots", "2 gallons", "1MB"])
def test_a_bad_setting_is_refused_before_anything_is_read(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(memory.MEMORY_ENV, value)
    before = counts(store)
    with pytest.raises(IngestError, match=memory.MEMORY_ENV) as caught:
        ingest.import_paths(store, [write_file("orders.csv", HEADER + line(1))])
    assert "2GB" in str(caught.value)  # says what to write
    assert counts(store) == before


def test_running_out_of_memory_is_explained_and_writes_nothing(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    import_one(store, write_file("first.csv", HEADER + line(1)))
    before, setting = counts(store), _setting(store)
    # Below the floor on purpose: DuckDB's CSV buffer alone (16 MB) does not fit in 8 MB.
    monkeypatch.setattr(memory, "MIN_MEMORY", 1)
    monkeypatch.setenv(memory.MEMORY_ENV, "8MB")
    path = write_file("big-orders.csv", HEADER + "".join(line(i) for i in range(2, 20_000)))
    with pytest.raises(IngestError) as caught:
        ingest.import_paths(store, [path])
    message = str(caught.value)
    assert "big-orders.csv" in message and "memory limit of" in message
    assert memory.MEMORY_ENV in message and "split the file" in message
    assert "nothing was written" in message
    assert counts(store) == before and _setting(store) == setting
    monkeypatch.setenv(memory.MEMORY_ENV, "1GB")
    assert import_one(store, path).inserted == 19_998  # the shop still works


def test_cli_refuses_a_bad_setting_with_exit_2(shoplens_home: Path, write_file, run_python,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory.MEMORY_ENV, "plenty")
    path = write_file("orders.csv", HEADER + line(1))
    done = run_python("-m", "core.cli", "import", "--shop", "s", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert memory.MEMORY_ENV in done.stderr and "Traceback" not in done.stderr


def test_the_floor_keeps_room_for_what_the_reader_bounds() -> None:
    assert memory.MIN_MEMORY > readers.CSV_BUFFER_BYTES > readers.MAX_LINE_BYTES
    assert memory.parse_size("1.5GiB") == 3 << 29 and memory.parse_size("61.0 MiB") == 61 << 20
