"""The neural next-basket models: shapes, learning, repeatability, save/load, repeat gate,
cancellation and a two-process DistributedDataParallel run - all on tiny synthetic logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from models.batches import LogIndex, basket_rows, target_rows
from models.data import CONTEXT, EVENT_TYPES, EventLog, load_npz, save_npz, split
from models.encoders import ModelConfig
from models.metrics import evaluate
from models.recommender import SequenceRecommender
from models.repeat import rebought, repeat_features
from models.train import TrainConfig, build_model, sized_for

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400
PURCHASE, VIEW = EVENT_TYPES.index("purchase"), EVENT_TYPES.index("view")
TINY = ModelConfig(d_model=16, n_layers=1, n_heads=2, dropout=0.0, max_len=8, repeat_hidden=16)
FAST = TrainConfig(epochs=2, batch_size=64, lr=5e-3, threads=1, patience=5)


def make_log(baskets: list[list[list[int]]], n_items: int, seed: int = 0, views: bool = False) -> EventLog:
    """One user per entry of ``baskets`` (a list of baskets, each a list of item ids); baskets
    are a day apart with a random per-user start, so the time split cuts users at different
    baskets. With ``views`` every purchase is preceded by a view of a random item."""
    rng = np.random.default_rng(seed)
    rows = []
    for u, user_baskets in enumerate(baskets):
        start = int(rng.integers(0, 30)) * DAY
        for b, items in enumerate(user_baskets):
            ts = start + b * DAY + int(rng.integers(0, 3600))
            if views:
                rows.append((u, int(rng.integers(1, n_items + 1)), VIEW, ts - 60, -1))
            rows.extend((u, i, PURCHASE, ts, b) for i in items)
    user, item, etype, ts, basket = (np.array(c, dtype=np.int64) for c in zip(*rows))
    context = {c: np.zeros(len(user), dtype=np.int64) for c in CONTEXT}
    context["hour"] = (ts // 3600) % 24 + 1
    context["weekday"] = (ts // DAY) % 7 + 1
    sizes = {c: 2 for c in CONTEXT} | {"hour": 25, "weekday": 8}
    side = {"category": np.r_[0, np.arange(n_items) % 3 + 1],
            "price_band": np.r_[0, np.arange(n_items) % 5 + 1]}
    return EventLog(user, item, etype, ts, basket, context, len(baskets), n_items, sizes, side,
                    {"category": 4, "price_band": 6}, [""] + [f"p{i}" for i in range(1, n_items + 1)],
                    [f"c{u}" for u in range(len(baskets))])


def chain_log(n_users: int = 160, n_items: int = 20, length: int = 10, seed: int = 0) -> EventLog:
    """Planted pattern: item k is always followed by item k + 1 (no item repeats per user)."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n_items, n_users)
    return make_log([[[(s + b) % n_items + 1] for b in range(length)] for s in starts], n_items, seed)


def favourite_log(n_users: int = 150, n_items: int = 60, length: int = 8, seed: int = 1) -> EventLog:
    """Every basket holds the user's favourite item and one random other item."""
    rng = np.random.default_rng(seed)
    fav = rng.integers(1, n_items + 1, n_users)
    return make_log([[[int(f), int(rng.integers(1, n_items + 1))] for _ in range(length)] for f in fav],
                    n_items, seed)


@pytest.mark.parametrize("arch", ["gru", "lstm", "sasrec"])
def test_forward_shapes_and_finite_loss(arch: str) -> None:
    log = make_log([[[1, 2], [3]], [[4], [4, 5], [6]]] * 3, n_items=6, views=True)
    cfg = sized_for(log, replace(TINY, arch=arch))
    model = build_model(cfg)
    index = LogIndex(log)
    rows = basket_rows(index)
    sel = np.arange(len(rows))
    batch = index.batch(rows, sel, cfg)
    assert batch.items.shape == (len(rows), cfg.max_len + 1)
    logits, loss = model(batch)
    assert logits.shape == (len(rows), log.n_items + 1) and loss is None
    assert torch.isfinite(logits[:, 1:]).all()
    assert torch.allclose(logits[:, 1:].exp().sum(1), torch.ones(len(rows)), atol=1e-4)  # log P
    _, loss = model(batch, rows.targets(sel))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert model.encode(batch).shape == (len(rows), cfg.d_model)


def test_sampled_softmax_trains() -> None:
    log = chain_log()
    cfg = sized_for(log, replace(TINY, n_negatives=5))
    model = build_model(cfg).train()
    index = LogIndex(log)
    rows = basket_rows(index)
    sel = np.arange(64)
    logits, loss = model(index.batch(rows, sel, cfg), rows.targets(sel))
    assert logits is None and torch.isfinite(loss)
    loss.backward()


