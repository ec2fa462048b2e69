"""A/B statistics checked on synthetic worlds with a known true effect.

Coverage of the intervals, the false-positive rate, the always-valid guarantee under daily peeking
(and that naive peeking fails it), SRM, CUPED, planning arithmetic and the plain-language verdict.
Coverage uses 1,000 repeats (not 200): a 93% bar then sits ~3 standard errors below 95%, where
with 200 repeats a perfectly calibrated interval would miss it about one time in ten. Thousands of
A/A tests go through the vectorised core (``stats._lift_from_moments``) that the public functions
use, checked against them on one repeat.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from core.abtest import planning, stats

REPEATS = 1000


def covered(lifts: list[stats.Lift], abs_true: float, rel_true: float) -> tuple[float, float]:
    """Share of intervals covering the true absolute and relative lift."""
    a = np.mean([f.abs_low <= abs_true <= f.abs_high for f in lifts])
    r = np.mean([f.rel_low <= rel_true <= f.rel_high for f in lifts])
    return float(a), float(r)


def bernoulli_moments(k: np.ndarray, n: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the mean (ddof=1) of 0/1 data with k ones out of n."""
    n = np.asarray(n, dtype=float)
    return k / n, (k - k**2 / n) / (n - 1) / n


# 1. coverage ---------------------------------------------------------------------------------------

