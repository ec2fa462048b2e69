"""The planner at small n: sample sizes and detectable effects from the t distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from core.abtest import planning

EFFECT = 1.5  # standardized: the normal approximation gives 7 per arm (6.98)


def _simulated_power(n: int, effect: float, alpha: float = 0.05, tests: int = 40_000) -> float:
    rng = np.random.default_rng(11)
    a = rng.normal(0.0, 1.0, size=(tests, n))
    b = rng.normal(effect, 1.0, size=(tests, n))
    return float((sps.ttest_ind(a, b, axis=1).pvalue < alpha).mean())


def test_seven_per_arm_is_not_promised_power_080() -> None:
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert np.ceil(2 * (z / EFFECT) ** 2) == 7  # the z formula's answer
    simulated = _simulated_power(7, EFFECT)
    assert 0.72 < simulated < 0.74  # what 7 per arm really gives
    n = planning.sample_size(1.0, 1.0, EFFECT)
    assert n == 9
    for m, sim in ((7, simulated), (8, _simulated_power(8, EFFECT)), (9, _simulated_power(9, EFFECT))):
        assert planning.power_at(m, 1.0, 1.0, EFFECT) == pytest.approx(sim, abs=0.008)  # 4 s.e.
    assert planning.power_at(n - 1, 1.0, 1.0, EFFECT) < 0.8 <= planning.power_at(n, 1.0, 1.0, EFFECT)
    assert planning.mde(7, 1.0, 1.0) > EFFECT  # 7 per arm detects only a larger effect


@pytest.mark.parametrize("effect", [1.5, 1.0, 0.5, 0.2, 0.05])
@pytest.mark.parametrize("arms", [2, 3])
def test_planner_agrees_with_statsmodels(effect: float, arms: int) -> None:
    power = pytest.importorskip("statsmodels.stats.power")
    alpha = 0.05 / (arms - 1)  # the planner's Bonferroni over the arms against control
    exact = power.TTestIndPower().solve_power(effect, alpha=alpha, power=0.8)
    n = planning.sample_size(1.0, 1.0, effect, arms=arms)
    assert n == int(np.ceil(exact))
    assert planning.power_at(n, 1.0, 1.0, effect, arms=arms) == pytest.approx(
        power.TTestIndPower().power(effect, n, alpha), abs=1e-9)
    assert planning.mde(n, 1.0, 1.0, arms=arms) == pytest.approx(
        power.TTestIndPower().solve_power(None, nobs1=n, alpha=alpha, power=0.8), rel=1e-4)


def test_mde_inverts_the_sample_size_at_small_n() -> None:
    for n in (3, 5, 8, 20):
        d = planning.mde(n, 1.0, 1.0)
        assert planning.power_at(n, 1.0, 1.0, d) == pytest.approx(0.8, abs=1e-9)
        assert planning.sample_size(1.0, 1.0, d * 1.0001) == n
