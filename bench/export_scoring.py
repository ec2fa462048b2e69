"""Scores for ``bench/export_next_period.py``: exported CSV lists and models' own scores against
each returning customer's first basket after the cutoff, by the rules of ``models.metrics``.

Relevance is binary over the basket's distinct products (a product new after the cutoff counts in
the basket's size: no list can hold it). Recall@10 = hits / basket size; NDCG@10 = DCG / the ideal
DCG of min(10, basket size) hits; HitRate@10 = any hit. An exported list has no ties: its order is
the order given. A customer with no list (no key, no row) scores 0 on every metric.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

K = 10
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
METRICS = ("ndcg@10", "recall@10", "hitrate@10")


def key_map(shop: str, home: Path, raws: list[str]) -> dict[str, str]:
    """The shop's own customer ids -> the keys of the shop in ``home`` (its own secret)."""
    os.environ["SHOPLENS_HOME"] = str(home)
    from core.store import pseudonym
    from core.store.store import Store
    with Store.open(shop, read_only=True) as store:
        known = {r[0] for r in store.rows("SELECT customer_key FROM customers")}
        keys = pseudonym.pseudonymize(store, raws)
    return {raw: key for raw, key in zip(raws, keys, strict=True) if key in known}


def list_metrics(picks: list[str], basket: set[str], k: int = K) -> dict[str, float]:
    """One list against one basket (see the module)."""
    hits = np.array([p in basket for p in picks[:k]], dtype=np.float64)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[:min(k, len(basket))].sum()
    return {"ndcg@10": float((hits * discounts[:len(hits)]).sum() / ideal) if ideal else 0.0,
            "recall@10": float(hits.sum() / len(basket)) if basket else 0.0,
            "hitrate@10": float(hits.any())}


def read_lists(csv: Path) -> dict[str, list[str]]:
    """customer key -> product ids in rank order, from a ``shoplens recommend --all`` CSV."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if frame.empty:
        return {}
    frame["product_id"] = frame["product_id"].map(_unescaped)
    frame["rank"] = frame["rank"].astype(int)
    frame = frame.sort_values(["customer_key", "rank"], kind="stable")
    return {key: list(g["product_id"]) for key, g in frame.groupby("customer_key", sort=False)}


def _unescaped(cell: str) -> str:
    """Undo the CSV's formula guard (a leading apostrophe before =, +, -, @)."""
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith(FORMULA_START) else cell


def score_csv(csv: Path, targets: list[tuple[str | None, set[str]]]) -> dict[str, float]:
    """Mean metrics of an exported CSV over ``targets`` (customer key or None, basket)."""
    lists = read_lists(csv)
    sums = dict.fromkeys(METRICS, 0.0)
    listed = 0
    for key, basket in targets:
        picks = lists.get(key, []) if key else []
        listed += bool(picks)
        for name, value in list_metrics(picks, basket).items():
            sums[name] += value
    _check_against_models_metrics(lists, targets)
    return {**{m: v / len(targets) for m, v in sums.items()}, "customers_with_list": listed}


def _check_against_models_metrics(lists: dict[str, list[str]],
                                  targets: list[tuple[str | None, set[str]]]) -> None:
    """``list_metrics`` agrees with ``models.metrics.rank_metrics`` on full 10-item lists (a score
    matrix that ranks the list first, in order, and everything else far below)."""
    from models.data import Target
    from models.metrics import rank_metrics

    sample = [(lists[k], b) for k, b in targets if k in lists and len(lists[k]) == K][:200]
    if not sample:
        return
    universe = sorted({p for picks, b in sample for p in (*picks, *b)})
    col = {p: i + 1 for i, p in enumerate(universe)}
    scores = np.tile(-np.arange(len(universe) + 1, dtype=np.float64) - 100, (len(sample), 1))
    tgts = []
    for row, (picks, basket) in enumerate(sample):
        scores[row, [col[p] for p in picks]] = np.arange(K, 0, -1)
        tgts.append(Target(0, 0, np.array(sorted(col[p] for p in basket)), {}))
    ref = rank_metrics(scores, tgts)
    mine = [list_metrics(picks, basket) for picks, basket in sample]
    for name in METRICS:
        assert np.allclose(ref[name], [m[name] for m in mine]), f"{name} differs from models.metrics"


