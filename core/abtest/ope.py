"""Off-policy evaluation: what a new recommendation policy would earn, judged from logged exposures.

Data (logged bandit feedback, ``n`` rounds): in round ``i`` the shop showed one product ``a_i`` to a
customer ``x_i``, drawn by a stochastic logging policy ``pi0`` with known propensity
``pscore_i = pi0(a_i | x_i) > 0``, and observed the reward ``r_i`` (a purchase, or revenue). The
target policy ``pi_e`` enters as ``pi_e_logged_i = pi_e(a_i | x_i)``; the model-based estimators also
take ``q_logged_i = qhat(x_i, a_i)`` and ``q_target_i = sum_a pi_e(a | x_i) qhat(x_i, a)``.

Estimators, with importance weights ``w_i = pi_e(a_i | x_i) / pi0(a_i | x_i)``:

* IPS (inverse propensity scoring): ``V = mean(w_i r_i)``; unbiased when ``pi0 > 0`` wherever
  ``pi_e > 0``, because ``E_pi0[w r] = E_pi_e[r]``.
* SNIPS (self-normalised IPS): ``V = sum(w_i r_i) / sum(w_i)``; bias O(1/n), often far lower variance,
  and always inside the range of the rewards. ``NaN`` when every weight is 0.
* DM (direct method): ``V = mean(q_target_i)``; low variance, biased as far as ``qhat`` is wrong.
* DR (doubly robust, Dudik, Langford & Li 2011): ``V = mean(q_target_i + w_i (r_i - q_logged_i))``;
  unbiased with known propensities whatever ``qhat`` is, provided ``qhat`` does not depend on round
  ``i`` itself (hence the cross-fitting in ``crossfit_dr``), and low-variance when ``qhat`` is good.

Standard errors: IPS, DM and DR are means of per-round terms ``t_i``; ``se = sd(t, ddof=1) / sqrt(n)``
(the unbiased sample variance; ``NaN`` for ``n = 1``). That se ignores DM's reward-model error, so
``core.abtest.crossfit`` gives DM a percentile bootstrap interval over the cross-fit instead, or
none with a note where its model is mostly fallback. SNIPS is a ratio; its se comes from the
delta method (linearisation): ``t_i = w_i (r_i - V) / mean(w)``, ``se = sd(t, ddof=1) / sqrt(n)``.
Intervals are normal: ``V +- z_{1 - alpha/2} se``.

The reward model, the cross-fit and DM's bootstrap interval live in ``core.abtest.crossfit``.

Diagnostics (``diagnostics``): Kish effective sample size ``ESS = (sum w)^2 / sum w^2``, its share
of ``n``, the largest and mean weight (``E_pi0[w] = 1`` when ``pi0`` covers ``pi_e``), and, given
both policies' full (n, n_actions) probability matrices, the unsupported mass
``mean_i sum_a pi_e(a | x_i) [pi0(a | x_i) < min_propensity]``, the target's probability on products
the logger (almost) never shows, which no logged data can evaluate. Warnings are plain English.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

ESS_SHARE_WARN = 0.10
MEAN_WEIGHT_TOL = 0.10
MAX_WEIGHT_WARN = 100.0
UNSUPPORTED_WARN = 0.01


@dataclass(frozen=True)
class Estimate:
    name: str  # "IPS", "SNIPS", "DM" or "DR"
    value: float
    se: float
    low: float  # normal (1 - alpha) interval
    high: float
    n: int
    note: str = ""  # why there is no interval, when there is none


@dataclass(frozen=True)
class Diagnostics:
    n: int
    ess: float
    ess_share: float
    max_weight: float
    mean_weight: float
    unsupported_mass: float  # NaN unless both full probability matrices are given
    warnings: list[str]


def _vector(name: str, values: object, n: int | None = None) -> np.ndarray:
    """1-d float array with only finite values, of length ``n`` when given."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has length {arr.size}, expected {n} (one value per logged round)")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} must be finite; {name}[{bad[0]}] = {arr[bad[0]]}")
    return arr


def _probs(name: str, values: object, n: int | None = None, positive: bool = False) -> np.ndarray:
    """Probabilities in [0, 1], or in (0, 1] with ``positive``."""
    arr = _vector(name, values, n)
    bad = np.flatnonzero((arr <= 0 if positive else arr < 0) | (arr > 1))
    if bad.size:
        rng = "(0, 1]" if positive else "[0, 1]"
        raise ValueError(f"{name} must lie in {rng}; {name}[{bad[0]}] = {arr[bad[0]]}")
    return arr


