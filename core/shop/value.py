"""Predicted customer value (spend in the next 12 months) and churn risk, checked on a later period.

How it is fitted (``fit_value_model``): the shop's history is cut at ``cutoff = last event - horizon``
(horizon = min(365, half the span from the shop's first to its last purchase) days by default).
Features per customer come from purchases and returns up to the cutoff only; the labels come from
the horizon after it: net spend in ``(cutoff, last event]`` and churn = no purchase in that window.
A random 75% of the customers train a ``HistGradientBoostingRegressor`` (spend) and a
``HistGradientBoostingClassifier`` (churn), both with small trees; the other 25% are the test, where
the spend error is compared with a naive forecast ("they will spend what they spent in the previous
window of the same length") and churn is scored by AUC and Brier score, next to simple references
(recency alone for AUC; the training churn rate for everyone for Brier).

The spend model uses a Poisson loss on the spend itself, not a squared error on ``log1p(spend)``:
its predictions are expected values, so they add up to about the real total (a log-target model
predicted about half of it on the demo shop and on Online Retail II), at a similar absolute error.
Spend is heavy-tailed, so a model that predicts expected values does not always beat the naive
forecast on mean absolute error (which rewards medians); ``spend_top20_share`` (how much of the
next period's spend the top 20% by prediction made) shows whether it ranks customers better.

How it is used (``predict_value``): the same features at the shop's last event time give the
expected spend in the next horizon, scaled to 12 months by ``365 / horizon_days``, and the
probability of no purchase in the next horizon; each feature is first clipped to the range it had
in training (``ValueModel.clip``). ``core.shop.backtest`` checks it forward: fitted at a past date
on the history before it, scored on the window after it.

Who is included: customers with at least one purchase of a real product (``is_product``); guests
and customers who objected to profiling are left out (see ``core.shop.rfm.SALES_LINES_SQL``).

Small shops: there is no fallback rule. ``fit_value_model`` raises ``ValueError`` saying what is
missing when fewer than ``MIN_CUSTOMERS`` customers bought before the cutoff, when the history is
shorter than ``2 * MIN_HORIZON_DAYS`` days, or when churn cannot be learned (everyone or no one
came back).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import brier_score_loss, mean_absolute_error, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from core.shop.money import format_money
from core.shop.rfm import SALES_LINES_SQL, last_event_time
from core.store.store import Store

log = logging.getLogger(__name__)

MIN_CUSTOMERS = 50
MIN_HORIZON_DAYS = 14
SMALL_DATA = 50_000  # below this many customers one thread is faster than OpenMP's start-up
TREES = {"max_iter": 100, "learning_rate": 0.05, "max_leaf_nodes": 8, "max_depth": 3,
         "l2_regularization": 1.0}
DAY = pd.Timedelta(days=1)
FEATURES = ["recency_days", "frequency", "monetary", "mean_basket", "tenure_days", "baskets_90d",
            "spend_90d", "spend_last_horizon", "days_between_baskets", "return_share"]

_NET = "CASE WHEN event_type = 'purchase' THEN amount ELSE -amount END"
_WINDOWS_SQL = f"""
WITH lines AS ({SALES_LINES_SQL})
SELECT customer_key,
       min(ts) FILTER (WHERE event_type = 'purchase' AND ts <= $t) AS first_purchase,
       max(ts) FILTER (WHERE event_type = 'purchase' AND ts <= $t) AS last_purchase,
       count(DISTINCT basket) FILTER (WHERE ts <= $t) AS frequency,
       count(DISTINCT basket) FILTER (WHERE ts > $t90 AND ts <= $t) AS baskets_90d,
       coalesce(sum(amount) FILTER (WHERE event_type = 'purchase' AND ts <= $t), 0) AS bought,
       coalesce(sum(amount) FILTER (WHERE event_type = 'return' AND ts <= $t), 0) AS returned,
       greatest(coalesce(sum({_NET}) FILTER (WHERE ts > $t90 AND ts <= $t), 0), 0) AS spend_90d,
       greatest(coalesce(sum({_NET}) FILTER (WHERE ts > $prev AND ts <= $t), 0), 0)
           AS spend_last_horizon,
       greatest(coalesce(sum({_NET}) FILTER (WHERE ts > $t), 0), 0) AS spend_next,
       count(DISTINCT basket) FILTER (WHERE ts > $t) AS baskets_next
