"""Honest A/B-test statistics: lifts with intervals, always-valid looks, split checks.

Every estimate is built from per-arm *moments* (the arm's mean or ratio, the variance of that
estimate, the number of units), so one vectorised core (``_lift_from_moments``) serves means,
ratios and the sequential version, and tests can simulate thousands of experiments at once.

- ``mean_lift``: per-unit metrics (revenue per visitor, 0/1 conversion); Welch standard error and
  Welch-Satterthwaite t quantiles. ``cuped``/``cuped_lift``: the same after CUPED (Deng et al. 2013).
- ``ratio_lift``: sum(num)/sum(den) per arm with the user as unit (clicks/impressions), delta-method
  variance per arm, normal quantiles.
- Relative lift everywhere: the point is treatment/control - 1; its interval comes from the delta
  method on the *log* ratio, log(mt/mc) +- crit * sqrt(vt/mt^2 + vc/mc^2), mapped back with exp - 1:
  asymmetric like the ratio's own distribution, it covers closer to nominal for skewed revenue with
  ~1,000 visitors per arm (bench/simulate.py). Where a mean is <= 0 the linear delta method
  (var ~ vt/mc^2 + mt^2 vc/mc^4) is used instead.
- ``sequential_lift``/``sequential_ratio_lift``: the asymptotic confidence sequence of Waudby-Smith,
  Arbour, Sinha, Kennedy & Ramdas (2023), as in GrowthBook, valid at every look. Its p-value (closed
  form, rho held fixed) is the smallest alpha whose sequence excludes 0. Fix ``n_star`` in advance.
- CUPED's relative lift uses the *adjusted* control mean as base: randomisation gives it the same
  expectation as the raw control mean, it is less noisy, and rel_lift == treatment/control - 1 holds.
- ``srm``, ``holm``, ``interval_alpha``, ``bootstrap_lift`` and ``verdict`` (plain words that never
  overstate). Sample sizes and durations are planned in ``core.abtest.planning``.

Degenerate data never raises: an empty arm gives NaN everywhere (p_value NaN); a zero or unknown
standard error (no variation, < 2 units) gives NaN intervals and p_value 1.0 if the estimates are
equal, NaN otherwise; a zero control mean gives NaN relative fields. NaNs in the data are dropped.
Variances use ddof=1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps


@dataclass(frozen=True)
class Lift:
    metric: str
    control: float  # control mean (or ratio)
    treatment: float
    abs_lift: float  # treatment - control
    abs_low: float
    abs_high: float
    rel_lift: float  # treatment / control - 1 (delta method on the ratio)
    rel_low: float
    rel_high: float
    p_value: float  # two-sided, H0: no difference
    n_control: int
    n_treatment: int
    alpha: float
    sequential: bool = False  # True: always-valid interval and p-value

    @property
    def significant(self) -> bool:
        """The interval of the absolute lift excludes 0 (False when it is unknown)."""
        return bool(self.abs_low > 0 or self.abs_high < 0)


@dataclass(frozen=True)
class SRM:
    counts: tuple[float, ...]
    expected: tuple[float, ...]
    chi2: float
    p_value: float
    flagged: bool
    message: str


def _clean(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def _mean_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean, variance of the mean and n along the last axis (NaN where undefined)."""
    n = x.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = x.sum(axis=-1) / n if n else np.full(x.shape[:-1], np.nan)
        v = ((x - m[..., None]) ** 2).sum(axis=-1) / (n - 1) / n if n >= 2 else np.full(x.shape[:-1], np.nan)
    return m, v, n


