"""The calendar-time repurchase kernel (models/repurchase.py): the time kernel by hand, no
leakage past the cut-off, shapes and finite values, the interval initialisation, and that the
flag off leaves the old model's outputs untouched."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_seqmodels import FAST, TINY, make_log  # noqa: E402

from models.batches import LogIndex, target_rows  # noqa: E402
from models.data import Target, split  # noqa: E402
from models.recommender import SequenceRecommender  # noqa: E402
from models.repeat import rebought, repeat_features  # noqa: E402
from models.repurchase import RepurchaseKernel, interval_init  # noqa: E402
from models.train import build_model, sized_for  # noqa: E402

DAY = 86400


def _kernel(n_items: int = 3) -> RepurchaseKernel:
    k = RepurchaseKernel(n_items)
    with torch.no_grad():
        k.log_interval[2] = math.log(10.0)
        k.log_tau[2] = math.log(5.0)
        k.w_decay[2], k.w_bump[2] = 0.3, 0.7
        k.log_width.fill_(math.log(0.5))
        k.log_shrink.fill_(math.log(2.0))
    return k


def test_time_kernel_by_hand() -> None:
    # One pair (item 2) bought 10 and 20 days before the target; customer gap 10 days (1 gap).
    k = _kernel()
    out = k(torch.tensor([2]), torch.tensor([0, 0]), torch.tensor([10.0, 20.0]),
            torch.tensor([math.log(10.0)]), torch.tensor([1.0]))
    mu = (1 * math.log(10) + 2 * math.log(10)) / 3  # customer's gap shrunk to the product's
    expect = sum(0.3 * math.exp(-t / 5) + 0.7 * math.exp(-0.5 * ((math.log(t) - mu) / 0.5) ** 2)
                 for t in (10.0, 20.0))
    assert out.shape == (1,)
    assert abs(float(out.detach()[0]) - expect) < 1e-5  # 0.3e^-2 + 0.7 + 0.3e^-4 + 0.7e^-0.96
    # a customer gap different from the product's moves the bump: shrinkage is applied
    other = k(torch.tensor([2]), torch.tensor([0, 0]), torch.tensor([10.0, 20.0]),
              torch.tensor([math.log(20.0)]), torch.tensor([1.0]))
    assert abs(float(other.detach()[0]) - expect) > 1e-3


def _log():
    # user 0 buys item 1 on days 0, 10, 20 and item 2 on day 5; user 1 buys item 2 on days 0, 30
    baskets = [[[1], [2], [1], [1]], [[2], [2]]]
    log = make_log(baskets, 3)
    return log


def _kernel_inputs(log, cutoff: int) -> dict[str, np.ndarray]:
    index = LogIndex(log)
    users, cutoffs = np.array([0]), np.array([cutoff])
    return repeat_features(log, index.offsets, users, index.ends(users, cutoffs), cutoffs, 100,
                           rebought(log), kernel=True)


def test_inputs_shapes_values_and_no_leakage() -> None:
    short = _log()
    longer = make_log([[[1], [2], [1], [1], [1], [3]], [[2], [2]]], 3)  # same first baskets, more later
    cutoff = int(short.ts[(short.user == 0)][3])  # the 4th basket of user 0 is the target
    f = _kernel_inputs(short, cutoff)
    g = _kernel_inputs(longer, cutoff)
    r = len(f["row"])
    assert f["k_gap"].shape == (r,) and f["k_ngap"].shape == (r,) and f["k_pair"].max() < r
    assert np.isfinite(f["k_age"]).all() and (f["k_age"] > 0).all()
    assert len(f["k_pair"]) == 3  # days 0, 1, 2 - not the target basket itself
    ages = sorted(f["k_age"] * DAY)
    assert abs(ages[0] - (cutoff - short.ts[short.user == 0][2])) < 1
    for key in ("k_pair", "k_age", "k_gap", "k_ngap"):  # later purchases change nothing
        assert np.array_equal(f[key], g[key])


def test_interval_init_median_and_shrinkage() -> None:
    log = _log()
    mu = interval_init(log, shrink=0.0)  # no shrinkage: the product's own median
    t = log.ts
    gaps1 = np.diff(t[(log.user == 0) & (log.item == 1)]) / DAY
    assert abs(mu[1] - np.median(np.log(gaps1))) < 1e-9  # median in log-days
    shrunk = interval_init(log, shrink=5.0)
    assert abs(shrunk[1] - mu[1]) > 1e-6  # pulled towards the global median
    assert np.isfinite(shrunk).all() and shrunk.shape == (4,)


def test_model_scores_finite_with_kernel_and_flag_off_is_the_old_model() -> None:
    rng = np.random.default_rng(0)
    baskets = [[list(rng.choice(np.arange(1, 13), 3, replace=False)) for _ in range(6)] for _ in range(40)]
    sp = split(make_log(baskets, 12))
    cfg = sized_for(sp.train, replace(TINY, arch="gru"))
    torch.manual_seed(0)
    old = build_model(cfg).eval()
    torch.manual_seed(0)
    off = build_model(replace(cfg, repurchase=False)).eval()
    torch.manual_seed(0)
    on = build_model(replace(cfg, repurchase=True)).eval()
    assert not hasattr(off.head, "kernel") or off.head.kernel is None
    index = LogIndex(sp.log)
    rows = target_rows(index, sp.test)
    sel = np.arange(len(rows))
    with torch.no_grad():
        a = old(index.batch(rows, sel, cfg))[0]
        b = off(index.batch(rows, sel, replace(cfg, repurchase=False)))[0]
        c = on(index.batch(rows, sel, replace(cfg, repurchase=True)))[0]
    assert torch.equal(a, b)
    assert c.shape == a.shape and torch.isfinite(c).all()
    assert not torch.equal(a, c)  # the kernel changes the repeat logits
    torch.manual_seed(0)
    zero_cfg = replace(cfg, repurchase=True, repurchase_weight=0.0)
    zero = build_model(zero_cfg).eval()
    with torch.no_grad():
        z = zero(index.batch(rows, sel, zero_cfg))[0]
    assert torch.allclose(z, a)  # zero initial weights: the kernel starts as a no-op
    rec = SequenceRecommender(replace(TINY, arch="gru", repurchase=True)).fit(sp, FAST)
    s = rec.score(sp.log, [Target(t.user, t.cutoff, t.items, t.context) for t in sp.test])
    assert np.isfinite(s[:, 1:]).all()
    again = SequenceRecommender.from_state(rec.state()).score(sp.log, sp.test)
    assert np.allclose(s, again)
