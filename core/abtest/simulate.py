"""An A/B test in the simulated world: customers split at random, day by day, with honest numbers.

Given the world (``core.abtest.world``) and, per arm, each customer's list (``core.abtest.policies``),
``run`` plays ``days`` days: every customer visits ``Poisson(rate * season(day))`` times; each
visit shows the arm's list, every slot is clicked with the world's probability and a clicked
product is bought with ``buy_after_click``; besides, the visit may end in an order without
the recommendations. Everything is vectorised over visits, so 50,000 customers for 30 days
take a second or two (``bench/simulate.py``).

A customer enters the test at their first visit ("a visitor"). Per visitor the run keeps
visits, impressions, clicks, orders, revenue and items, and the metrics are

- click-through = clicks / impressions           (ratio: delta method, ``core.abtest.stats``)
- conversion    = visitors with an order / visitors
- revenue per visitor
- average order value = revenue / orders        (ratio)
- items per order = items / orders               (ratio)

``expected`` gives each metric's exact value in the world (no sampling): the true lift the
test's intervals should cover, which the tests check they do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.abtest import stats
from core.abtest.world import World

METRICS = {"revenue_per_visitor": "revenue per visitor", "conversion": "conversion",
           "ctr": "click-through", "aov": "average order value", "items_per_order": "items per order"}
RATIOS = {"ctr": ("clicks", "impressions"), "aov": ("revenue", "orders"),
          "items_per_order": ("items", "orders")}
COUNTS = ("visits", "impressions", "clicks", "orders", "revenue", "items")
GAMMA_SHAPE = 2.0  # spread of an order's value around the customer's average


@dataclass
class Exposure:
    """What one arm shows each customer of the world: click probabilities and prices per slot."""

    click: np.ndarray  # (n_customers, k) P(click) per slot
    price: np.ndarray  # (n_customers, k) price of the product in the slot
    shown: np.ndarray  # (n_customers,) slots filled


def exposure(world: World, rows: np.ndarray) -> Exposure:
    """The world's response to lists ``rows`` (n_customers, k) of catalog rows (-1 = empty)."""
    cust = np.arange(len(world.keys))
    click = world.click_probs(cust, rows)
    price = np.where(rows >= 0, world.prices[rows.clip(0)], 0.0)
    return Exposure(click, price, (rows >= 0).sum(axis=1))


@dataclass
class Totals:
    """Per-customer sums over the days so far (arrays over the population)."""

    visits: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray
    items: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> Totals:
        return cls(*(np.zeros(n) for _ in COUNTS))

    def values(self, metric: str, users: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(per-visitor values, denominators or None) of ``metric`` for ``users``."""
        if metric in RATIOS:
            num, den = RATIOS[metric]
            return getattr(self, num)[users], getattr(self, den)[users]
        if metric == "conversion":
            return (self.orders[users] > 0).astype(float), None
        return self.revenue[users], None


@dataclass
class Run:
    """One simulated test: who was in which arm and what they did, plus daily snapshots."""

    population: np.ndarray  # world customer of each simulated customer
    arm: np.ndarray  # arm of each simulated customer
    totals: Totals
    daily: list[dict[str, object]]  # per day and arm: visitors and the metrics so far (+ lifts)


def lift(totals: Totals, arm: np.ndarray, metric: str, control: int, treatment: int, alpha: float = 0.05,
         sequential: bool = False, n_star: float | None = None) -> stats.Lift:
    """The lift of ``treatment`` over ``control`` among visitors so far."""
    entered = totals.visits > 0
    c, t = np.flatnonzero(entered & (arm == control)), np.flatnonzero(entered & (arm == treatment))
    yc, dc = totals.values(metric, c)
    yt, dt = totals.values(metric, t)
    label = METRICS[metric]
    if dc is not None:
        if sequential:
            return stats.sequential_ratio_lift(yc, dc, yt, dt, alpha, label, n_star)
        return stats.ratio_lift(yc, dc, yt, dt, alpha, label)
    if sequential:
        return stats.sequential_lift(yc, yt, alpha, label, n_star)
    return stats.mean_lift(yc, yt, alpha, label)


def cuped_lift(totals: Totals, arm: np.ndarray, metric: str, control: int, treatment: int,
               before: Totals, alpha: float = 0.05) -> stats.Lift | None:
    """The lift with CUPED: each visitor's same metric in the period before the test (``before``,
    the same customers under the control policy) as the covariate. None for ratio metrics."""
    if metric in RATIOS:
        return None
    entered = totals.visits > 0
    c, t = np.flatnonzero(entered & (arm == control)), np.flatnonzero(entered & (arm == treatment))
    yc, _ = totals.values(metric, c)
    yt, _ = totals.values(metric, t)
    xc, _ = before.values(metric, c)
    xt, _ = before.values(metric, t)
    return stats.cuped_lift(yc, xc, yt, xt, alpha, METRICS[metric])


def metric_value(totals: Totals, arm: np.ndarray, metric: str, which: int) -> float:
    users = np.flatnonzero((totals.visits > 0) & (arm == which))
    y, d = totals.values(metric, users)
    if d is not None:
        return float(y.sum() / d.sum()) if d.sum() > 0 else float("nan")
    return float(y.mean()) if len(y) else float("nan")


def assign(n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each customer's arm, drawn independently with probabilities ``shares``."""
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def run(world: World, arms: list[Exposure], shares: np.ndarray, days: int, seed: int = 0,
        population: np.ndarray | None = None, metric: str = "revenue_per_visitor",
        n_star: float | None = None, progress: Callable[[float], None] | None = None,
        snapshots: bool = True) -> Run:
    """Simulate ``days`` days with customers split over ``arms`` by ``shares``."""
    rng = np.random.default_rng(seed)
    pop = np.arange(len(world.keys)) if population is None else np.asarray(population)
    n = len(pop)
    arm = assign(n, shares, rng)
    totals = Totals.zeros(n)
    season = world.season(days)
    rate = world.rate[pop]
    organic = world.organic
    b = world.config.buy_after_click
    daily: list[dict[str, object]] = []
    for day in range(days):
        visits = rng.poisson(rate * season[day])
        who = np.repeat(np.flatnonzero(visits), visits[visits > 0])  # one row per visit
        if len(who):
            _visit(world, arms, arm, pop, who, organic, b, totals, rng)
        if snapshots:
            daily.extend(_snapshot(totals, arm, len(arms), day, metric, n_star))
        if progress:
            progress((day + 1) / days)
    return Run(pop, arm, totals, daily)


