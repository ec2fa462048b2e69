"""TIFU-KNN and UP-CF on hand-computed cases, and against cornac's implementations (values in
tests/data/nextbasket_reference.json, written by bench/nextbasket_reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_baselines import make_log, make_split, order, target

from models import baselines
from models.rules.nextbasket import TIFUKNN, UPCF, basket_ranks, tifu_weights

REFERENCE = json.loads((Path(__file__).parent / "data" / "nextbasket_reference.json").read_text())


def _history(baskets: list[list[int]], user: int = 0) -> list[tuple[int, int, float]]:
    """(user, item, day) purchases: basket d on day d + 1; items shifted to 1.. (0 is padding)."""
    return [(user, item + 1, day + 1) for day, basket in enumerate(baskets) for item in basket]


def test_basket_ranks_count_from_the_oldest() -> None:
    rows = np.array([0, 0, 0, 1, 1, 0])
    baskets = np.array([3, 3, 5, 0, 2, 7])
    position, count = basket_ranks(rows, baskets)
    assert position.tolist() == [0, 0, 1, 0, 1, 2] and count.tolist() == [3, 3, 3, 2, 2, 3]


def test_tifu_vector_by_hand() -> None:
    # three baskets {1,2}, {2}, {3}; two groups: [b0], [b1, b2]; decays 0.5
    # b0: 0.5**2 * 0.5**1 / 1 / 2 = 0.0625; b1: 0.5 * 1 / 2 / 2 = 0.125; b2: 1 * 1 / 2 / 2 = 0.25
    log = make_log(_history([[0, 1], [1], [2]]), n_items=4)
    model = TIFUKNN(n_groups=2, within_decay=0.5, group_decay=0.5, alpha=1.0).fit(make_split(log, []))
    scores = model.score(log, [target(0)])[0]
    assert scores[1:4] == pytest.approx([0.0625, 0.1875, 0.25], abs=1e-4)
    assert order(scores)[:3] == [3, 2, 1]


@pytest.mark.parametrize("case", range(len(REFERENCE["cases"])))
def test_tifu_vector_matches_cornac(case: int) -> None:
    c = REFERENCE["cases"][case]
    log = make_log(_history(c["baskets"]), n_items=REFERENCE["n_items"])
    rows, items = np.zeros(len(log.item), np.int64), log.item
    position, count = basket_ranks(rows, log.basket)
    weight = tifu_weights(position, count, c["n_groups"], c["within_decay"], c["group_decay"])
    ours = np.bincount(items, weights=weight, minlength=REFERENCE["n_items"] + 1)[1:]
    assert ours == pytest.approx(c["tifu_vector"], rel=1e-5, abs=1e-7)


def test_tifu_blends_the_nearest_neighbour() -> None:
    # one group, no decay: a vector is the mean of the baskets. u0 = {1: 1}; u1 = {1: .5, 2: .5}
    # (distance^2 0.5); u2 = {5, 6, 7: 1/3} (distance^2 1.33): u0's neighbour is u1, u1's is u0.
    events = _history([[0], [0]], 0) + _history([[0], [1]], 1) + _history([[4], [5], [6]], 2)
    log = make_log(events, n_items=8)
    model = TIFUKNN(neighbours=1, n_groups=1, within_decay=1.0, group_decay=1.0, alpha=0.5)
    scores = model.fit(make_split(log, [])).score(log, [target(0), target(1)])
    assert scores[0, 1:3] == pytest.approx([0.75, 0.25], abs=1e-3)
    assert scores[1, 1:3] == pytest.approx([0.75, 0.25], abs=1e-3)  # 0.5 * u1 + 0.5 * u0
    assert scores[0, 5] < 1e-3  # the far customer's items get nothing but the tie-break


def test_upcf_by_hand() -> None:
    # u0 {1,2} then {1}; u1 {1,3}; u2 {4}. Asymmetry 0.5: sim(u0, u1) = 1 / (2**.5 * 2**.5) = .5
    events = _history([[0, 1], [0]], 0) + _history([[0, 2]], 1) + _history([[3]], 2)
    log = make_log(events, n_items=5)
    split = make_split(log, [])
    one = UPCF(recency=1, asymmetry=0.5, locality=1.0, neighbours=1).fit(split).score(log, [target(0)])[0]
    assert one[1:4] == pytest.approx([1.5, 0.0, 0.5], abs=1e-3)  # own 1 + .5 * u1's
    two = UPCF(recency=2, asymmetry=0.5, locality=2.0, neighbours=1).fit(split).score(log, [target(0)])[0]
    assert two[1:4] == pytest.approx([1.25, 0.5, 0.25], abs=1e-3)  # .5 ** 2 of u1's


def test_upcf_popularity_and_similarity_match_cornac() -> None:
    n = REFERENCE["n_items"]
    for c in REFERENCE["cases"]:
        log = make_log(_history(c["baskets"]), n_items=n)
        pop, _ = UPCF(recency=c["recency"])._matrices(log, None, 1)
        assert pop.toarray()[0, 1:] == pytest.approx(c["uwpop"], rel=1e-6)
    sets = np.array(REFERENCE["sets"])
    events = [(u, i + 1, 1) for u, row in enumerate(sets) for i in np.flatnonzero(row)]
    log = make_log(events, n_items=n)
    a = REFERENCE["asymmetry"]
    model = UPCF(recency=0, asymmetry=a, locality=1.0, neighbours=1).fit(make_split(log, []))
    size = model.pool_size_
    ours = (sets @ sets.T) / (size[:, None] ** a * size[None, :] ** (1 - a))
    assert ours == pytest.approx(np.array(REFERENCE["similarity"]), rel=1e-5)


def test_both_see_only_the_history_before_the_cutoff() -> None:
    log = make_log(_history([[0], [1], [2]]) + _history([[0], [1]], 1), n_items=4)
    split = make_split(log, [])
    for model in (TIFUKNN(alpha=1.0), UPCF(recency=1)):
        model.fit(split)
        early = model.score(log, [target(0, day=2.5)])[0]  # only the first two baskets
        assert order(early)[0] == 2 and early[3] < 1e-3


def test_registered_and_tunable() -> None:
    assert {"tifuknn", "upcf"} <= set(baselines.BASELINES)
    assert baselines.make("tifuknn", {"neighbours": 50}).neighbours == 50
    with pytest.raises(ValueError):
        TIFUKNN(alpha=2.0).fit(make_split(make_log(_history([[0]]), n_items=2), []))
