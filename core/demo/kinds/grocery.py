"""A grocery shop's order export: a large catalog, households that come back every few weeks.

``shoplens demo --kind grocery`` writes it and imports it like any merchant file; the benchmark
of large catalogs (bench/large_catalog.py) trains on it. The default size follows a real grocery
loyalty-card shop: 2,500 households, 65,000 products and about 1.35 million purchase lines
(78,000 orders) over two years; repeat frequency scores NDCG@10 0.376 on its last baskets
(bench/results/large_catalog.md).

What a household does, drawn once per household and then trip by trip:
- it shops every two to eight weeks (a personal mean gap; each gap varies around it);
- it has staples (10-80 products, from its favourite departments) that it re-buys when they run
  out: each staple has an interval (the product's own, scaled by the household's pace), and the
  chance to buy it on a trip rises with the days since it was last bought;
- on each trip it also tries a few other products of its favourite departments, picked by
  popularity (a Zipf tail over the catalog); now and then a tried product becomes a staple in
  place of an old one, so tastes drift;
- a third of the households leave before the end.

The file looks like a till or web-shop export, not like our own schema: ``Order ID, Customer ID,
Order Date (dd/mm/yyyy hh:mm), SKU, Product, Department, Qty, Line Total`` (line totals, not
unit prices; commas inside quoted product names).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEPARTMENTS = (  # (name, products' mean re-buy interval in days)
    ("Dairy & Eggs", 7), ("Fresh Produce", 6), ("Bakery", 5), ("Meat & Fish", 9), ("Frozen", 16),
    ("Pantry", 30), ("Breakfast", 18), ("Snacks", 12), ("Drinks", 10), ("Coffee & Tea", 24),
    ("Household", 40), ("Personal Care", 45), ("Baby", 14), ("Pet", 21), ("Deli", 8),
    ("Canned Goods", 35), ("Pasta & Rice", 28), ("Sauces & Spices", 50), ("Wine & Beer", 15),
    ("World Foods", 33))
_NOUNS = ("milk yoghurt cheese butter eggs", "apples bananas tomatoes lettuce carrots",
          "bread rolls bagels croissants", "chicken mince salmon sausages", "peas pizza ice-cream berries",
          "flour oil beans lentils",
          "cereal oats granola jam", "crisps biscuits nuts chocolate", "juice water cola lemonade",
          "coffee tea cocoa", "detergent sponges foil bin-bags", "shampoo soap toothpaste deodorant",
          "nappies wipes puree", "cat-food dog-food litter", "ham olives hummus salami",
          "tuna soup tomatoes corn", "pasta rice noodles couscous", "ketchup pepper curry-paste salsa",
          "wine lager cider ale", "tortillas soy-sauce coconut-milk spices")
_WORDS = ("Organic", "Classic", "Family", "Light", "Extra", "Mild", "Smoked", "Wholegrain", "Fresh",
          "Crunchy", "Sweet", "Spicy", "Mini", "Value", "Premium", "Golden", "Rustic", "Green")
_SIZES = ("250g", "500g", "1kg", "6 pack", "1L", "2L", "400ml", "12 pack", "150g", "750ml")
START = np.datetime64("2024-01-01T00:00", "m")


@dataclass(frozen=True)
class GroceryConfig:
    """Size and seed of a generated grocery shop."""

    households: int = 2500
    products: int = 65000
    days: int = 730
    seed: int = 7

    def __post_init__(self) -> None:
        if self.households < 1 or self.products < len(DEPARTMENTS) or self.days < 14:
            raise ValueError(f"a grocery shop needs >= 1 household, >= {len(DEPARTMENTS)} products "
                             "and >= 14 days")


@dataclass
class _Catalog:
    dept: np.ndarray  # (P,) department of each product
    interval: np.ndarray  # (P,) days between re-buys for a typical household
    price: np.ndarray  # (P,) unit price
    key: np.ndarray  # (P,) department + cumulative popularity inside it, for sampling
    first: np.ndarray  # (D,) first product of each department (products sorted by department)


def _catalog(rng: np.random.Generator, n: int) -> _Catalog:
    d = len(DEPARTMENTS)
    share = rng.dirichlet(np.full(d, 4.0))
    dept = np.sort(rng.choice(d, size=n, p=share))
    dept[:d] = np.arange(d)  # every department has a product
    dept = np.sort(dept)
    first = np.searchsorted(dept, np.arange(d))
    rank = np.arange(n) - first[dept] + 1
    weight = rank ** -1.05  # Zipf inside each department: a few best-sellers, a long tail
    cum = np.zeros(n)
    for k in range(d):
        w = weight[dept == k]
        cum[dept == k] = np.cumsum(w) / w.sum()
    base = np.array([iv for _, iv in DEPARTMENTS], dtype=float)[dept]
    interval = base * rng.lognormal(0.0, 0.35, n)
    price = np.round(rng.lognormal(np.log(2.5), 0.7, n), 2).clip(0.2, 80.0)
    return _Catalog(dept, interval, price, dept + cum, first)


def _sample(rng: np.random.Generator, cat: _Catalog, depts: np.ndarray) -> np.ndarray:
    """A product of each department in ``depts``, by popularity."""
    u = rng.random(len(depts))
    idx = np.searchsorted(cat.key, depts + u, side="left")
    return np.minimum(idx, np.searchsorted(cat.dept, depts, side="right") - 1)


def history(cfg: GroceryConfig) -> tuple[_Catalog, dict[str, np.ndarray]]:
    """The catalog and every purchase line: household, minute offset from START, product, qty."""
    rng = np.random.default_rng(cfg.seed)
    cat = _catalog(rng, cfg.products)
    h, d = cfg.households, len(DEPARTMENTS)
    taste = rng.dirichlet(np.full(d, 0.6), size=h)  # (H, D) favourite departments
    taste_cum = np.cumsum(taste, axis=1)
    gap = rng.gamma(4.0, rng.choice([14.0, 23.0, 38.0, 60.0], size=h, p=[0.2, 0.35, 0.3, 0.15]) / 4.0)
    pace = rng.lognormal(0.0, 0.3, h)
    n_staples = 80
    has = np.arange(n_staples)[None, :] < rng.integers(10, n_staples + 1, h)[:, None]  # (H, S)
    staple = _sample(rng, cat, _pick_depts(rng, taste_cum, h * n_staples).reshape(h, n_staples).ravel()
                     ).reshape(h, n_staples)
    last = np.full((h, n_staples), -1e9)
    explore = rng.gamma(2.0, 3.0, h)  # mean products tried per trip
    leave = np.where(rng.random(h) < 0.33, rng.uniform(0.2, 1.0, h) * cfg.days, np.inf)
    day = rng.uniform(0.0, 30.0, h)
    hour = rng.choice(np.arange(7, 22), size=h)  # each household's usual shopping hour
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("who", "minute", "product", "order")}
    trip = 0
    while True:
        live = np.flatnonzero((day < cfg.days) & (day < leave))
        if not len(live):
            break
        elapsed = day[live, None] - last[live]
        need = cat.interval[staple[live]] * pace[live, None]
        p = 0.35 / (1.0 + np.exp(-2.5 * (elapsed / need - 1.0)))
        buy = has[live] & (rng.random(p.shape) < p)
        rows, cols = np.nonzero(buy)
        last[live[rows], cols] = day[live[rows]]
        tried_n = rng.poisson(explore[live])
        t_rows = np.repeat(np.arange(len(live)), tried_n)
        tried = _sample(rng, cat, _pick_depts(rng, taste_cum[live[t_rows]], len(t_rows)))
        swap = np.flatnonzero(rng.random(len(t_rows)) < 0.05)  # a tried product becomes a staple
        slot = rng.integers(0, n_staples, len(swap))
        staple[live[t_rows[swap]], slot] = tried[swap]
        last[live[t_rows[swap]], slot] = day[live[t_rows[swap]]]
        who = np.concatenate([live[rows], live[t_rows]])
        prod = np.concatenate([staple[live[rows], cols], tried])
        minute = (np.floor(day[who]) * 1440 + hour[who] * 60 + rng.integers(0, 50, len(who)))
        out["who"].append(who)
        out["minute"].append(minute.astype(np.int64))
        out["product"].append(prod)
        out["order"].append(trip * h + who)
        day[live] += 1.0 + rng.gamma(3.0, gap[live] / 3.0)
        trip += 1
    lines = {k: np.concatenate(v) for k, v in out.items()}
    # one line per product and order (a product picked twice on a trip is one line, qty summed)
    key = lines["order"] * (cfg.products + 1) + lines["product"]
    _, keep = np.unique(key, return_index=True)
    lines = {k: v[keep] for k, v in lines.items()}
    qty = 1 + rng.poisson(np.where(cat.price[lines["product"]] < 2.0, 0.8, 0.2))
    lines["qty"] = qty
    order = np.lexsort((lines["product"], lines["minute"], lines["who"]))
    return cat, {k: v[order] for k, v in lines.items()}


def _pick_depts(rng: np.random.Generator, taste_cum: np.ndarray, n: int) -> np.ndarray:
    """A department per row of ``taste_cum`` (one row per draw, or one row repeated)."""
    rows = taste_cum if taste_cum.shape[0] == n else np.repeat(taste_cum, n // taste_cum.shape[0], 0)
    u = rng.random(n)[:, None]
    return np.minimum((rows < u).sum(axis=1), taste_cum.shape[1] - 1)


def write(path: Path, cfg: GroceryConfig | None = None) -> dict[str, int]:
    """Write the export to ``path`` (CSV, UTF-8); the counts a merchant would check."""
    cfg = cfg or GroceryConfig()
    cat, lines = history(cfg)
    rng = np.random.default_rng(cfg.seed + 1)
    words = rng.integers(0, len(_WORDS), cfg.products)
    sizes = rng.integers(0, len(_SIZES), cfg.products)
    nouns = [n.split() for n in _NOUNS]
    names = [f"{_WORDS[w]} {nouns[dp][i % len(nouns[dp])].replace('-', ' ')} no. {i + 1}, {_SIZES[s]}"
             for i, (w, dp, s) in enumerate(zip(words.tolist(), cat.dept.tolist(), sizes.tolist()))]
    stamps = (START + lines["minute"].astype("timedelta64[m]")).astype(object)
    _, order_no = np.unique(lines["order"], return_inverse=True)
    totals = np.round(cat.price[lines["product"]] * lines["qty"], 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Order ID", "Customer ID", "Order Date", "SKU", "Product", "Department", "Qty",
                    "Line Total"])
        for o, c, t, p, q, tot in zip(order_no.tolist(), lines["who"].tolist(), stamps.tolist(),
                                      lines["product"].tolist(), lines["qty"].tolist(), totals.tolist()):
            w.writerow([f"G{o + 1:07d}", f"H{c + 1:05d}", t.strftime("%d/%m/%Y %H:%M"), f"SKU{p + 1:06d}",
                        names[p], DEPARTMENTS[cat.dept[p]][0], q, f"{tot:.2f}"])
    return {"lines": int(len(order_no)), "orders": int(order_no.max() + 1) if len(order_no) else 0,
            "customers": int(len(np.unique(lines["who"]))), "products": int(len(np.unique(lines["product"]))),
            "revenue_cents": int(np.rint(totals * 100).sum())}
