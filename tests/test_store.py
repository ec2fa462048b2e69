"""The shop's DuckDB store: migrations, the one-writer lock, transactions, identifier quoting."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.store import config, schema
from core.store.schema import DATA_TABLES, MIGRATIONS, SCHEMA_VERSION
from core.store.store import ShopLockedError, Store, StoreError, quote_ident


def test_new_shop_is_created_and_fully_migrated(shoplens_home: Path) -> None:
    path = config.shop_db_path("fresh")
    assert not path.exists()
    with Store.open("fresh") as st:
        assert path.exists()
        assert st.path == path
        assert st.schema_version() == SCHEMA_VERSION
        versions = [v for (v,) in st.rows("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [v for v, _, _ in MIGRATIONS]
        tables = {t for (t,) in st.rows("SELECT table_name FROM information_schema.tables")}
        assert {*DATA_TABLES, "imports", "rejections", "schema_migrations"} <= tables
        assert st.table_counts() == dict.fromkeys(DATA_TABLES, 0)
    assert "fresh" in config.list_shops()


def test_reopen_keeps_data_and_does_not_migrate_again(shoplens_home: Path) -> None:
    with Store.open("shop") as st:
        st.execute("INSERT INTO products (product_id, title) VALUES (?, ?)", ["p1", "Mug"])
        applied = st.rows("SELECT version, applied_at FROM schema_migrations")
    with Store.open("shop") as st:
        assert st.schema_version() == SCHEMA_VERSION
        assert st.rows("SELECT version, applied_at FROM schema_migrations") == applied
        assert st.rows("SELECT product_id, title FROM products") == [("p1", "Mug")]


def test_a_new_migration_is_applied_on_the_next_read_write_open(
        shoplens_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open("shop").close()
    extra = (SCHEMA_VERSION + 1, "add a note to products",
             ["ALTER TABLE products ADD COLUMN note VARCHAR"])
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, extra])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="schema version"):
        Store.open("shop", read_only=True)  # too old to read: asks for a read-write open
    with Store.open("shop") as st:
        assert st.schema_version() == SCHEMA_VERSION + 1
        cols = {c for (c,) in st.rows("SELECT column_name FROM (DESCRIBE products)")}
        assert "note" in cols
    with Store.open("shop", read_only=True) as st:
        assert st.schema_version() == SCHEMA_VERSION + 1


def test_a_version_1_shop_gets_the_stock_column(
        shoplens_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:  # a shop file written before migration 2 existed
        m.setattr(schema, "MIGRATIONS", MIGRATIONS[:1])
        m.setattr(schema, "SCHEMA_VERSION", 1)
        with Store.open("old") as st:
            st.execute("INSERT INTO products (product_id, title, price) VALUES (?, ?, ?)",
                       ["p1", "Mug", 4.5])
            cols = {c for (c,) in st.rows("SELECT column_name FROM (DESCRIBE products)")}
            assert st.schema_version() == 1 and "stock" not in cols
    with pytest.raises(StoreError, match="schema version 1"):
        Store.open("old", read_only=True)
    with Store.open("old") as st:
        assert st.schema_version() == SCHEMA_VERSION >= 2
        types = dict(st.rows("SELECT column_name, column_type FROM (DESCRIBE products)"))
        assert types["stock"] == "INTEGER"
        assert st.rows("SELECT product_id, title, price, stock FROM products") == [
            ("p1", "Mug", 4.5, None)]  # unknown until a file says otherwise
        # The primary key still works for the importer's upserts after the change.
        st.execute("INSERT INTO products (product_id, stock) VALUES ('p1', 3), ('p2', 0) "
                   "ON CONFLICT (product_id) DO UPDATE SET stock = excluded.stock")
        assert st.rows("SELECT product_id, title, stock FROM products ORDER BY 1") == [
            ("p1", "Mug", 3), ("p2", None, 0)]
    with Store.open("old", read_only=True) as st:
        assert st.schema_version() == SCHEMA_VERSION


_OPEN_IN_CHILD = """
import sys
from core.store.store import Store, ShopLockedError
try:
    Store.open("test", read_only={read_only}).close()
except ShopLockedError as err:
    print("LOCKED", err)
    sys.exit(3)
