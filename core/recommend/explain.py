"""Why each product is on a customer's list: one to three reasons drawn from data, with weights.

- **Because you bought X and Y**: the history products whose removal costs the recommended
  product most of its score (occlusion: the model scores the history without each of the
  customer's recent products, in the same batched call as the list itself). For a neural model
  the weight is the share of the product's probability that goes away without them; for a
  baseline, the share of its score. Only products that move the score by at least 5% are cited.
- **You buy this about every 30 days - last time 33 days ago**: re-bought products.
- **Popular with customers like you (segment 'Weekend gift buyers')**: the segment buys it at
  least 1.5x as often as the shop does.
- **Often bought on mobile in the evening**: the product sells at least 1.3x its usual share
  in the chosen context.
- **New in the shop - similar to X you bought**: content similarity, for unseen products.
- **A best-seller**: when nothing about the customer explains it (and always, labelled as not
  personalised, for customers who objected to profiling).

``faithfulness`` checks the first kind: removing the cited products from the customer's history
must lower the recommended product's score.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.recommend.types import Candidates, Context, Controls, EngineView, Pick, Reason
from models.data import EVENT_TYPES

MIN_SHARE = 0.05  # a history product is cited when it carries at least 5% of the score
MAX_CITED = 2
SEGMENT_LIFT = 1.5
CONTEXT_LIFT = 1.3
MAX_REASONS = 3
PRIORITY = ("history", "rebuy", "new", "segment", "context", "popular")  # the order shown
DAY = 86400.0
VERB = {EVENT_TYPES.index("purchase"): "bought {}", EVENT_TYPES.index("cart"): "added {} to your basket",
        EVENT_TYPES.index("view"): "looked at {}", EVENT_TYPES.index("return"): "returned {}"}
STRENGTH = {EVENT_TYPES.index("purchase"): 3, EVENT_TYPES.index("cart"): 2,
            EVENT_TYPES.index("view"): 1, EVENT_TYPES.index("return"): 0}
PURCHASE = EVENT_TYPES.index("purchase")


def segment_counts(engine: EngineView) -> dict[int, tuple[np.ndarray, float]]:
    """Purchase lines per catalog row for each segment, and the segment's total."""
    if engine.segments is None:
        return {}
    log_ = engine.log
    bought = np.flatnonzero(log_.etype == PURCHASE)
    seg_of_user = engine.segments.reindex(log_.user_ids).fillna(-1).to_numpy(np.int64)
    seg = seg_of_user[log_.user[bought]]
    rows = engine.cat_row[log_.item[bought] - 1]
    keep = (seg >= 0) & (rows >= 0)
    n_rows = len(engine.catalog.products)
    out = {}
    for s in np.unique(seg[keep]):
        counts = np.bincount(rows[keep & (seg == s)], minlength=n_rows).astype(np.float64)
        out[int(s)] = (counts, float(counts.sum()))
    return out


def _title(engine: EngineView, row: int) -> str:
    return str(engine.catalog.titles[row])


def _names(titles: list[str]) -> str:
    quoted = [f"'{t}'" for t in titles]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def history_reason(engine: EngineView, cands: Candidates, i: int, hist: np.ndarray) -> Reason | None:
    """'Because you bought X and Y': the history groups that carry most of candidate i's score."""
    if cands.drops is None or not cands.groups or cands.source[i] != "model":
        return None
    own = engine.model_items[cands.rows[i]]
    drop = cands.drops[:, i]
    if engine.neural:
        share = 1.0 - np.exp(-np.clip(drop, 0, None))  # probability that goes away
    else:
        share = np.clip(drop, 0, None) / max(abs(float(cands.raw[i])), 1e-12)
    cited = [g for g in np.argsort(-share) if share[g] >= MIN_SHARE and own not in cands.groups[g]]
    cited = cited[:MAX_CITED]
    if not cited:
        return None
    items = [int(cands.groups[g][0]) for g in cited]
    verbs = []
    for item in items:
        types = engine.log.etype[hist][engine.log.item[hist] == item]
        verbs.append(VERB[max(types, key=lambda t: STRENGTH.get(int(t), 0))])
    titles = [_title(engine, engine.cat_row[item - 1]) for item in items]
    if len(set(verbs)) == 1:
        said = verbs[0].format(_names(titles))
    else:
        said = " and ".join(v.format(f"'{t}'") for v, t in zip(verbs, titles))
    return Reason("history", f"Because you {said}",
                  float(min(1.0, share[cited].sum())), tuple(engine.item_ids[items].tolist()))