def bench_scores(shop: str, home: Path, raw_targets: list[tuple[str, set[str]]], cutoff: int,
                 trained: dict[str, str], names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Every baseline (tuned, ``models.baselines.TUNED``) and each trained model's raw scores on
    the targets, from the pre-cutoff shop's event log (see ``export_next_period``'s notes)."""
    os.environ["SHOPLENS_HOME"] = str(home)
    from bench.quality import _options
    from core.learn import embeddings
    from core.shop import sequences
    from core.store.store import Store
    from models import baselines

    keys = key_map(shop, home, [raw for raw, _ in raw_targets])
    targets = [(keys.get(raw), items) for raw, items in raw_targets]
    out = {}
    with Store.open(shop, read_only=True) as store:
        # min_baskets 1: every returning customer's history is there (one basket before is enough)
        opts = sequences.LogOptions(purchases_only=_options(shop).purchases_only, min_baskets=1)
        log_ = sequences.event_log(store, opts)
        split, n_new = pre_split(log_, cutoff, targets)
        for name in names:
            fitted = baselines.make(name, baselines.TUNED.get(shop, {}).get(name)).fit(split)
            out[name] = _mean(fitted, split, n_new, len(targets))
        for kind, model_id in trained.items():
            rec, art, _problems = embeddings.load_recommender(store, model_id)
            own = sequences.event_log(store, sequences.LogOptions(**art.state.get("options", {})))
            split_m, n_new_m = pre_split(own, cutoff, targets)
            out[kind] = _mean(rec, split_m, n_new_m, len(targets))
    return out


def pre_split(log_, cutoff: int, targets: list[tuple[str | None, set[str]]]):
    """A ``models.data.Split`` of a pre-cutoff log: validation as ``split_next_period`` makes it
    (the last 10% of purchases before the cutoff), the test the given targets, each cut at the
    cutoff with an unknown visit context. Products not in the log get columns after the catalog
    (``n_new`` of them), which no model can rank."""
    from models import data
    from models.data import EVENT_TYPES, Split, Target

    assert int(log_.ts.max()) < cutoff, "the pre-cutoff log holds an event at or after the cutoff"
    before = np.sort(log_.ts[log_.etype == EVENT_TYPES.index("purchase")])
    t_valid = int(before[int(len(before) * 0.9)])
    users = {k: u for u, k in enumerate(log_.user_ids)}
    items = {p: i for i, p in enumerate(log_.item_ids) if i > 0}
    new: dict[str, int] = {}
    test = []
    for key, basket in targets:
        if key not in users:
            continue
        idx = [items.get(p) or new.setdefault(p, log_.n_items + 1 + len(new)) for p in sorted(basket)]
        test.append(Target(users[key], cutoff, np.array(sorted(idx), dtype=np.int64),
                           dict.fromkeys(data.CONTEXT, 0)))
    valid = data._basket_targets(log_, t_valid, cutoff, last=False)
    return Split(log_, log_.slice(log_.ts < t_valid), valid, test, t_valid, cutoff), len(new)


def _mean(model, split, n_new: int, n_targets: int, batch: int = 512) -> dict[str, float]:
    """Mean metrics over all ``n_targets`` (those not in ``split.test`` score 0)."""
    from models.metrics import rank_metrics
    sums = dict.fromkeys(METRICS, 0.0)
    for lo in range(0, len(split.test), batch):
        chunk = split.test[lo:lo + batch]
        scores = np.asarray(model.score(split.log, chunk), dtype=np.float64)
        scores = np.hstack([scores, np.full((len(chunk), n_new), -np.inf)])
        res = rank_metrics(scores, chunk)
        for name in METRICS:
            sums[name] += float(res[name].sum())
    return {**{m: v / n_targets for m, v in sums.items()}, "customers_with_list": len(split.test)}


def notes(rows: list[dict]) -> list[str]:
    """What the table rests on, and the done-when's answer, per shop."""
    out = []
    for shop in dict.fromkeys(r["shop"] for r in rows):
        mine = [r for r in rows if r["shop"] == shop]
        first = mine[0]
        files = ", ".join(f"{n} {v['kept']:,} of {v['rows']:,} rows"
                          for n, v in first["cut"]["files"].items())
        out.append(f"- **{shop}**: cutoff {first['cutoff']} (90% quantile of purchase times, "
                   f"`split_next_period`); {first['targets']:,} returning customers' first baskets "
                   f"after it. Cut export files: {files}. The imported shop's latest event: "
                   f"{pd.Timestamp(first['cut']['latest_event'], unit='s')} (asserted before the "
                   f"cutoff). Best baseline: {first.get('best_baseline')}.")
        exported = [r for r in mine if not r["baseline"] and r["made"] == "CLI export, default controls"]
        if exported and "ratio" in first:
            best = max(exported, key=lambda r: r["ndcg@10"])
            verdict = "holds" if best["ratio"] >= 1.10 else "does not hold"
            out.append(f"  - Done-when (>= 1.10 × the best of all baselines, for the default export): "
                       f"**{verdict}** on {shop}: the better neural export ({best['model']}, NDCG@10 "
                       f"{best['ndcg@10']:.4f}) is {best['ratio']:.3f} × {first.get('best_baseline')}"
                       f" and {best['ratio_exported']:.3f} × the best exported baseline list "
                       f"({first.get('best_exported_baseline')}).")
    out.append("- Baseline parameters in bench scoring: `models.baselines.TUNED` (chosen on "
               "validation baskets by `bench/baselines.py --tune`) for Online Retail II; the demo "
               "shop has no entry, so its baselines use their defaults, as in `bench/quality.py`. "
               "The CLI serves every baseline with its defaults, fitted on the shop's own "
               "last-basket split.")
    out.append("- A customer without a list counts 0. Bench scoring: fitted on the pre-cutoff log "
               "(min_baskets 1, so every returning customer's history is read) before its "
               "validation time, histories up to the cutoff, unknown visit context, ties by "
               "`models.metrics`' expected-value rule; products new after the cutoff count in "
               "the basket's size.")
    return out


__all__ = ["bench_scores", "key_map", "list_metrics", "notes", "pre_split",
           "read_lists", "score_csv"]
