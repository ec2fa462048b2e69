"""The A/B simulator on the demo shop: lists as the engine makes them, the shop's world, a whole
test with saved runs, and the `shoplens simulate` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.abtest import abtest, policies
from core.abtest import world as world_mod
from core.cli.main import main as shoplens
from core.recommend import batch, recommend
from core.recommend.types import Context, Controls
from core.shop import catalog
from core.store.store import Store


@pytest.fixture(scope="module")
def store(demo_home: Path):
    with Store.open("demo", read_only=True) as s:
        yield s


@pytest.mark.parametrize("model", ["gru", "itemknn"])
@pytest.mark.parametrize("diversity", [0.0, 0.4])
def test_batch_lists_are_the_engines_lists(store: Store, model: str, diversity: float) -> None:
    engine = recommend.load(store, policies.resolve_model(store, model))
    sizes = np.diff(engine.offsets)  # a single request reads at most MAX_EVENTS events
    keys = [k for k in engine.customers.index
            if k not in engine.user_of or sizes[engine.user_of[k]] <= recommend.MAX_EVENTS]
    rng = np.random.default_rng(0)
    sample = [keys[i] for i in rng.choice(len(keys), 80, replace=False)]
    controls = Controls(new_products=False, diversity=diversity, novelty=0.2 if diversity else 0.0)
    lists = batch.batch_lists(engine, sample, controls, chunk=32)  # several chunks
    modes, same, overlap = set(), 0, []
    for key, rows in zip(sample, lists.rows, strict=True):
        res = engine.recommend(key, controls, Context(), explain_picks=False)
        want = list(engine.catalog.row([p.product_id for p in res.picks]))
        got = list(rows[rows >= 0])
        same += got == want
        overlap.append(len(set(got) & set(want)) / max(len(want), 1))
        modes.add(res.mode)
    assert "personalized" in modes and len(modes) >= 2  # personal lists and the cold-start ladder
    if diversity == 0:
        assert same == len(sample)
    else:  # MMR follows near-ties in relevance, which float noise between batch sizes can flip
        assert same >= 0.9 * len(sample) and min(overlap) >= 0.8, (same, min(overlap))


def test_parse_arm_reads_specs_and_explains_mistakes() -> None:
    arm = policies.parse_arm("B=gru:diversity=0.3,n=8,share=2,exclude_categories=Toys|Books")
    assert (arm.name, arm.model, arm.share) == ("B", "gru", 2.0)
    assert arm.controls.diversity == 0.3 and arm.controls.n == 8
    assert arm.controls.exclude_categories == ("Toys", "Books")
    assert policies.parse_arm("C=none").model == "none"
    capped = policies.parse_arm("D=itemknn:exposure_cap=0.05")
    assert capped.exposure_cap == 0.05 and capped.describe("Item-kNN") == "Item-kNN (exposure cap 5%)"
    for spec, words in (("B", "NAME=MODEL"), ("B=gru:colour=red", "unknown setting"),
                        ("B=gru:diversity=lots", "not a valid value"),
                        ("B=gru:diversity=3", "between 0 and 1"),
                        ("=gru", "Arm name"), ("B=gru:share=0", "share"),
                        ("B=gru:exposure_cap=2", "exposure_cap")):
        with pytest.raises(ValueError, match=words):
            policies.parse_arm(spec)


def test_unknown_models_get_a_clear_error(store: Store) -> None:
    with pytest.raises(ValueError, match="no trained lstm"):
        policies.resolve_model(store, "lstm")
    with pytest.raises(ValueError, match="Unknown model 'magic'"):
        policies.resolve_model(store, "magic")


def test_the_demo_world_is_read_from_the_shop_and_never_profiles_objectors(store: Store) -> None:
    w = world_mod.fit(store, catalog.load(store))
    sessions, buying = store.rows("SELECT count(DISTINCT session_id), count(DISTINCT session_id) FILTER "
                                  "(WHERE event_type = 'purchase') FROM events")[0]
    assert w.measured and w.conversion == pytest.approx(buying / sessions)
    objectors = {r[0] for r in store.rows("SELECT customer_key FROM customers WHERE NOT consent_profiling")}
    rows = [i for i, k in enumerate(w.keys) if k in objectors]
    assert rows and np.allclose(w.taste[rows], 1.0)  # the shop's average taste: nothing of theirs read
    assert np.isclose(w.price_mu[rows], w.price_mu[rows][0]).all()
    assert w.group_source == "categories" and w.rate.sum() > 0


def test_a_whole_test_on_the_demo_is_saved_and_listed(store: Store) -> None:
    plan = abtest.Plan([policies.parse_arm("A=popularity"), policies.parse_arm("B=gru"),
                        policies.parse_arm("C=none")], days=14, repeats=3, ope_rounds=4000)
    seen = []
    report = abtest.simulate_shop(store, plan, lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] > 0.95  # the progress only moves forward
    arms = {a["name"]: a for a in report["arms"]}
    assert arms["A"]["personalised_share"] == 0 and arms["B"]["personalised_share"] > 0.5
    assert all(a["objectors_non_personalised"] == 1.0 for a in arms.values())
    assert arms["C"]["values"]["ctr"] != arms["C"]["values"]["ctr"]  # no lists: no click-through (NaN)
    assert not report["srm"]["flagged"]
    assert len(report["lifts"]) == 2 * len(simulate_metrics()) and len(report["verdicts"]) == 2
    assert all(np.isfinite(x["true_rel_lift"]) for x in report["lifts"] if x["metric"] != "ctr")
    assert {r["arm"] for r in report["offpolicy"]["rows"]} == {"A", "B"}  # "none" has no slot to judge
    assert len(report["daily"]) == 14 * 3 and len(report["repeats"]["B"]) == 3
    run_id = abtest.save(store, report, "demo check")
    listed = abtest.list_runs(store)
    assert listed[0]["run_id"] == run_id and listed[0]["name"] == "demo check"
    again = abtest.load_run(store, run_id)
    assert again["lifts"][0]["rel_lift"] == pytest.approx(report["lifts"][0]["rel_lift"])
    with pytest.raises(FileNotFoundError):
        abtest.load_run(store, "20200101-000000-abcdef")


def simulate_metrics() -> dict:
    from core.abtest.simulate import METRICS

    return METRICS


def test_cli_simulate_prints_json_and_text(demo_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = shoplens(["simulate", "--shop", "demo", "--arm", "A=popularity", "--arm",
                     "B=itemknn:diversity=0.3", "--days", "7", "--repeats", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [a["name"] for a in out["arms"]] == ["A", "B"]
    assert out["arms"][1]["policy"].endswith("(diversity=0.3)") and out["days"] == 7
    code = shoplens(["simulate", "--shop", "demo", "--arm", "A=popularity", "--arm", "B=itemknn",
                     "--days", "7", "--repeats", "0", "--quiet", "--save"])
    text = capsys.readouterr().out
    assert code == 0 and "Verdict (revenue per visitor)" in text and "Saved as run" in text
    code = shoplens(["simulate", "--shop", "demo", "--arm", "A=popularity", "--days", "7"])
    assert code == 2 and "2 to 4 arms" in capsys.readouterr().err


def test_batch_lists_as_of_each_customers_own_visit(store: Store) -> None:
    """Evaluation lists (the fairness audit's): each history cut at the customer's held-out basket."""
    engine = recommend.load(store, policies.resolve_model(store, "gru"))
    off, ts = engine.offsets, engine.log.ts
    users = [u for u in sorted(engine.test)[:80]  # a single request reads at most MAX_EVENTS events
             if np.searchsorted(ts[off[u]:off[u + 1]], engine.test[u].cutoff) <= recommend.MAX_EVENTS]
    keys = [engine.log.user_ids[u] for u in users]
    when = np.array([engine.test[u].cutoff for u in users])
    controls = Controls(new_products=False)
    lists = batch.batch_lists(engine, keys, controls, as_of=when, chunk=25)
    for key, t, rows in zip(keys, when, lists.rows, strict=True):
        res = engine.recommend(key, controls, Context(), int(t), explain_picks=False)
        assert list(rows[rows >= 0]) == list(engine.catalog.row([p.product_id for p in res.picks])), key


def test_an_exposure_capped_arm_spreads_its_lists(store: Store) -> None:
    engine = recommend.load(store, "itemknn")
    keys = list(engine.customers.index)
    plain = batch.batch_lists(engine, keys, Controls(new_products=False))
    capped = batch.capped_lists(engine, keys, Controls(new_products=False), 0.05)
    for lists in (plain, capped):
        assert lists.rows.shape == (len(keys), 10)
    most = np.bincount(capped.rows[capped.rows >= 0]).max()
    assert most <= np.ceil(0.05 * len(keys)) < np.bincount(plain.rows[plain.rows >= 0]).max()
    assert len(np.unique(capped.rows[capped.rows >= 0])) > len(np.unique(plain.rows[plain.rows >= 0]))
