"""Planning an A/B test: units per arm for an effect, the effect a traffic level can detect, how
many days that takes, and one plain sentence of it all. Two-sided z tests, equal split, the
baseline's variance in every arm, Bonferroni over the arms against control (as the intervals
in ``core.abtest.stats``). Raises ValueError only for impossible settings."""

from __future__ import annotations

import math

from scipy import stats as sps

from core.abtest.stats import interval_alpha


def _z_sum(alpha: float, power: float, arms: int) -> float:
    if not (0 < alpha < 1 and 0 < power < 1 and arms >= 2):
        raise ValueError("alpha and power must be in (0, 1) and arms at least 2")
    return float(sps.norm.ppf(1 - interval_alpha(alpha, arms - 1) / 2) + sps.norm.ppf(power))


def sample_size(baseline_mean: float, baseline_sd: float, rel_mde: float, alpha: float = 0.05,
                power: float = 0.8, arms: int = 2) -> int:
    """Units per arm for a two-sided z test, equal split, baseline variance in both arms.

    n = 2 (z_{1-a/2} + z_power)^2 sd^2 / (rel_mde * mean)^2 with a = alpha/(arms-1) (Bonferroni).
    For a 0/1 metric pass sd = sqrt(p(1-p)). Raises ValueError for a zero effect or bad settings.
    """
    delta = abs(rel_mde * baseline_mean)
    if not delta > 0:
        raise ValueError("rel_mde and baseline_mean must be non-zero")
    n = 2 * (_z_sum(alpha, power, arms) * baseline_sd / delta) ** 2
    return max(2, math.ceil(n))


def mde(n_per_arm: float, baseline_mean: float, baseline_sd: float, alpha: float = 0.05, power: float = 0.8,
        arms: int = 2) -> float:
    """Relative minimum detectable effect with n_per_arm units per arm (inverse of ``sample_size``)."""
    if n_per_arm <= 0 or baseline_mean == 0:
        return float("inf")
    return _z_sum(alpha, power, arms) * baseline_sd * math.sqrt(2 / n_per_arm) / abs(baseline_mean)


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
