"""``shoplens recommend --all``: written block by block, the same CSV as one table of all requests;
scored in blocks of customers (``core.recommend.blocks``), the same lists as one request each."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import recommend as cli
from core.recommend import blocks, defaults, recommend
from core.recommend.types import Context, Controls
from core.segments.audience import safe_cells
from core.store.store import Store

CONTROLS = [Controls(), Controls(diversity=0.4, exclude_categories=("Books",), exclude_bought=False)]
MODELS = ["popularity", "itemknn", "ease", "als", None]  # None: the demo's trained GRU
# Models whose scores are float32 matrix products: a block's products and one request's may
# round the last bit differently, so a score may differ by one unit in its 4th decimal.
FLOAT32 = {"als", None}


@pytest.fixture(scope="module")
def shop(demo_home: Path) -> tuple[dict, list[str], Controls]:
    with Store.open("demo", read_only=True) as store:
        names = recommend.segment_names(store)
        engines = {m: recommend.load(store, m, names) for m in MODELS}
        keys = [r[0] for r in store.rows("SELECT customer_key FROM customers ORDER BY customer_key")]
        shop_default = defaults.controls(store)
    return engines, keys[:180], shop_default


def _args(out: Path, one_by_one: bool = True, reasons: bool = False) -> argparse.Namespace:
    return argparse.Namespace(out=out, no_reasons=not reasons, json=True, one_by_one=one_by_one)


def _one_table(engine: recommend.Engine, keys: list[str], controls: Controls) -> pd.DataFrame:
    frames = []
    for key in keys:
        res = engine.recommend(key, controls, None, explain_picks=False)
        frame = res.frame()
        frame.insert(0, "customer_key", key)
        frame.insert(1, "mode", res.mode)
        frames.append(frame)
    return safe_cells(pd.concat(frames, ignore_index=True))


@pytest.mark.parametrize("model", ["popularity", "itemknn", None])
@pytest.mark.parametrize("controls", CONTROLS)
def test_blocks_write_the_one_table(shop: tuple, model: str | None, controls: Controls,
                                    tmp_path: Path) -> None:
    engines, keys, _ = shop
    out = tmp_path / "all.csv"
    cli._write_all(engines[model], keys, controls, None, _args(out), block=7)
    expected = tmp_path / "expected.csv"
    _one_table(engines[model], keys, controls).to_csv(expected, index=False)
    assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv", "expected.csv"]


def _settings(shop_default: Controls) -> dict[str, tuple[Controls, Context | None]]:
    """The shop's default controls in each customer's usual context, and a non-default set."""
    other = Controls(diversity=0.4, novelty=0.2, exclude_categories=("Books", "Toys"),
                     exclude_bought=not shop_default.exclude_bought, context_weight=0.3)
    return {"default": (shop_default, None), "other": (other, Context("evening", 6, "mobile"))}


def _export(engine: recommend.Engine, keys: list[str], controls: Controls, context: Context | None,
            out: Path, one_by_one: bool, reasons: bool = False, block: int = 64) -> pd.DataFrame:
    cli._write_all(engine, keys, controls, context, _args(out, one_by_one, reasons), block=block)
    return pd.read_csv(out, keep_default_na=False, dtype=str)


def _assert_same_lists(batch: pd.DataFrame, single: pd.DataFrame, float32: bool) -> None:
    assert list(batch.columns) == list(single.columns) and len(batch) == len(single) > 0
    if not float32:
        pd.testing.assert_frame_equal(batch, single)
        return
    rest = [c for c in single.columns if c != "score"]
    pd.testing.assert_frame_equal(batch[rest], single[rest])  # products, order, modes, reasons
    gap = np.abs(batch["score"].astype(float) - single["score"].astype(float))
    assert gap.max() <= 1.5e-4 and (gap > 0).mean() < 0.01


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("setting", ["default", "other"])
def test_block_scoring_gives_every_customers_own_list(shop: tuple, model: str | None, setting: str,
                                                      tmp_path: Path) -> None:
    """Row for row, the batch export is the one-request-per-customer export - in each
    customer's usual context under the shop's default controls (leave-out-bought, context weight,
    new products, in stock) and under a non-default set (context, categories, diversity,
    novelty, the bought rule flipped)."""
    engines, keys, shop_default = shop
    controls, context = _settings(shop_default)[setting]
    single = _export(engines[model], keys, controls, context, tmp_path / "one.csv", True)
    batch = _export(engines[model], keys, controls, context, tmp_path / "block.csv", False)
    assert set(batch["mode"]) >= {"personalized" if model != "popularity" else "best-sellers", "new"}
    _assert_same_lists(batch, single, model in FLOAT32)


def _catalog_with_new_products(store: Store) -> object:
    """The demo's catalog plus ~40 in-stock products no model has seen (copies of existing
    ones, 'new edition'): the demo itself has none, and new products enter lists by content."""
    from core.shop import catalog as catalog_mod
    cat = catalog_mod.load(store)
    p = cat.products
    extra = p.iloc[:: max(1, len(p) // 40)].copy()
    extra.index = pd.Index([f"NEW-{i}" for i in extra.index], name=p.index.name)
    extra["title"] = extra["title"] + " (new edition)"
    extra[["active", "in_stock", "is_product"]] = True
    products = pd.concat([p, extra])
    zero = pd.Series(0.0, index=extra.index)
    return catalog_mod.Catalog(products, pd.concat([cat.bought, zero]), pd.concat([cat.recent, zero]),
                               cat.context, cat.rebuy, catalog_mod.content_vectors(products), cat.end)


@pytest.mark.parametrize("model", ["itemknn", None])
def test_block_scoring_offers_the_same_new_products(shop: tuple, model: str | None,
                                                    tmp_path: Path) -> None:
    """Products the model has never seen join the lists by content similarity, the same ones at
    the same places as one request each (default controls: ``new_products`` on)."""
    _, keys, shop_default = shop
    with Store.open("demo", read_only=True) as store:
        engine = recommend.load(store, model, recommend.segment_names(store),
                                cat=_catalog_with_new_products(store))
    single = _export(engine, keys, shop_default, None, tmp_path / "one.csv", True)
    batch = _export(engine, keys, shop_default, None, tmp_path / "block.csv", False)
    assert (single["source"] == "new product").sum() >= 10
    _assert_same_lists(batch, single, model in FLOAT32)


@pytest.mark.parametrize("model", ["itemknn", None])
def test_block_scoring_keeps_the_reasons(shop: tuple, model: str | None, tmp_path: Path) -> None:
    """With reasons: the same picks and the same words ("because you bought ..." from the
    occlusion scores of the block, re-buys, segments, context) as one request each."""
    engines, keys, shop_default = shop
    controls, context = _settings(shop_default)["default"]
    single = _export(engines[model], keys[:90], controls, context, tmp_path / "one.csv", True, True)
    batch = _export(engines[model], keys[:90], controls, context, tmp_path / "block.csv", False, True)
    assert single["reasons"].str.contains("Because you").any()
    _assert_same_lists(batch, single, model in FLOAT32)


def test_memory_is_bounded_by_the_chunk_not_the_customers(shop: tuple, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The model never scores more than ``rows_per_call`` histories at once and the pool is never
    chosen over more rows, however many customers are exported; with tiny chunks the lists are
    still the same."""
    engines, keys, shop_default = shop
    engine = engines["itemknn"]
    monkeypatch.setattr(blocks, "CELLS", 13 * (engine.log.n_items + 1))
    assert blocks.rows_per_call(engine) == 13
    sizes: list[int] = []
    real_score, real_pool = engine.scorer.score, blocks.pool_of

    def score(log_: object, targets: list) -> np.ndarray:
        sizes.append(len(targets))
        return real_score(log_, targets)

    def pool(engine_: object, base: np.ndarray, allowed: np.ndarray) -> tuple:
        sizes.append(len(base))
        return real_pool(engine_, base, allowed)

    monkeypatch.setattr(engine.scorer, "score", score)
    monkeypatch.setattr(blocks, "pool_of", pool)
    batch = _export(engine, keys, shop_default, None, tmp_path / "block.csv", False, block=1000)
    assert sizes and max(sizes) <= 13 and len(sizes) >= 2 * (len(keys) // 2 // 13)
    single = _export(engine, keys, shop_default, None, tmp_path / "one.csv", True)
    _assert_same_lists(batch, single, False)


@pytest.mark.parametrize("one_by_one", [True, False])
def test_at_most_a_block_is_held(shop: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 one_by_one: bool) -> None:
    """The lists of at most ``block`` customers are made and put together at once (spies on
    ``pd.concat`` for one request each, on ``blocks.results`` for block scoring)."""
    engines, keys, _ = shop
    sizes: list[int] = []
    real_concat, real_results = pd.concat, blocks.results

    def concat(frames: list, **kw: object) -> pd.DataFrame:
        frames = list(frames)
        sizes.append(len(frames))
        return real_concat(frames, **kw)

    def results(engine: object, keys_: list[str], *a: object, **kw: object) -> list:
        sizes.append(len(keys_))
        return real_results(engine, keys_, *a, **kw)

    monkeypatch.setattr(cli.pd, "concat", concat)
    monkeypatch.setattr(blocks, "results", results)
    cli._write_all(engines["itemknn"], keys, Controls(), None, _args(tmp_path / "a.csv", one_by_one),
                   block=25)
    assert sizes and max(sizes) <= 25 and sum(sizes) == len(keys)


@pytest.mark.parametrize("one_by_one", [True, False])
def test_no_temp_file_left_when_it_fails(shop: tuple, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, one_by_one: bool) -> None:
    engines, keys, _ = shop
    engine = engines["itemknn"]
    calls = {"n": 0}
    real = engine.finish  # every list's last step, one request each or in blocks

    def failing(*a: object, **kw: object) -> object:
        calls["n"] += 1
        if calls["n"] > 30:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(engine, "finish", failing)
    with pytest.raises(KeyboardInterrupt):
        cli._write_all(engine, keys, Controls(), None, _args(tmp_path / "a.csv", one_by_one), block=10)
    assert calls["n"] > 30 and list(tmp_path.iterdir()) == []
