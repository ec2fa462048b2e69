"""Customer value and churn: hand-computed windows, a clean two-kinds shop, errors, the demo shop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.demo import demo
from core.demo.config import SynthConfig
from core.shop import value
from core.store.store import Store

START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2024-12-31 12:00")
CUTOFF = pd.Timestamp("2024-01-01 12:00")  # END - 365 days (2024 is a leap year)


def add_events(store: Store, rows: list[tuple]) -> None:
    """rows: (customer_key, ts, event_type, quantity, unit_price, order_id); one product ``p``."""
    frame = pd.DataFrame(rows, columns=["customer_key", "ts", "event_type", "quantity", "unit_price",
                                        "order_id"]).astype({"customer_key": object, "order_id": object})
    frame["ts"] = pd.to_datetime(frame["ts"])
    with store.transaction() as tx:
        tx.register("new_events", frame)
        tx.execute("INSERT OR IGNORE INTO products (product_id, price) VALUES ('p', 1.0)")
        tx.execute("INSERT OR IGNORE INTO customers (customer_key) SELECT DISTINCT customer_key "
                   "FROM new_events WHERE customer_key IS NOT NULL")
        tx.execute("INSERT INTO events (customer_key, ts, event_type, product_id, quantity, unit_price, "
                   "order_id) SELECT customer_key, ts, event_type, 'p', quantity, unit_price, order_id "
                   "FROM new_events")
        tx.unregister("new_events")


def two_kinds(n_regular: int = 60, n_lapsed: int = 40) -> list[tuple]:
    """Regulars buy every 30 days for two years; lapsed customers stop after June 2023."""
    rows: list[tuple] = [("r0", END, "purchase", 1, 20.0, "last"), ("l0", START, "purchase", 1, 5.0, "first")]
    for k in range(n_regular):
        ts = START + pd.Timedelta(days=4 + k % 10)
        while ts < END:
            rows.append((f"r{k}", ts, "purchase", 1, 20.0 + k, None))
            ts += pd.Timedelta(days=30)
    for k in range(n_lapsed):
        ts = START + pd.Timedelta(days=3 + k % 10)
        while ts < pd.Timestamp("2023-07-01"):
            rows.append((f"l{k}", ts, "purchase", 2, 10.0 + k, None))
            ts += pd.Timedelta(days=30)
    return rows


EXACT = [  # features at CUTOFF and labels after it, computed by hand below
    ("x", "2023-11-15 00:00", "purchase", 2, 15.0, "o1"),
    ("x", "2023-12-20 00:00", "purchase", 1, 30.0, "o2"),
    ("x", "2023-12-22 00:00", "return", 1, 15.0, "o1"),
    ("x", "2024-03-01 00:00", "purchase", 1, 40.0, "o3"),
    ("x", "2024-03-02 00:00", "view", 1, 40.0, None),
    (None, "2023-12-01 00:00", "purchase", 1, 99.0, "guest"),
]


@pytest.fixture
def shop(store: Store) -> Store:
    add_events(store, two_kinds() + EXACT)
    return store


def test_windows_are_hand_computed(shop: Store) -> None:
    assert value.default_horizon(shop) == 365  # span 730.5 days: half of it, at most 365
    data = value.windows(shop, CUTOFF, 365)
    x = data.loc["x"]
    assert x["recency_days"] == pytest.approx(12.5)
    assert x["frequency"] == 2 and x["baskets_90d"] == 2
    assert x["monetary"] == pytest.approx(45.0) and x["mean_basket"] == pytest.approx(22.5)
    assert x["tenure_days"] == pytest.approx(47.5) and x["days_between_baskets"] == pytest.approx(47.5)
    assert x["spend_90d"] == pytest.approx(45.0) and x["spend_last_horizon"] == pytest.approx(45.0)
    assert x["return_share"] == pytest.approx(0.25)
    assert x["spend_next"] == pytest.approx(40.0) and x["churn"] == 0
    assert data.loc["l3", "churn"] == 1 and data.loc["l3", "spend_next"] == 0
    assert data.loc["r5", "churn"] == 0
    n_after = sum(1 for r in two_kinds() if r[0] == "r5" and CUTOFF < pd.Timestamp(r[1]) <= END)
    assert data.loc["r5", "spend_next"] == pytest.approx(25.0 * n_after)
    assert len(data) == 101  # 60 regulars, 40 lapsed, x; never the guest


def test_fit_reports_on_held_out_customers_and_predicts_everyone(shop: Store) -> None:
    model = value.fit_value_model(shop, seed=0)
    assert model.horizon_days == 365 and model.cutoff == CUTOFF
    assert (model.n_train, model.n_test) == (75, 26)
    assert model.features == value.FEATURES
    m = model.metrics
    assert all(np.isfinite(v) for v in m.values()), m
    assert m["churn_auc"] > 0.95  # lapsed and regular customers are easy to tell apart
    assert m["spend_mae"] < m["spend_mae_naive"]  # the naive forecast expects the lapsed to buy
    assert m["churn_brier"] < m["churn_brier_base"]
    assert len(model.describe()) == 3
    again = value.fit_value_model(shop, seed=0)
    assert again.metrics == m
    pred = value.predict_value(shop, model)
    assert list(pred.columns) == ["value_12m", "churn_risk"] and pred.index.name == "customer_key"
    assert set(pred.index) == {f"r{k}" for k in range(60)} | {f"l{k}" for k in range(40)} | {"x"}
    assert pred["churn_risk"].between(0, 1).all() and (pred["value_12m"] >= 0).all()
    regular, lapsed = pred.loc["r10"], pred.loc["l10"]
    assert regular["value_12m"] > 10 * lapsed["value_12m"]
    assert regular["churn_risk"] < 0.5 < lapsed["churn_risk"]


def test_value_is_scaled_to_twelve_months(shop: Store) -> None:
    model = value.fit_value_model(shop, horizon_days=182, seed=1)
    assert model.horizon_days == 182
    pred = value.predict_value(shop, model)
    raw = value._spend(model.regressor, value.windows(shop, END, 182)[model.features])
    assert np.allclose(pred["value_12m"].to_numpy(), raw * 365 / 182)


def test_too_little_data_is_explained(store: Store) -> None:
    with pytest.raises(ValueError, match="too short a history"):
        value.fit_value_model(store)  # no events at all
    add_events(store, two_kinds(n_regular=20, n_lapsed=10))
    with pytest.raises(ValueError, match="at least 50 customers"):
        value.fit_value_model(store)
    with pytest.raises(ValueError, match="at least 14 days"):
        value.fit_value_model(store, horizon_days=5)


def test_short_history_and_no_churn_signal(store: Store) -> None:
    rows = [(f"c{k}", START + pd.Timedelta(hours=k), "purchase", 1, 10.0, None) for k in range(60)]
    add_events(store, rows)
    with pytest.raises(ValueError, match="too short a history"):
        value.fit_value_model(store)
    late = [(f"c{k}", START + pd.Timedelta(days=200), "view", 1, 10.0, None) for k in range(60)]
    add_events(store, late)  # nobody bought again in the last 100 days
    with pytest.raises(ValueError, match="no earlier customer bought again"):
        value.fit_value_model(store, horizon_days=100)


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(tmp_path_factory.mktemp("valuehome")))
    demo.create_demo_shop("demo", SynthConfig(n_customers=3000, n_products=200, seed=3))
    st = Store.open("demo", read_only=True)
    yield st
    st.close()
    mp.undo()


def test_demo_shop_beats_the_naive_forecast(demo_shop: Store) -> None:
    model = value.fit_value_model(demo_shop, seed=0)
    m = model.metrics
    assert all(np.isfinite(v) for v in m.values()), m
    assert m["spend_mae"] < m["spend_mae_naive"]
    assert 0.7 < m["spend_total_ratio"] < 1.3
    assert m["churn_auc"] > 0.6
    pred = value.predict_value(demo_shop, model)
    buyers = demo_shop.scalar(
        "SELECT count(DISTINCT customer_key) FROM events JOIN customers USING (customer_key) "
        "JOIN products USING (product_id) WHERE event_type = 'purchase' AND consent_profiling "
        "AND is_product")
    assert len(pred) == buyers
