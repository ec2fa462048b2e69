"""The reward model of the model-based off-policy estimators, its cross-fit, and DM's interval.

Reward model (``fit_reward_model``): ``qhat(x, a)`` is an empirical-Bayes shrunk mean reward. Per
action, ``m_a = (sum of rewards of a + k * global mean) / (count of a + k)``; with a ``group``
(a segment label per round), per (group, action) ``q_ga = (sum + k * m_a) / (count + k)``, so a cell
with few logged rounds falls back to its action's mean and an unseen cell equals it. ``k = prior``
(default 20 logged rounds). ``crossfit_q`` splits the rounds into ``n_folds`` random folds and
predicts each fold with a model fitted on the other folds; ``crossfit_dr`` uses those out-of-fold
predictions and returns (DM, DR).

DM's interval (``bootstrap``, ``dm_from_replicates``): the mean's standard error ignores the reward
model's error, so DM gets a percentile bootstrap interval over the cross-fit instead: the logged
rounds resampled with replacement, the models refitted on each resample. The bootstrap sees the
model's noise, not the bias of its shrinkage, so where more than ``DM_PRIOR_SHARE_MAX`` of the
target's qhat is the fallback (``RewardModel.fallback``), DM has no interval and a note says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.abtest.ope import Estimate, _matrix, _vector, dm, dr, weights

DM_REPLICATES = 200
# DM's error is mostly the bias of its shrunk means: a cell's qhat leans on its fallback with weight
# k / (count + k), and a bootstrap sees only noise. Coverage of the truth by the 95% bootstrap
# interval, 60 simulated worlds per figure, by the mean prior share of the target's qhat: ~0.03: 97%
# and 85% (two sets of worlds), 0.06: 95%, 0.10: 87%, 0.35: 38% (the plain mean's interval: 5-27%).
# Above this share DM gets no interval; tests/test_ope.py holds >= 88% below it.
DM_PRIOR_SHARE_MAX = 0.03


@dataclass(frozen=True)
class RewardModel:
    """Shrunk mean rewards: ``action_mean[a]`` and, with groups, ``cell_mean[g, a]`` (see module doc)."""

    global_mean: float
    action_mean: np.ndarray  # (n_actions,)
    groups: np.ndarray | None  # sorted group labels seen in fitting, or None
    cell_mean: np.ndarray | None  # (len(groups), n_actions)
    # k / (count + k) per cell (per action without groups): the share of qhat that is the fallback
    # rather than the cell's own logged rewards; 1 for an unseen group (``fallback``)
    cell_prior_share: np.ndarray | None = None
    action_prior_share: np.ndarray | None = None

    def fallback(self) -> RewardModel:
        """The same lookup, holding each cell's prior share instead of its mean reward."""
        if self.action_prior_share is None:
            raise ValueError("this reward model was built without its prior shares")
        return RewardModel(self.global_mean, self.action_prior_share, self.groups, self.cell_prior_share)

    def table(self, group: object | None = None, n: int | None = None) -> np.ndarray:
        """qhat for every action: (n, n_actions), one row per round (``group`` labels or ``n`` rows)."""
        if self.cell_mean is None or group is None:
            rows = n if group is None else np.asarray(group).size
            if rows is None:
                raise ValueError("give group labels or the number of rows n")
            return np.tile(self.action_mean, (rows, 1))
        g = np.asarray(group)
        pos = np.clip(np.searchsorted(self.groups, g), 0, len(self.groups) - 1)
        seen = self.groups[pos] == g
        return np.where(seen[:, None], self.cell_mean[pos], self.action_mean[None, :])

    def predict(self, action: object, group: object | None = None) -> np.ndarray:
        """qhat(x_i, a_i) for each round."""
        a = np.asarray(action, dtype=int).ravel()
        if self.cell_mean is None or group is None:
            return self.action_mean[a]
        g = np.asarray(group).ravel()
        pos = np.clip(np.searchsorted(self.groups, g), 0, len(self.groups) - 1)
        seen = self.groups[pos] == g  # gathered directly: no (n, n_actions) table for big catalogs
        return np.where(seen, self.cell_mean[pos, a], self.action_mean[a])