def rebuy_reason(engine: EngineView, row: int, hist: np.ndarray, as_of: int) -> Reason | None:
    """'You buy this about every 30 days - last time 33 days ago'."""
    item = engine.model_items[row]
    if item == 0:
        return None
    mine = hist[(engine.log.item[hist] == item) & (engine.log.etype[hist] == PURCHASE)]
    if not len(mine):
        return None
    days = np.unique(engine.log.ts[mine] // int(DAY))
    since = (as_of - int(engine.log.ts[mine].max())) / DAY
    if len(days) >= 2:
        every = float(np.median(np.diff(days)))
        text = f"You buy this about every {every:.0f} days - last time {since:.0f} days ago"
    else:
        shop = engine.catalog.rebuy_days[row]
        if not np.isfinite(shop):
            return Reason("rebuy", f"You bought this {since:.0f} days ago", 0.3)
        every = float(shop)
        text = (f"You bought this {since:.0f} days ago; people who buy it again do so about "
                f"every {every:.0f} days")
    return Reason("rebuy", text, float(np.clip(since / max(every, 1.0), 0.2, 1.0)))


def segment_reason(engine: EngineView, key: str, row: int, always: bool = False) -> Reason | None:
    """'Popular with customers like you (segment ...)': the segment buys it more than the shop."""
    seg = engine.segment_of(key)
    if seg is None or seg not in engine.segment_counts:
        return None
    counts, total = engine.segment_counts[seg]
    shop = engine.catalog.bought_counts
    lift = (counts[row] / max(total, 1.0)) / max(shop[row] / max(shop.sum(), 1.0), 1e-12)
    name = engine.segment_names.get(seg, f"segment {seg}")
    if counts[row] >= 3 and lift >= SEGMENT_LIFT:
        return Reason("segment", f"Popular with customers like you ('{name}'): bought {lift:.1f}x "
                      "as often as across the shop", float(min(1.0, (lift - 1) / 4)))
    if always:
        return Reason("segment", f"Among the favourites of customers like you ('{name}')", 0.5)
    return None


def context_reason(engine: EngineView, row: int, ctx: Context) -> Reason | None:
    """'Often bought on mobile at weekends in the evening'."""
    if ctx.daypart is None and ctx.weekend is None and ctx.device is None:
        return None
    lift = float(engine.context_lift(ctx)[row])
    if lift < CONTEXT_LIFT:
        return None
    where = [f"on {ctx.device}"] if ctx.device else []
    if ctx.weekend is not None:
        where.append("at weekends" if ctx.weekend else "on weekdays")
    if ctx.daypart:
        where.append(f"in the {ctx.daypart}")
    return Reason("context", f"Often bought {' '.join(where)} ({lift:.1f}x its usual share)",
                  float(min(1.0, (lift - 1) / 2)))


def popular_reason(engine: EngineView, row: int, mode: str, ctx: Context, region: str | None) -> Reason:
    """'A best-seller: #3 in the shop lately', with the context and region it was chosen for."""
    recent = engine.catalog.recent.to_numpy()
    rank = int((recent > recent[row]).sum()) + 1
    when = "" if ctx.words() == "at any time" else f" {ctx.words()}"
    if mode == "non-personalized":
        return Reason("popular", f"Best-seller{when} (#{rank} in the shop lately) - not personalised: "
                      "this customer objected to profiling", 0.5)
    if mode == "new":
        where = f" in {region}" if region else ""
        return Reason("popular", f"Popular{where}{when} (#{rank} in the shop lately); no purchases "
                      "of theirs to learn from yet", 0.5)
    return Reason("popular", f"A best-seller: #{rank} in the shop lately", 0.2)


def reasons_for(engine: EngineView, cands: Candidates, i: int, key: str, hist: np.ndarray, ctx: Context,
                mode: str, as_of: int, region: str | None = None) -> list[Reason]:
    """One to three reasons for candidate ``i``: about the customer first, then the context."""
    row = int(cands.rows[i])
    if mode == "non-personalized":
        found = [context_reason(engine, row, ctx)]
    elif cands.source[i] == "new product" and cands.similar is not None:
        similar = int(cands.similar[i])
        like = f"similar to '{_title(engine, similar)}'"
        text = (f"New in the shop - {like}" if engine.catalog.bought_counts[row] == 0 else
                f"{like[0].upper()}{like[1:]} (too new or too rare for the model to have learnt it)")
        found = [Reason("new", text, float(cands.rel[i]), (str(engine.catalog.products.index[similar]),)),
                 context_reason(engine, row, ctx)]
    else:
        found = [history_reason(engine, cands, i, hist), rebuy_reason(engine, row, hist, as_of),
                 segment_reason(engine, key, row, always=mode == "segment"),
                 context_reason(engine, row, ctx)]
    out = sorted((r for r in found if r is not None), key=lambda r: PRIORITY.index(r.kind))[:MAX_REASONS]
    if mode in ("non-personalized", "new"):
        out = [popular_reason(engine, row, mode, ctx, region)] + out[: MAX_REASONS - 1]
    elif not out:
        out = [popular_reason(engine, row, mode, ctx, region)]
    return out


def make_pick(engine: EngineView, cands: Candidates, i: int, key: str, hist: np.ndarray, ctx: Context,
              mode: str, as_of: int, explain: bool = True, region: str | None = None) -> Pick:
    row = int(cands.rows[i])
    cat = engine.catalog
    price, category = cat.prices[row], cat.categories[row]
    reasons = reasons_for(engine, cands, i, key, hist, ctx, mode, as_of, region) if explain else []
    return Pick(cat.product_ids[row], _title(engine, row),
                None if category is None else str(category),
                None if not np.isfinite(price) else float(price), float(cands.rel[i]), reasons,
                str(cands.source[i]))


def faithfulness(engine: EngineView, keys: Iterable[str], n: int = 10) -> dict[str, float]:
    """Share of 'because you ...' reasons whose cited products, removed together from the
    history, lower the recommended product's model score (``share``), and how many of the
    personalised picks carry such a reason at all (``cited_share``)."""
    index = {str(pid): i for i, pid in enumerate(engine.item_ids) if i > 0}
    customers = cases = lowered = picks = 0
    for key in keys:
        res = engine.recommend(key, Controls(n=n))
        if not res.personalized:
            continue
        picks += len(res.picks)
        cited = [(p, r) for p in res.picks for r in p.reasons if r.kind == "history"]
        if not cited:
            continue
        customers += 1
        hist = engine.history(key)
        groups = [np.array([index[pid] for pid in r.items], dtype=np.int64) for _p, r in cited]
        scores = engine.score_variants(hist, groups, engine.now(), res.context)
        for j, (pick, _r) in enumerate(cited):
            item = index[pick.product_id]
            cases += 1
            lowered += int(scores[1 + j, item] < scores[0, item])
    return {"customers": customers, "cases": cases, "lowered": lowered,
            "share": lowered / cases if cases else float("nan"),
            "picks": picks, "cited_share": cases / picks if picks else float("nan")}
