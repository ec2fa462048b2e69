"""Off-policy evaluation: hand-computed estimates, unbiasedness on simulated logs, diagnostics, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.abtest import crossfit, ope

Z95 = 1.959963984540054

# A 5-round log written out by hand.
REWARD = [1.0, 0.0, 1.0, 1.0, 0.0]
PSCORE = [0.25, 0.5, 0.5, 0.2, 0.8]
PI_E = [0.5, 1.0, 0.25, 0.4, 0.0]  # weights w = [2, 2, 0.5, 2, 0]
Q_LOGGED = [0.5, 0.25, 0.5, 0.5, 0.25]
Q_TARGET = [0.5, 0.25, 0.4, 0.6, 0.5]


def test_hand_computed_estimates() -> None:
    assert ope.weights(PI_E, PSCORE) == pytest.approx([2.0, 2.0, 0.5, 2.0, 0.0])

    # IPS = (1*0.5/0.25 + 0*1/0.5 + 1*0.25/0.5 + 1*0.4/0.2 + 0*0/0.8) / 5 = (2 + 0 + 0.5 + 2 + 0) / 5 = 0.9
    est = ope.ips(REWARD, PSCORE, PI_E)
    assert est.name == "IPS" and est.n == 5
    assert est.value == pytest.approx(0.9)
    # terms [2, 0, 0.5, 2, 0] - 0.9 = [1.1, -0.9, -0.4, 1.1, -0.9]; squares sum 1.21+0.81+0.16+1.21+0.81 = 4.2
    # sample variance (ddof=1) 4.2/4 = 1.05; se = sqrt(1.05/5) = sqrt(0.21)
    assert est.se == pytest.approx(math.sqrt(0.21))
    assert est.se == pytest.approx(np.std([2, 0, 0.5, 2, 0], ddof=1) / math.sqrt(5))
    assert (est.low, est.high) == pytest.approx((0.9 - Z95 * math.sqrt(0.21), 0.9 + Z95 * math.sqrt(0.21)))

    # SNIPS = sum(w r) / sum(w) = 4.5 / (2 + 2 + 0.5 + 2 + 0) = 4.5 / 6.5 = 9/13
    est = ope.snips(REWARD, PSCORE, PI_E)
    assert est.value == pytest.approx(9 / 13)
    # delta method: t_i = w_i (r_i - 9/13) / mean(w), mean(w) = 6.5/5 = 1.3
    t = np.array([2 * (4 / 13), 2 * (-9 / 13), 0.5 * (4 / 13), 2 * (4 / 13), 0.0]) / 1.3
    assert est.se == pytest.approx(np.std(t, ddof=1) / math.sqrt(5))

    # DM = (0.5 + 0.25 + 0.4 + 0.6 + 0.5) / 5 = 2.25 / 5 = 0.45
    assert ope.dm(Q_TARGET).value == pytest.approx(0.45)

    # DR terms: 0.5 + 2*(1-0.5) = 1.5; 0.25 + 2*(0-0.25) = -0.25; 0.4 + 0.5*(1-0.5) = 0.65;
    #           0.6 + 2*(1-0.5) = 1.6; 0.5 + 0*(0-0.25) = 0.5
    #  ->  DR = (1.5 - 0.25 + 0.65 + 1.6 + 0.5) / 5 = 4.0 / 5 = 0.8
    est = ope.dr(REWARD, PSCORE, PI_E, Q_LOGGED, Q_TARGET)
    assert est.value == pytest.approx(0.8)
    assert est.se == pytest.approx(np.std([1.5, -0.25, 0.65, 1.6, 0.5], ddof=1) / math.sqrt(5))

    names = [e.name for e in ope.estimate_all(REWARD, PSCORE, PI_E, Q_LOGGED, Q_TARGET)]
    assert names == ["IPS", "SNIPS", "DM", "DR"]
    assert [e.name for e in ope.estimate_all(REWARD, PSCORE, PI_E)] == ["IPS", "SNIPS"]
    wide = ope.ips(REWARD, PSCORE, PI_E, alpha=0.01)  # 99%: z = 2.5758
    assert wide.high == pytest.approx(0.9 + 2.5758293035489 * math.sqrt(0.21))


def test_reward_model_shrinkage_by_hand() -> None:
    action, reward, group = [0, 0, 0, 1], [1.0, 1.0, 0.0, 0.0], ["a", "a", "b", "b"]
    # global mean 2/4 = 0.5; prior k = 2
    # action 0: (2 + 2*0.5) / (3 + 2) = 0.6;  action 1: (0 + 2*0.5) / (1 + 2) = 1/3
    model = crossfit.fit_reward_model(action, reward, n_actions=2, prior=2.0)
    assert model.action_mean == pytest.approx([0.6, 1 / 3])
    # cells shrink toward their action: (a,0) (2 + 2*0.6)/(2+2) = 0.8; (b,0) (0 + 1.2)/3 = 0.4;
    # (b,1) (0 + 2/3)/3 = 2/9; (a,1) unseen -> 1/3; unseen group "c" -> the action means
    model = crossfit.fit_reward_model(action, reward, n_actions=2, group=group, prior=2.0)
    table = model.table(["a", "b", "c"])
    assert table == pytest.approx(np.array([[0.8, 1 / 3], [0.4, 2 / 9], [0.6, 1 / 3]]))
    assert model.predict([0, 1], ["a", "b"]) == pytest.approx([0.8, 2 / 9])


def test_crossfit_q_is_out_of_fold() -> None:
    rng = np.random.default_rng(3)
    action = rng.integers(0, 4, 200)
    reward = rng.random(200)
    group = rng.integers(0, 3, 200)
    q = crossfit.crossfit_q(action, reward, 4, group, n_folds=2, seed=1)
    changed = reward.copy()
    changed[0] += 10.0
    q2 = crossfit.crossfit_q(action, changed, 4, group, n_folds=2, seed=1)
    assert np.array_equal(q[0], q2[0])  # round 0's own reward never enters its prediction
    assert (np.abs(q2 - q).max(axis=1) > 0).sum() == 100  # ... but does enter the other fold's


# Synthetic contextual bandit: 50 contexts, 20 actions, click probabilities from a logistic model.
X, A, N, LOGS = 50, 20, 2_000, 200


def _softmax(score: np.ndarray, temperature: float) -> np.ndarray:
    z = score / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def simulation() -> dict:
    rng = np.random.default_rng(0)
    logit = rng.normal(0, 0.8, A)[None, :] + rng.normal(0, 0.5, X)[:, None] + rng.normal(0, 0.8, (X, A))
    r = 1 / (1 + np.exp(-logit))
    # logging: softmax of a noisy score (temperature 0.2), mixed with 10% uniform -> every propensity >= 0.5%
    pi0 = 0.9 * _softmax(r + rng.normal(0, 0.1, (X, A)), 0.2) + 0.1 / A
    # target: 80% on the best action by another noisy score, 20% uniform
    pie = np.full((X, A), 0.2 / A)
    pie[np.arange(X), np.argmax(r + rng.normal(0, 0.1, (X, A)), axis=1)] += 0.8
    true_value = float((pie * r).sum(axis=1).mean())  # contexts are drawn uniformly
    v_x = (pie * r).sum(axis=1)
    cdf = pi0.cumsum(axis=1)
    out: dict[str, list[ope.Estimate]] = {"IPS": [], "SNIPS": [], "DM": [], "DR": [], "DR exact q": []}
    for log in range(LOGS):
        x = rng.integers(0, X, N)
        a = np.minimum((rng.random(N)[:, None] > cdf[x]).sum(axis=1), A - 1)
        y = (rng.random(N) < r[x, a]).astype(float)
        ps, pe = pi0[x, a], pie[x, a]
        out["IPS"].append(ope.ips(y, ps, pe))
        out["SNIPS"].append(ope.snips(y, ps, pe))
        dm_est, dr_est = crossfit.crossfit_dr(y, ps, pe, a, x, pie[x], n_folds=2, seed=log)
        out["DM"].append(dm_est)
        out["DR"].append(dr_est)
        out["DR exact q"].append(ope.dr(y, ps, pe, r[x, a], v_x[x]))
    assert pi0.min() >= 0.005
    return {"V": true_value, "est": out}


@pytest.mark.parametrize("name", ["IPS", "SNIPS", "DR"])
def test_unbiased_on_simulated_logs(simulation: dict, name: str) -> None:
    ests = simulation["est"][name]
    values = np.array([e.value for e in ests])
    sd = values.std(ddof=1)
    se_of_mean = sd / math.sqrt(LOGS)
    assert abs(values.mean() - simulation["V"]) < 2 * se_of_mean
    # the reported se matches the spread of the estimates across logs
    assert np.mean([e.se for e in ests]) == pytest.approx(sd, rel=0.25)


@pytest.mark.parametrize("name", ["IPS", "DR"])
def test_intervals_cover(simulation: dict, name: str) -> None:
    cover = np.mean([e.low <= simulation["V"] <= e.high for e in simulation["est"][name]])
    assert cover >= 0.90


def test_dm_bias_is_detected(simulation: dict) -> None:
    # the shrunk-mean qhat is confounded by the logging policy: the 2-se check does catch a biased estimator
    values = np.array([e.value for e in simulation["est"]["DM"]])
    assert abs(values.mean() - simulation["V"]) > 2 * values.std(ddof=1) / math.sqrt(LOGS)


def test_dr_with_exact_q_beats_ips(simulation: dict) -> None:
    sd = {k: np.std([e.value for e in simulation["est"][k]], ddof=1) for k in ("IPS", "DR exact q")}
    assert sd["DR exact q"] / sd["IPS"] < 0.7


def test_diagnostics_warn_on_unsupported_target() -> None:
    pi0 = np.array([0.6, 0.3, 0.097, 0.003, 0.0])
    pie = np.array([0.0, 0.0, 0.1, 0.4, 0.5])  # half its mass on action 4, which the logger never shows
    rng = np.random.default_rng(5)
    a = rng.choice(5, size=5_000, p=pi0)
    assert (a == 3).any()
    n = a.size
    d = ope.diagnostics(pi0[a], pie[a], np.tile(pie, (n, 1)), np.tile(pi0, (n, 1)))
    assert d.n == n
    assert d.ess_share < 0.10
    assert d.unsupported_mass == pytest.approx(0.5)
    assert d.max_weight == pytest.approx(0.4 / 0.003)
    assert abs(d.mean_weight - 1) > 0.1
    text = " ".join(d.warnings)
    assert f"of the {n} logged visits inform this estimate" in text
    assert "rarely showed; estimates are unreliable" in text
    assert "50.0% of the target policy's choices" in text
    assert len(d.warnings) == 4  # low ESS, mean weight, max weight, unsupported mass
    assert math.isnan(ope.diagnostics(pi0[a], pie[a]).unsupported_mass)


def test_diagnostics_quiet_when_target_is_logger() -> None:
    pi0 = np.array([0.5, 0.3, 0.2])
    a = np.random.default_rng(6).choice(3, size=1_000, p=pi0)
    d = ope.diagnostics(pi0[a], pi0[a], np.tile(pi0, (1_000, 1)), np.tile(pi0, (1_000, 1)))
    assert d.ess == pytest.approx(1_000) and d.ess_share == pytest.approx(1.0)
    assert d.mean_weight == pytest.approx(1.0) and d.max_weight == pytest.approx(1.0)
    assert d.unsupported_mass == 0.0
    assert d.warnings == []


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match=r"pscore must lie in \(0, 1\]; pscore\[2\] = 0"):
        ope.ips([1, 0, 1], [0.5, 0.5, 0.0], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"pscore\[0\]"):
        ope.diagnostics([1.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"pi_e_logged\[1\]"):
        ope.snips([1, 0], [0.5, 0.5], [0.5, -0.1])
    with pytest.raises(ValueError, match=r"reward must be finite; reward\[1\] = nan"):
        ope.ips([1, float("nan")], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"reward has length 2, expected 3"):
        ope.ips([1, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"q_logged"):
        ope.dr([1, 0], [0.5, 0.5], [0.5, 0.5], [0.1], [0.2, 0.2])
    with pytest.raises(ValueError, match=r"differ at index 1"):
        pi_e_full = [[0.5, 0.5], [0.9, 0.1], [0.5, 0.5], [0.5, 0.5]]  # row 1 gives action 1 prob 0.1, not 0.5
        crossfit.crossfit_dr([1, 0, 1, 0], [0.5] * 4, [0.5] * 4, [0, 1, 0, 1], None, pi_e_full)
    with pytest.raises(ValueError, match=r"action\[1\] = 7"):
        crossfit.fit_reward_model([0, 7], [1.0, 0.0], n_actions=3)


def test_dm_has_no_interval_where_its_model_is_mostly_fallback(simulation: dict) -> None:
    # 2,000 rounds over 50 x 20 cells: DM is mostly its fallback, biased, and says so
    for est in simulation["est"]["DM"]:
        assert math.isnan(est.low) and math.isnan(est.high) and math.isfinite(est.value)
        assert "has no interval" in est.note


def _dm_world(rng: np.random.Generator, x_n: int, a_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    logit = (rng.normal(0, 0.8, a_n)[None, :] + rng.normal(0, 0.5, x_n)[:, None]
             + rng.normal(0, 0.8, (x_n, a_n)))
    r = 1 / (1 + np.exp(-logit))
    pi0 = 0.5 * _softmax(r + rng.normal(0, 0.1, (x_n, a_n)), 0.2) + 0.5 / a_n
    pie = np.full((x_n, a_n), 0.2 / a_n)
    pie[np.arange(x_n), np.argmax(r + rng.normal(0, 0.1, (x_n, a_n)), axis=1)] += 0.8
    return r, pi0, pie


def test_dm_bootstrap_interval_covers_where_its_model_is_supported() -> None:
    # 60 worlds (3 groups x 4 products, 15,000 logged rounds each), a new world per test: where DM
    # gives an interval, the bootstrap over the cross-fit (100 refits) covers the truth; the plain
    # mean's interval does not
    rng = np.random.default_rng(21)
    boot, plain = [], []
    for world in range(60):
        r, pi0, pie = _dm_world(rng, 3, 4)
        truth = float((pie * r).sum(axis=1).mean())
        x = rng.integers(0, 3, 15_000)
        a = np.minimum((rng.random(x.size)[:, None] > pi0.cumsum(axis=1)[x]).sum(axis=1), 3)
        y = (rng.random(x.size) < r[x, a]).astype(float)
        est, _ = crossfit.crossfit_dr(y, pi0[x, a], pie[x, a], a, x, pie[x], seed=world, replicates=100)
        naive, _ = crossfit.crossfit_dr(y, pi0[x, a], pie[x, a], a, x, pie[x], seed=world, replicates=0)
        plain.append(naive.low <= truth <= naive.high)
        if math.isnan(est.low):  # its model leaned on the fallback: no interval, a note instead
            assert "has no interval" in est.note
            continue
        boot.append(est.low <= truth <= est.high)
    assert len(boot) >= 45  # most of these worlds log enough for an interval
    assert np.mean(boot) >= 0.88, (len(boot), np.mean(boot))  # measured: 49 of 60, 0.898
    assert np.mean(plain) < 0.5  # measured: 0.183
