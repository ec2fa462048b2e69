"""The data contract between the shop's store and the models: tensors-to-be, no DuckDB.

``core/shop/sequences.py`` builds an ``EventLog`` from a shop (one row per event, sorted by customer
then time, integer-coded) and ``split`` cuts it in time: training events, then for each customer
a validation basket, then the customer's last basket as the test. Every model - baselines and
neural ones - is fitted on ``Split.train`` and asked to rank the whole catalog for each
``Target``'s history.

Item ids run 1..n_items; 0 is padding. Context codes use 0 for "unknown".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EVENT_TYPES = ("pad", "view", "cart", "purchase", "return")  # codes 0..4
CONTEXT = ("hour", "weekday", "month", "device", "channel", "gap")  # per-event context columns
GAP_BUCKETS = 12  # time since the previous event, log-spaced buckets (0 = first event)
VISIT_GAP = 30 * 60  # seconds of inactivity that end a visit


@dataclass
class EventLog:
    """All events of the customers a model may learn from, sorted by (user, ts).

    Arrays have one entry per event; ``offsets[u]:offsets[u+1]`` are user ``u``'s events.
    """

    user: np.ndarray  # int64, 0..n_users-1
    item: np.ndarray  # int64, 1..n_items
    etype: np.ndarray  # int64, EVENT_TYPES code
    ts: np.ndarray  # int64, seconds since epoch
    basket: np.ndarray  # int64, basket (order) number within the user, -1 for non-purchases
    context: dict[str, np.ndarray]  # CONTEXT name -> int64 codes
    n_users: int
    n_items: int
    context_sizes: dict[str, int]  # vocabulary size per context column (incl. 0 = unknown)
    item_side: dict[str, np.ndarray] = field(default_factory=dict)  # name -> int64[n_items + 1]
    side_sizes: dict[str, int] = field(default_factory=dict)
    item_ids: list[str] = field(default_factory=list)  # index i -> shop product id (i >= 1)
    user_ids: list[str] = field(default_factory=list)  # index u -> customer key
    context_values: dict[str, list[str]] = field(default_factory=dict)  # name -> labels of codes 1..

    @property
    def offsets(self) -> np.ndarray:
        """Start of each user's events (length n_users + 1)."""
        return np.searchsorted(self.user, np.arange(self.n_users + 1))

    def slice(self, mask: np.ndarray) -> EventLog:
        """The same log restricted to the events where ``mask`` is true."""
        return EventLog(
            self.user[mask], self.item[mask], self.etype[mask], self.ts[mask], self.basket[mask],
            {k: v[mask] for k, v in self.context.items()}, self.n_users, self.n_items,
            self.context_sizes, self.item_side, self.side_sizes, self.item_ids, self.user_ids,
            self.context_values)


@dataclass
class Target:
    """One basket to predict: the user, the cut-off time (history = events before it) and the
    items bought in it."""

    user: int
    cutoff: int  # seconds: the start of the basket's visit; the history is every event before it
    items: np.ndarray  # int64 item ids bought in the basket (unique)
    context: dict[str, int]  # context of the basket's first event (hour, weekday, ...)


@dataclass
class Split:
    """Time-based split: train events < t_valid; validation = each user's first basket in
    [t_valid, t_test); test = each user's last basket at or after t_test."""

    log: EventLog  # every event (histories for valid/test read from here)
    train: EventLog  # events with ts < t_valid
    valid: list[Target]
    test: list[Target]
    t_valid: int
    t_test: int


def visit_start(log: EventLog) -> np.ndarray:
    """For every event, the time its visit began (a visit ends after 30 idle minutes).

    A basket is predicted from the history before its visit: the views and carts of the same
    visit would give the answer away (a shop recommends when the visit starts).
    """
    if not len(log.ts):
        return log.ts.copy()
    new = np.r_[True, (log.user[1:] != log.user[:-1]) | (np.diff(log.ts) > VISIT_GAP)]
    first = np.maximum.accumulate(np.where(new, np.arange(len(log.ts)), 0))
    return log.ts[first]


def _basket_targets(log: EventLog, lo: int, hi: int, last: bool) -> list[Target]:
    """One target per user with a purchase in [lo, hi): their first (or last) basket there."""
    idx = np.flatnonzero((log.etype == EVENT_TYPES.index("purchase")) & (log.ts >= lo)
                         & (log.ts < hi))
    if not len(idx):
        return []
    idx = idx[np.lexsort((log.ts[idx], log.user[idx]))]
    starts = np.flatnonzero(np.r_[True, log.user[idx][1:] != log.user[idx][:-1]])
    visits = visit_start(log)
    out = []
    for ev in np.split(idx, starts[1:]):
        baskets = log.basket[ev]
        ev = ev[baskets == (baskets.max() if last else baskets.min())]
        first = ev[np.argmin(log.ts[ev])]
        out.append(Target(int(log.user[first]), int(visits[first]), np.unique(log.item[ev]),
                          {k: int(v[first]) for k, v in log.context.items()}))
    return out


