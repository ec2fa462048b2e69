"""Off-policy checks: what each arm would earn, judged from logged traffic of another policy.

The unit is one "featured product" slot. A logged round is a visit where the shop showed one
product drawn by a randomised logging policy with a known propensity, and saw whether it was
clicked. An arm's policy for that slot shows one product of the customer's list, each equally
likely, so ``pi_e(a | x) = 1 / len(list_x)`` for products in the list and 0 elsewhere.
``evaluate`` gives IPS, SNIPS, DM and DR (``core.abtest.ope``) per arm with the overlap diagnostics;
DM/DR's reward model is a shrunk mean click rate per (customer group, product), fitted out of
fold so DR stays unbiased. DM's interval is a bootstrap over that cross-fit (the rounds resampled,
both halves' models refitted each time); where most of its estimate is the model's fallback rather
than logged visits, it has no interval and a note says why (``crossfit.dm_from_replicates``).

Shops rarely keep such logs. ``generate_log`` writes one from the simulated world: the slot
shows, with probability 1 - epsilon, a product drawn uniformly from the union of the arms'
lists for the customer, and otherwise one from the whole in-stock catalog - randomised enough
that every arm is supported. Because the world knows each click probability, ``true_value``
says what each estimate should be, which the A/B page shows next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.abtest import crossfit, ope
from core.abtest.world import CLICK_CAP, World

COLUMNS = ("customer_key", "product_row", "propensity", "reward")


def generate_log(world: World, lists: list[np.ndarray], rounds: int = 20_000, epsilon: float = 0.2,
                 seed: int = 0, in_stock: np.ndarray | None = None) -> pd.DataFrame:
    """A logged exposure table (customer, catalog row, propensity, reward = clicked) from the world."""
    rng = np.random.default_rng(seed)
    n_rows = len(world.group)
    pool = np.flatnonzero(in_stock) if in_stock is not None else np.arange(n_rows)
    p = world.rate / world.rate.sum()
    cust = rng.choice(len(world.keys), size=rounds, p=p)  # visits, by each customer's rate
    union = _union(lists, cust)  # (rounds, m) catalog rows, -1 padded
    size = (union >= 0).sum(axis=1)
    explore = (rng.random(rounds) < epsilon) | (size == 0)
    pick = np.where(explore, pool[rng.integers(0, len(pool), rounds)],
                    union[np.arange(rounds), (rng.random(rounds) * np.maximum(size, 1)).astype(int)])
    in_union = (union == pick[:, None]).any(axis=1)
    in_pool = np.isin(pick, pool)
    propensity = (1 - epsilon) * in_union / np.maximum(size, 1) + epsilon * in_pool / len(pool)
    propensity = np.where(size == 0, in_pool / len(pool), propensity)
    click = world.click_probs(cust, pick[:, None])[:, 0]
    reward = (rng.random(rounds) < click).astype(float)
    return pd.DataFrame({"customer": cust, "customer_key": np.asarray(world.keys, dtype=object)[cust],
                         "product_row": pick, "propensity": propensity, "reward": reward})


def _union(lists: list[np.ndarray], cust: np.ndarray) -> np.ndarray:
    stacked = np.concatenate([li[cust] for li in lists], axis=1)
    stacked = np.sort(stacked, axis=1)
    dup = np.zeros_like(stacked, dtype=bool)
    dup[:, 1:] = stacked[:, 1:] == stacked[:, :-1]
    stacked[dup] = -1
    return -np.sort(-stacked, axis=1)  # real rows first, -1 at the end


def target_probs(rows: np.ndarray, logged: np.ndarray) -> np.ndarray:
    """pi_e of each logged product under an arm whose lists for the logged customers are ``rows``."""
    size = (rows >= 0).sum(axis=1)
    hit = (rows == logged[:, None]).any(axis=1)
    return np.where(size > 0, hit / np.maximum(size, 1), 0.0)


def true_value(world: World, rows: np.ndarray) -> float:
    """The arm's exact click-through on the featured slot, visits weighted by customers' rates."""
    cust = np.arange(len(world.keys))
    click = world.theta[0] * np.minimum(CLICK_CAP, world.scale * world.interest(cust, rows))  # in slot 1
    size = (rows >= 0).sum(axis=1)
    per = np.where(size > 0, (click * (rows >= 0)).sum(axis=1) / np.maximum(size, 1), 0.0)
    return float(np.average(per, weights=world.rate))


def evaluate(log: pd.DataFrame, arms: dict[str, np.ndarray], group: np.ndarray | None = None,
             n_rows: int | None = None, seed: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """IPS, SNIPS, DM and DR of each arm's featured-slot click-through from ``log``.

    ``arms`` maps an arm's name to its lists (n_customers, k) indexed by ``log['customer']``;
    ``group`` is a customer's group for the reward model (e.g. taste or segment), or None.
    """
    cust = log["customer"].to_numpy(np.int64)
    action = log["product_row"].to_numpy(np.int64)
    reward = log["reward"].to_numpy(float)
    pscore = log["propensity"].to_numpy(float)
    n_rows = n_rows or int(action.max()) + 1
    g = None if group is None else np.asarray(group)[cust]
    models, fold = _crossfit(action, reward, n_rows, g, seed)
    lists = {name: li[cust] for name, li in arms.items()}
    fitted = {name: _out_of_fold(models, fold, rows, action, g) for name, rows in lists.items()}
    shares = {name: _out_of_fold([m.fallback() for m in models], fold, rows, action, g)[1].mean()
              for name, rows in lists.items()}
    supported = [name for name, share in shares.items() if share <= crossfit.DM_PRIOR_SHARE_MAX]

    def dm_all(rows: np.ndarray) -> list[float]:  # DM of every arm with an interval, refitted on rows
        g_b = None if g is None else g[rows]
        ms, fo = _crossfit(action[rows], reward[rows], n_rows, g_b, seed)
        return [_out_of_fold(ms, fo, lists[name][rows], action[rows], g_b)[1].mean() for name in supported]

    reps = (crossfit.bootstrap(dm_all, len(log), crossfit.DM_REPLICATES, seed) if supported
            else np.empty((0, 0)))
    out = []
    for name, rows in lists.items():
        pi_logged = target_probs(rows, action)
        q_logged, q_target = fitted[name]
        diag = ope.diagnostics(pscore, pi_logged)
        own = reps[:, supported.index(name)] if name in supported else np.empty(0)
        direct = crossfit.dm_from_replicates(float(q_target.mean()), own, float(shares[name]), len(log),
                                             alpha)
        for est in ope.estimate_all(reward, pscore, pi_logged, q_logged, q_target, alpha):
            est = direct if est.name == "DM" else est
            out.append({"arm": name, "estimator": est.name, "value": est.value, "low": est.low,
                        "high": est.high, "se": est.se, "ess_share": diag.ess_share,
                        "warnings": " ".join([*diag.warnings, est.note]).strip()})
    return pd.DataFrame(out)


def _crossfit(action: np.ndarray, reward: np.ndarray, n_rows: int, g: np.ndarray | None,
              seed: int) -> tuple[list[crossfit.RewardModel], np.ndarray]:
    """Two reward models, each fitted on one random half of the rounds, and the halves."""
    fold = crossfit.folds(len(action), 2, seed)
    return [crossfit.fit_reward_model(action[fold != f], reward[fold != f], n_rows,
                                 None if g is None else g[fold != f]) for f in (0, 1)], fold


def _out_of_fold(models: list[crossfit.RewardModel], fold: np.ndarray, rows: np.ndarray, action: np.ndarray,
                 g: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(q_logged, q_target) with each half predicted by the model of the other half."""
    q_logged, q_target = np.empty(len(action)), np.empty(len(action))
    for f, model in enumerate(models):
        sel = fold == 1 - f
        q_logged[sel] = model.predict(action[sel], None if g is None else g[sel])
        q_target[sel] = _expected_q(model, rows[sel], None if g is None else g[sel])
    return q_logged, q_target


def _expected_q(model: crossfit.RewardModel, rows: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    """sum_a pi_e(a | x) qhat(x, a) with pi_e uniform over each list."""
    n, k = rows.shape
    flat = rows.clip(0).ravel()
    grp = None if group is None else np.repeat(group, k)
    q = model.predict(flat, grp).reshape(n, k)
    size = (rows >= 0).sum(axis=1)
    return np.where(size > 0, (q * (rows >= 0)).sum(axis=1) / np.maximum(size, 1), 0.0)


__all__ = ["evaluate", "generate_log", "target_probs", "true_value"]