def test_training_loss_reads_the_repeat_side_at_the_targets_only() -> None:
    """The loss from ``repeat_at`` (no (B, N+1) matrix) equals the one from the dense matrix."""
    from models.repeat import in_history
    log = favourite_log(n_users=40)
    cfg = sized_for(log, TINY)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    index = LogIndex(log)
    rows = basket_rows(index)
    sel = np.arange(len(rows))
    batch, targets = index.batch(rows, sel, cfg), rows.targets(sel)
    head, embed = model.head, model.embed
    with torch.no_grad():
        h = model.encode(batch)
        table = embed.output_table()
        dense, g, ng = head.repeat_parts(h, batch, table)
        sparse, g2, ng2 = head.repeat_at(h, batch, embed, targets)
        assert torch.equal(dense.gather(1, targets), sparse) and torch.equal(g, g2) and torch.equal(ng, ng2)
        pos, hit = in_history(batch, targets, cfg.n_items + 1)
        assert bool(hit.any()) and bool((~hit & (targets > 0)).any())  # repeats and new items alike
        assert torch.equal(batch.rep_item[pos][hit], targets[hit])


def test_sampled_softmax_leaves_history_to_the_repeat_side() -> None:
    """Sampled training keeps the full softmax's rule: the explore side never scores a product
    the customer bought, so a re-bought target's explore log P is NEG, a new one's is finite."""
    from models.repeat import NEG, in_history
    log = favourite_log(n_users=40)
    cfg = sized_for(log, replace(TINY, n_negatives=30))
    model = build_model(cfg).train()
    index = LogIndex(log)
    rows = basket_rows(index)
    sel = np.arange(len(rows))
    batch, targets = index.batch(rows, sel, cfg), rows.targets(sel)
    with torch.no_grad():
        h = model.encode(batch)
        got = model.head.sampled_explore(h, batch, model.embed, targets)
    hit = in_history(batch, targets, cfg.n_items + 1)[1]
    new = (targets > 0) & ~hit
    assert bool(hit.any()) and bool(new.any())
    assert bool((got[hit] < NEG / 2).all()) and bool((got[new] > -50).all())


def test_windows_and_repeat_features_by_hand() -> None:
    log = make_log([[[1], [1, 2], [3]]], n_items=3)
    index = LogIndex(log)
    rows = basket_rows(index)  # baskets 1 and 2 have a history
    assert rows.users.tolist() == [0, 0] and rows.ends.tolist() == [1, 3]
    assert rows.targets(np.arange(2)).tolist() == [[1, 2], [3, 0]]
    batch = index.batch(rows, np.array([1]), sized_for(log, TINY))
    assert batch.items[0, -4:].tolist() == [1, 1, 2, 0]  # window ends with the query token
    assert int(batch.lengths[0]) == 4
    feats = repeat_features(log, index.offsets, rows.users[1:], rows.ends[1:], rows.cutoffs[1:], 100,
                            rebought(log))
    assert feats["item"].tolist() == [1, 2]
    assert np.allclose(np.expm1(feats["pair"][:, 0]), [2, 1])  # purchase counts
    assert rebought(log).tolist() == [False, True, False, False]


def test_learns_planted_sequence_pattern() -> None:
    log = chain_log()
    data = split(log)
    losses: list[float] = []
    rec = SequenceRecommender(replace(TINY, arch="sasrec")).fit(
        data, replace(FAST, epochs=12), progress=lambda row: losses.append(row["loss"]))
    assert losses[-1] < losses[0] * 0.7
    scores = rec.score(data.log, data.test)
    expected = np.array([t.items[0] for t in data.test])
    off = data.log.offsets
    previous = np.array([data.log.item[off[t.user] + np.searchsorted(
        data.log.ts[off[t.user]:off[t.user + 1]], t.cutoff) - 1] for t in data.test])
    assert (expected == previous % log.n_items + 1).all()  # the planted rule
    assert (scores[:, 1:].argmax(1) + 1 == expected).mean() > 0.9


def test_gru_learns_planted_pattern_too() -> None:
    data = split(chain_log())
    rec = SequenceRecommender(replace(TINY, arch="gru")).fit(data, replace(FAST, epochs=12))
    assert evaluate(rec, data, "test")["hitrate@10"] == 1.0
    assert evaluate(rec, data, "test")["mrr"] > 0.8


def test_repeat_gate_ranks_the_favourite_first() -> None:
    data = split(favourite_log())
    rec = SequenceRecommender(TINY).fit(data, replace(FAST, epochs=6))
    fav = {u: int(np.bincount(data.log.item[data.log.user == u]).argmax()) for u in range(data.log.n_users)}
    scores = rec.score(data.log, data.test)
    assert np.mean([scores[r, 1:].argmax() + 1 == fav[t.user] for r, t in enumerate(data.test)]) > 0.95