def _matrix(name: str, values: object, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape (n={n}, n_actions), got {arr.shape}")
    bad = np.argwhere(~np.isfinite(arr) | (arr < 0) | (arr > 1))
    if bad.size:
        i, j = bad[0]
        raise ValueError(f"{name} must hold probabilities in [0, 1]; {name}[{i}, {j}] = {arr[i, j]}")
    return arr


def _from_terms(name: str, value: float, terms: np.ndarray, alpha: float) -> Estimate:
    """Estimate with ``se = sd(terms, ddof=1) / sqrt(n)`` and a normal (1 - alpha) interval."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    n = terms.size
    se = float(np.std(terms, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    z = float(norm.ppf(1 - alpha / 2))
    return Estimate(name, float(value), se, float(value - z * se), float(value + z * se), n)


def weights(pi_e_logged: object, pscore: object) -> np.ndarray:
    """Importance weights ``w_i = pi_e(a_i | x_i) / pi0(a_i | x_i)``."""
    ps = _probs("pscore", pscore, positive=True)
    return _probs("pi_e_logged", pi_e_logged, ps.size) / ps


def ips(reward: object, pscore: object, pi_e_logged: object, alpha: float = 0.05) -> Estimate:
    """Inverse propensity scoring: ``mean(w_i r_i)``."""
    w = weights(pi_e_logged, pscore)
    terms = w * _vector("reward", reward, w.size)
    return _from_terms("IPS", terms.mean(), terms, alpha)


def snips(reward: object, pscore: object, pi_e_logged: object, alpha: float = 0.05) -> Estimate:
    """Self-normalised IPS: ``sum(w_i r_i) / sum(w_i)``, delta-method se; NaN if all weights are 0."""
    w = weights(pi_e_logged, pscore)
    r = _vector("reward", reward, w.size)
    if w.sum() <= 0:
        nan = float("nan")
        return Estimate("SNIPS", nan, nan, nan, nan, w.size)
    value = float((w * r).sum() / w.sum())
    return _from_terms("SNIPS", value, w * (r - value) / w.mean(), alpha)


def dm(q_target: object, alpha: float = 0.05) -> Estimate:
    """Direct method: ``mean(sum_a pi_e(a | x_i) qhat(x_i, a))``."""
    q = _vector("q_target", q_target)
    return _from_terms("DM", q.mean(), q, alpha)


def dr(reward: object, pscore: object, pi_e_logged: object, q_logged: object, q_target: object,
       alpha: float = 0.05) -> Estimate:
    """Doubly robust: ``mean(q_target_i + w_i (r_i - q_logged_i))``."""
    w = weights(pi_e_logged, pscore)
    r = _vector("reward", reward, w.size)
    terms = _vector("q_target", q_target, w.size) + w * (r - _vector("q_logged", q_logged, w.size))
    return _from_terms("DR", terms.mean(), terms, alpha)


def estimate_all(reward: object, pscore: object, pi_e_logged: object, q_logged: object | None = None,
                 q_target: object | None = None, alpha: float = 0.05) -> list[Estimate]:
    """IPS and SNIPS; DM when ``q_target`` is given; DR when both q arrays are given."""
    out = [ips(reward, pscore, pi_e_logged, alpha), snips(reward, pscore, pi_e_logged, alpha)]
    if q_target is not None:
        out.append(dm(q_target, alpha))
        if q_logged is not None:
            out.append(dr(reward, pscore, pi_e_logged, q_logged, q_target, alpha))
    return out


def diagnostics(pscore: object, pi_e_logged: object, pi_e_full: object | None = None,
                pi0_full: object | None = None, min_propensity: float = 1e-6) -> Diagnostics:
    """Weight diagnostics and plain-English warnings (thresholds: the module constants)."""
    w = weights(pi_e_logged, pscore)
    n = w.size
    ess = float(w.sum() ** 2 / (w**2).sum()) if w.any() else 0.0
    mean_w, max_w = float(w.mean()), float(w.max())
    unsupported = float("nan")
    if pi_e_full is not None and pi0_full is not None:
        pe, p0 = _matrix("pi_e_full", pi_e_full, n), _matrix("pi0_full", pi0_full, n)
        if pe.shape != p0.shape:
            raise ValueError(f"pi_e_full {pe.shape} and pi0_full {p0.shape} must have the same shape")
        unsupported = float((pe * (p0 < min_propensity)).sum(axis=1).mean())
    notes = []
    if ess / n < ESS_SHARE_WARN:
        notes.append(f"only about {ess:.0f} of the {n} logged visits inform this estimate "
                     f"(effective sample size {ess / n:.1%}); expect wide intervals")
    if abs(mean_w - 1) > MEAN_WEIGHT_TOL:
        notes.append(f"the mean weight is {mean_w:.2f}, not about 1: the target policy picks products the "
                     "logged policy rarely showed; estimates are unreliable")
    if max_w > MAX_WEIGHT_WARN:
        notes.append(f"a single logged visit carries weight {max_w:.0f}; a few visits drive the estimate")
    if unsupported > UNSUPPORTED_WARN:
        notes.append(f"{unsupported:.1%} of the target policy's choices are products the logged policy "
                     "(almost) never showed; no logged data can evaluate them")
    return Diagnostics(n, ess, ess / n, max_w, mean_w, unsupported, notes)
