"""Forward backtest of the value model: fitted at a past date, scored on the window after it.

``forward`` cuts the history at ``cutoff = last event - window`` (``window`` = min(180, a third of
the span from the shop's first purchase to its last event) days by default; a longer window than a
third is refused, as it would leave the fit almost no history to learn from) and fits the value model as
the app does, but with the history ending at the cutoff (``value.fit_value_model(end=cutoff,
horizon_days=window)``: features at ``cutoff - window``, labels in the window before the cutoff;
nothing after the cutoff is read). From features at the cutoff it then predicts each customer's
spend in ``(cutoff, last event]``, which has happened, and compares:

- ``total_ratio``: predicted total / actual total spend of those customers (1 = right in sum);
- ``mae`` against ``mae_naive`` ("they will spend what they spent in the window before");
- ``pearson`` and ``spearman``: correlation of predicted and actual spend per customer;
- ``top20_share``: the share of the actual spend made by the 20% ranked highest by prediction.

Only customers who bought by the cutoff are forecast (no model of existing customers can know the
others); ``new_share`` says how much of the window's spend came from customers who first bought in
it. The app's own value model uses a longer horizon (``value.default_horizon``); the backtest uses
a shorter one so that a whole fit fits before the cutoff, with the same features and trees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from core.shop import value
from core.shop.rfm import SALES_LINES_SQL, last_event_time
from core.store.store import Store

log = logging.getLogger(__name__)

MAX_WINDOW_DAYS = 180
_NEW_SQL = f"""
WITH lines AS ({SALES_LINES_SQL}),
     known AS (SELECT DISTINCT customer_key FROM lines WHERE event_type = 'purchase' AND ts <= $t),
     net AS (SELECT customer_key, CASE WHEN event_type = 'purchase' THEN amount ELSE -amount END AS v
             FROM lines WHERE ts > $t)
SELECT coalesce(sum(v) FILTER (WHERE customer_key NOT IN (SELECT customer_key FROM known)), 0),
       coalesce(sum(v), 0)
FROM net
"""


@dataclass(frozen=True)
class Backtest:
    cutoff: pd.Timestamp
    window_days: int
    customers: int  # customers who bought by the cutoff: the ones forecast
    predicted_total: float
    actual_total: float
    total_ratio: float
    mae: float
    mae_naive: float
    pearson: float
    spearman: float
    top20_share: float
    new_share: float  # of all net spend in the window, the share of customers first seen in it

    def describe(self) -> list[str]:
        """The backtest in plain sentences."""
        return [
            f"Forward check: fitted on the history up to {self.cutoff:%Y-%m-%d} only, the model "
            f"forecast the next {self.window_days} days of {self.customers:,} customers.",
            f"Together they spent {self.actual_total:,.0f}; the forecast was {self.predicted_total:,.0f} "
            f"({self.total_ratio:.2f} of it).",
            f"Per customer: off by {self.mae:,.2f} on average (same as the previous {self.window_days} "
            f"days: {self.mae_naive:,.2f}); forecast and actual spend correlate {self.pearson:.2f} "
            f"(rank correlation {self.spearman:.2f}); the top 20% by forecast made "
            f"{self.top20_share:.0%} of the spend.",
            f"Customers who first bought in that window made {self.new_share:.0%} of its spend; no "
            "forecast of existing customers includes them.",
        ]


def default_window(store: Store) -> int:
    """min(180, a third of the span from the shop's first purchase to its last event) in whole days."""
    first = store.scalar("SELECT min(ts) FROM events WHERE event_type = 'purchase'")
    end = last_event_time(store)
    if first is None or end is None:
        return 0
    return int(min(MAX_WINDOW_DAYS, (end - pd.Timestamp(first)) / value.DAY / 3))


def forward(store: Store, window_days: int | None = None, seed: int = 0) -> Backtest:
    """Fit at ``last event - window`` on the history before it and score on the window after it.
    Raises ValueError (from ``value.fit_value_model``) when the history before the cutoff is too short."""
    frame, cutoff, window = forecast(store, window_days, seed)
    end = last_event_time(store)
    new, total = store.rows(_NEW_SQL, {"t": cutoff.to_pydatetime(), "as_of": end.to_pydatetime()})[0]
    out = Backtest(cutoff=cutoff, window_days=window, customers=len(frame),
                   new_share=float(new / total) if total > 0 else float("nan"),
                   **score(frame["predicted"], frame["actual"], frame["naive"]))
    log.info("value backtest of shop %s: %s", store.shop, out)
    return out


def forecast(store: Store, window_days: int | None = None, seed: int = 0
             ) -> tuple[pd.DataFrame, pd.Timestamp, int]:
    """Per customer who bought by the cutoff: ``predicted`` (the model fitted before the cutoff),
    ``actual`` (net spend in the window after it) and ``naive`` (spend in the window before); with
    the cutoff and the window in days."""
    end = last_event_time(store)
    window = default_window(store) if window_days is None else int(window_days)
    if end is None or window < value.MIN_HORIZON_DAYS:
        raise ValueError(f"Shop {store.shop!r} has too short a history for a forward check of the value "
                         f"model: it needs purchases over at least {3 * value.MIN_HORIZON_DAYS} days.")
    first = store.scalar("SELECT min(ts) FROM events WHERE event_type = 'purchase'")
    span = (end - pd.Timestamp(first)) / value.DAY if first is not None else 0.0
    if span < 3 * window:
        raise ValueError(f"A forward check over {window} days needs {3 * window} days of purchases (a "
                         f"window of history to learn from, one to learn, one to check); shop "
                         f"{store.shop!r} has {span:.0f}.")
    cutoff = end - pd.Timedelta(days=window)
    model = value.fit_value_model(store, horizon_days=window, seed=seed, end=cutoff)
    data = value.windows(store, cutoff, window)  # features at the cutoff, spend in (cutoff, end]
    x = model.clip(data[model.features])
    with value._threads(len(x)):
        predicted = value._spend(model.regressor, x)
    frame = pd.DataFrame({"predicted": predicted, "actual": data["spend_next"].to_numpy(float),
                          "naive": data["spend_last_horizon"].to_numpy(float)}, index=data.index)
    return frame, cutoff, window


def score(predicted: pd.Series, actual: pd.Series, naive: pd.Series) -> dict[str, float]:
    """The ``Backtest`` figures of one forecast against what happened (see the module docstring)."""
    p, a = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    return {"predicted_total": float(p.sum()), "actual_total": float(a.sum()),
            "total_ratio": float(p.sum() / a.sum()) if a.sum() > 0 else float("nan"),
            "mae": float(np.abs(p - a).mean()),
            "mae_naive": float(np.abs(np.asarray(naive, dtype=float) - a).mean()),
            "pearson": _corr(sps.pearsonr, p, a), "spearman": _corr(sps.spearmanr, p, a),
            "top20_share": value._top_share(pd.Series(a), p)}


def _corr(test: object, a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(test(a, b)[0])