def test_same_seed_same_metrics_and_other_seed_differs() -> None:
    data = split(favourite_log())
    runs = [evaluate(SequenceRecommender(TINY).fit(data, replace(FAST, seed=s)), data, "valid")
            for s in (3, 3, 4)]
    for key in ("ndcg@10", "recall@10", "mrr"):
        assert round(runs[0][key], 6) == round(runs[1][key], 6)
    a = SequenceRecommender(TINY).fit(data, replace(FAST, seed=3)).score(data.log, data.valid)
    b = SequenceRecommender(TINY).fit(data, replace(FAST, seed=4)).score(data.log, data.valid)
    assert not np.array_equal(a, b)


def test_save_load_gives_identical_scores(tmp_path: Path) -> None:
    log = make_log([[[1, 2], [3], [1]], [[4], [4, 5], [6], [4]]] * 10, n_items=6, views=True)
    data = split(log)
    rec = SequenceRecommender(replace(TINY, arch="gru")).fit(data, replace(FAST, epochs=1))
    torch.save(rec.state(), tmp_path / "model.pt")
    back = SequenceRecommender.from_state(torch.load(tmp_path / "model.pt", weights_only=True))
    assert np.array_equal(rec.score(data.log, data.test), back.score(data.log, data.test))
    users = np.arange(log.n_users)
    assert np.array_equal(rec.user_vectors(log, users), back.user_vectors(log, users))
    assert back.item_vectors().shape == (log.n_items + 1, TINY.d_model)
    assert back.item_ids_ == log.item_ids and back.result_.epochs_run == 1


def test_stop_cancels_training() -> None:
    data = split(chain_log())
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    rec = SequenceRecommender(TINY).fit(data, replace(FAST, epochs=50, batch_size=16), stop=stop)
    assert rec.result_.cancelled and rec.result_.epochs_run == 0 and calls["n"] == 4
    assert rec.score(data.log, data.test).shape == (len(data.test), data.log.n_items + 1)


def test_npz_round_trip(tmp_path: Path) -> None:
    log = make_log([[[1, 2], [3]], [[2], [1]]], n_items=3, views=True)
    back = load_npz(save_npz(log, tmp_path / "log.npz"))
    assert back.n_users == log.n_users and back.item_ids == log.item_ids
    for name in ("user", "item", "etype", "ts", "basket"):
        assert np.array_equal(getattr(back, name), getattr(log, name))
    assert all(np.array_equal(back.context[c], log.context[c]) for c in CONTEXT)
    assert np.array_equal(back.item_side["category"], log.item_side["category"])
    rows = target_rows(LogIndex(back), split(back).test)
    assert len(rows) == len(split(back).test)


def test_beats_popularity_on_a_small_demo_shop(shoplens_home: Path) -> None:
    from core.demo import demo
    from core.demo.config import SynthConfig
    from core.shop import sequences
    from core.store.store import Store

    demo.create_demo_shop("tiny", SynthConfig(n_customers=300, n_products=100, days=200))
    store = Store.open("tiny")
    try:
        log = sequences.event_log(store)
    finally:
        store.close()
    data = split(log)
    rec = SequenceRecommender(TINY).fit(data, replace(FAST, epochs=4))

    class Popularity:
        def score(self, log: EventLog, targets: list) -> np.ndarray:
            counts = np.bincount(data.train.item[data.train.etype == PURCHASE], minlength=log.n_items + 1)
            return np.tile(counts.astype(np.float32), (len(targets), 1))

    assert evaluate(rec, data, "test")["ndcg@10"] > evaluate(Popularity(), data, "test")["ndcg@10"]


def test_torchrun_two_processes(tmp_path: Path) -> None:
    if not torch.distributed.is_available():
        pytest.skip("this torch build has no torch.distributed")
    save_npz(favourite_log(n_users=60), tmp_path / "log.npz")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                                        if p), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m",
         "models.train", "--events", str(tmp_path / "log.npz"), "--out", str(tmp_path / "out"),
         "--epochs", "2", "--threads", "1", "--d-model", "16", "--max-len", "8", "--batch-size", "32"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["fit"]["epochs_run"] == 2
    assert 0.0 <= metrics["test"]["ndcg@10"] <= 1.0
    state = torch.load(tmp_path / "out" / "model.pt", weights_only=True)
    assert SequenceRecommender.from_state(state).model_.config.d_model == 16


def test_a_large_catalog_trains_on_a_sampled_softmax_by_default() -> None:
    from models.train import LARGE_CATALOG, SAMPLED_NEGATIVES
    small = favourite_log(n_users=10)
    assert sized_for(small, ModelConfig()).n_negatives == 0  # full softmax
    big = replace(small, n_items=LARGE_CATALOG + 1)
    assert sized_for(big, ModelConfig()).n_negatives == SAMPLED_NEGATIVES
    assert sized_for(big, ModelConfig(n_negatives=0)).n_negatives == 0  # asked for: kept
