"""The value model checked forward: fitted at a past date on the history before it only, scored on
the window after it; features kept in the range they were trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.segments import profiles
from core.shop import backtest, value
from core.shop.rfm import last_event_time
from core.store.store import Store
from tests.test_value import END, START, add_events, demo_shop, two_kinds  # noqa: F401 (a fixture)


def declining(drop: float) -> list[tuple]:
    """Regulars who buy every 15 days for two years; in the last 120 days each basket is worth
    ``drop`` times what it was (lapsed customers as in ``two_kinds``)."""
    turn = END - pd.Timedelta(days=120)
    rows = [r for r in two_kinds(n_regular=0) if r[0].startswith("l")]
    for k in range(80):
        ts = START + pd.Timedelta(days=1 + k % 14)
        while ts < END:
            rows.append((f"r{k}", ts, "purchase", 1, (20.0 + k) * (drop if ts > turn else 1.0), None))
            ts += pd.Timedelta(days=15)
    return rows


def test_forward_check_sees_what_the_one_cutoff_self_test_cannot(store: Store) -> None:
    add_events(store, declining(0.5))
    self_test = value.fit_value_model(store, seed=0).metrics["spend_total_ratio"]
    check = backtest.forward(store, window_days=120)
    assert check.window_days == 120 and check.cutoff == last_event_time(store) - pd.Timedelta(days=120)
    # the self-test splits customers within one period, so its total is right by construction ...
    assert 0.8 < self_test < 1.25
    # ... while a forecast made before the drop, scored on what came after, is about twice too high
    assert 1.6 < check.total_ratio < 2.4
    assert check.predicted_total == pytest.approx(check.total_ratio * check.actual_total)
    assert check.customers == 120 and check.new_share == 0.0
    assert len(check.describe()) == 4 and f"{check.cutoff:%Y-%m-%d}" in check.describe()[0]


def test_forward_check_reads_nothing_after_its_cutoff(shoplens_home) -> None:
    a, b = Store.open("same"), Store.open("later")
    try:
        rows = declining(1.0)
        add_events(a, rows)
        cutoff = END - pd.Timedelta(days=120)
        late = [(key, ts, kind, q, price * 5, o) for key, ts, kind, q, price, o in rows
                if pd.Timestamp(ts) > cutoff]
        add_events(b, [r for r in rows if pd.Timestamp(r[1]) <= cutoff] + late)
        first, second = backtest.forward(a, 120), backtest.forward(b, 120)
        assert first.predicted_total == pytest.approx(second.predicted_total, rel=1e-12)  # same past
        assert second.actual_total == pytest.approx(5 * first.actual_total)  # a different future
        assert second.total_ratio == pytest.approx(first.total_ratio / 5)
    finally:
        a.close()
        b.close()


def test_a_good_forecast_is_right_in_total_and_per_customer(store: Store) -> None:
    add_events(store, declining(1.0))
    check = backtest.forward(store, window_days=120)
    assert 0.8 < check.total_ratio < 1.25
    assert check.pearson > 0.9 and check.spearman > 0.8
    assert check.mae < 0.2 * check.actual_total / check.customers


def test_features_are_clipped_to_their_training_range(store: Store) -> None:
    add_events(store, two_kinds())
    model = value.fit_value_model(store, seed=0)
    assert set(model.feature_range) == set(value.FEATURES)
    x = value.windows(store, END, model.horizon_days)[model.features].head(3).copy()
    x.iloc[0, x.columns.get_loc("monetary")] = 1e12
    x.iloc[1, x.columns.get_loc("days_between_baskets")] = np.nan
    clipped = model.clip(x)
    for name, (low, high) in model.feature_range.items():
        assert clipped[name].dropna().between(low, high).all(), name
    assert clipped["monetary"].iat[0] == model.feature_range["monetary"][1]
    assert np.isnan(clipped["days_between_baskets"].iat[1])
    assert x["monetary"].iat[0] == 1e12  # the caller's frame is left as it was


def test_too_short_a_history_is_explained(store: Store) -> None:
    add_events(store, [(f"c{k}", START + pd.Timedelta(days=k % 20), "purchase", 1, 10.0, None)
                       for k in range(60)])
    with pytest.raises(ValueError, match="too short a history for a forward check"):
        backtest.forward(store)


def test_a_window_longer_than_a_third_of_the_history_is_refused(store: Store) -> None:
    add_events(store, declining(1.0))  # two years
    with pytest.raises(ValueError, match=r"over 300 days needs 900 days of purchases"):
        backtest.forward(store, window_days=300)
    assert backtest.default_window(store) == 180


def test_demo_shop_forward_check_and_the_profiles_carry_it(demo_shop: Store) -> None:  # noqa: F811
    check = backtest.forward(demo_shop)
    assert check.window_days == backtest.default_window(demo_shop)
    assert 0.7 < check.total_ratio < 1.3  # measured: 0.94
    assert check.pearson > 0.3 and check.spearman > 0.3  # measured: 0.48, 0.42
    assert 0 < check.new_share < 1
    data = profiles.load(demo_shop)
    assert data.numeric.attrs["value_backtest"] == check.describe()
