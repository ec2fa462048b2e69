"""Privacy by construction: erasure leaves no trace anywhere and survives a re-import, objectors
are never profiled, a customer's export round-trips, and old events are purged."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO, StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.abtest import abtest, policies
from core.cli.main import main as shoplens
from core.demo import demo
from core.demo.config import SynthConfig
from core.ingest import ingest
from core.learn import embeddings
from core.privacy import access
from core.privacy.audit import audit_log
from core.privacy.consent import set_consent
from core.privacy.retention import purge_older_than, purge_preview, retention_days, set_retention_days
from core.privacy.retraining import retrain_notice
from core.recommend import batch, recommend
from core.recommend.types import Controls
from core.segments import audience, cache, profiles
from core.segments.types import SegmentRun
from core.shop import sequences
from core.store import config, pseudonym
from core.store.store import Store
from tests.conftest import use_home

SMALL = SynthConfig(n_customers=400, n_products=150, days=365, seed=5)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    """A small demo shop with a trained GRU, a cached segment map and a saved A/B run."""
    path = tmp_path_factory.mktemp("privacy")
    with use_home(path):
        demo.create_demo_shop("demo", SMALL)
        with Store.open("demo") as store:
            embeddings.train(store, "gru", epochs=1, seed=0)
            keys, _, art, _ = embeddings.customer_vectors(store)
            n = len(keys)
            rng = np.random.default_rng(0)
            tree = pd.DataFrame({"parent": [n] * n, "child": np.arange(n), "lambda_val": 1.0,
                                 "child_size": 1})
            run = SegmentRun(np.asarray(keys, dtype=object), rng.normal(size=(n, 2)),
                                      rng.normal(size=(n, 4)), rng.integers(0, 3, n), np.ones(n),
                                      rng.integers(0, 3, n), tree, {"model_id": art.model_id})
            name = f"{art.model_id}-test-{sequences.fingerprint(store)}.npz"
            cache.save(run, cache.cache_dir(store) / name)
            (cache.cache_dir(store) / "LATEST").write_text(name)
            plan = abtest.Plan([policies.parse_arm("A=popularity"), policies.parse_arm("B=gru")], days=7,
                               repeats=1, ope_rounds=1000)
            abtest.save(store, abtest.simulate_shop(store, plan))
        yield path


def _raw_ids(n: int, offset: int = 0) -> list[str]:
    """The shop's own ids of customers with purchases, from the demo's export files."""
    events = pd.read_parquet(demo.source_folder("demo") / "events.parquet")
    buyers = events.loc[events["event_type"] == "purchase", "customer_id"].dropna().astype(str)
    return sorted(buyers.unique())[offset:offset + n]


def _traces(store: Store, needles: list[str]) -> list[str]:
    """Where any of ``needles`` appears: every text column of every table, every file of the data
    folder (the database file's bytes included), case-insensitively."""
    found = []
    cols = store.rows("SELECT table_name, column_name FROM information_schema.columns "
                      "WHERE data_type = 'VARCHAR'")
    for table, column in cols:
        for needle in needles:
            hits = store.scalar(f'SELECT count(*) FROM "{table}" WHERE lower("{column}") LIKE ?',
                                [f"%{needle.lower()}%"])
            if hits:
                found.append(f"{table}.{column}")
    for path in config.home().rglob("*"):
        if path.is_file() and "secrets" not in path.parts:
            data = path.read_bytes().lower()  # numpy stores text as UTF-32
            found += [str(path) for n in needles for enc in ("utf-8", "utf-32-le")
                      if n.lower().encode(enc) in data]
    return found


def test_erasure_leaves_no_trace_and_a_reimport_does_not_bring_them_back(home: Path, capsys) -> None:
    with use_home(home):
        raw = _raw_ids(3)
        with Store.open("demo") as store:
            keys = pseudonym.pseudonymize(store, raw)
            before = store.data_version()
            customers = store.scalar("SELECT count(*) FROM customers")
            theirs = store.scalar("SELECT count(*) FROM customers WHERE customer_key IN (?, ?, ?)", keys)
            assert store.scalar("SELECT count(*) FROM events WHERE customer_key IN (?, ?, ?)", keys) > 0
            assert _traces(store, keys)  # the scan finds them before: it can fail
        assert shoplens(["erase", "--shop", "demo", "--customer", *raw, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["customers"] == 3 and report["rows"]["events"] > 0 and report["segment_files"] == 1
        needles = keys + [k[len(pseudonym.KEY_PREFIX):] for k in keys]
        with Store.open("demo") as store:
            assert _traces(store, needles) == []
            assert store.data_version() != before
            assert retrain_notice(store)["models"]  # the GRU saw their data
            log_row = audit_log(store).iloc[0]
            assert log_row["action"] == "erase" and log_row["customers"] == 3
            assert not any(k in log_row["details"] for k in needles)
            ingest.import_paths(store, [demo.source_folder("demo")])  # the original export, again
            assert store.scalar("SELECT count(*) FROM customers WHERE customer_key IN (?, ?, ?)", keys) == 0
            assert store.scalar("SELECT count(*) FROM events WHERE customer_key IN (?, ?, ?)", keys) == 0
            assert store.scalar("SELECT count(*) FROM customers") == customers - theirs
            assert _traces(store, needles) == []


def test_objectors_are_absent_from_training_segments_exports_and_personal_lists(home: Path) -> None:
    with use_home(home):
        with Store.open("demo") as store:
            keys = pseudonym.pseudonymize(store, _raw_ids(4, offset=10))
            assert set_consent(store, keys, consent=False) == 4
            log_ = sequences.event_log(store)  # what any model trains on
            assert not set(keys) & set(log_.user_ids)
            run = cache.previous_run(store)
            assert not set(keys) & set(run.keys)  # cut out of the cached map at once
            data = profiles.load(store, with_value=False)
            frame = audience.members(store, data, list(run.keys) + keys, np.zeros(len(run.keys) + 4), {})
            assert not set(keys) & set(frame["customer_key"])
            engine = recommend.load(store, "itemknn")
            for key in keys:
                assert engine.recommend(key).mode == "non-personalized"
            lists = batch.batch_lists(engine, keys, Controls(new_products=False))
            assert lists.mode_share("non-personalized") == 1.0
            assert set_consent(store, keys[:1], consent=True) == 1  # an objection withdrawn
            assert audit_log(store)["action"].tolist()[:2] == ["consent", "consent"]


def test_a_customers_export_round_trips(home: Path) -> None:
    with use_home(home):
        with Store.open("demo") as store:
            key = pseudonym.pseudonymize(store, _raw_ids(1, offset=20))[0]
            engine = recommend.load(store, None)
            data = access.export_customer(store, key, engine)  # its speed: bench/privacy.py
            text, packed = access.to_json(data), access.to_zip(data)
            back = json.loads(text)
            events = store.scalar("SELECT count(*) FROM events WHERE customer_key = ?", [key])
            reviews = store.scalar("SELECT count(*) FROM reviews WHERE customer_key = ?", [key])
            assert len(back["events"]) == back["counts"]["events"] == events > 0
            assert len(back["reviews"]) == back["counts"]["reviews"] == reviews
            assert back["customer"]["customer_key"] == key and back["consent_to_profiling"] is True
            assert len(back["recommendations"]["picks"]) == 10
            with zipfile.ZipFile(BytesIO(packed)) as zf:
                assert len(pd.read_csv(StringIO(zf.read("events.csv").decode()))) == events
                assert json.loads(zf.read("export.json"))["counts"]["events"] == events
            with pytest.raises(ValueError, match="holds nothing"):
                access.export_customer(store, "c_00000000000000000000")


def test_retention_purges_old_events(home: Path) -> None:
    with use_home(home):
        with Store.open("demo") as store:
            with pytest.raises(ValueError, match="between 30 days"):
                set_retention_days(store, 5)
            set_retention_days(store, 180)
            assert retention_days(store) == 180
            last = pd.Timestamp(store.scalar("SELECT max(ts) FROM events")).to_pydatetime()
            n, cutoff = purge_preview(store, 180, now=last)
            assert n > 0
            assert purge_older_than(store, 180, now=last) == n
            assert store.scalar("SELECT count(*) FROM events WHERE ts < ?", [cutoff]) == 0
            assert store.scalar("SELECT count(*) FROM events") > 0
            assert audit_log(store).iloc[0]["action"] == "purge"


def test_privacy_and_fairness_commands(home: Path, tmp_path: Path, capsys) -> None:
    with use_home(home):
        raw = _raw_ids(1, offset=30)[0]
        assert shoplens(["consent", "--shop", "demo", "--customer", raw, "--object"]) == 0
        assert "1 customer(s) changed" in capsys.readouterr().out
        out = tmp_path / "one.zip"
        assert shoplens(["export-customer", "--shop", "demo", "--customer", raw, "--out", str(out)]) == 0
        with zipfile.ZipFile(out) as zf:
            exported = json.loads(zf.read("export.json"))
        assert exported["consent_to_profiling"] is False
        assert exported["recommendations"]["mode"] == "non-personalized"
        assert shoplens(["retention", "--shop", "demo", "--days", "3650"]) == 0
        assert "Retention: 3650 days" in capsys.readouterr().out
        assert shoplens(["fairness", "--shop", "demo", "--model", "itemknn", "--customers", "300",
                         "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["summary"] and "best-sellers" in report["exposure"]
        assert {"region", "customer type"} <= set(report["attributes"])


def test_objections_and_the_retention_period_survive_a_reimport(home: Path) -> None:
    with use_home(home):
        with Store.open("demo") as store:
            key = pseudonym.pseudonymize(store, _raw_ids(1, offset=40))[0]
            set_consent(store, [key], consent=False)
            set_retention_days(store, 90)
            last = pd.Timestamp(store.scalar("SELECT max(ts) FROM events")).to_pydatetime()
            days = (pd.Timestamp.now() - pd.Timestamp(last)).days + 90  # keeps the last 90 days of data
            set_retention_days(store, days)
            purge_older_than(store, days)
            kept = store.scalar("SELECT count(*) FROM events")
            report = ingest.import_paths(store, [demo.source_folder("demo")])
            consent = store.scalar("SELECT consent_profiling FROM customers WHERE customer_key = ?", [key])
            assert consent is False
            assert store.scalar("SELECT count(*) FROM events") == kept  # nothing purged came back
            assert any("retention period" in w for t in report.tables for w in t.warnings)


def test_a_raw_id_that_looks_like_a_key_is_hashed() -> None:
    assert pseudonym.is_key("c_" + "0123456789abcdef0123")
    assert not pseudonym.is_key("c_77") and not pseudonym.is_key("C_" + "0" * 20)


def test_an_objection_recorded_before_the_customer_is_imported_holds(shoplens_home: Path,
                                                                     tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text("order_id,date,product_id,quantity,price,customer_id\n"
                   "1,2025-06-01 10:00,P1,1,9.90,later-77\n2,2025-06-02 10:00,P2,1,5.00,other-1\n",
                   encoding="utf-8")
    with Store.open("early") as store:
        key = pseudonym.pseudonymize(store, ["later-77"])[0]
        assert set_consent(store, [key], consent=False) == 0  # not in the shop yet
        assert store.scalar("SELECT count(*) FROM objections") == 1
        assert key not in str(store.rows("SELECT * FROM objections"))  # a token, not the key
        ingest.import_paths(store, [csv])
        consent = dict(store.rows("SELECT customer_key, consent_profiling FROM customers"))
        assert consent[key] is False and consent[pseudonym.pseudonymize(store, ["other-1"])[0]] is True
