"""From store to EventLog, the time split and the shared evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.demo import demo
from core.demo.config import SynthConfig
from core.shop import sequences
from core.store.store import Store
from models import data, metrics

CFG = SynthConfig(n_customers=300, n_products=100, days=200, seed=5)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("seqhome")
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(home))
    demo.create_demo_shop("demo", CFG)
    store = Store.open("demo")
    yield store
    store.close()
    mp.undo()


def test_event_log_is_sorted_coded_and_consenting_only(shop: Store) -> None:
    log = sequences.event_log(shop)
    assert np.all(np.diff(log.user) >= 0)
    for u in range(log.n_users):
        ts = log.ts[log.user == u]
        assert np.all(np.diff(ts) >= 0)
    assert log.item.min() >= 1 and log.item.max() <= log.n_items
    objected = {r[0] for r in shop.rows("SELECT customer_key FROM customers WHERE NOT consent_profiling")}
    assert objected and not objected & set(log.user_ids)
    for name, codes in log.context.items():
        assert codes.min() >= 0 and codes.max() < log.context_sizes[name], name
    assert set(log.item_side) == {"category", "brand", "price_band"}
    assert len(log.item_side["category"]) == log.n_items + 1


def test_purchases_only_and_min_baskets(shop: Store) -> None:
    log = sequences.event_log(shop, sequences.LogOptions(purchases_only=True, min_baskets=3))
    assert set(np.unique(log.etype)) == {data.EVENT_TYPES.index("purchase")}
    per_user = [len(np.unique(log.basket[log.user == u])) for u in range(log.n_users)]
    assert min(per_user) >= 3


def test_split_is_in_time_and_targets_are_baskets(shop: Store) -> None:
    log = sequences.event_log(shop)
    sp = data.split(log)
    assert sp.train.ts.max() < sp.t_valid <= sp.t_test
    assert sp.valid and sp.test
    for target in sp.test[:50]:
        hist = data.history(log, target)
        # the history ends before the basket's visit: none of that visit's views or carts
        assert len(hist) == 0 or log.ts[hist].max() < target.cutoff - data.VISIT_GAP
        bought = log.item[(log.user == target.user) & (log.ts >= target.cutoff)
                          & (log.etype == data.EVENT_TYPES.index("purchase"))]
        assert set(target.items) <= set(bought)


def test_metrics_on_hand_computed_ranking() -> None:
    scores = np.array([[0, 5, 4, 3, 2, 1]], dtype=np.float32)  # ranking: 1, 2, 3, 4, 5
    target = data.Target(0, 0, np.array([2, 5]), {})
    res = metrics.rank_metrics(scores, [target], ks=(10, 20))
    assert res["recall@10"][0] == pytest.approx(1.0)
    ideal = 1 + 1 / np.log2(3)
    assert res["ndcg@10"][0] == pytest.approx((1 / np.log2(3) + 1 / np.log2(6)) / ideal)
    assert res["mrr"][0] == pytest.approx(0.5)
    assert res["hitrate@10"][0] == 1.0


def test_fingerprint_changes_with_the_data(shop: Store, tmp_path: Path) -> None:
    before = sequences.fingerprint(shop)
    assert before == sequences.fingerprint(shop)
    key = shop.scalar("SELECT customer_key FROM customers WHERE consent_profiling LIMIT 1")
    shop.execute("UPDATE customers SET consent_profiling = false WHERE customer_key = ?", [key])
    try:
        assert sequences.fingerprint(shop) != before
    finally:
        shop.execute("UPDATE customers SET consent_profiling = true WHERE customer_key = ?", [key])


class _Shuffled:
    """The store, but every query's rows come back in another order (as DuckDB may give them)."""

    def __init__(self, store: Store, seed: int) -> None:
        self._store, self._seed = store, seed

    def df(self, sql: str, params: list | None = None):
        frame = self._store.df(sql, params)
        return frame.sample(frac=1.0, random_state=self._seed).reset_index(drop=True)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def test_event_log_does_not_depend_on_the_order_rows_come_in(shop: Store) -> None:
    # Lines of one basket share a time; baskets of one customer can too. Their order in the log
    # (what a sequence model reads, and which products a list's "recent" look-ups see first)
    # must come from the data, not from the order a parallel scan returned the rows in.
    for options in (sequences.LogOptions(), sequences.LogOptions(purchases_only=True)):
        a, b = (sequences.event_log(_Shuffled(shop, seed), options)  # type: ignore[arg-type]
                for seed in (1, 2))
        _same_log(a, b)
    full = sequences.event_log(shop)
    assert int((np.diff(full.ts)[np.diff(full.user) == 0] == 0).sum()) >= 10  # ties: it can tell


def _same_log(a: data.EventLog, b: data.EventLog) -> None:
    for name in ("user", "item", "etype", "ts", "basket"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in a.context:
        assert np.array_equal(a.context[name], b.context[name]), name
