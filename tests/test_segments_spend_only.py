"""Segments of a spend-only shop (customer, date, items, amount; no products), built by
`shoplens train` as its last step, without a model, and named so that no two are alike; the
Segments page then opens them from the cache. About 30 s, most of it UMAP's numba compile when
this process is the first to need it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from core.demo import spend_only
from core.segments import cache, profiles
from core.store.store import Store
from tests.conftest import use_home

ROOT = Path(__file__).resolve().parents[1]
SHOP, CUSTOMERS = "cdnow", 600


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A spend-only shop imported from a CDNOW-like file, then `shoplens train` on it."""
    path = tmp_path_factory.mktemp("spend_only")
    with use_home(path):
        export = spend_only.write(path / "CDNOW_like.txt", CUSTOMERS, seed=1)
        assert main(["import", "--shop", SHOP, str(export)]) == 0
        started = time.perf_counter()
        assert main(["train", "--shop", SHOP, "--model", "gru", "--epochs", "1", "--quiet"]) == 0
        print(f"train + segments: {time.perf_counter() - started:.1f}s")  # noqa: T201
        yield path


def test_train_leaves_model_less_segments_in_the_cache(home: Path) -> None:
    with Store.open(SHOP, read_only=True) as store:
        run = cache.previous_run(store)
        assert run is not None, "train did not build the default segments"
        assert run.meta["kind"] == "features" and run.meta["model_id"] is None
        assert run.meta["config"]["parts"] == ["rfm"]
        assert len(run.keys) == CUSTOMERS  # every buyer is profiled
        assert run.n_segments >= 3
        data = profiles.load(store)
    names = [p.name for p in profiles.segment_profiles(data, run.keys, run.labels).values()]
    assert len(set(names)) == len(names), names
    assert not any(name.endswith(")") for name in names), names  # no "(2)": told apart by traits
    assert not any("Weekday shoppers" in name or "Weekend" in name for name in names), names


def test_segments_command_reads_them_from_the_cache(home: Path, capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main(["segments", "--shop", SHOP, "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["inputs"] == ["rfm"] and report["model_id"] is None
    names = [s["name"] for s in report["segments"]]
    assert len(names) >= 3 and len(set(names)) == len(names)


def test_segments_page_opens_them_at_once(home: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["shop"] = SHOP
    at.run()
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "recency, frequency, money and basket size" in captions
    assert "Building segments" not in captions  # found in the cache, not rebuilt
    segments_metric = next(m.value for m in at.metric if m.label == "Segments")
    assert int(segments_metric) >= 3


def test_model_page_sends_a_spend_only_shop_to_its_segments(home: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["shop"] = SHOP
    at.run()
    at.switch_page("pages/model.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Segments need no model" in " ".join(c.value for c in at.caption)
    start = next(b for b in at.button if b.label == "Start training")
    assert start.disabled