def _ratio_moments(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """sum(num)/sum(den) and its delta-method variance along the last axis."""
    n = num.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        sn, sd = num.sum(axis=-1), den.sum(axis=-1)
        r = np.where(sd != 0, sn / sd, np.nan)
        if n < 2:
            return r, np.full(r.shape, np.nan), n
        mn, md = sn / n, sd / n
        dn, dd = num - mn[..., None], den - md[..., None]
        var_n, var_d = (dn**2).sum(-1) / (n - 1), (dd**2).sum(-1) / (n - 1)
        cov = (dn * dd).sum(-1) / (n - 1)
        v = (var_n - 2 * r * cov + r**2 * var_d) / (n * md**2)
    return r, np.maximum(v, 0.0), n


def _seq_width(alpha: float, n_total: ArrayLike, n_star: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """(a = N rho^2, multiplier of the standard error) of the asymptotic confidence sequence."""
    n_total = np.asarray(n_total, dtype=float)
    n_star = n_total if n_star is None else np.asarray(n_star, dtype=float)
    la = -2 * math.log(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = n_total * (la + math.log(la + 1)) / n_star
        return a, np.sqrt(2 * (a + 1) / a * np.log(np.sqrt(a + 1) / alpha))


def _lift_from_moments(mc: ArrayLike, vc: ArrayLike, nc: ArrayLike, mt: ArrayLike, vt: ArrayLike,
                       nt: ArrayLike, alpha: float = 0.05, kind: str = "t",
                       n_star: ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Lift fields from arm estimates (m), their variances (v) and sizes (n); broadcasts.

    kind: "t" (Welch t quantiles), "z" (normal) or "seq" (always-valid confidence sequence).
    """
    mc, vc, mt, vt = (np.asarray(a, dtype=float) for a in (mc, vc, mt, vt))
    nc, nt = np.asarray(nc, dtype=float), np.asarray(nt, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = mt - mc
        se = np.sqrt(vc + vt)
        ok = np.isfinite(se) & (se > 0)
        z = np.abs(diff) / np.where(ok, se, np.nan)
        if kind == "seq":
            a, crit = _seq_width(alpha, nc + nt, n_star)  # crit(alpha) = z solved for alpha gives p:
            p = np.minimum(1.0, np.sqrt(a + 1) * np.exp(-a * z**2 / (2 * (a + 1))))
        elif kind == "t":
            df = (vc + vt) ** 2 / (vc**2 / (nc - 1) + vt**2 / (nt - 1))
            crit, p = sps.t.ppf(1 - alpha / 2, df), 2 * sps.t.sf(z, df)
        else:
            crit, p = sps.norm.ppf(1 - alpha / 2), 2 * sps.norm.sf(z)
        p = np.where(ok, p, np.where(diff == 0, 1.0, np.nan))
        half = np.where(ok, se * crit, np.nan)
        good_c = np.isfinite(mc) & (mc != 0)
        rel = np.where(good_c, mt / mc - 1, np.nan)
        rse = np.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
        # the relative interval on the log scale: log(mt / mc) +- crit * sqrt(vt / mt^2 + vc / mc^2),
        # asymmetric like the ratio's own distribution (closer to nominal for skewed revenue)
        positive = good_c & (mc > 0) & (mt > 0)
        lse = np.sqrt(vt / mt**2 + vc / mc**2)
        lok = positive & np.isfinite(lse) & (lse > 0)
        log_rel = np.log(np.where(positive, mt / mc, 1.0))
        rel_low = np.where(lok, np.exp(log_rel - lse * crit) - 1, np.nan)
        rel_high = np.where(lok, np.exp(log_rel + lse * crit) - 1, np.nan)
        rhalf = np.where(good_c & np.isfinite(rse) & (rse > 0), rse * crit, np.nan)
        rel_low = np.where(lok, rel_low, rel - rhalf)  # a zero or negative mean: the linear interval
        rel_high = np.where(lok, rel_high, rel + rhalf)
    return {"abs": diff, "abs_low": diff - half, "abs_high": diff + half, "rel": rel,
            "rel_low": rel_low, "rel_high": rel_high, "p": p, "se": se, "rel_se": rse}


Moments = tuple[tuple[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray, int]]


def _finish(arms: Moments, alpha: float, metric: str, kind: str, n_star: float | None = None) -> Lift:
    (mc, vc, nc), (mt, vt, nt) = arms
    raw = _lift_from_moments(mc, vc, nc, mt, vt, nt, alpha, kind, n_star)
    f = {k: float(np.asarray(v)) for k, v in raw.items()}
    return Lift(metric, float(mc), float(mt), f["abs"], f["abs_low"], f["abs_high"], f["rel"], f["rel_low"],
                f["rel_high"], f["p"], int(nc), int(nt), float(alpha), kind == "seq")


def _mean_arms(control: ArrayLike, treatment: ArrayLike) -> Moments:
    return _mean_moments(_clean(control)), _mean_moments(_clean(treatment))


def _ratio_arms(num_c: ArrayLike, den_c: ArrayLike, num_t: ArrayLike, den_t: ArrayLike) -> Moments:
    def arm(num: ArrayLike, den: ArrayLike) -> tuple[np.ndarray, np.ndarray, int]:
        n, d = np.asarray(num, dtype=float).ravel(), np.asarray(den, dtype=float).ravel()
        keep = np.isfinite(n) & np.isfinite(d)
        return _ratio_moments(n[keep], d[keep])

    return arm(num_c, den_c), arm(num_t, den_t)


def mean_lift(control: ArrayLike, treatment: ArrayLike, alpha: float = 0.05, metric: str = "") -> Lift:
    """Lift of per-unit means; Welch SE and t quantiles, delta-method relative interval."""
    return _finish(_mean_arms(control, treatment), alpha, metric, "t")


def ratio_lift(num_c: ArrayLike, den_c: ArrayLike, num_t: ArrayLike, den_t: ArrayLike, alpha: float = 0.05,
               metric: str = "") -> Lift:
    """Lift of sum(num)/sum(den) with users as units; units with den == 0 are kept. Normal quantiles."""
    return _finish(_ratio_arms(num_c, den_c, num_t, den_t), alpha, metric, "z")


def sequential_lift(control: ArrayLike | None, treatment: ArrayLike | None, alpha: float = 0.05,
                    metric: str = "", n_star: int | None = None,
                    ratio_of: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None) -> Lift:
    """Always-valid lift (confidence sequence), safe to look at every day.

    n_star: the total sample (both arms) the sequence is tightest at; fix it in advance (e.g. the
    planned sample) and keep it across looks. Default: the current total, which is only valid for
    a single look. ratio_of=(num_c, den_c, num_t, den_t) switches to a ratio metric and ignores
    control/treatment; ``sequential_ratio_lift`` is the same with a cleaner signature.
    """
    arms = _ratio_arms(*ratio_of) if ratio_of is not None else _mean_arms(control, treatment)
    return _finish(arms, alpha, metric, "seq", n_star)


def sequential_ratio_lift(num_c: ArrayLike, den_c: ArrayLike, num_t: ArrayLike, den_t: ArrayLike,
                          alpha: float = 0.05, metric: str = "", n_star: int | None = None) -> Lift:
    """Always-valid lift of a ratio metric (see ``ratio_lift`` and ``sequential_lift``)."""
    return _finish(_ratio_arms(num_c, den_c, num_t, den_t), alpha, metric, "seq", n_star)


def _fmt_p(p: float) -> str:
    if p < 1e-6:
        return "p < 0.000001"
    return f"p = {p:.3f}" if p >= 0.001 else f"p = {p:.{-math.floor(math.log10(p))}f}"


def srm(counts: ArrayLike, shares: ArrayLike, threshold: float = 0.001) -> SRM:
    """Sample-ratio mismatch: chi-square goodness of fit of the delivered split to the planned one."""
    c, s = np.asarray(counts, dtype=float).ravel(), np.asarray(shares, dtype=float).ravel()
    total = c.sum()
    if len(c) < 2 or len(c) != len(s) or total <= 0 or s.sum() <= 0 or np.any(s <= 0):
        nan, msg = float("nan"), "No users to check the split with yet."
        return SRM(tuple(c.tolist()), (nan,) * len(c), nan, nan, False, msg)
    s = s / s.sum()
    expected = total * s
    chi2, p = (float(v) for v in sps.chisquare(c, expected))
    names = [chr(ord("A") + i) if i < 26 else f"#{i + 1}" for i in range(len(c))]
    worst = int(np.argmax(np.abs(c - expected) / np.sqrt(expected)))
    arm, got, planned = names[worst], f"{c[worst] / total:.1%}", f"{s[worst] * 100:.3g}%"
    flagged = bool(p < threshold)
    msg = (f"Arm {arm} got {got} of users instead of {planned}: {_fmt_p(p)}. The split is broken; fix the "
           "assignment before reading results." if flagged
           else f"The split looks as planned: arm {arm} got {got} of users (planned {planned}), {_fmt_p(p)}.")
    return SRM(tuple(c.tolist()), tuple(expected.tolist()), chi2, p, flagged, msg)


def cuped(y_c: ArrayLike, x_c: ArrayLike, y_t: ArrayLike, x_t: ArrayLike
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """CUPED: y - theta (x - pooled mean of x), theta = cov(y, x) / var(x) pooled over both arms.

    The arrays are paired per unit (y and x of the same user); theta is 0 when x does not vary.
    """
    yc, xc, yt, xt = (np.asarray(a, dtype=float).ravel() for a in (y_c, x_c, y_t, x_t))
    x, y = np.concatenate([xc, xt]), np.concatenate([yc, yt])
    if len(x) < 2:
        return yc.copy(), yt.copy(), 0.0
    mx, vx = x.mean(), float(np.var(x, ddof=1))
    theta = float(np.cov(y, x, ddof=1)[0, 1] / vx) if vx > 0 else 0.0
    return yc - theta * (xc - mx), yt - theta * (xt - mx), theta


def cuped_lift(y_c: ArrayLike, x_c: ArrayLike, y_t: ArrayLike, x_t: ArrayLike, alpha: float = 0.05,
               metric: str = "") -> Lift:
    """``mean_lift`` on CUPED-adjusted values (control/treatment are the adjusted means)."""
    adj_c, adj_t, _ = cuped(y_c, x_c, y_t, x_t)
    return mean_lift(adj_c, adj_t, alpha, metric)


def holm(p_values: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values in the given order; monotone, at most 1; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    order = idx[np.argsort(p[idx], kind="stable")]
    m = len(order)
    out[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return out


def interval_alpha(alpha: float, n_comparisons: int) -> float:
    """Bonferroni alpha for simultaneous intervals over several arms against control."""
    return alpha / max(int(n_comparisons), 1)


def bootstrap_lift(control: ArrayLike, treatment: ArrayLike, n_boot: int = 2000, alpha: float = 0.05,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the relative lift of means; resampled in memory-bounded chunks."""
    c, t = _clean(control), _clean(treatment)
    if len(c) == 0 or len(t) == 0 or n_boot < 1:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    rows = max(1, 4_000_000 // max(len(c), len(t)))
    rel = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        k = min(rows, n_boot - start)
        mc = c[rng.integers(0, len(c), size=(k, len(c)))].mean(axis=1)
        mt = t[rng.integers(0, len(t), size=(k, len(t)))].mean(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel[start:start + k] = np.where(mc != 0, mt / mc - 1, np.nan)
    if not np.isfinite(rel).any():
        return float("nan"), float("nan")
    low, high = np.nanquantile(rel, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def verdict(lift: Lift, higher_is_better: bool = True, arm: str = "B") -> str:
    """Plain-language reading of ``arm``'s lift; says better/worse only when the interval excludes 0."""
    name = f" {lift.metric}" if lift.metric else ""
    kind = " always-valid" if lift.sequential else ""
    level = f"{(1 - lift.alpha) * 100:g}%{kind} interval"
    use_rel = all(np.isfinite([lift.rel_lift, lift.rel_low, lift.rel_high]))
    est, low, high = (lift.rel_lift, lift.rel_low, lift.rel_high) if use_rel else (
        lift.abs_lift, lift.abs_low, lift.abs_high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return "Can't tell yet: not enough data to estimate the lift."

    def fmt(v: float) -> str:
        return f"{v * 100:+.1f}%" if use_rel else f"{v:+.3g}"

    if lift.significant and (low > 0 or high < 0):
        word = "better" if (est > 0) == higher_is_better else "worse"
        return f"{arm} is {word}: {fmt(est)}{name} ({level} {fmt(low)} to {fmt(high)})."
    return (f"Not enough evidence yet: the lift is between {fmt(low)} and {fmt(high)} ({level}); "
            "a real difference this small would need more traffic.")
