"""``shoplens recommend --all``: written block by block, the same CSV as one table of all requests."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from core.cli import recommend as cli
from core.recommend import recommend
from core.recommend.types import Controls
from core.segments.audience import safe_cells
from core.store.store import Store

CONTROLS = [Controls(), Controls(diversity=0.4, exclude_categories=("Books",), exclude_bought=False)]


@pytest.fixture(scope="module")
def shop(demo_home: Path) -> tuple[dict, list[str]]:
    with Store.open("demo", read_only=True) as store:
        names = recommend.segment_names(store)
        engines = {m: recommend.load(store, m, names) for m in ("popularity", "itemknn", None)}
        keys = [r[0] for r in store.rows("SELECT customer_key FROM customers ORDER BY customer_key")]
    return engines, keys[:180]


def _args(out: Path) -> argparse.Namespace:
    return argparse.Namespace(out=out, no_reasons=True, json=True)


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
    engines, keys = shop
    out = tmp_path / "all.csv"
    cli._write_all(engines[model], keys, controls, None, _args(out), block=7)
    expected = tmp_path / "expected.csv"
    _one_table(engines[model], keys, controls).to_csv(expected, index=False)
    assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv", "expected.csv"]


def test_at_most_a_block_is_held(shop: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows of at most ``block`` customers are put together at once (a spy on ``pd.concat``)."""
    engines, keys = shop
    sizes: list[int] = []
    real = pd.concat

    def spy(frames: list, **kw: object) -> pd.DataFrame:
        frames = list(frames)
        sizes.append(len(frames))
        return real(frames, **kw)

    monkeypatch.setattr(cli.pd, "concat", spy)
    cli._write_all(engines["itemknn"], keys, Controls(), None, _args(tmp_path / "a.csv"), block=25)
    assert sizes and max(sizes) <= 25 and sum(sizes) == len(keys)


def test_no_temp_file_left_when_it_fails(shop: tuple, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    engines, keys = shop
    engine = engines["itemknn"]
    calls = {"n": 0}
    real = engine.recommend

    def failing(*a: object, **kw: object) -> object:
        calls["n"] += 1
        if calls["n"] > 30:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(engine, "recommend", failing)
    with pytest.raises(KeyboardInterrupt):
        cli._write_all(engine, keys, Controls(), None, _args(tmp_path / "a.csv"), block=10)
    assert list(tmp_path.iterdir()) == []