def _actions(action: object, n_actions: int, n: int | None = None) -> np.ndarray:
    a = np.asarray(action)
    if a.ndim != 1 or (n is not None and a.size != n):
        raise ValueError(f"action must be 1-dimensional with length {n}, got shape {a.shape}")
    bad = np.flatnonzero((a != np.round(a)) | (a < 0) | (a >= n_actions))
    if bad.size:
        raise ValueError(f"action must hold integer codes 0..{n_actions - 1}; action[{bad[0]}] = {a[bad[0]]}")
    return a.astype(int)


def fit_reward_model(action: object, reward: object, n_actions: int, group: object | None = None,
                     prior: float = 20.0) -> RewardModel:
    """Empirical-Bayes shrunk mean reward per action, and per (group, action) when ``group`` is given."""
    r = _vector("reward", reward)
    a = _actions(action, n_actions, r.size)
    if prior < 0:
        raise ValueError(f"prior must be >= 0, got {prior}")
    mu = float(r.mean())
    count = np.bincount(a, minlength=n_actions)
    a_sum = np.bincount(a, weights=r, minlength=n_actions)
    with np.errstate(invalid="ignore", divide="ignore"):  # prior = 0 and an action never logged
        action_mean = np.where(count + prior > 0, (a_sum + prior * mu) / (count + prior), mu)
    with np.errstate(invalid="ignore", divide="ignore"):
        action_share = np.where(count + prior > 0, prior / (count + prior), 1.0)
    if group is None:
        return RewardModel(mu, action_mean, None, None, None, action_share)
    g = np.asarray(group)
    if g.shape != r.shape:
        raise ValueError(f"group has shape {g.shape}, expected {r.shape} (one label per logged round)")
    labels, gi = np.unique(g, return_inverse=True)
    cell = gi * n_actions + a
    size = labels.size * n_actions
    c_count = np.bincount(cell, minlength=size).reshape(labels.size, n_actions)
    c_sum = np.bincount(cell, weights=r, minlength=size).reshape(labels.size, n_actions)
    with np.errstate(invalid="ignore", divide="ignore"):  # prior = 0 and an empty cell
        cell_mean = (c_sum + prior * action_mean) / (c_count + prior)
        cell_share = np.where(c_count + prior > 0, prior / (c_count + prior), 1.0)
    cell_mean = np.where(c_count + prior > 0, cell_mean, action_mean)
    return RewardModel(mu, action_mean, labels, cell_mean, cell_share, np.ones(n_actions))


def folds(n: int, n_folds: int, seed: int) -> np.ndarray:
    """A random fold number per round, the folds as equal as can be."""
    if not 2 <= n_folds <= n:
        raise ValueError(f"n_folds must lie in 2..{n} (the number of rounds), got {n_folds}")
    fold = np.empty(n, dtype=int)
    fold[np.random.default_rng(seed).permutation(n)] = np.arange(n) % n_folds
    return fold


