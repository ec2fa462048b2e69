"""core.recommend.defaults: the shop's default list settings, chosen on validation baskets only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from core.recommend import defaults
from core.store.store import Store


def test_ndcg_at_hand_computed() -> None:
    # hits at places 1 and 3 of 3 relevant: (1 + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4))
    want = (1 + 0.5) / (1 + 1 / math.log2(3) + 0.5)
    assert defaults.ndcg_at(["a", "x", "b", "y"], {"a", "b", "c"}) == pytest.approx(want)
    assert defaults.ndcg_at(["x"], set()) == 0.0
    assert defaults.ndcg_at(["a"], {"a"}, k=1) == 1.0


def _rebuy_shop(path: Path) -> Path:
    """Every customer re-buys their own three staples each week (and one new thing): a shop
    where leaving out what a customer bought loses most of every basket."""
    rng = np.random.default_rng(3)
    lines = ["order_id,timestamp,customer_id,sku,title,category,qty,price"]
    order = 0
    for c in range(120):
        staples = rng.choice(40, 3, replace=False)
        for week in range(10):
            order += 1
            day = 1 + week * 7 + int(rng.integers(0, 3))
            when = f"2025-{1 + (day - 1) // 28:02d}-{1 + (day - 1) % 28:02d} 10:00"
            for sku in [*staples, int(rng.integers(40, 200))]:
                lines.append(f"{order},{when},cust{c},P{sku},Product {sku},cat{sku % 7},1,3.50")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rebuy_store(store: Store, tmp_path: Path) -> Store:
    from core.ingest import ingest
    ingest.import_paths(store, [_rebuy_shop(tmp_path / "orders.csv")])
    return store


def test_validation_baskets_are_never_the_test_baskets(rebuy_store: Store) -> None:
    from core.recommend import recommend
    engine = recommend.load(rebuy_store, "repeat", {})
    baskets = defaults.validation_baskets(engine)
    assert len(baskets) > 50
    for key, cutoff, items in baskets:
        held = engine.held_out(key)
        assert held is None or cutoff < held[0]  # strictly before the customer's test basket
        assert items


def test_a_rebuy_shop_gets_bought_products_allowed_by_default(rebuy_store: Store,
                                                               capsys: pytest.CaptureFixture) -> None:
    from core.cli.main import main
    choice = defaults.choose_and_save(rebuy_store, "repeat")
    assert choice is not None and choice.baskets > 50
    assert set(choice.scores) == set(defaults.VARIANTS)
    allowed = max(v for k, v in choice.scores.items() if defaults.VARIANTS[k].get("exclude_bought") is False)
    assert allowed > (1 + defaults.MARGIN) * choice.scores[defaults.BUILT_IN]
    assert defaults.VARIANTS[choice.chosen]["exclude_bought"] is False
    assert choice.scores[choice.chosen] == max(choice.scores.values())
    # every caller's default now allows bought products; a flag still wins
    assert defaults.controls(rebuy_store).exclude_bought is False
    assert defaults.controls(rebuy_store, exclude_bought=True).exclude_bought is True
    assert defaults.load(rebuy_store) == choice
    shop = rebuy_store.shop
    rebuy_store.close()
    with Store.open(shop, read_only=True) as again:
        assert defaults.controls(again).exclude_bought is False
    # the CLI's list without flags is the chosen default's; --leave-out-bought is the built-in's
    import json
    def picks(*flags: str) -> list[str]:
        assert main(["recommend", "--shop", shop, "--customer", "cust1", "--model", "repeat",
                     "--json", *flags]) == 0
        return [p["product_id"] for p in json.loads(capsys.readouterr().out)["picks"]]
    assert picks() == picks("--include-bought")
    assert picks() != picks("--leave-out-bought")


def test_no_choice_means_the_built_in_controls(store: Store) -> None:
    from core.recommend.types import Controls
    assert defaults.load(store) is None
    assert defaults.controls(store) == Controls()
    from core.store import settings
    settings.put(store, defaults.SETTING, "{not json")
    assert defaults.controls(store) == Controls()  # a damaged row is ignored, not a crash
