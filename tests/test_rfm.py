"""RFM measures, scores and groups on small shops with hand-computed answers."""

from __future__ import annotations

import pandas as pd
import pytest

from core.shop import rfm
from core.store.store import Store

PRODUCTS = {"p1": (10.0, True), "p2": (5.0, True), "p3": (7.0, True), "ship": (4.95, False)}


def add_events(store: Store, rows: list[tuple], objected: tuple[str, ...] = ()) -> None:
    """rows: (customer_key, session_id, ts, event_type, product_id, quantity, unit_price, order_id)."""
    with store.transaction() as tx:
        for key in sorted({r[0] for r in rows if r[0] is not None}):
            tx.execute("INSERT OR IGNORE INTO customers (customer_key, consent_profiling) VALUES (?, ?)",
                       [key, key not in objected])
        for pid, (price, is_product) in PRODUCTS.items():
            tx.execute("INSERT OR IGNORE INTO products (product_id, price, is_product) VALUES (?, ?, ?)",
                       [pid, price, is_product])
        for row in rows:
            tx.execute("INSERT INTO events (customer_key, session_id, ts, event_type, product_id, "
                       "quantity, unit_price, order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [row[0], row[1], pd.Timestamp(row[2]).to_pydatetime(), *row[3:]])


EXACT = [
    # alice: basket o1 (25.0), basket s9 (10.0; the postage line is not a product), a return of
    # 10.0, a view, and a purchase after as_of
    ("alice", "s1", "2024-01-01 10:00", "purchase", "p1", 2, 10.0, "o1"),
    ("alice", "s1", "2024-01-01 10:00", "purchase", "p2", 1, 5.0, "o1"),
    ("alice", "s9", "2024-02-20 09:00", "purchase", "p1", 1, 10.0, None),
    ("alice", "s9", "2024-02-20 09:00", "purchase", "ship", 1, 4.95, None),
    ("alice", None, "2024-02-25 12:00", "return", "p1", 1, 10.0, "o1"),
    ("alice", "s10", "2024-02-28 12:00", "view", "p2", 1, 5.0, None),
    ("alice", "s11", "2024-03-05 10:00", "purchase", "p2", 1, 100.0, "o3"),
    # bob: two lines on one day without order or session (one basket); p3 has no line price,
    # so the catalogue price 7.0 counts
    ("bob", None, "2024-02-01 08:00", "purchase", "p3", 3, None, None),
    ("bob", None, "2024-02-01 15:00", "purchase", "p1", 1, 10.0, None),
    # carol: returned more than she bought -> monetary 0
    ("carol", "s5", "2024-02-10 12:00", "purchase", "p1", 1, 10.0, "o5"),
    ("carol", None, "2024-02-11 12:00", "return", "p1", 2, 10.0, "o5"),
    # left out: a guest, a customer who only looked, a customer who objected to profiling
    (None, "g1", "2024-02-27 12:00", "purchase", "p1", 5, 10.0, "o7"),
    ("dave", "s6", "2024-02-27 12:00", "view", "p1", 1, 10.0, None),
    ("erin", "s7", "2024-02-27 12:00", "purchase", "p1", 9, 10.0, "o8"),
]


def test_measures_scores_and_groups_are_exact(store: Store) -> None:
    add_events(store, EXACT, objected=("erin",))
    table = rfm.rfm_table(store, as_of=pd.Timestamp("2024-03-01"))
    assert list(table.columns) == rfm.COLUMNS
    assert table.index.name == "customer_key" and list(table.index) == ["alice", "bob", "carol"]
    assert table["recency_days"].to_dict() == {"alice": 9, "bob": 28, "carol": 19}
    assert table["frequency"].to_dict() == {"alice": 2, "bob": 1, "carol": 1}
    assert table["monetary"].to_dict() == pytest.approx({"alice": 25.0, "bob": 31.0, "carol": 0.0})
    # three customers: the share of the others that are strictly worse is 0, 1/2 or 1 -> 1, 3, 5
    assert table["r_score"].to_dict() == {"alice": 5, "bob": 1, "carol": 3}
    assert table["f_score"].to_dict() == {"alice": 5, "bob": 1, "carol": 1}  # bob and carol tie
    assert table["m_score"].to_dict() == {"alice": 3, "bob": 5, "carol": 1}
    # FM = (F + M + 1) // 2: alice 4, bob 3, carol 1
    assert table["rfm_group"].to_dict() == {"alice": "Champions", "bob": "Almost lost",
                                            "carol": "Needs attention"}


def test_as_of_defaults_to_the_last_event(store: Store) -> None:
    add_events(store, EXACT, objected=("erin",))
    table = rfm.rfm_table(store)
    assert rfm.last_event_time(store) == pd.Timestamp("2024-03-05 10:00")
    assert table.loc["alice", "recency_days"] == 0
    assert table.loc["alice", "frequency"] == 3
    assert table.loc["alice", "monetary"] == pytest.approx(125.0)


def _ten_customers(store: Store) -> None:
    """Customer c<i> has i + 1 baskets of 10 * (i + 1) each, the last one i * 10 days after the first
    customer's: c9 is best on everything, c0 worst."""
    rows = []
    for i in range(10):
        last = pd.Timestamp("2024-01-01") + pd.Timedelta(days=10 * i)
        for j in range(i + 1):
            ts = last - pd.Timedelta(days=j)
            rows.append((f"c{i}", f"s{i}-{j}", str(ts), "purchase", "p1", 1, 10.0 * (i + 1), f"o{i}-{j}"))
    add_events(store, rows)


def test_quintiles_and_the_extreme_groups(store: Store) -> None:
    _ten_customers(store)
    table = rfm.rfm_table(store)
    for col in ("r_score", "f_score", "m_score"):  # ten distinct values: two customers per score
        assert table[col].to_dict() == {f"c{i}": i // 2 + 1 for i in range(10)}
    assert table.loc["c9", "rfm_group"] == "Champions"
    assert table.loc["c0", "rfm_group"] == "Dormant"
    assert table.loc["c4", "rfm_group"] == "Needs attention"
    assert table.loc["c6", "rfm_group"] == "Loyal"
    assert table.loc["c2", "rfm_group"] == "Almost lost"
    summary = rfm.group_summary(table)
    assert list(summary.index) == list(rfm.GROUPS)
    assert summary["customers"].sum() == 10 and summary.loc["Champions", "customers"] == 2
    assert summary.loc["Promising", "customers"] == 0
    assert summary["share"].sum() == pytest.approx(1.0)


def test_scores_give_ties_equal_scores_and_work_for_tiny_shops() -> None:
    freq = pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 5, 8])
    assert list(rfm.score(freq)) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]  # one-time buyers are all F1
    assert list(rfm.score(pd.Series([4.0]))) == [3]
    assert list(rfm.score(pd.Series([4.0, 2.0]))) == [5, 1]
    assert list(rfm.score(pd.Series([4.0, 2.0]), higher_is_better=False)) == [1, 5]
    assert list(rfm.score(pd.Series([2.0, 2.0, 2.0]))) == [1, 1, 1]
    assert rfm.score(pd.Series([], dtype=float)).empty