def arms_of_ones_and_zeros(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Per-visitor 0/1 conversions (their order does not matter to the statistics)."""
    x = np.zeros(n)
    x[: rng.binomial(n, p)] = 1.0
    return x


def test_conversion_interval_covers_true_lift():
    rng = np.random.default_rng(11)
    n, pc, pt = 20_000, 0.05, 0.055
    lifts = [stats.mean_lift(arms_of_ones_and_zeros(rng, n, pc), arms_of_ones_and_zeros(rng, n, pt),
                             metric="conversion") for _ in range(REPEATS)]
    cov_abs, cov_rel = covered(lifts, pt - pc, pt / pc - 1)
    assert cov_abs >= 0.93 and cov_rel >= 0.93, (cov_abs, cov_rel)
    # verdict never says better/worse when the interval covers 0
    for lift in lifts:
        says = stats.verdict(lift)
        assert ("better" in says) == (lift.rel_low > 0 and lift.abs_low > 0)
        assert "worse" not in says or lift.rel_high < 0
        assert ("Not enough evidence" in says) == ("better" not in says and "worse" not in says)


def revenue(rng: np.random.Generator, n: int, buy: float, scale: float) -> np.ndarray:
    """Revenue per visitor: a share ``buy`` spends scale * LogNormal(3, 1.2), the rest 0."""
    x = np.zeros(n)
    k = rng.binomial(n, buy)
    x[:k] = rng.lognormal(3.0, 1.2, k) * scale
    return x


def test_revenue_interval_covers_true_lift():
    rng = np.random.default_rng(12)
    n, buy, scale = 20_000, 0.05, 1.10
    true_c = buy * math.exp(3.0 + 1.2**2 / 2)  # mean revenue per visitor
    lifts = [stats.mean_lift(revenue(rng, n, buy, 1.0), revenue(rng, n, buy, scale)) for _ in range(REPEATS)]
    cov_abs, cov_rel = covered(lifts, true_c * (scale - 1), scale - 1)
    assert cov_abs >= 0.93 and cov_rel >= 0.93, (cov_abs, cov_rel)
    # the percentile bootstrap agrees with the delta method on this metric
    c, t = revenue(rng, n, buy, 1.0), revenue(rng, n, buy, scale)
    lifts = [stats.mean_lift(c, t)]
    low, high = stats.bootstrap_lift(c, t, n_boot=1000, seed=1)
    width = lifts[0].rel_high - lifts[0].rel_low
    assert abs(low - lifts[0].rel_low) < 0.15 * width and abs(high - lifts[0].rel_high) < 0.15 * width
    assert stats.bootstrap_lift(c, t, n_boot=1000, seed=1) == (low, high)


def clicks_world(rng: np.random.Generator, shape: tuple[int, int], ctr: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-user impressions 1+Poisson(4), clicks ~ Binomial(impressions, p_u), p_u ~ Beta with mean ctr."""
    imps = 1 + rng.poisson(4.0, shape)
    p_user = rng.beta(2.0, 2.0 * (1 - ctr) / ctr, shape)
    return rng.binomial(imps, p_user).astype(float), imps.astype(float)


def test_ratio_interval_covers_true_lift():
    rng = np.random.default_rng(13)
    n, pc, pt = 10_000, 0.05, 0.055  # users per arm; ~50,000 impressions
    lifts = []
    for _ in range(REPEATS // 100):
        nc, dc = clicks_world(rng, (100, n), pc)
        nt, dt = clicks_world(rng, (100, n), pt)
        lifts += [stats.ratio_lift(nc[i], dc[i], nt[i], dt[i]) for i in range(100)]
    cov_abs, cov_rel = covered(lifts, pt - pc, pt / pc - 1)
    assert cov_abs >= 0.93 and cov_rel >= 0.93, (cov_abs, cov_rel)


# 2. false positives --------------------------------------------------------------------------------

def test_false_positive_rate_is_alpha():
    rng = np.random.default_rng(21)
    # conversion, 4,000 A/A tests of 20,000 users per arm
    kc, kt = rng.binomial(20_000, 0.05, 4000), rng.binomial(20_000, 0.05, 4000)
    (mc, vc), (mt, vt) = bernoulli_moments(kc, 20_000), bernoulli_moments(kt, 20_000)
    fpr_conv = np.mean(stats._lift_from_moments(mc, vc, 20_000, mt, vt, 20_000)["p"] < 0.05)
    # heavy-tailed revenue, 2,000 A/A tests of 1,000 visitors per arm
    c, t = ((rng.random((2000, 1000)) < 0.2) * rng.lognormal(3.0, 1.2, (2000, 1000)) for _ in range(2))
    (mc, vc, n1), (mt, vt, n2) = stats._mean_moments(c), stats._mean_moments(t)
    p_rev = stats._lift_from_moments(mc, vc, n1, mt, vt, n2)["p"]
    fpr_rev = np.mean(p_rev < 0.05)
    assert p_rev[0] == pytest.approx(stats.mean_lift(c[0], t[0]).p_value)
    # ratio metric, 2,000 A/A tests of 2,000 users per arm
    (nc, dc), (nt, dt) = (clicks_world(rng, (2000, 2000), 0.05) for _ in range(2))
    (mc, vc, n1), (mt, vt, n2) = stats._ratio_moments(nc, dc), stats._ratio_moments(nt, dt)
    p_ratio = stats._lift_from_moments(mc, vc, n1, mt, vt, n2, kind="z")["p"]
    fpr_ratio = np.mean(p_ratio < 0.05)
    assert p_ratio[0] == pytest.approx(stats.ratio_lift(nc[0], dc[0], nt[0], dt[0]).p_value)
    for fpr in (fpr_conv, fpr_rev, fpr_ratio):
        assert 0.03 <= fpr <= 0.07, (fpr_conv, fpr_rev, fpr_ratio)


# 3. sequential -------------------------------------------------------------------------------------

def daily_looks(rng: np.random.Generator, repeats: int, days: int, per_day: int, pc: float, pt: float
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Sequential and naive lift fields at every daily look, shape (repeats, days); cumulative data."""
    kc = np.cumsum(rng.binomial(per_day, pc, (repeats, days)), axis=1)
    kt = np.cumsum(rng.binomial(per_day, pt, (repeats, days)), axis=1)
    n = per_day * np.arange(1, days + 1)
    (mc, vc), (mt, vt) = bernoulli_moments(kc, n), bernoulli_moments(kt, n)
    n_star = 2 * per_day * days  # the planned total, fixed before the test
    seq = stats._lift_from_moments(mc, vc, n, mt, vt, n, kind="seq", n_star=n_star)
    naive = stats._lift_from_moments(mc, vc, n, mt, vt, n, kind="z")
    return seq, naive, kc


def test_sequential_survives_daily_peeking():
    rng = np.random.default_rng(31)
    seq, naive, kc = daily_looks(rng, 2000, 30, 300, 0.05, 0.05)
    seq_any = np.mean((seq["p"] < 0.05).any(axis=1))
    rel_any = np.mean(((seq["rel_low"] > 0) | (seq["rel_high"] < 0)).any(axis=1))
    naive_any = np.mean((naive["p"] < 0.05).any(axis=1))
    assert seq_any <= 0.05 and rel_any <= 0.05, (seq_any, rel_any)
    assert naive_any > 0.10, naive_any  # the check has teeth: peeking at a fixed-horizon test fails
    # p < alpha exactly when the always-valid interval excludes 0
    excl = (seq["abs_low"] > 0) | (seq["abs_high"] < 0)
    assert np.array_equal(excl, seq["p"] < 0.05)


def test_sequential_public_matches_core_and_is_wider():
    rng = np.random.default_rng(32)
    c, t = rng.random(9000) < 0.05, rng.random(9000) < 0.06
    n_star = 18_000
    seq = stats.sequential_lift(c, t, metric="conversion", n_star=n_star)
    fixed = stats.mean_lift(c, t)
    assert seq.sequential and not fixed.sequential
    assert seq.abs_high - seq.abs_low > fixed.abs_high - fixed.abs_low
    assert seq.p_value >= fixed.p_value
    (mc, vc), (mt, vt) = bernoulli_moments(c.sum(), 9000), bernoulli_moments(t.sum(), 9000)
    core = stats._lift_from_moments(mc, vc, 9000, mt, vt, 9000, kind="seq", n_star=n_star)
    assert seq.abs_low == pytest.approx(float(core["abs_low"]))
    assert seq.p_value == pytest.approx(float(core["p"]))
    # GrowthBook's formula written out
    la = -2 * math.log(0.05)
    rho2 = (la + math.log(la + 1)) / n_star
    big_n = 18_000
    sigma = math.sqrt(float(vc + vt)) * math.sqrt(big_n)
    log_term = math.log(math.sqrt(big_n * rho2 + 1) / 0.05)
    half = sigma * math.sqrt(2 * (big_n * rho2 + 1) / (big_n**2 * rho2) * log_term)
    assert seq.abs_high - seq.abs_lift == pytest.approx(half)
    # the ratio form: ratio_of and sequential_ratio_lift agree
    num, den = c * 1.0, np.ones(9000)
    r1 = stats.sequential_lift(None, None, n_star=n_star, ratio_of=(num, den, t * 1.0, den))
    r2 = stats.sequential_ratio_lift(num, den, t * 1.0, den, n_star=n_star)
    assert r1 == r2 and r1.sequential
    assert "always-valid" in stats.verdict(seq)


def test_sequential_detects_a_real_effect():
    rng = np.random.default_rng(33)
    seq, _, _ = daily_looks(rng, 500, 60, 1000, 0.10, 0.11)
    detected = (seq["abs_low"] > 0).any(axis=1)
    wrong_way = (seq["abs_high"] < 0).any(axis=1)
    assert detected.mean() >= 0.8 and wrong_way.mean() < 0.01, (detected.mean(), wrong_way.mean())


# 4. sample-ratio mismatch --------------------------------------------------------------------------

def test_srm():
    broken = stats.srm([5200, 4800], [0.5, 0.5])
    assert broken.flagged and broken.p_value < 0.001 and broken.chi2 == pytest.approx(16.0)
    assert "52.0%" in broken.message and "broken" in broken.message
    fine = stats.srm([5000, 5000], [0.5, 0.5])
    assert not fine.flagged and fine.p_value == pytest.approx(1.0)
    rng = np.random.default_rng(41)
    a = rng.binomial(10_000, 0.5, 500)
    assert np.mean([stats.srm([x, 10_000 - x], [0.5, 0.5]).flagged for x in a]) < 0.01
    assert not stats.srm([3400, 3300, 3300], [1, 1, 1]).flagged  # shares are normalised
    three = stats.srm([3600, 3200, 3200], [1 / 3, 1 / 3, 1 / 3])
    assert three.flagged and three.expected == pytest.approx((10_000 / 3,) * 3)
    empty = stats.srm([0, 0], [0.5, 0.5])
    assert not empty.flagged and math.isnan(empty.p_value)


# 5. CUPED ------------------------------------------------------------------------------------------

def test_cuped_narrows_and_covers():
    rng = np.random.default_rng(51)
    n, rho, effect = 2000, 0.7, 0.15
    ratios, lifts, thetas = [], [], []
    for _ in range(REPEATS):
        x = rng.standard_normal((2, n))
        y = 10 + rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((2, n))
        y[1] += effect
        adj_c, adj_t, theta = stats.cuped(y[0], x[0], y[1], x[1])
        plain, cup = stats.mean_lift(y[0], y[1]), stats.mean_lift(adj_c, adj_t)
        ratios.append(((cup.abs_high - cup.abs_low) / (plain.abs_high - plain.abs_low)) ** 2)
        lifts.append(cup)
        thetas.append(theta)
    assert np.mean(ratios) == pytest.approx(1 - rho**2, abs=0.02)
    assert np.mean(thetas) == pytest.approx(rho, abs=0.01)
    cov_abs, cov_rel = covered(lifts, effect, effect / 10)
    assert cov_abs >= 0.93 and cov_rel >= 0.93, (cov_abs, cov_rel)
    assert stats.cuped_lift(y[0], x[0], y[1], x[1]) == lifts[-1]
    # a covariate that does not vary changes nothing
    adj_c, adj_t, theta = stats.cuped(y[0], np.ones(n), y[1], np.ones(n))
    assert theta == 0.0 and np.array_equal(adj_c, y[0])


# 6. multiple comparisons and planning --------------------------------------------------------------

def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    out = stats.holm([0.01, np.nan, 0.02])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)
    assert stats.interval_alpha(0.05, 3) == pytest.approx(0.05 / 3)


def test_sample_size_mde_and_sentence():
    p, sd = 0.05, math.sqrt(0.05 * 0.95)
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)  # 1.959964 + 0.841621 = 2.801585
    by_hand = math.ceil(2 * z**2 * 0.0475 / 0.005**2)  # 2 * 7.848879 * 0.0475 / 0.000025 = 29,825.7
    n = planning.sample_size(p, sd, 0.10)
    assert by_hand == 29_826 and n == 29_827  # the t test needs one more (statsmodels: 29,826.6)
    # textbook range: with the treatment's own variance 0.055*0.945 in place of the baseline's it is 31,231
    assert 29_000 < n < 32_000
    assert planning.sample_size(p, sd, 0.10, arms=3) > n  # Bonferroni over two comparisons
    assert planning.mde(n, p, sd) == pytest.approx(0.10, rel=1e-4) and planning.mde(n, p, sd) <= 0.10
    assert planning.sample_size(p, sd, planning.mde(12_345, p, sd)) in (12_345, 12_346)
    assert planning.days_needed(n, 800) == pytest.approx(2 * 29_827 / 800)
    assert planning.days_needed(1000, 100, share_in_test=0.5) == pytest.approx(40.0)
    assert planning.power_sentence(800, p, sd, 0.10) == (
        "With 800 visitors a day, detecting a +10% lift needs about 11 weeks (29,827 visitors per arm).")
    assert "about 3 days" in planning.power_sentence(20_000, p, sd, 0.10)
    assert "months" in planning.power_sentence(200, p, sd, 0.10)
    assert "more than 2 years" in planning.power_sentence(20, p, sd, 0.10)
    assert planning.power_sentence(800, p, sd, 0.0).startswith("Can't plan")


def lift(rel: float, low: float, high: float, sequential: bool = False) -> stats.Lift:
    b = 0.05  # control conversion
    return stats.Lift("conversion", b, b * (1 + rel), b * rel, b * low, b * high, rel, low, high,
                      0.01, 1000, 1000, 0.05, sequential)


def test_verdict_wording():
    assert stats.verdict(lift(0.041, 0.012, 0.070)) == (
        "B is better: +4.1% conversion (95% interval +1.2% to +7.0%).")
    assert stats.verdict(lift(-0.041, -0.070, -0.012)).startswith("B is worse: -4.1% conversion")
    assert stats.verdict(lift(-0.041, -0.070, -0.012), higher_is_better=False).startswith("B is better")
    assert stats.verdict(lift(0.021, -0.020, 0.063)) == (
        "Not enough evidence yet: the lift is between -2.0% and +6.3% (95% interval); "
        "a real difference this small would need more traffic.")
    assert "always-valid" in stats.verdict(lift(0.041, 0.012, 0.070, sequential=True))
    assert stats.verdict(stats.mean_lift([], [1.0])).startswith("Can't tell")


# 7. ratio by hand and degenerate input -------------------------------------------------------------

def test_ratio_lift_by_hand():
    num_c, den_c = [1, 0, 2, 3], [2, 1, 4, 3]  # R = 6/10 = 0.6, mean den 2.5
    num_t, den_t = [2, 1, 0, 3, 4], [3, 2, 1, 4, 5]  # R = 10/15 = 2/3, mean den 3
    # control: var_n = 5/3, var_d = 5/3, cov = 4/3 -> (5/3 - 2*0.6*4/3 + 0.36*5/3) / (4 * 2.5^2) = (2/3)/25
    var_c = (5 / 3 - 2 * 0.6 * 4 / 3 + 0.36 * 5 / 3) / (4 * 2.5**2)
    # treatment: var_n = var_d = cov = 2.5 -> 2.5 * (1 - 4/3 + 4/9) / (5 * 9) = 2.5/405
    var_t = 2.5 * (1 - 2 * (2 / 3) + (2 / 3) ** 2) / (5 * 3**2)
    assert var_c == pytest.approx(2 / 75) and var_t == pytest.approx(2.5 / 405)
    z = sps.norm.ppf(0.975)
    se_abs = math.sqrt(var_c + var_t)  # 0.181217
    se_rel = math.sqrt(var_t / 0.6**2 + (2 / 3) ** 2 * var_c / 0.6**4)  # 0.329539
    f = stats.ratio_lift(num_c, den_c, num_t, den_t, metric="ctr")
    assert f.control == pytest.approx(0.6) and f.treatment == pytest.approx(2 / 3)
    assert f.abs_lift == pytest.approx(2 / 3 - 0.6) and f.rel_lift == pytest.approx(1 / 9)
    assert f.abs_low == pytest.approx(1 / 15 - z * se_abs)
    assert f.abs_high == pytest.approx(1 / 15 + z * se_abs)
    # the relative interval is built on the log scale: log(R_t / R_c) +- z * sqrt(var_t/R_t^2 + var_c/R_c^2)
    se_log = math.sqrt(var_t / (2 / 3) ** 2 + var_c / 0.6**2)  # 0.295863
    assert f.rel_low == pytest.approx(math.exp(math.log(10 / 9) - z * se_log) - 1)
    assert f.rel_high == pytest.approx(math.exp(math.log(10 / 9) + z * se_log) - 1)
    assert f.rel_high - f.rel_lift > f.rel_lift - f.rel_low  # asymmetric, like a ratio's distribution
    assert se_rel == pytest.approx(0.329539, abs=1e-6)  # the linear delta-method se, used for means <= 0
    assert f.p_value == pytest.approx(2 * sps.norm.sf((2 / 3 - 0.6) / se_abs))
    assert (f.n_control, f.n_treatment) == (4, 5) and not f.significant
    # a user with no impressions is kept: same ratio, one more unit
    g = stats.ratio_lift(num_c + [0], den_c + [0], num_t, den_t)
    assert g.control == pytest.approx(0.6) and g.n_control == 5
    nothing = stats.ratio_lift([0, 0], [0, 0], num_t, den_t)
    assert math.isnan(nothing.control) and math.isnan(nothing.abs_low) and math.isnan(nothing.p_value)


def test_degenerate_input_does_not_raise():
    empty = stats.mean_lift([], [1.0, 2.0])
    assert math.isnan(empty.abs_lift) and math.isnan(empty.p_value) and not empty.significant
    flat = stats.mean_lift([0.0, 0.0, 0.0], [0.0, 0.0])  # no conversions anywhere
    assert flat.abs_lift == 0 and flat.p_value == 1.0
    assert math.isnan(flat.abs_low) and math.isnan(flat.rel_lift)
    zero_base = stats.mean_lift([0.0, 0.0, 1.0, 0.0] * 10, [1.0, 0.0] * 20)
    assert zero_base.p_value < 1 and not math.isnan(zero_base.rel_lift)
    zero_c = stats.mean_lift([0.0] * 10, [1.0, 0.0] * 5)
    assert math.isnan(zero_c.rel_lift) and math.isnan(zero_c.rel_low)
    assert zero_c.abs_lift == pytest.approx(0.5) and zero_c.abs_low > 0
    assert stats.mean_lift([1.0, np.nan, 3.0], [2.0, 4.0]).n_control == 2
    assert math.isnan(stats.sequential_lift([], []).abs_lift)
    assert all(math.isnan(v) for v in stats.bootstrap_lift([], [1.0]))
    adj_c, adj_t, theta = stats.cuped([], [], [], [])
    assert theta == 0.0 and len(adj_c) == len(adj_t) == 0
