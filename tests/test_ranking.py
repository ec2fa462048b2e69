"""The merchant's controls and the last steps of a list, on hand-made toy catalogs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.recommend.ranking import mmr, static_mask
from core.recommend.types import Candidates, Context, Controls
from core.shop import catalog


def _catalog() -> catalog.Catalog:
    products = pd.DataFrame({
        "title": ["red mug", "blue mug", "green mug", "tea towel", "oven glove"],
        "category": ["Kitchen", "Kitchen", "Kitchen", "Textiles", None],
        "brand": ["A", "A", "B", "C", "C"], "price": [5.0, 6.0, 7.0, 12.0, np.nan],
        "description": [""] * 5, "active": [True, True, False, True, True],
        "in_stock": [True, False, True, True, True], "is_product": [True] * 5,
    }, index=pd.Index(["p1", "p2", "p3", "p4", "p5"], name="product_id"))
    context = pd.DataFrame({"product_id": ["p1", "p1", "p4", "p4"], "daypart": ["evening", "morning"] * 2,
                            "weekend": [True, False, True, False], "device": ["mobile", "desktop"] * 2,
                            "region": ["", ""] * 2, "n": [30, 10, 10, 30]})
    rebuy = pd.DataFrame({"buyers": [10], "rebuyers": [6], "interval_days": [30.0]},
                         index=pd.Index(["p1"], name="product_id")).assign(share=0.6)
    counts = pd.Series([40.0, 5.0, 1.0, 40.0, 0.0], index=products.index)
    return catalog.Catalog(products, counts, counts, context, rebuy, catalog.content_vectors(products),
                           pd.Timestamp("2025-01-01"))


def test_controls_reject_impossible_settings() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Controls(diversity=1.5)
    with pytest.raises(ValueError, match="lowest price is above"):
        Controls(price_min=10, price_max=5)
    with pytest.raises(ValueError, match="list length"):
        Controls(n=0)


def test_context_in_words() -> None:
    assert Context("evening", 7, "mobile").words() == "on mobile on Sunday evening"
    assert Context("morning").words() == "in the morning"
    assert Context().words() == "at any time"
    assert Context(weekday=6).weekend and not Context(weekday=2).weekend


def test_static_mask_applies_stock_price_and_categories() -> None:
    cat = _catalog()
    assert static_mask(cat, Controls()).tolist() == [True, False, False, True, True]
    assert static_mask(cat, Controls(in_stock_only=False)).tolist() == [True] * 5
    # a price range leaves out products without a price
    assert static_mask(cat, Controls(in_stock_only=False, price_min=6, price_max=12)).tolist() == [
        False, True, True, True, False]
    assert static_mask(cat, Controls(in_stock_only=False, include_categories=("Kitchen",))).tolist() == [
        True, True, True, False, False]
    assert static_mask(cat, Controls(in_stock_only=False, exclude_categories=("Kitchen",))).tolist() == [
        False, False, False, True, True]


def test_context_lift_is_the_smoothed_share_ratio() -> None:
    cat = _catalog()
    lift = cat.context_lift("evening", True, "mobile", min_lines=5)
    # evening/weekend/mobile holds 40 of 80 lines (share 0.5); p1 sold 30 of its 40 there:
    # (30 + 5 * 0.5) / ((40 + 5) * 0.5) = 32.5 / 22.5
    assert lift["p1"] == pytest.approx(32.5 / 22.5)
    assert lift["p4"] == pytest.approx((10 + 2.5) / 22.5)
    assert lift["p2"] == pytest.approx(1.0)  # no sales at all: the shop's average
    assert catalog.daypart_of(19) == "evening" and catalog.daypart_of(0) == "night"


def test_mmr_trades_relevance_for_difference() -> None:
    cat = _catalog()
    engine = SimpleNamespace(catalog=cat)
    # three near-identical mugs lead on relevance; the tea towel is different
    cands = Candidates(np.array([0, 1, 2, 3]), np.array([1.0, 0.95, 0.9, 0.6]), np.zeros(4),
                       np.array(["model"] * 4, dtype=object))
    assert mmr(engine, cands, Controls(n=2)) == [0, 1]
    assert mmr(engine, cands, Controls(n=2, diversity=0.7)) == [0, 3]
    assert sorted(mmr(engine, cands, Controls(n=10, diversity=0.5))) == [0, 1, 2, 3]


def test_at_most_two_new_products_per_list() -> None:
    engine = SimpleNamespace(catalog=SimpleNamespace(content=sp.identity(6, format="csr")))
    cands = Candidates(np.arange(6), np.linspace(1, 0.5, 6), np.zeros(6),
                       np.array(["new product"] * 4 + ["model"] * 2, dtype=object))
    for diversity in (0.0, 0.5):
        picked = mmr(engine, cands, Controls(n=5, diversity=diversity))
        assert sum(cands.source[i] == "new product" for i in picked) == 2 and len(picked) == 4
