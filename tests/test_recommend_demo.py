"""Recommendations on the demo shop with its trained GRU: faithful reasons, the merchant's
controls, context what-ifs, the cold-start ladder, consent, evaluation mode and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.recommend import explain, recommend
from core.recommend.types import Context, Controls
from core.segments import segments
from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def home(demo_home: Path) -> Path:
    return demo_home


@pytest.fixture(scope="module")
def engine(home: Path) -> recommend.Engine:
    with Store.open("demo", read_only=True) as store:
        segments.build(store)  # segment picks and reasons need segments (cached when built)
        return recommend.load(store, segment_names=recommend.segment_names(store))


@pytest.fixture(scope="module")
def regulars(engine: recommend.Engine) -> list[str]:
    rng = np.random.default_rng(0)
    keys = [k for k in engine.log.user_ids if len(engine.history(k)) >= 10]
    return list(rng.choice(keys, size=150, replace=False))


def test_cited_history_really_drives_the_score(engine: recommend.Engine, regulars: list[str]) -> None:
    found = explain.faithfulness(engine, regulars)
    print(f"demo faithfulness: {found}")  # noqa: T201
    assert found["cases"] >= 100
    assert found["share"] >= 0.8


def test_lists_respect_the_merchants_filters(engine: recommend.Engine, regulars: list[str]) -> None:
    products = engine.catalog.products
    category = products["category"].dropna().value_counts().index[0]
    controls = Controls(n=10, price_min=5.0, price_max=40.0, exclude_categories=(category,))
    for key in regulars[:30]:
        res = engine.recommend(key, controls)
        assert res.personalized and len(res.picks) == 10
        rows = products.loc[[p.product_id for p in res.picks]]
        assert rows["price"].between(5.0, 40.0).all()
        assert not (rows["category"] == category).any()
        assert rows["active"].all() and rows["in_stock"].all()
        only = engine.recommend(key, Controls(n=5, include_categories=(category,)))
        assert set(products.loc[[p.product_id for p in only.picks], "category"]) == {category}


def test_bought_products_come_back_only_when_people_rebuy_them(engine: recommend.Engine,
                                                                regulars: list[str]) -> None:
    rebought = engine.catalog.is_rebought()
    purchase = 3  # models.data.EVENT_TYPES
    for key in regulars[:40]:
        hist = engine.history(key)
        mine = set(engine.item_ids[engine.log.item[hist[engine.log.etype[hist] == purchase]]])
        res = engine.recommend(key, Controls(n=20))
        again = [p for p in res.picks if p.product_id in mine]
        assert all(rebought[p.product_id] for p in again)
        assert all(any(r.kind == "rebuy" for r in p.reasons) for p in again)
        strict = engine.recommend(key, Controls(n=20, allow_rebuys=False))
        assert not {p.product_id for p in strict.picks} & mine


def test_every_pick_has_one_to_three_reasons_with_weights(engine: recommend.Engine,
                                                          regulars: list[str]) -> None:
    kinds = set()
    for key in regulars[:40]:
        for p in engine.recommend(key).picks:
            assert 1 <= len(p.reasons) <= 3 and 0 < p.score <= 1
            assert all(0 <= r.weight <= 1 and r.text for r in p.reasons)
            kinds |= {r.kind for r in p.reasons}
    assert {"history", "segment", "context"} <= kinds


def test_context_and_diversity_change_the_list_and_its_reasons(engine: recommend.Engine,
                                                               regulars: list[str]) -> None:
    changed = reasons_changed = 0
    for key in regulars[:40]:
        morning = engine.recommend(key, context=Context("morning", 2, "desktop"))
        evening = engine.recommend(key, context=Context("evening", 7, "mobile"))
        changed += [p.product_id for p in morning.picks] != [p.product_id for p in evening.picks]
        texts = lambda r: {t.text for p in r.picks for t in p.reasons}  # noqa: E731
        reasons_changed += texts(morning) != texts(evening)
    assert changed >= 20 and reasons_changed >= 30
    cats = lambda r: engine.catalog.products.loc[[p.product_id for p in r.picks], "category"].nunique()  # noqa: E731
    plain = [engine.recommend(k, Controls(diversity=0.0)) for k in regulars[:30]]
    diverse = [engine.recommend(k, Controls(diversity=0.8)) for k in regulars[:30]]
    assert np.mean([cats(r) for r in diverse]) > np.mean([cats(r) for r in plain]) + 0.5


def test_novelty_favours_less_popular_products(engine: recommend.Engine, regulars: list[str]) -> None:
    pop = engine.catalog.bought
    mean_pop = lambda r: float(pop.loc[[p.product_id for p in r.picks]].mean())  # noqa: E731
    plain = np.mean([mean_pop(engine.recommend(k)) for k in regulars[:30]])
    novel = np.mean([mean_pop(engine.recommend(k, Controls(novelty=1.0))) for k in regulars[:30]])
    assert novel < 0.8 * plain


def test_objectors_never_get_a_personalised_list(engine: recommend.Engine, home: Path) -> None:
    with Store.open("demo", read_only=True) as store:
        objectors = [r[0] for r in store.rows(
            "SELECT c.customer_key FROM customers c WHERE NOT consent_profiling AND EXISTS "
            "(SELECT 1 FROM events e WHERE e.customer_key = c.customer_key AND "
            "e.event_type = 'purchase') LIMIT 20")]
    assert len(objectors) >= 5
    assert not set(objectors) & set(engine.log.user_ids)  # the model never learnt from them
    lists = []
    for key in objectors:
        res = engine.recommend(key, context=Context("evening", 6, "mobile"))
        assert res.mode == "non-personalized" and not res.personalized
        assert "objected to profiling" in res.label
        assert all(p.source == "popular" for p in res.picks)
        assert all(r.kind in ("popular", "context") for p in res.picks for r in p.reasons)
        assert all("not personalised" in p.reasons[0].text for p in res.picks)
        lists.append([p.product_id for p in res.picks])
    assert all(lst == lists[0] for lst in lists)  # the same list for everyone in that context


def test_an_objector_is_never_profiled_even_if_the_model_knows_them(engine: recommend.Engine,
                                                                     regulars: list[str]) -> None:
    key = regulars[0]
    assert engine.recommend(key).personalized
    engine.customers.loc[key, "consent"] = False  # they object after the model was trained
    try:
        calls = []
        original = engine.history
        engine.history = lambda k, as_of=None: calls.append(k) or original(k, as_of)  # type: ignore[method-assign]
        res = engine.recommend(key)
        assert res.mode == "non-personalized" and key not in calls
    finally:
        engine.customers.loc[key, "consent"] = True
        del engine.history


def test_cold_start_ladder(engine: recommend.Engine, regulars: list[str]) -> None:
    new = engine.recommend("c_never_seen", context=Context("evening", 6, "mobile"))
    assert new.mode == "new" and len(new.picks) == 10
    assert all(p.reasons[0].kind == "popular" for p in new.picks)
    # as of just after their first event, a regular has too little history: segment picks
    key = regulars[1]
    first = int(engine.log.ts[engine.history(key)[0]])
    thin = engine.recommend(key, as_of=first + 1)
    assert thin.mode == "segment" and len(thin.picks) == 10
    assert all(any(r.kind == "segment" for r in p.reasons) for p in thin.picks)


def test_evaluation_mode_scores_the_held_out_basket(engine: recommend.Engine) -> None:
    hits = total = 0
    for key in engine.log.user_ids[:400]:
        held = engine.held_out(key)
        if held is None:
            continue
        cutoff, items = held
        res = engine.recommend(key, Controls(n=10, exclude_bought=False), as_of=cutoff)
        assert all(engine.log.ts[engine.history(key, cutoff)] < cutoff)
        hits += bool({p.product_id for p in res.picks} & set(items))
        total += 1
    assert total >= 50 and hits / total > 0.3  # the GRU's hit rate@10 is about 0.6 on the demo


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPLENS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_one_customer_and_everyone(engine: recommend.Engine, regulars: list[str], tmp_path: Path,
                                       home: Path) -> None:
    out = _cli(home, "recommend", "--shop", "demo", "--customer", regulars[0], "--n", "5",
               "--daypart", "evening", "--weekday", "sunday", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["mode"] == "personalized" and len(got["picks"]) == 5
    assert got["context"] == "on Sunday evening" and all(p["reasons"] for p in got["picks"])
    csv = tmp_path / "all.csv"
    out = _cli(home, "recommend", "--shop", "demo", "--all", "--no-reasons", "--n", "3",
               "--out", str(csv), "--json")
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(csv)
    with Store.open("demo", read_only=True) as store:
        n_customers = store.scalar("SELECT count(*) FROM customers")
    assert table["customer_key"].nunique() == n_customers
    assert set(table["mode"]) >= {"personalized", "non-personalized"}


def test_beyond_accuracy_of_real_lists(engine: recommend.Engine, regulars: list[str], home: Path) -> None:
    from core.recommend import lists_report
    mine = lists_report.measure(engine, regulars[:80])
    assert 0 < mine["coverage"] < 1 and 0 < mine["diversity"] <= 1 and 0 < mine["personalization"] <= 1
    assert mine["novelty"] > 0 and mine["popularity_lift"] > 0 and 0 <= mine["gini"] <= 1
    with Store.open("demo", read_only=True) as store:
        table = lists_report.report(store, ["popularity"], sample=80)
    best = table.iloc[0]
    # best-sellers: the same few products for everyone, more popular than what people buy
    assert best["personalization"] < mine["personalization"] and best["coverage"] < mine["coverage"]
    assert best["popularity_lift"] > mine["popularity_lift"]