FROM lines
GROUP BY customer_key
HAVING count(*) FILTER (WHERE event_type = 'purchase' AND ts <= $t) > 0
"""


@dataclass
class ValueModel:
    """A fitted value and churn model with its test-period report.

    ``metrics`` keys: ``spend_mae`` and ``spend_mae_naive`` (mean absolute error of the predicted
    spend in the horizon, model and naive forecast), ``spend_error_reduction`` (1 - their ratio:
    above 0 means the model beats the naive forecast), ``spend_total_ratio`` (predicted total /
    actual total), ``spend_top20_share`` and ``spend_top20_share_naive`` (share of the actual spend
    made by the 20% of customers ranked highest by the model / by the naive forecast),
    ``churn_auc`` and ``churn_auc_recency`` (model, recency alone), ``churn_brier`` and
    ``churn_brier_base`` (model, the training churn rate for everyone), ``churn_rate``.
    """

    regressor: HistGradientBoostingRegressor
    classifier: HistGradientBoostingClassifier
    features: list[str]
    horizon_days: int
    cutoff: pd.Timestamp
    metrics: dict[str, float] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    # per feature, the (min, max) seen in training; ``clip`` holds new features inside it
    feature_range: dict[str, tuple[float, float]] = field(default_factory=dict)

    def clip(self, x: pd.DataFrame) -> pd.DataFrame:
        """``x`` with every feature clipped to the range it had in training (NaN stays NaN)."""
        out = x.copy()
        for name, (low, high) in self.feature_range.items():
            out[name] = out[name].clip(low, high)
        return out

    def describe(self, currency: str | None = None) -> list[str]:
        """The test report in plain sentences (amounts in ``currency``)."""
        m = self.metrics
        better = "better" if m["spend_error_reduction"] > 0 else "worse"
        return [
            f"Checked on {self.n_test} customers the model did not see, over the {self.horizon_days} "
            f"days after {self.cutoff:%Y-%m-%d}.",
            f"Spend forecast: off by {format_money(m['spend_mae'], currency, 2)} per customer on "
            f"average, against {format_money(m['spend_mae_naive'], currency, 2)} for 'same as the "
            f"previous {self.horizon_days} days' "
            f"({abs(m['spend_error_reduction']):.0%} {better}).",
            f"Churn: {m['churn_rate']:.0%} of them bought nothing; the risk score ranks a leaver above "
            f"a stayer {m['churn_auc']:.0%} of the time (recency alone: {m['churn_auc_recency']:.0%}).",
        ]


def windows(store: Store, t: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    """Features at ``t`` and labels in ``(t, t + horizon]`` per customer who bought by ``t``."""
    t = pd.Timestamp(t)
    h = pd.Timedelta(days=horizon_days)
    params = {"as_of": (t + h).to_pydatetime(), "t": t.to_pydatetime(),
              "t90": (t - 90 * DAY).to_pydatetime(), "prev": (t - h).to_pydatetime()}
    df = store.df(_WINDOWS_SQL, params).set_index("customer_key").sort_index()
    out = pd.DataFrame(index=df.index)
    out["recency_days"] = (t - pd.to_datetime(df["last_purchase"])) / DAY
    out["frequency"] = df["frequency"].astype(float)
    out["monetary"] = (df["bought"] - df["returned"]).clip(lower=0).astype(float)
    out["mean_basket"] = out["monetary"] / out["frequency"].clip(lower=1)
    out["tenure_days"] = (t - pd.to_datetime(df["first_purchase"])) / DAY
    out["baskets_90d"] = df["baskets_90d"].astype(float)
    out["spend_90d"] = df["spend_90d"].astype(float)
    out["spend_last_horizon"] = df["spend_last_horizon"].astype(float)
    out["days_between_baskets"] = (out["tenure_days"] / (out["frequency"] - 1)).where(
        out["frequency"] > 1)
    out["return_share"] = (df["returned"] / df["bought"].where(df["bought"] > 0)).fillna(0.0)
    out["spend_next"] = df["spend_next"].astype(float)
    out["churn"] = (df["baskets_next"] == 0).astype(np.int64)
    return out


def default_horizon(store: Store) -> int:
    """min(365, half the span from the shop's first to its last purchase) in whole days."""
    first, last = store.rows("SELECT min(ts), max(ts) FROM events WHERE event_type = 'purchase'")[0]
    if first is None:
        return 0
    return int(min(365, (pd.Timestamp(last) - pd.Timestamp(first)) / DAY / 2))


def fit_value_model(store: Store, horizon_days: int | None = None, seed: int = 0,
                    end: pd.Timestamp | None = None) -> ValueModel:
    """Fit spend and churn models on the history before ``end - horizon`` and test them on the
    horizon after it (25% of the customers held out); ``end`` is the last event unless given (a
    backtest passes a past date: nothing after it is read). Raises ValueError on too little history."""
    end = last_event_time(store) if end is None else pd.Timestamp(end)
    horizon = default_horizon(store) if horizon_days is None else int(horizon_days)
    if horizon_days is not None and horizon < MIN_HORIZON_DAYS:
        raise ValueError(f"The horizon must be at least {MIN_HORIZON_DAYS} days, not {horizon}.")
    if end is None or horizon < MIN_HORIZON_DAYS:
        raise ValueError(
            f"Shop {store.shop!r} has too short a history to predict customer value: it needs "
            f"purchases spread over at least {2 * MIN_HORIZON_DAYS} days (one period to learn from "
            f"and one to check on), not {2 * max(horizon, 0)}.")
    cutoff = end - pd.Timedelta(days=horizon)
    data = windows(store, cutoff, horizon)
    if len(data) < MIN_CUSTOMERS:
        raise ValueError(
            f"Shop {store.shop!r} has {len(data)} customers who bought before {cutoff:%Y-%m-%d}; "
            f"predicting customer value needs at least {MIN_CUSTOMERS} customers with purchases "
            f"before the last {horizon} days (import more history, or a shorter horizon).")
    if data["churn"].nunique() < 2:
        raise ValueError(
            f"In the last {horizon} days of shop {store.shop!r} {'no' if data['churn'].iat[0] else 'every'} "
            "earlier customer bought again, so there is nothing to learn about churn; "
            "try another horizon.")
    stratify = data["churn"] if data["churn"].value_counts().min() >= 2 else None
    train, test = train_test_split(data, test_size=0.25, random_state=seed, stratify=stratify)
    if train["churn"].nunique() < 2:
        raise ValueError("The training customers all churned or all stayed; try another seed or horizon.")
    leaf = int(np.clip(len(train) // 20, 5, 50))
    reg = HistGradientBoostingRegressor(loss="poisson", min_samples_leaf=leaf, random_state=seed,
                                        **TREES)
    clf = HistGradientBoostingClassifier(min_samples_leaf=leaf, random_state=seed, **TREES)
    with _threads(len(data)):
        reg.fit(train[FEATURES], train["spend_next"])
        clf.fit(train[FEATURES], train["churn"])
        metrics = _report(reg, clf, train, test)
    log.info("value model of shop %s: horizon %d days, cutoff %s, %s", store.shop, horizon,
             cutoff, {k: round(v, 4) for k, v in metrics.items()})
    ranges = {f: (float(train[f].min()), float(train[f].max())) for f in FEATURES if train[f].notna().any()}
    return ValueModel(reg, clf, list(FEATURES), horizon, cutoff, metrics, len(train), len(test), ranges)


def predict_value(store: Store, model: ValueModel) -> pd.DataFrame:
    """``value_12m`` (expected spend in the next 12 months) and ``churn_risk`` (0..1, probability of
    no purchase in the next ``horizon_days``) per customer who bought, indexed by ``customer_key``."""
    end = last_event_time(store)
    data = windows(store, end, model.horizon_days) if end is not None else None
    if data is None or data.empty:
        return pd.DataFrame({"value_12m": pd.Series(dtype=float), "churn_risk": pd.Series(dtype=float)},
                            index=pd.Index([], name="customer_key", dtype=object))
    x = model.clip(data[model.features])
    out = pd.DataFrame(index=data.index)
    with _threads(len(x)):
        out["value_12m"] = _spend(model.regressor, x) * 365.0 / model.horizon_days
        out["churn_risk"] = _churn_proba(model.classifier, x)
    return out


def _threads(n_rows: int) -> threadpool_limits:
    return threadpool_limits(limits=1 if n_rows < SMALL_DATA else None, user_api="openmp")


def _spend(reg: HistGradientBoostingRegressor, x: pd.DataFrame) -> np.ndarray:
    return np.clip(reg.predict(x), 0, None)


def _churn_proba(clf: HistGradientBoostingClassifier, x: pd.DataFrame) -> np.ndarray:
    return clf.predict_proba(x)[:, list(clf.classes_).index(1)]


def _auc(y: pd.Series, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if y.nunique() == 2 else float("nan")


def _top_share(actual: pd.Series, ranking: np.ndarray, share: float = 0.2) -> float:
    k = max(1, round(share * len(actual)))
    top = np.argsort(-np.asarray(ranking, dtype=float), kind="stable")[:k]
    total = float(actual.sum())
    return float(actual.to_numpy()[top].sum() / total) if total > 0 else float("nan")


def _report(reg: HistGradientBoostingRegressor, clf: HistGradientBoostingClassifier,
            train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    spend = _spend(reg, test[FEATURES])
    risk = _churn_proba(clf, test[FEATURES])
    mae = mean_absolute_error(test["spend_next"], spend)
    naive = mean_absolute_error(test["spend_next"], test["spend_last_horizon"])
    actual_total = float(test["spend_next"].sum())
    base_rate = float(train["churn"].mean())
    return {
        "spend_mae": float(mae),
        "spend_mae_naive": float(naive),
        "spend_error_reduction": float(1 - mae / naive) if naive > 0 else float("nan"),
        "spend_total_ratio": float(spend.sum() / actual_total) if actual_total > 0 else float("nan"),
        "spend_top20_share": _top_share(test["spend_next"], spend),
        "spend_top20_share_naive": _top_share(test["spend_next"], test["spend_last_horizon"].to_numpy()),
        "churn_auc": _auc(test["churn"], risk),
        "churn_auc_recency": _auc(test["churn"], test["recency_days"].to_numpy()),
        "churn_brier": float(brier_score_loss(test["churn"], risk)),
        "churn_brier_base": float(brier_score_loss(test["churn"], np.full(len(test), base_rate))),
        "churn_rate": float(test["churn"].mean()),
    }
