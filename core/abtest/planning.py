"""Planning an A/B test: units per arm for an effect, the effect a traffic level can detect, how
many days that takes, and one plain sentence of it all. Two-sided two-sample t tests (the power from
the noncentral t, so a small test is not promised more power than it has), equal split, the
baseline's variance in every arm, Bonferroni over the arms against control (as the intervals in
``core.abtest.stats``). Raises ValueError only for impossible settings."""

from __future__ import annotations

import math

from scipy import optimize
from scipy import stats as sps

from core.abtest.stats import interval_alpha

_SEARCH = 1_000  # t-based n above the z-based first guess, at most (it is a few units in practice)


def _check(alpha: float, power: float, arms: int) -> float:
    """The per-comparison alpha (Bonferroni), after checking the settings."""
    if not (0 < alpha < 1 and 0 < power < 1 and arms >= 2):
        raise ValueError("alpha and power must be in (0, 1) and arms at least 2")
    return interval_alpha(alpha, arms - 1)


def _z_sum(a: float, power: float) -> float:
    return float(sps.norm.ppf(1 - a / 2) + sps.norm.ppf(power))


def _t_power(n: float, effect: float, a: float) -> float:
    """Power of a two-sided two-sample t test, n per arm, standardized effect ``effect`` = delta / sd:
    P(|T| > t_{1-a/2, 2n-2}) with T noncentral t, df = 2n - 2, noncentrality effect * sqrt(n / 2)."""
    df = 2 * n - 2
    crit = float(sps.t.ppf(1 - a / 2, df))
    nc = effect * math.sqrt(n / 2)
    return float(sps.nct.sf(crit, df, nc) + sps.nct.cdf(-crit, df, nc))


def power_at(n_per_arm: float, baseline_mean: float, baseline_sd: float, rel_mde: float, alpha: float = 0.05,
          arms: int = 2) -> float:
    """The chance that a test with n_per_arm units per arm finds a true relative effect rel_mde."""
    a = _check(alpha, 0.5, arms)
    if n_per_arm < 2 or not baseline_sd > 0:
        return float("nan") if n_per_arm < 2 else 1.0
    return _t_power(n_per_arm, abs(rel_mde * baseline_mean) / baseline_sd, a)


def sample_size(baseline_mean: float, baseline_sd: float, rel_mde: float, alpha: float = 0.05,
                power: float = 0.8, arms: int = 2) -> int:
    """Units per arm for a two-sided two-sample t test, equal split, baseline variance in both arms.

    The smallest n whose noncentral-t power (``_t_power``) reaches ``power``, searched upward from
    the normal approximation n_z = 2 (z_{1-a/2} + z_power)^2 sd^2 / (rel_mde * mean)^2, which it
    never undercuts; a = alpha/(arms-1) (Bonferroni). For a 0/1 metric pass sd = sqrt(p(1-p)).
    Raises ValueError for a zero effect or bad settings.
    """
    a = _check(alpha, power, arms)
    delta = abs(rel_mde * baseline_mean)
    if not delta > 0:
        raise ValueError("rel_mde and baseline_mean must be non-zero")
    if not baseline_sd > 0:
        return 2
    effect = delta / baseline_sd
    n = max(2, math.ceil(2 * (_z_sum(a, power) / effect) ** 2 - 1e-9))
    for candidate in range(n, n + _SEARCH):
        if _t_power(candidate, effect, a) >= power:
            return candidate
    return n + _SEARCH  # not reached: the t and z answers differ by a few units


def mde(n_per_arm: float, baseline_mean: float, baseline_sd: float, alpha: float = 0.05, power: float = 0.8,
        arms: int = 2) -> float:
    """Relative minimum detectable effect with n_per_arm units per arm (inverse of ``sample_size``):
    the effect whose noncentral-t power is exactly ``power``."""
    a = _check(alpha, power, arms)
    if n_per_arm < 2 or baseline_mean == 0:
        return float("inf")
    guess = _z_sum(a, power) * math.sqrt(2 / n_per_arm)
    high = guess * 2
    while _t_power(n_per_arm, high, a) < power:
        high *= 2
    effect = optimize.brentq(lambda d: _t_power(n_per_arm, d, a) - power, 0.0, high, xtol=1e-12)
    return effect * baseline_sd / abs(baseline_mean)


def days_needed(units_per_arm: float, daily_units: float, arms: int = 2, share_in_test: float = 1.0) -> float:
    """Days until every arm has units_per_arm, when share_in_test of daily_units enter the test."""
    flow = daily_units * share_in_test
    return units_per_arm * arms / flow if flow > 0 else float("inf")


def _duration(days: float) -> str:
    if days < 21:
        d = max(1, math.ceil(days))
        return f"about {d} day{'s' if d > 1 else ''}"
    if days < 183:
        return f"about {round(days / 7)} weeks"
    if days <= 730:
        return f"about {round(days / 30.44)} months"
    return "more than 2 years"


def power_sentence(daily_units: float, baseline_mean: float, baseline_sd: float, rel_mde: float,
                   alpha: float = 0.05, power: float = 0.8, arms: int = 2, unit: str = "visitors") -> str:
    """How long detecting rel_mde takes at this traffic, in plain words."""
    try:
        n = sample_size(baseline_mean, baseline_sd, rel_mde, alpha, power, arms)
    except ValueError as e:
        return f"Can't plan this test: {e}."
    lift = f"detecting a {rel_mde * 100:+.3g}% lift needs"
    if daily_units <= 0:
        return f"With no {unit} yet, {lift} {n:,} {unit} per arm."
    when = _duration(days_needed(n, daily_units, arms))
    return f"With {daily_units:,.0f} {unit} a day, {lift} {when} ({n:,} {unit} per arm)."
