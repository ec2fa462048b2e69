"""The non-neural baselines on tiny hand-made logs where the right answer is known, plus one
end-to-end run on a small demo shop."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from models import baselines
from models.baselines import BASELINES, ItemKNN, Popularity, RepeatFrequency
from models.data import CONTEXT, EVENT_TYPES, EventLog, Split, Target
from models.rules import estimator
from models.rules.factorization import ALS, EASE

log = logging.getLogger(__name__)
DAY = 86_400
PURCHASE = EVENT_TYPES.index("purchase")
T_VALID = 100 * DAY  # training is days 0..99 in the tiny logs


def make_log(events: list[tuple[int, int, float]], n_users: int | None = None,
             n_items: int | None = None, etypes: list[int] | None = None) -> EventLog:
    """An EventLog from ``(user, item, day)`` purchases; one basket per (user, day)."""
    ev = np.array(events, dtype=np.float64).reshape(-1, 3)
    user, item, ts = ev[:, 0].astype(np.int64), ev[:, 1].astype(np.int64), (ev[:, 2] * DAY).astype(np.int64)
    etype = np.full(len(ev), PURCHASE, np.int64) if etypes is None else np.asarray(etypes, np.int64)
    order = np.lexsort((ts, user))
    user, item, ts, etype = user[order], item[order], ts[order], etype[order]
    basket = np.full(len(ev), -1, np.int64)
    for u in np.unique(user):
        mine = (user == u) & (etype == PURCHASE)
        _, basket[mine] = np.unique(ts[mine], return_inverse=True)
    context = {name: np.zeros(len(ev), np.int64) for name in CONTEXT}
    return EventLog(user, item, etype, ts, basket, context,
                    n_users if n_users is not None else int(user.max()) + 1,
                    n_items if n_items is not None else int(item.max()),
                    {name: 1 for name in CONTEXT})


def make_split(log: EventLog, targets: list[Target], t_valid: int = T_VALID) -> Split:
    return Split(log, log.slice(log.ts < t_valid), targets, targets, t_valid, t_valid + DAY)


def target(user: int, day: float = 101, items: tuple[int, ...] = (1,)) -> Target:
    return Target(user, int(day * DAY), np.array(items, np.int64), {name: 0 for name in CONTEXT})


def order(scores: np.ndarray) -> list[int]:
    """Item ids by decreasing score (padding dropped)."""
    return [int(i) for i in np.argsort(-scores, kind="stable") if i != 0]


# --- hand-made worlds ---------------------------------------------------------------------


@pytest.fixture
def blocks() -> tuple[EventLog, list[Target]]:
    """Users 0-9 buy among items 1-5, users 10-19 among items 6-10 (three items each, over
    three days); user 20 first buys (two block-A items) after the end of training."""
    rng = np.random.default_rng(0)
    events = []
    for u in range(20):
        block = np.arange(1, 6) if u < 10 else np.arange(6, 11)
        for day, i in enumerate(rng.choice(block, size=3, replace=False)):
            events.append((u, int(i), 10 + 20 * day + u))
    events += [(20, 1, 100.5), (20, 2, 100.6)]
    log = make_log(events, n_items=10)
    return log, [target(0), target(15), target(20)]


def test_every_model_scores_the_whole_catalog(blocks) -> None:
    log, targets = blocks
    empty = target(5, day=1)  # nothing bought before day 1: falls back to popularity
    for name, factory in BASELINES.items():
        model = factory().fit(make_split(log, targets))
        scores = model.score(log, [*targets, empty])
        assert scores.shape == (len(targets) + 1, log.n_items + 1), name
        assert scores.dtype == np.float32, name
        assert np.isneginf(scores[:, 0]).all() and np.isfinite(scores[:, 1:]).all(), name
        assert model.score(log, []).shape == (0, log.n_items + 1), name
        pop = Popularity().fit(make_split(log, targets)).score(log, [empty])[0]
        assert order(scores[-1])[:3] == order(pop)[:3], name


def test_popularity_ranks_the_most_bought_first() -> None:
    log = make_log([(0, 3, 1), (1, 3, 2), (2, 3, 3), (3, 3, 4), (0, 1, 5), (1, 1, 6), (2, 2, 7)],
                   n_items=4)
    scores = Popularity().fit(make_split(log, [target(0)])).score(log, [target(0), target(3)])
    assert order(scores[0])[:3] == [3, 1, 2]
    np.testing.assert_array_equal(scores[0], scores[1])


def test_popularity_does_not_see_purchases_after_training() -> None:
    train = [(0, 1, 1), (1, 1, 2), (2, 2, 3)]
    late = [(u, 4, 100 + u) for u in range(3)] * 3  # item 4 is the hit of the test period
    log = make_log(train + late, n_items=4)
    scores = Popularity().fit(make_split(log, [target(0, day=110)])).score(log, [target(0, day=110)])
    assert order(scores[0])[:2] == [1, 2]
    assert scores[0, 4] == 0


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_models_learn_from_training_events_only(blocks, name: str) -> None:
    """Two logs that agree before the end of training but differ after it give the same scores
    for targets whose cut-off is the end of training."""
    log, _ = blocks
    late = make_log([*zip(log.user.tolist(), log.item.tolist(), (log.ts / DAY).tolist()),
                     *[(u, 9, 100 + u / 10) for u in range(10)]], n_items=10)
    targets = [target(u, day=100) for u in (0, 3, 12)]
    a = BASELINES[name]().fit(make_split(log, targets)).score(log, targets)
    b = BASELINES[name]().fit(make_split(late, targets)).score(late, targets)
    np.testing.assert_array_equal(a, b)


def test_repeat_frequency_ranks_the_customers_own_repeat_first() -> None:
    others = [(u, 1, u) for u in range(1, 8)]  # item 1 is the best seller
    mine = [(0, 2, 10), (0, 2, 40), (0, 2, 70), (0, 5, 80)]
    log = make_log(others + mine, n_items=6)
    model = RepeatFrequency(half_life_days=None).fit(make_split(log, [target(0)]))
    assert order(model.score(log, [target(0)])[0])[:3] == [2, 5, 1]


def test_repeat_frequency_prefers_recent_purchases_with_a_half_life() -> None:
    log = make_log([(0, 2, 1), (0, 3, 90), (1, 1, 5)], n_items=3)
    split = make_split(log, [target(0)])
    assert order(RepeatFrequency(half_life_days=30).fit(split).score(log, [target(0)])[0])[:3] == [3, 2, 1]
    flat = RepeatFrequency(half_life_days=None).fit(split).score(log, [target(0)])[0]
    assert flat[2] == flat[3]


def test_history_stops_before_the_cutoff() -> None:
    log = make_log([(0, 1, 10), (0, 2, 20), (0, 3, 30)], n_items=3)
    h = estimator.history_matrix(log, [Target(0, 20 * DAY, np.array([2]), {})]).toarray()
    np.testing.assert_array_equal(h[0], [0, 1, 0, 0])


def test_itemknn_recommends_what_is_bought_with_the_history() -> None:
    together = [(u, i, u) for u in range(6) for i in (1, 2)]  # 1 and 2 always go together
    others = [(u, i, u) for u in range(6, 14) for i in (3, 4)]  # 3 and 4 are more popular
    mine = [(20, 1, 50)]
    log = make_log(together + others + mine, n_items=4)
    for unit in ("user", "basket"):
        model = ItemKNN(unit=unit).fit(make_split(log, [target(20)]))
        assert order(model.score(log, [target(20)])[0])[0] == 2, unit


def test_ease_matches_the_closed_form() -> None:
    x = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], float)
    events = [(u, i + 1, 1 + u) for u, i in zip(*np.nonzero(x))]
    log = make_log(events + [(9, 2, 100.2), (9, 4, 100.4)], n_items=4)  # history after training
    l2 = 2.0
    model = EASE(l2=l2).fit(make_split(log, [target(9)]))
    p = np.linalg.inv(x.T @ x + l2 * np.eye(4))
    b = np.eye(4) - p @ np.diag(1.0 / np.diag(p))
    np.testing.assert_allclose(model.weights_[1:, 1:], b, rtol=1e-5, atol=1e-6)
    assert np.allclose(np.diag(model.weights_), 0)
    scores = model.score(log, [target(9)])[0, 1:]
    expected = np.array([0, 1, 0, 1]) @ b
    np.testing.assert_allclose(scores, expected, atol=2 * estimator.TIE * np.abs(expected).max())
    assert order(np.r_[0, scores]) == order(np.r_[0, expected])


def test_als_is_deterministic_and_finds_the_two_blocks(blocks) -> None:
    log, targets = blocks
    split = make_split(log, targets)
    params = {"factors": 2, "reg": 0.1, "alpha": 10.0, "iterations": 15}  # rank of the plant
    a = ALS(seed=1, **params).fit(split).score(log, targets)
    np.testing.assert_array_equal(a, ALS(seed=1, **params).fit(split).score(log, targets))
    assert not np.array_equal(a, ALS(seed=2, **params).fit(split).score(log, targets))
    everyone = [target(u) for u in range(21)]
    scores = ALS(seed=1, **params).fit(split).score(log, everyone)
    for u in range(21):  # user 20 is unseen in training: folded in from two purchases
        block = set(range(1, 6)) if u < 10 or u == 20 else set(range(6, 11))
        assert set(order(scores[u])[:5]) == block, u


def test_make_reads_params_as_data() -> None:
    model = baselines.make("ease", {"l2": 42.0})
    assert isinstance(model, EASE) and model.get_params()["l2"] == 42.0
    with pytest.raises(ValueError, match="no parameter"):
        baselines.make("ease", {"lambda": 1.0})
    with pytest.raises(ValueError, match="Unknown baseline"):
        baselines.make("nope")
    with pytest.raises(RuntimeError, match="not fitted"):
        EASE().score(make_log([(0, 1, 1)]), [target(0)])


# --- a small demo shop, end to end ----------------------------------------------------------


def test_baselines_on_a_demo_shop(shoplens_home: Path) -> None:
    from core.demo.config import SynthConfig
    from core.demo.demo import create_demo_shop
    from core.shop.sequences import event_log
    from core.store.store import Store
    from models.data import split
    from models.metrics import evaluate

    create_demo_shop("demo", SynthConfig(n_customers=400, n_products=150, days=365, seed=3))
    with Store.open("demo") as store:
        data = split(event_log(store))
    rng = np.random.default_rng(0)

    class Random:
        def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
            return rng.random((len(targets), log.n_items + 1), dtype=np.float32)

    random_ndcg = evaluate(Random(), data)["ndcg@10"]
    log.info("random: ndcg@10 %.4f over %d test baskets", random_ndcg, len(data.test))
    results = {}
    for name, factory in BASELINES.items():
        started = time.perf_counter()
        results[name] = evaluate(factory().fit(data), data)
        log.info("%s: %s (%.1fs)", name, results[name], time.perf_counter() - started)
    for name, res in results.items():
        assert res["ndcg@10"] > 2 * random_ndcg + 0.01, (name, res["ndcg@10"], random_ndcg)
    best_personal = max(results["repeat"]["recall@10"], results["itemknn"]["recall@10"])
    assert best_personal > results["popularity"]["recall@10"]


def test_ease_on_a_large_catalog_keeps_the_most_bought_products() -> None:
    # items x items is 34 GB at 65,000 products (the process died on the grocery shop): above
    # ``max_items`` EASE is the closed form over the most-bought products; the others score 0
    x = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1]], float)
    events = [(u, i + 1, 1 + u) for u, i in zip(*np.nonzero(x))]
    log = make_log(events + [(9, 2, 100.2), (9, 4, 100.4)], n_items=4)
    l2 = 2.0
    model = EASE(l2=l2, max_items=3).fit(make_split(log, [target(9)]))
    keep = [0, 1, 2]  # items 1, 2, 3 (bought 3, 4, 3 times; item 4 twice)
    assert list(model.items_) == [k + 1 for k in keep]
    sub = x[:, keep]
    p = np.linalg.inv(sub.T @ sub + l2 * np.eye(3))
    b = np.eye(3) - p @ np.diag(1.0 / np.diag(p))
    np.testing.assert_allclose(model.weights_, b, rtol=1e-5, atol=1e-6)
    scores = model.score(log, [target(9)])[0, 1:]
    expected = np.array([0, 1, 0]) @ b  # the history's item 4 is outside: it adds nothing
    np.testing.assert_allclose(scores[:3], expected, atol=2 * estimator.TIE * np.abs(expected).max() + 1e-6)
    assert scores[3] < scores[:3].max()
    assert EASE(l2=l2).fit(make_split(log, [target(9)])).items_ is None  # small catalogs: all
