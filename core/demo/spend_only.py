"""A spend-only order history like the CDNOW music retailer's: customer, date, items, amount.

No products, no order numbers, no times: one line per customer and purchase day, columns
separated by spaces, no header, CRLF line ends - the shape ``core.ingest`` reads as a spend-only
history (every line's product becomes ``(all purchases)``). Used by the segment benchmark
(bench/segments_fast.py) and the tests of segments on a shop without products.

Each customer joins in the first 12 weeks (as CDNOW's cohort did) and then buys like a BG/NBD
customer: purchases at a personal rate (gamma across customers) until they drop out (after
each purchase with a personal probability, beta across customers); their items per order and
price per item are personal too. Four kinds of customer give the history structure to find:
one-off buyers, occasional buyers, regulars and a few heavy collectors.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

START = date(1997, 1, 1)
DAYS = 546  # 1997-01-01 .. 1998-06-30
JOIN_DAYS = 84
# kind: (share, rate shape, rate per day scale, dropout beta a, b, mean extra items, price per item)
KINDS = {
    "one-off": (0.45, 2.0, 0.004, 6.0, 2.0, 0.6, 12.0),
    "occasional": (0.30, 2.0, 0.008, 2.0, 4.0, 1.2, 14.0),
    "regular": (0.20, 3.0, 0.012, 1.0, 6.0, 2.0, 15.0),
    "collector": (0.05, 4.0, 0.03, 1.0, 12.0, 6.0, 17.0),
}
MAX_PURCHASES = 80


def history(customers: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(customer number, day offset from START, items, amount) of every purchase line, sorted
    by customer and day; one line per customer and day."""
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    share = np.array([KINDS[k][0] for k in names])
    kind = rng.choice(len(names), size=customers, p=share / share.sum())
    par = np.array([KINDS[k][1:] for k in names])[kind]  # (n, 6)
    rate = rng.gamma(par[:, 0], par[:, 1])
    drop = rng.beta(par[:, 2], par[:, 3])
    extra_items = rng.gamma(2.0, par[:, 4] / 2.0)
    price = par[:, 5] * rng.lognormal(0.0, 0.25, customers)

    day = rng.integers(0, JOIN_DAYS, customers).astype(float)
    alive = np.ones(customers, dtype=bool)
    who, when = [], []
    for _ in range(MAX_PURCHASES):
        idx = np.flatnonzero(alive & (day < DAYS))
        if not len(idx):
            break
        who.append(idx)
        when.append(day[idx].astype(np.int64))
        alive[idx] &= rng.random(len(idx)) >= drop[idx]
        day[idx] += 1.0 + rng.exponential(1.0 / rate[idx])
    cust, days = np.concatenate(who), np.concatenate(when)
    order = np.lexsort((days, cust))
    cust, days = cust[order], days[order]
    items = 1 + rng.poisson(extra_items[cust])
    amount = np.round(items * price[cust] * rng.lognormal(0.0, 0.1, len(cust)), 2)
    return cust + 1, days, items, amount


def text(customers: int, seed: int = 0) -> str:
    """The history as CDNOW's file has it: ``00001 19970101  1   11.77`` per line, CRLF."""
    cust, days, items, amount = history(customers, seed)
    stamps = [(START + timedelta(days=int(d))).strftime("%Y%m%d") for d in range(DAYS)]
    width = max(5, len(str(customers)))
    lines = [f"{c:0{width}d} {stamps[d]} {i:>2d} {a:>8.2f}"
             for c, d, i, a in zip(cust.tolist(), days.tolist(), items.tolist(), amount.tolist())]
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, customers: int, seed: int = 0) -> Path:
    """Write the history to ``path`` (ASCII) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text(customers, seed).encode("ascii"))
    return path