print("OPENED")
"""


@pytest.mark.parametrize("read_only", [False, True])
def test_second_process_gets_a_clear_locked_error(store: Store, run_python, read_only: bool) -> None:
    done = run_python("-c", _OPEN_IN_CHILD.format(read_only=read_only))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "LOCKED" in done.stdout
    assert str(store.path) in done.stdout
    assert "read-write" in done.stdout
    # the holder is unharmed
    assert store.schema_version() == SCHEMA_VERSION


def test_second_process_can_open_after_the_writer_closes(shoplens_home: Path, run_python) -> None:
    Store.open("test").close()
    done = run_python("-c", _OPEN_IN_CHILD.format(read_only=True))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OPENED" in done.stdout


def test_same_process_other_mode_is_a_locked_error(store: Store) -> None:
    with pytest.raises(ShopLockedError) as info:
        Store.open("test", read_only=True)
    assert str(store.path) in str(info.value)


def test_read_only_open_of_a_missing_shop_fails_and_creates_nothing(shoplens_home: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open("nothing-here", read_only=True)
    assert not config.shop_db_path("nothing-here").exists()
    assert config.list_shops() == []


def test_read_only_store_reads_but_refuses_to_write(shoplens_home: Path) -> None:
    with Store.open("shop") as st:
        st.execute("INSERT INTO products (product_id) VALUES (?)", ["p1"])
    with Store.open("shop", read_only=True) as ro:
        assert ro.read_only
        assert ro.table_counts()["products"] == 1
        with pytest.raises(StoreError, match="read-only"):
            ro.execute("DELETE FROM products")
        assert ro.table_counts()["products"] == 1


@pytest.mark.parametrize("name", ["", "../evil", "a b", "-x", "x" * 65, "shop.duckdb"])
def test_bad_shop_names_are_refused(shoplens_home: Path, name: str) -> None:
    with pytest.raises(config.ShopNameError):
        Store.open(name)


def test_transaction_commits_when_the_block_ends(store: Store) -> None:
    with store.transaction() as tx:
        tx.execute("INSERT INTO products (product_id) VALUES (?), (?)", ["a", "b"])
        assert tx.scalar("SELECT count(*) FROM products") == 2
    assert store.table_counts()["products"] == 2


def test_transaction_rolls_back_on_exception(store: Store) -> None:
    store.execute("INSERT INTO products (product_id, title) VALUES (?, ?)", ["keep", "Kept"])
    before = store.table_counts()
    with pytest.raises(RuntimeError, match="boom"):
        with store.transaction() as tx:
            tx.execute("INSERT INTO products (product_id) VALUES (?)", ["new"])
            tx.execute("UPDATE products SET title = ? WHERE product_id = ?", ["Changed", "keep"])
            tx.execute("INSERT INTO customers (customer_key) VALUES (?)", ["c_1"])
            raise RuntimeError("boom")
    assert store.table_counts() == before
    assert store.rows("SELECT product_id, title FROM products") == [("keep", "Kept")]
    # the connection is usable afterwards
    store.execute("INSERT INTO products (product_id) VALUES (?)", ["after"])
    assert store.table_counts()["products"] == 2


def test_failed_statement_rolls_back_the_whole_transaction(store: Store) -> None:
    with pytest.raises(Exception, match="(?i)constraint|check"):
        with store.transaction() as tx:
            tx.execute("INSERT INTO products (product_id) VALUES (?)", ["x"])
            tx.execute("INSERT INTO events (ts, event_type, product_id, quantity) "
                       "VALUES (now()::TIMESTAMP, 'purchase', 'x', 0)")  # quantity > 0
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


def test_parameters_carry_values_verbatim(store: Store) -> None:
    nasty = "x'); DROP TABLE products; --"
    store.execute("INSERT INTO products (product_id, title) VALUES (?, $1)", [nasty])
    assert store.scalar("SELECT title FROM products WHERE product_id = ?", [nasty]) == nasty
    assert store.scalar("SELECT count(*) FROM products WHERE product_id = $id", {"id": nasty}) == 1


@pytest.mark.parametrize("name, quoted", [
    ("plain", '"plain"'),
    ('say "hi"', '"say ""hi"""'),
    ('"', '""""'),
    ("Customer ID", '"Customer ID"'),
    ("a;b--c", '"a;b--c"'),
])
def test_quote_ident_escapes_quotes(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


def test_quoted_identifiers_work_in_sql(store: Store) -> None:
    odd = ['we"ird', "Customer ID", "drop table x; --", "select"]
    cols = ", ".join(quote_ident(c) + " VARCHAR" for c in odd)
    store.execute("CREATE TABLE odd (" + cols + ")")
    store.execute("INSERT INTO odd VALUES (?, ?, ?, ?)", ["a", "b", "c", "d"])
    for col, want in zip(odd, "abcd"):
        assert store.scalar("SELECT " + quote_ident(col) + " FROM odd") == want
    assert [c for (c,) in store.rows("SELECT column_name FROM (DESCRIBE odd)")] == odd


def test_scalar_of_empty_result_is_none(store: Store) -> None:
    assert store.scalar("SELECT product_id FROM products") is None
    assert store.df("SELECT * FROM products").empty


def test_queries_from_several_threads(store: Store) -> None:
    store.execute("INSERT INTO products (product_id) SELECT 'p' || i FROM range(100) t(i)")
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append(int(store.scalar("SELECT count(*) FROM products")))
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert results == [100] * 80


def test_compaction_that_fails_leaves_the_shop_as_it_was(store, monkeypatch) -> None:
    store.execute("CREATE TABLE t AS SELECT 'c_' || i AS k FROM range(1000) r(i)")
    store.execute("DELETE FROM t WHERE k < 'c_5'")
    left = store.scalar("SELECT count(*) FROM t")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("core.store.store.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        store.compact()
    monkeypatch.undo()
    assert store.scalar("SELECT count(*) FROM t") == left  # reopened, complete
    assert not list(store.path.parent.glob(".*.compact.duckdb"))  # no half-written copy left
    store.compact()
    assert store.scalar("SELECT count(*) FROM t") == left
    assert b"c_1" not in store.path.read_bytes()  # the deleted rows are gone from the file