def split(log: EventLog, valid_share: float = 0.1, test_share: float = 0.1) -> Split:
    """Cut by time at quantiles of purchase times: the last ``test_share`` of purchases are
    test time, the ``valid_share`` before them validation time."""
    purchase_ts = np.sort(log.ts[log.etype == EVENT_TYPES.index("purchase")])
    if len(purchase_ts) == 0:
        raise ValueError("The shop has no purchases to learn from.")
    t_test = int(purchase_ts[int(len(purchase_ts) * (1 - test_share))])
    t_valid = int(purchase_ts[int(len(purchase_ts) * (1 - test_share - valid_share))])
    train = log.slice(log.ts < t_valid)
    valid = _basket_targets(log, t_valid, t_test, last=False)
    test = _basket_targets(log, t_test, np.iinfo(np.int64).max, last=True)
    return Split(log, train, valid, test, t_valid, t_test)


def split_next_period(log: EventLog, quantile: float = 0.9, valid_share: float = 0.1) -> Split:
    """The next-period protocol: one global cutoff ``T`` at the ``quantile`` of purchase times.
    Everything before ``T`` is the past a model is trained on today (validation inside it, by
    time: each customer's first basket in the last ``valid_share`` of its purchases); the target
    is each returning customer's (one who bought before ``T``) first basket at or after ``T``,
    predicted from the history before ``T`` alone: no event at or after ``T`` is seen."""
    bought = log.etype == EVENT_TYPES.index("purchase")
    purchase_ts = np.sort(log.ts[bought])
    if len(purchase_ts) == 0:
        raise ValueError("The shop has no purchases to learn from.")
    t_test = int(purchase_ts[min(int(len(purchase_ts) * quantile), len(purchase_ts) - 1)])
    before = purchase_ts[purchase_ts < t_test]
    if len(before) == 0:
        raise ValueError("No purchases before the cutoff: too short a history to split.")
    t_valid = int(before[int(len(before) * (1 - valid_share))])
    train = log.slice(log.ts < t_valid)
    valid = _basket_targets(log, t_valid, t_test, last=False)
    returning = set(np.unique(log.user[bought & (log.ts < t_test)]).tolist())
    test = [Target(t.user, t_test, t.items, t.context)
            for t in _basket_targets(log, t_test, np.iinfo(np.int64).max, last=False)
            if t.user in returning]
    return Split(log, train, valid, test, t_valid, t_test)


PROTOCOLS = {"last_basket": split, "next_period": split_next_period}


def history(log: EventLog, target: Target, max_len: int | None = None) -> np.ndarray:
    """Indices into ``log`` of the user's events before the target's cut-off (oldest first)."""
    off = log.offsets
    lo, hi = off[target.user], off[target.user + 1]
    end = lo + int(np.searchsorted(log.ts[lo:hi], target.cutoff, side="left"))
    start = lo if max_len is None else max(lo, end - max_len)
    return np.arange(start, end)


# -- an EventLog as one .npz file, so a training run (e.g. under torchrun) needs no DuckDB.
# Arrays are stored as they are; the small dictionaries and id lists go into one JSON string.
# Loading never unpickles (``allow_pickle=False``).

_ARRAYS = ("user", "item", "etype", "ts", "basket")


def save_npz(log: EventLog, path: str | Path) -> Path:
    """Write ``log`` to ``path`` (compressed); returns the path written."""
    path = Path(path)
    arrays = {name: np.asarray(getattr(log, name), dtype=np.int64) for name in _ARRAYS}
    arrays.update({f"context__{k}": np.asarray(v, dtype=np.int64) for k, v in log.context.items()})
    arrays.update({f"side__{k}": np.asarray(v, dtype=np.int64) for k, v in log.item_side.items()})
    meta = {"n_users": int(log.n_users), "n_items": int(log.n_items),
            "context_sizes": {k: int(v) for k, v in log.context_sizes.items()},
            "side_sizes": {k: int(v) for k, v in log.side_sizes.items()},
            "item_ids": [str(i) for i in log.item_ids], "user_ids": [str(u) for u in log.user_ids]}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_npz(path: str | Path) -> EventLog:
    """Read an ``EventLog`` written by ``save_npz``."""
    with np.load(Path(path), allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        context = {k.split("__", 1)[1]: z[k] for k in z.files if k.startswith("context__")}
        side = {k.split("__", 1)[1]: z[k] for k in z.files if k.startswith("side__")}
        user, item, etype, ts, basket = (z[name] for name in _ARRAYS)
    return EventLog(user, item, etype, ts, basket, context, meta["n_users"], meta["n_items"],
                    meta["context_sizes"], side, meta["side_sizes"], meta["item_ids"], meta["user_ids"])
