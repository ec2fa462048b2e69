"""Segment names from what actually differs, distinct within a run.

A segment's typical customer (the median; the mean for churn risk) is placed among the shop's
customers on each measure - orders, spend, recency, basket size and value, tenure, churn risk -
as a percentile, and that percentile as one of five levels (very low .. very high). A name is
the profile's head ("Weekend mobile gifts buyers", or "Shoppers" when no habit or category
stands out) and the levels furthest from the middle: "Frequent buyers, high value, lapsed".

``distinct`` then makes the names of one run differ: while two segments share a name, each
group of equal names gets the measure whose levels differ most among its members (the middle
level has words too: "average spend"); when no level tells them apart, the measure's figure
("median 4 orders"); a number only as the last resort. A shop whose export has few traits (a
spend-only history: no products, devices or times) is named on these measures alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# measure -> words for the levels very low .. very high, in the order the words appear in a name
WORDS: dict[str, tuple[str, str, str, str, str]] = {
    "frequency": ("occasional", "occasional", "repeat", "frequent", "very frequent"),
    "monetary": ("very low spend", "low spend", "average spend", "high value", "top value"),
    "recency_days": ("most recently active", "more recently active", "average recency", "lapsed",
                     "long lapsed"),
    "basket_items": ("single-item orders", "small baskets", "average baskets", "large baskets",
                     "very large baskets"),
    "basket_value": ("very small orders", "small orders", "average orders", "big orders",
                     "very big orders"),
    "tenure_days": ("newest", "new", "average tenure", "long-standing", "longest-standing"),
    "churn_risk": ("least at risk", "less at risk", "average churn risk", "more at risk",
                   "most at risk"),
}
FIGURES: dict[str, Callable[[float], str]] = {  # the measure's own figure, when levels tie
    "frequency": lambda v: f"median {v:,.0f} orders",
    "monetary": lambda v: f"median spend {v:,.0f}",
    "recency_days": lambda v: f"last order {v:,.0f} days ago",
    "basket_items": lambda v: f"{v:,.0f} items per order",
    "basket_value": lambda v: f"median order {v:,.0f}",
    "tenure_days": lambda v: f"customers for {v:,.0f} days",
    "churn_risk": lambda v: f"churn risk {v:.0%}",
}
CUTS = (0.15, 0.35, 0.65, 0.85)  # percentile -> level 0..4
MIN_SALIENCE = 0.15  # a level is worth naming from 15 points away from the middle
FIRST = 2  # levels in a name before any is needed to tell segments apart
PLAIN_HEAD = "Shoppers"


@dataclass(frozen=True)
class Level:
    """Where a group's typical customer stands among the shop's customers on one measure."""

    measure: str
    value: float  # the group's median (mean churn risk)
    percentile: float  # 0..1 among the shop's customers (ties count half)
    level: int  # 0 very low .. 4 very high

    @property
    def salience(self) -> float:
        return abs(self.percentile - 0.5)

    @property
    def word(self) -> str:
        if self.measure == "frequency" and self.value <= 1:
            return "one-time"
        if self.measure == "basket_items" and self.value <= 1:
            return "single-item orders"
        return WORDS[self.measure][self.level]


def percentile(values: np.ndarray, x: float) -> float:
    """Share of ``values`` below ``x``, ties counted half (0.5 for a constant measure)."""
    below = np.count_nonzero(values < x)
    same = np.count_nonzero(values == x)
    return float((below + 0.5 * same) / len(values))


def levels(group: pd.DataFrame, shop: pd.DataFrame) -> list[Level]:
    """The group's level on every measure both frames have (rows: customers). Tenure is left
    out for one-time buyers: their first order is their last, so it only repeats recency."""
    out = []
    one_time = "frequency" in group and float(group["frequency"].median()) <= 1
    for measure in WORDS:
        if measure not in group or measure not in shop or (measure == "tenure_days" and one_time):
            continue
        values = shop[measure].dropna().to_numpy(float)
        mine = group[measure].dropna()
        if len(values) < 2 or mine.empty or np.ptp(values) == 0:
            continue
        typical = float(mine.mean() if measure == "churn_risk" else mine.median())
        p = percentile(values, typical)
        out.append(Level(measure, typical, p, int(np.searchsorted(CUTS, p, side="right"))))
    return out


def render(head: str, chosen: list[Level], extra: tuple[tuple[str, str], ...] = ()) -> str:
    """Head, then the chosen levels' words in ``WORDS`` order, then any (measure, figure) of
    ``extra`` (a figure replaces its measure's word). A plain head takes the frequency word as
    its noun: "One-time buyers, low spend"."""
    order = list(WORDS)
    shown = {m for m, _ in extra}
    chosen = sorted((lv for lv in chosen if lv.measure not in shown), key=lambda lv: order.index(lv.measure))
    freq = next((lv for lv in chosen if lv.measure == "frequency"), None)
    if head == PLAIN_HEAD and freq is not None:
        head = f"{freq.word.capitalize()} buyers"
        chosen = [lv for lv in chosen if lv is not freq]
    words = [lv.word for lv in chosen] + [text for _, text in extra]
    return ", ".join([head, *words])


def first_choice(head: str, all_levels: list[Level], k: int = FIRST) -> list[Level]:
    """The k most salient levels worth naming; under a plain head also the frequency (its
    noun: "One-time buyers"), which does not count towards k."""
    noun = [lv for lv in all_levels if lv.measure == "frequency"] if head == PLAIN_HEAD else []
    ranked = sorted((lv for lv in all_levels if lv not in noun), key=lambda lv: lv.salience,
                    reverse=True)
    return noun + [lv for lv in ranked if lv.salience >= MIN_SALIENCE][:k]


def distinct(heads: dict[int, str], all_levels: dict[int, list[Level]]) -> dict[int, str]:
    """A name per segment, no two alike (see the module docstring)."""
    by = {k: {lv.measure: lv for lv in all_levels.get(k, [])} for k in heads}
    chosen = {k: first_choice(heads[k], list(by[k].values())) for k in heads}
    extra: dict[int, tuple[tuple[str, str], ...]] = {k: () for k in heads}
    added: list[tuple[list[int], str]] = []  # (segments, measure) added to tell them apart

    def names() -> dict[int, str]:
        return {k: render(heads[k], chosen[k], extra[k]) for k in heads}

    for _ in range(2 * len(WORDS)):
        groups = _collisions(names())
        if not groups:
            break
        for members in groups:
            used = {lv.measure for k in members for lv in chosen[k]}
            pick = _best_measure(members, by, used)
            if pick is not None:
                for k in members:
                    if pick in by[k]:
                        chosen[k].append(by[k][pick])
                added.append(([k for k in members if pick in by[k]], pick))
                continue
            figure = _best_figure(members, by, extra)
            if figure is None:
                break
            for k in members:
                if figure in by[k]:
                    extra[k] += ((figure, FIGURES[figure](by[k][figure].value)),)
    _prune(heads, chosen, extra, added)
    final = names()
    for members in _collisions(final):  # the last resort: a number
        for i, k in enumerate(sorted(members)[1:], start=2):
            final[k] = f"{final[k]} ({i})"
    return final


def _prune(heads: dict[int, str], chosen: dict[int, list[Level]],
           extra: dict[int, tuple[tuple[str, str], ...]], added: list[tuple[list[int], str]]) -> None:
    """Take back every measure added to tell a group apart that the names no longer need - from
    the whole group at once, so its members stay comparable - keeping the names distinct."""
    def distinct_names(levels: dict[int, list[Level]]) -> int:
        return len({render(heads[k], levels[k], extra[k]) for k in heads})

    for members, measure in reversed(added):
        trial = {k: [lv for lv in chosen[k] if not (k in members and lv.measure == measure)]
                 for k in heads}
        if distinct_names(trial) >= distinct_names(chosen):
            chosen.update(trial)


def _collisions(names: dict[int, str]) -> list[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for k, name in names.items():
        groups[name].append(k)
    return [sorted(v) for v in groups.values() if len(v) > 1]


def _best_measure(members: list[int], by: dict[int, dict[str, Level]], used: set[str]) -> str | None:
    """The unused measure whose words differ most among ``members`` (None: none differs)."""
    best, best_key = None, (1, 0.0)
    for measure in WORDS:
        if measure in used:
            continue
        words = [by[k][measure].word if measure in by[k] else None for k in members]
        key = (len(set(words)), sum(by[k][measure].salience for k in members if measure in by[k]))
        if key > best_key:
            best, best_key = measure, key
    return best


def _best_figure(members: list[int], by: dict[int, dict[str, Level]],
                 extra: dict[int, tuple[tuple[str, str], ...]]) -> str | None:
    """The measure whose figures differ most among ``members`` and is not shown yet."""
    best, best_n = None, 1
    for measure, fmt in FIGURES.items():
        if any(measure == m for k in members for m, _ in extra[k]):
            continue
        shown = [fmt(by[k][measure].value) if measure in by[k] else "" for k in members]
        if len(set(shown)) > best_n:
            best, best_n = measure, len(set(shown))
    return best
