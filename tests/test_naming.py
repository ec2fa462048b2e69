"""Segment names from what differs: levels among the shop's customers, distinct names, and a
number only when nothing else tells two segments apart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.segments import naming
from core.segments.naming import PLAIN_HEAD, Level


def _shop(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"frequency": rng.integers(1, 10, n).astype(float),
                         "monetary": rng.lognormal(4, 1, n), "recency_days": rng.uniform(1, 400, n),
                         "tenure_days": rng.uniform(1, 700, n), "churn_risk": np.full(n, 0.8)})


def _lv(measure: str, level: int, value: float = 2.0) -> Level:
    return Level(measure, value, (0.05, 0.25, 0.5, 0.75, 0.95)[level], level)


def test_levels_place_the_typical_customer_among_the_shop() -> None:
    shop = _shop()
    top = shop.nlargest(100, "monetary")
    levels = {lv.measure: lv for lv in naming.levels(top, shop)}
    assert levels["monetary"].level == 4 and levels["monetary"].word == "top value"
    assert 0.4 < levels["recency_days"].percentile < 0.6  # picked on money only: recency is typical
    assert "churn_risk" not in levels  # the same for everyone: nothing to say


def test_one_time_buyers_are_named_so_and_their_tenure_is_left_out() -> None:
    shop = _shop()
    once = shop.assign(frequency=1.0).head(50)
    levels = naming.levels(once, shop)
    assert "tenure_days" not in {lv.measure for lv in levels}  # first order = last order
    assert naming.render(PLAIN_HEAD, naming.first_choice(PLAIN_HEAD, levels)).startswith("One-time buyers")


def test_distinct_adds_the_measure_that_tells_a_group_apart() -> None:
    heads = {0: PLAIN_HEAD, 1: PLAIN_HEAD, 2: "Weekend mobile gifts buyers"}
    same = [_lv("frequency", 3), _lv("monetary", 4), _lv("recency_days", 4), _lv("churn_risk", 2)]
    levels = {0: [*same, _lv("tenure_days", 1)], 1: [*same, _lv("tenure_days", 3)],
              2: [_lv("monetary", 0)]}
    names = naming.distinct(heads, levels)
    assert names[0] == "Frequent buyers, top value, long lapsed, new"
    assert names[1] == "Frequent buyers, top value, long lapsed, long-standing"
    assert names[2] == "Weekend mobile gifts buyers, very low spend"
    alone = naming.distinct({0: PLAIN_HEAD}, {0: levels[0]})
    assert alone[0] == "Frequent buyers, top value, long lapsed"  # two levels when nothing collides


def test_distinct_falls_back_to_figures_then_to_a_number() -> None:
    heads = {0: PLAIN_HEAD, 1: PLAIN_HEAD, 2: PLAIN_HEAD}
    levels = {0: [_lv("monetary", 1, 20.0)], 1: [_lv("monetary", 1, 30.0)], 2: [_lv("monetary", 1, 30.0)]}
    names = naming.distinct(heads, levels)
    assert names[0] == "Shoppers, median spend 20"  # the figure replaces the level's word
    assert names[1] == "Shoppers, median spend 30" and names[2] == "Shoppers, median spend 30 (2)"
    assert len(set(names.values())) == 3


def _weekday_profile(customers: int, weekend: float, shop_weekend: float = 2 / 7):
    from core.segments.profiles import GroupProfile
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    share = [(1 - weekend) / 5] * 5 + [weekend / 2] * 2
    shop = [(1 - shop_weekend) / 5] * 5 + [shop_weekend / 2] * 2
    traits = pd.DataFrame({"value": days, "share": share, "shop": shop, "kind": "weekday"})
    traits["lift"] = traits["share"] / traits["shop"]
    empty = pd.DataFrame(columns=["category", "share", "shop", "lift"])
    return GroupProfile(customers, 0.1, 1.0, 0.1, {}, traits, empty, pd.DataFrame(), pd.Series(dtype=float))


def test_a_weekday_habit_names_a_segment_only_beyond_chance_and_against_the_shop() -> None:
    from core.segments.profiles import head_for
    # 12% weekend orders: among 30 customers of a shop at 2/7 that is 2 standard errors, luck
    assert head_for(_weekday_profile(30, 0.12)) == PLAIN_HEAD
    assert head_for(_weekday_profile(300, 0.12)) == "Weekday shoppers"  # 6 standard errors
    # a shop that sells on weekdays anyway: its segments are not "weekday" for being like it
    assert head_for(_weekday_profile(3000, 0.12, shop_weekend=0.13)) == PLAIN_HEAD
    assert head_for(_weekday_profile(300, 0.6)) == "Weekend shoppers"
    assert head_for(_weekday_profile(12, 0.6)) == PLAIN_HEAD  # 2.4 standard errors among 12