def crossfit_q(action: object, reward: object, n_actions: int, group: object | None = None,
               n_folds: int = 2, seed: int = 0, prior: float = 20.0,
               with_prior_share: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Out-of-fold qhat, (n, n_actions): rows of each random fold come from a model fitted on the others
    (and, ``with_prior_share``, the same table of each cell's prior share, ``RewardModel.fallback``)."""
    r = _vector("reward", reward)
    a = _actions(action, n_actions, r.size)
    g = None if group is None else np.asarray(group)
    fold = folds(r.size, n_folds, seed)
    q, share = np.empty((r.size, n_actions)), np.empty((r.size, n_actions))
    for f in range(n_folds):
        train, test = fold != f, fold == f
        model = fit_reward_model(a[train], r[train], n_actions, None if g is None else g[train], prior)
        q[test] = model.table(None if g is None else g[test], int(test.sum()))
        if with_prior_share:
            share[test] = model.fallback().table(None if g is None else g[test], int(test.sum()))
    return (q, share) if with_prior_share else q


def bootstrap(statistic: Callable[[np.ndarray], object], n: int, replicates: int = DM_REPLICATES,
              seed: int = 0) -> np.ndarray:
    """(replicates, m) values of ``statistic(rows)`` on resamples of the n logged rounds (with
    replacement); the statistic refits whatever it fits (the reward model) on the rows it is given."""
    rng = np.random.default_rng(seed)
    return np.array([np.atleast_1d(np.asarray(statistic(rng.integers(0, n, n)), dtype=float))
                     for _ in range(replicates)])


def dm_from_replicates(value: float, replicates: np.ndarray, prior_share: float, n: int,
                       alpha: float = 0.05) -> Estimate:
    """DM with the percentile interval of its bootstrap replicates (se = their sd), or with none and a
    plain note when more than ``DM_PRIOR_SHARE_MAX`` of the target's qhat is the model's fallback."""
    if prior_share > DM_PRIOR_SHARE_MAX:
        nan = float("nan")
        note = (f"The direct method (DM) has no interval: {prior_share:.0%} of its estimate is its model's "
                "fallback (a product's average over all customers) rather than the customer group's own "
                "logged visits, so its error is mostly that bias, which no interval shows.")
        return Estimate("DM", float(value), nan, nan, nan, n, note)
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return Estimate("DM", float(value), float(np.std(replicates, ddof=1)), float(low), float(high), n)


def crossfit_dr(reward: object, pscore: object, pi_e_logged: object, action: object, group: object | None,
                pi_e_full: object, n_folds: int = 2, seed: int = 0, prior: float = 20.0,
                alpha: float = 0.05, replicates: int = DM_REPLICATES) -> tuple[Estimate, Estimate]:
    """(DM, DR) with the shrunk-mean qhat learned out of fold (``crossfit_q``).

    ``pi_e_full`` is the target's (n, n_actions) probabilities in each logged context; its entry at the
    logged action must equal ``pi_e_logged``. ``group`` (segment labels, or None) is what qhat conditions on.
    DM's interval is a bootstrap over the cross-fit (``replicates`` resamples of the rounds, the reward
    model refitted on each; ``dm_from_replicates``); ``replicates=0`` gives the plain mean's interval,
    which ignores the model's error.
    """
    w = weights(pi_e_logged, pscore)
    pe = _matrix("pi_e_full", pi_e_full, w.size)
    a = _actions(action, pe.shape[1], w.size)
    logged = pe[np.arange(w.size), a]
    bad = np.flatnonzero(~np.isclose(logged, np.asarray(pi_e_logged, dtype=float), rtol=0, atol=1e-9))
    if bad.size:
        raise ValueError(f"pi_e_full[i, action[i]] must equal pi_e_logged[i]; they differ at index {bad[0]}")
    r = _vector("reward", reward, w.size)
    g = None if group is None else np.asarray(group)
    q, share = crossfit_q(a, r, pe.shape[1], g, n_folds, seed, prior, with_prior_share=True)
    q_target = (pe * q).sum(axis=1)
    q_logged = q[np.arange(w.size), a]
    direct = dm(q_target, alpha)
    if replicates:
        def statistic(rows: np.ndarray) -> float:
            q_b = crossfit_q(a[rows], r[rows], pe.shape[1], None if g is None else g[rows], n_folds, seed,
                             prior)
            return float((pe[rows] * q_b).sum(axis=1).mean())

        prior_share = float((pe * share).sum(axis=1).mean())
        reps = (bootstrap(statistic, w.size, replicates, seed) if prior_share <= DM_PRIOR_SHARE_MAX
                else np.empty(0))  # no interval to draw: spare the refits
        direct = dm_from_replicates(direct.value, reps, prior_share, w.size, alpha)
    return direct, dr(r, pscore, pi_e_logged, q_logged, q_target, alpha)

