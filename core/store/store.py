"""The shop's DuckDB store: the only module that imports duckdb.

One DuckDB file per shop (see ``core.store.config``). One process owns a file read-write; DuckDB's own
file lock refuses a second writer at once, and we turn that refusal into a ``ShopLockedError``
that names the file and the process holding it. Every query takes parameters; identifiers that come
from users' files go through ``quote_ident``. Queries always fetch fully (``.df()`` / ``fetchall()``)
so that no half-read result blocks the next query on the connection.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core.store import config, schema, scratch
from core.store.schema import DATA_TABLES

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any] | None

class StoreError(RuntimeError):
    """A problem with a shop's database file, explained for the person using shoplens."""


class ShopLockedError(StoreError):
    """Another process holds the shop's file read-write."""


def quote_ident(name: str) -> str:
    """Quote an identifier (a column or table name from a user's file) for DuckDB SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def _explain_open_error(path: Path, err: duckdb.Error) -> StoreError:
    text = str(err)
    if "lock" in text.lower():
        holder = re.search(r"PID (\d+)", text)
        who = f"process {holder.group(1)}" if holder else "another process"
        return ShopLockedError(
            f"The shop file {path} is open read-write in {who} (for example a running dashboard "
            "or import). Only one program may change a shop at a time: close the other one, or "
            "import from the dashboard's Data page."
        )
    if "different configuration" in text:
        return ShopLockedError(
            f"The shop file {path} is already open in this process in another mode; "
            "reuse that connection."
        )
    return StoreError(f"Could not open the shop file {path}: {text}")


class Store:
    """A connection to one shop's DuckDB file. Thread-safe: each call runs on its own cursor."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, shop: str, read_only: bool):
        self._con = con
        self.path = path
        self.shop = shop
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._gate = threading.Condition()  # compaction waits for open cursors and holds off new ones
        self._open_cursors = 0
        self._swapping = False
        self.memory_limit: str | None = None  # as given to ``open``; None: DuckDB's default

    @classmethod
    def open(
        cls, shop: str, read_only: bool = False, memory_limit: str | None = None
    ) -> Store:
        """Open (creating and migrating if needed) the store of ``shop``."""
        path = config.shop_db_path(shop)
        if read_only and not path.exists():
            raise StoreError(f"Shop {shop!r} does not exist yet ({path}).")
        settings = {"memory_limit": memory_limit} if memory_limit else {}
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=settings)
        except duckdb.Error as err:
            raise _explain_open_error(path, err) from err
        scratch.sweep_once()  # copies left by a killed import hold whole exports: gone at start
        store = cls(con, path, shop, read_only)
        store.memory_limit = memory_limit
        if not read_only:
            # this process holds the file: a rewrite's copy beside it is an interrupted one's
            path.with_name(f".{path.stem}.compact.duckdb").unlink(missing_ok=True)
            store._migrate()
            if store.schema_version() >= 3 and store.scalar(
                    "SELECT count(*) FROM settings WHERE name = 'compact_pending'"):
                log.info("Shop %s: finishing an interrupted rewrite after deletions", shop)
                store.compact()
        elif (version := store.schema_version()) < schema.SCHEMA_VERSION:
            con.close()
            raise StoreError(
                f"Shop {shop!r} uses schema version {version}; open it once "
                "read-write (for example in the dashboard) to upgrade it."
            )
        return store

    # -- queries ---------------------------------------------------------------------------
    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a query and return the whole result as a DataFrame."""
        with self._cursor() as cur:
            return cur.execute(sql, params).df()

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        """Run a query and return all rows."""
        with self._cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = None) -> Any:
        """Run a query and return the first column of the first row (or None)."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement in its own transaction."""
        with self.transaction() as tx:
            tx.execute(sql, params)

    @contextmanager
    def transaction(self, memory_limit: int | None = None) -> Iterator[Transaction]:
        """All or nothing: commit when the block ends, roll back if it raises. With
        ``memory_limit`` (bytes), the database runs under that limit until the block has ended
        (a database-wide setting: set and put back under the write lock)."""
        if self.read_only:
            raise StoreError(f"Shop {self.shop!r} is open read-only.")
        with self._write_lock, self._cursor() as cur:
            if memory_limit is not None:  # SET takes no parameters: an int, never user text
                cur.execute(f"SET memory_limit = '{int(memory_limit)}B'")
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield Transaction(cur)
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                if memory_limit is not None:  # back to the limit the store was opened with
                    own = self.memory_limit
                    ok = own is not None and re.fullmatch(r"[0-9.]+ ?[KMGTP]?i?B", own, re.I)
                    cur.execute(f"SET memory_limit = '{own}'" if ok else "RESET memory_limit")

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._gate:
            while self._swapping:
                self._gate.wait()
            self._open_cursors += 1
        try:
            cur = self._con.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            with self._gate:
                self._open_cursors -= 1
                self._gate.notify_all()

    # -- facts about the store ---------------------------------------------------------------
    def schema_version(self) -> int:
        """The highest migration applied to this file (0 for a new file)."""
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        )
        if not exists:
            return 0
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    def table_counts(self) -> dict[str, int]:
        """Row counts of the data tables."""
        sql = " UNION ALL ".join(
            f"SELECT '{t}' AS t, count(*) AS n FROM {quote_ident(t)}" for t in DATA_TABLES
        )
        return {t: int(n) for t, n in self.rows(sql)}

    def data_version(self) -> int:
        """Changes whenever the data changes (an import, an erasure, a consent change, a purge)."""
        return int(self.scalar("SELECT (SELECT count(*) FROM imports) * 1000003 + "
                               "(SELECT count(*) FROM audit_log WHERE action <> 'export')") or 0)

    def compact(self) -> None:
        """Rewrite the file so deleted rows cannot be read back from its free blocks: every table
        is copied into a fresh file, which replaces the old one atomically (fsync, rename).

        Queries from other threads wait while the file is swapped; if anything fails, the fresh
        file is removed and the shop stays as it was, open and complete."""
        if self.read_only:
            raise StoreError(f"Shop {self.shop!r} is open read-only.")
        fresh = self.path.with_name(f".{self.path.stem}.compact.duckdb")
        if self.schema_version() >= 3:  # deletions to wipe: the rewrite below is what they owe
            self.execute("INSERT OR REPLACE INTO settings VALUES ('compact_pending', '1')")
        with self._write_lock:
            with self._gate:
                self._swapping = True
                while self._open_cursors:
                    self._gate.wait()
            try:
                self._swap_in_copy(fresh)
                with self._con.cursor() as cur:
                    cur.execute("DELETE FROM settings WHERE name = 'compact_pending'")
            finally:
                fresh.unlink(missing_ok=True)
                with self._gate:
                    self._swapping = False
                    self._gate.notify_all()

    def _swap_in_copy(self, fresh: Path) -> None:
        fresh.unlink(missing_ok=True)
        cur = self._con.cursor()
        try:
            cur.execute("CHECKPOINT")
            name = cur.execute("SELECT current_database()").fetchall()[0][0]
            literal = "'" + str(fresh).replace("'", "''") + "'"
            cur.execute(f"ATTACH {literal} AS shoplens_fresh")
            try:
                cur.execute(f"COPY FROM DATABASE {quote_ident(name)} TO shoplens_fresh")
            finally:
                cur.execute("DETACH shoplens_fresh")
        finally:
            cur.close()
        self._con.close()
        try:
            fd = os.open(fresh, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(fresh, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:  # the new file, or the old one when the swap failed: the store stays usable
            self._con = duckdb.connect(str(self.path))

    def close(self) -> None:
        """Close the connection and release the file."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        current = self.schema_version()
        with self._cursor() as cur:
            if current == 0:
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
                )
        for version, name, statements in schema.MIGRATIONS:
            if version <= current:
                continue
            log.info("Migrating shop %s to schema version %d: %s", self.shop, version, name)
            with self.transaction() as tx:
                for stmt in statements:
                    tx.execute(stmt)
                tx.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name]
                )


class Transaction:
    """The cursor of an open transaction, with the same query helpers as ``Store``."""

    def __init__(self, cur: duckdb.DuckDBPyConnection):
        self._cur = cur

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement and discard its result."""
        self._cur.execute(sql, params).fetchall()

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        """Run a query and return all rows."""
        return self._cur.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = None) -> Any:
        """First column of the first row, or None."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        return self._cur.execute(sql, params).df()

    def register(self, name: str, frame: Any) -> None:
        """Expose a DataFrame or Arrow table to SQL as ``name`` for this transaction."""
        self._cur.register(name, frame)

    def unregister(self, name: str) -> None:
        """Remove a registered frame."""
        self._cur.unregister(name)


def is_duckdb_error(err: BaseException) -> bool:
    """True when ``err`` comes from DuckDB (lets callers explain it without importing duckdb)."""
    return isinstance(err, duckdb.Error)
