"""Segments on the demo shop: the planted personas come back, the cache, the CLI and stable numbers.

The session fixture ``trained_demo`` (conftest) trains the default demo shop's GRU once; UMAP's
numba compile is paid once per test process.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from core.demo import demo
from core.segments import profiles, segments
from core.segments.types import SegmentConfig, SegmentRun
from core.store import pseudonym
from core.store.store import Store


@pytest.fixture(scope="module")
def home(demo_home: Path) -> Path:
    return demo_home


@pytest.fixture(scope="module")
def run(home: Path) -> SegmentRun:
    with Store.open("demo", read_only=True) as store:
        return segments.build(store)


def _personas(keys: np.ndarray) -> np.ndarray:
    truth = pd.read_parquet(demo.source_folder("demo") / "truth" / "personas.parquet")
    with Store.open("demo", read_only=True) as store:
        truth["key"] = pseudonym.pseudonymize(store, truth["customer_id"].astype(str))
    persona = dict(zip(truth["key"], truth["persona"]))
    return np.array([persona[k] for k in keys])


def test_segments_recover_the_planted_personas(run: SegmentRun) -> None:
    truth = _personas(run.keys)
    ari = adjusted_rand_score(truth, run.labels)
    print(f"demo: {run.n_segments} segments, ARI {ari:.3f}, unassigned {run.unassigned_share:.1%}")  # noqa: T201
    assert ari >= 0.8
    assert run.unassigned_share <= 0.15
    assert run.map.shape == (len(run.keys), 2) and np.isfinite(run.map).all()


def test_segment_names_describe_the_personas(home: Path, run: SegmentRun) -> None:
    with Store.open("demo", read_only=True) as store:
        data = profiles.load(store)
    profs = profiles.segment_profiles(data, run.keys, run.labels)
    truth = pd.Series(_personas(run.keys))
    names = {}
    for k, prof in profs.items():
        names[truth[run.labels == k].mode()[0]] = prof.name.lower()
    assert "gifts" in names["weekend_mobile_gifters"] and "mobile" in names["weekend_mobile_gifters"]
    assert "pet" in names["pet_beauty_restockers"]
    assert "lunchtime" in names["lunchbreak_tech_buyers"]
    assert "books" in names["sunday_bookworms"]
    every = [prof.name for prof in profs.values()]
    print("demo segment names:", every)  # noqa: T201
    assert len(set(every)) == len(every), every  # no two segments share a name
    assert not any(name.endswith(")") for name in every), every  # told apart by traits, not numbers


def test_the_second_build_comes_from_the_cache(home: Path, run: SegmentRun) -> None:
    with Store.open("demo", read_only=True) as store:
        again = segments.build(store)
    assert again.meta["created"] == run.meta["created"]
    assert np.array_equal(again.labels, run.labels)


def test_a_rebuild_with_another_seed_keeps_the_segment_numbers(home: Path, run: SegmentRun) -> None:
    with Store.open("demo", read_only=True) as store:
        other = segments.build(store, cfg=SegmentConfig(seed=7))
    both = (run.labels >= 0) & (other.labels >= 0)
    # matched by member overlap: the same customers keep the same segment number
    assert (run.labels[both] == other.labels[both]).mean() >= 0.9


def test_cli_prints_segment_names_sizes_and_revenue(home: Path, run_python) -> None:
    out = run_python("-c", f"import os, sys; os.environ['SHOPLENS_HOME'] = {str(home)!r}; "
                     "from core.cli.main import main; "
                     "sys.exit(main(['segments', '--shop', 'demo', '--json']))",
                     timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(report["segments"]) >= 6
    assert sum(s["customers"] for s in report["segments"]) + report["unassigned"] == report["customers"]
    assert 0.5 <= sum(s["share_revenue"] for s in report["segments"]) <= 1.001  # rounded to 4 places