def _visit(world: World, arms: list[Exposure], arm: np.ndarray, pop: np.ndarray, who: np.ndarray,
           organic: float, b: float, totals: Totals, rng: np.random.Generator) -> None:
    """Play the visits of customers ``who`` (a customer visiting twice appears twice)."""
    m = len(who)
    w = pop[who]
    k = arms[0].click.shape[1]
    click_p = np.zeros((m, k))
    price = np.zeros((m, k))
    shown = np.zeros(m)
    for a, ex in enumerate(arms):
        sel = arm[who] == a
        click_p[sel], price[sel], shown[sel] = ex.click[w[sel]], ex.price[w[sel]], ex.shown[w[sel]]
    clicks = rng.random((m, k)) < click_p
    bought = clicks & (rng.random((m, k)) < b)
    own = rng.random(m) < organic
    own_value = np.where(own, rng.gamma(GAMMA_SHAPE, world.aov[w] / GAMMA_SHAPE), 0.0)
    own_items = np.where(own, 1 + rng.poisson(np.maximum(world.ipo[w] - 1, 0)), 0)
    rec_items = bought.sum(axis=1)
    order = own | (rec_items > 0)
    revenue = own_value + (bought * price).sum(axis=1)
    items = own_items + rec_items
    for name, values in (("visits", np.ones(m)), ("impressions", shown), ("clicks", clicks.sum(axis=1)),
                         ("orders", order.astype(float)), ("revenue", revenue), ("items", items)):
        total = getattr(totals, name)
        total += np.bincount(who, weights=values, minlength=len(total))


def _snapshot(totals: Totals, arm: np.ndarray, n_arms: int, day: int, metric: str,
              n_star: float | None) -> list[dict[str, object]]:
    out = []
    entered = totals.visits > 0
    for a in range(n_arms):
        row: dict[str, object] = {"day": day + 1, "arm": a, "visitors": int((entered & (arm == a)).sum()),
                                  "value": metric_value(totals, arm, metric, a)}
        if a > 0:
            fixed = lift(totals, arm, metric, 0, a)
            seq = lift(totals, arm, metric, 0, a, sequential=True, n_star=n_star)
            row.update(rel_lift=fixed.rel_lift, low=fixed.rel_low, high=fixed.rel_high,
                       seq_low=seq.rel_low, seq_high=seq.rel_high)
        out.append(row)
    return out


def expected(world: World, ex: Exposure, days: int, population: np.ndarray | None = None) -> dict[str, float]:
    """Each metric's exact value in the world if every customer were in this arm.

    Visits are Poisson with total mean L = rate * sum(season); a visit orders with probability
    q = 1 - (1 - organic) * prod_k (1 - click_k * b). A customer is a visitor with probability
    1 - exp(-L) and converts with 1 - exp(-L q) (orders are a thinned Poisson process).
    """
    pop = np.arange(len(world.keys)) if population is None else np.asarray(population)
    big_l = world.rate[pop] * world.season(days).sum()
    b, organic = world.config.buy_after_click, world.organic
    click, price, shown = ex.click[pop], ex.price[pop], ex.shown[pop]
    q = 1 - (1 - organic) * np.prod(1 - click * b, axis=1)
    revenue = organic * world.aov[pop] + (click * b * price).sum(axis=1)
    items = organic * world.ipo[pop] + (click * b).sum(axis=1)
    visitors = (1 - np.exp(-big_l)).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"revenue_per_visitor": float((big_l * revenue).sum() / visitors),
                "conversion": float((1 - np.exp(-big_l * q)).sum() / visitors),
                "ctr": float((big_l * click.sum(axis=1)).sum() / (big_l * shown).sum()),
                "aov": float((big_l * revenue).sum() / (big_l * q).sum()),
                "items_per_order": float((big_l * items).sum() / (big_l * q).sum())}


__all__ = ["METRICS", "Exposure", "Run", "Totals", "cuped_lift", "expected", "exposure", "lift",
           "metric_value", "run"]