def test_the_grid_covers_every_cell_with_the_eleven_groups() -> None:
    assert len(rfm.GRID) == 25 and set(rfm.GRID.values()) == set(rfm.GROUPS) - {rfm.PROSPECTS}
    assert len(rfm.GROUPS) == 11
    assert rfm.rfm_group(5, 5, 5) == "Champions"
    assert rfm.rfm_group(1, 1, 1) == "Dormant"
    assert rfm.rfm_group(5, 1, 1) == "New"
    assert rfm.rfm_group(4, 1, 1) == "Promising"
    assert rfm.rfm_group(5, 1, 2) == "Promising"  # FM = 1.5 rounds up to 2
    assert rfm.rfm_group(1, 5, 5) == "Previously loyal"
    assert rfm.rfm_group(2, 4, 3) == "At risk"


def test_tiny_and_empty_shops(store: Store) -> None:
    empty = rfm.rfm_table(store)
    assert empty.empty and list(empty.columns) == rfm.COLUMNS
    add_events(store, [("solo", "s1", "2024-01-01", "purchase", "p1", 1, 10.0, "o1")])
    table = rfm.rfm_table(store)
    assert table.loc["solo", ["r_score", "f_score", "m_score"]].tolist() == [3, 3, 3]
    assert table.loc["solo", "rfm_group"] == "Needs attention"
    add_events(store, [("duo", "s2", "2024-01-02", "purchase", "p2", 1, 5.0, "o2"),
                       ("trio", "s3", "2024-01-03", "view", "p2", 1, 5.0, None)])
    table = rfm.rfm_table(store)
    assert list(table.index) == ["duo", "solo"]
    assert table["r_score"].to_dict() == {"duo": 5, "solo": 1}
