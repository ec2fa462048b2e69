"""Per-customer recommendations under the merchant's controls, with a cold-start ladder.

    engine = recommend.load(store)                     # once per shop and model (seconds)
    result = engine.recommend("c_1a2b...", Controls(n=10, diversity=0.3),
                              Context(daypart="evening", weekday=7, device="mobile"))

One request scores the customer's history with the chosen model (a neural sequence model or
any baseline) in the chosen context, removes what the merchant excluded, re-ranks for novelty
and diversity (MMR), may add new products by content similarity, and attaches one to three
reasons to every pick (``core.recommend.explain``). Who gets what:

- a customer who objected to profiling: best-sellers, the same list for everyone in the
  chosen context, labelled "not personalised" - their history is never read;
- a customer the model has no history for: what sells in their region and context;
- a customer with very little history: what is popular in their segment;
- everyone else: the model's personalised list.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from core.recommend import candidates, explain, ranking
from core.recommend.ranking import allowed_mask, mmr
from core.recommend.types import Candidates, Context, Controls, Request, Result
from core.segments import cache
from core.shop import catalog as catalog_mod
from core.shop import sequences
from core.shop.catalog import Catalog
from core.store.store import Store
from models import baselines, data, runtime

log = logging.getLogger(__name__)
MIN_EVENTS = 3  # fewer events than this: segment picks instead of the model
MAX_EVENTS = 500  # most recent events of one customer read per request
MODEL_MODES = ("personalized", "best-sellers")  # modes whose list the model scores


class Engine:
    """A loaded model plus the shop's catalog and customers: answers requests in milliseconds."""

    def __init__(self, store: Store, scorer: object, name: str, log_: data.EventLog,
                 cat: Catalog, customers: pd.DataFrame, segments: pd.Series | None,
                 segment_names: dict[int, str], neural: bool,
                 test: list[data.Target] | None = None) -> None:
        self.shop, self.scorer, self.name, self.log, self.catalog = store.shop, scorer, name, log_, cat
        self.customers = customers  # index customer_key: region, consent
        # plain look-up (.at costs tens of us); consent is read live: an objection counts at once
        self._regions = {str(k): r for k, r in zip(customers.index, customers["region"], strict=True)
                         if isinstance(r, str) and r}
        self.segments = segments  # customer_key -> segment number (None: no segments yet)
        self.segment_names = segment_names
        self.neural = neural
        self.test = {t.user: t for t in test or []}  # each customer's held-out last basket
        # best-sellers rank the same for everyone: their lists are not called personalised
        self.personal = not isinstance(scorer, baselines.Popularity | baselines.RecentPopularity)
        self.offsets = log_.offsets
        self.user_of = {k: u for u, k in enumerate(log_.user_ids)}
        self.item_ids = np.asarray(log_.item_ids, dtype=object)
        self.cat_row = cat.row(self.item_ids[1:])  # model item i -> catalog row (i-1)
        self.model_items = np.zeros(len(cat.products), dtype=np.int64)  # catalog row -> item (0: new)
        self.model_items[self.cat_row[self.cat_row >= 0]] = np.flatnonzero(self.cat_row >= 0) + 1
        pop = np.r_[0.0, cat.bought.to_numpy()[self.cat_row.clip(0)] * (self.cat_row >= 0)]
        self.popularity = pop  # purchase lines per model item (index 0 = padding)
        share = (pop[1:] + 1) / (pop[1:].sum() + len(pop) - 1)
        info = -np.log2(share)
        self.novelty = np.r_[0.0, (info - info.min()) / max(np.ptp(info), 1e-9)]
        self.rebought = cat.is_rebought().to_numpy()
        self.segment_counts = explain.segment_counts(self)
        self._lifts: dict[tuple, np.ndarray] = {}
        self._masks: dict[Controls, np.ndarray] = {}
        self.problems: list[str] = []  # models refused on the way to this one, a stale model

    def static_mask(self, controls: Controls) -> np.ndarray:
        """The filters' mask for everyone, cached per set of controls (do not modify it)."""
        key = replace(controls, n=1, diversity=0.0, novelty=0.0, context_weight=0.0)
        if key not in self._masks:
            if len(self._masks) > 64:
                self._masks.clear()
            self._masks[key] = ranking.static_mask(self.catalog, controls)
        return self._masks[key]

    def context_lift(self, ctx: Context) -> np.ndarray:
        """Each catalog row's sales in this context relative to usual (cached per context)."""
        key = (ctx.daypart, ctx.weekend, ctx.device)  # sales are counted by weekend, not weekday
        if key not in self._lifts:
            if len(self._lifts) > 512:
                self._lifts.clear()
            self._lifts[key] = self.catalog.context_lift(*key).to_numpy()
        return self._lifts[key]

    def popular_in(self, ctx: Context, region: str | None) -> np.ndarray:
        """Each catalog row's sales share in a context and region (cached)."""
        key = ("popular", ctx.daypart, ctx.weekend, ctx.device, region)
        if key not in self._lifts:
            if len(self._lifts) > 512:
                self._lifts.clear()
            self._lifts[key] = self.catalog.popular_in(*key[1:]).to_numpy()
        return self._lifts[key]

    # -- who is this customer ------------------------------------------------------------------
    def history(self, key: str, as_of: int | None = None) -> np.ndarray:
        """Indices into the log of the customer's events before ``as_of`` (most recent last)."""
        u = self.user_of.get(key)
        if u is None:
            return np.zeros(0, dtype=np.int64)
        lo, hi = self.offsets[u], self.offsets[u + 1]
        idx = np.arange(lo, hi)
        if as_of is not None:
            idx = idx[self.log.ts[idx] < as_of]
        return idx[-MAX_EVENTS:]

    def mode_for(self, key: str, hist: np.ndarray) -> str:
        if self._objected(key):
            return "non-personalized"
        if len(hist) == 0:
            return "new"
        if len(hist) < MIN_EVENTS:
            return "segment" if self.segment_of(key) is not None else "new"
        return "personalized"

    def segment_of(self, key: str) -> int | None:
        if self.segments is None or key not in self.segments.index:
            return None
        seg = int(self.segments.at[key])
        return seg if seg >= 0 else None

    def usual_context(self, hist: np.ndarray) -> Context:
        """The customer's most frequent part of day, weekday and device."""
        if not len(hist):
            return Context()
        ctx = self.log.context
        hour = int(np.bincount(ctx["hour"][hist]).argmax()) - 1
        weekday = int(np.bincount(ctx["weekday"][hist]).argmax())
        dev = np.bincount(ctx["device"][hist])
        devices = self.log.context_values.get("device", [])
        device = devices[int(dev[1:].argmax())] if len(dev) > 1 and dev[1:].any() and devices else None
        return Context(catalog_mod.daypart_of(hour) if hour >= 0 else None,
                       weekday if weekday > 0 else None, device)

    def context_for(self, key: str, daypart: str | None = None, weekday: int | None = None,
                    device: str | None = None) -> Context:
        """The visit to imagine: what is given, the rest from the customer's usual habits (only
        for customers who may be profiled)."""
        usual = self.usual_context(self.history(key)) if not self._objected(key) else Context()
        return Context(daypart or usual.daypart, weekday or usual.weekday, device or usual.device)

    def devices(self) -> list[str]:
        """Devices the shop's data knows, most used first."""
        return list(self.log.context_values.get("device", []))

    # -- scoring -------------------------------------------------------------------------------
    def context_codes(self, ctx: Context, as_of: int, last_ts: int | None) -> dict[str, int]:
        """The model's context codes for a visit at ``as_of`` in context ``ctx``."""
        codes = {c: 0 for c in self.log.context}
        if ctx.daypart is not None:
            codes["hour"] = catalog_mod.DAYPART_HOUR[ctx.daypart] + 1
        if ctx.weekday is not None:
            codes["weekday"] = int(ctx.weekday)
        codes["month"] = int(pd.Timestamp(as_of, unit="s").month)
        devices = self.log.context_values.get("device", [])
        if ctx.device is not None and ctx.device in devices:
            codes["device"] = devices.index(ctx.device) + 1
        if last_ts is not None and "gap" in codes:
            gap = max(as_of - last_ts, 1)
            codes["gap"] = int(np.clip(np.floor(np.log2(gap)) // 2 + 1, 1, data.GAP_BUCKETS - 1))
        return codes

    def score_variants(self, hist: np.ndarray, drops: list[np.ndarray], as_of: int,
                       ctx: Context) -> np.ndarray:
        """Model scores (1 + len(drops), n_items + 1): the history, then the history without
        each group of items in ``drops`` - one batched call to the model."""
        log_ = self.log
        parts = [hist] + [hist[~np.isin(log_.item[hist], d)] for d in drops]
        last = int(log_.ts[hist[-1]]) if len(hist) else None
        codes = self.context_codes(ctx, as_of, last)
        return self.score_parts(parts, [codes] * len(parts), [as_of] * len(parts))

    def score_parts(self, parts: list[np.ndarray], codes: list[dict[str, int]],
                    as_of: list[int]) -> np.ndarray:
        """Model scores (len(parts), n_items + 1), column 0 -inf, of each part (indices into the
        log, oldest first) as a history at its visit time and context codes: one model call."""
        log_ = self.log
        idx = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        user = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        mini = data.EventLog(user, log_.item[idx], log_.etype[idx], log_.ts[idx], log_.basket[idx],
                             {c: v[idx] for c, v in log_.context.items()}, len(parts), log_.n_items,
                             log_.context_sizes, log_.item_side, log_.side_sizes, log_.item_ids,
                             [str(k) for k in range(len(parts))], log_.context_values)
        targets = [data.Target(k, int(t), np.zeros(0, np.int64), c)
                   for k, (c, t) in enumerate(zip(codes, as_of, strict=True))]
        with runtime.single_thread():
            scores = np.asarray(self.scorer.score(mini, targets), dtype=np.float64)
        scores[:, 0] = -np.inf
        return scores

    def held_out(self, key: str) -> tuple[int, list[str]] | None:
        """The customer's held-out last basket (its visit's start, its products), if any:
        the model never saw it, so a list as of that time can be checked against it."""
        target = self.test.get(self.user_of.get(key, -1))
        if target is None:
            return None
        return target.cutoff, [str(self.item_ids[i]) for i in target.items]

    def now(self) -> int:
        """The shop's 'now': one second after its last event."""
        return int(self.catalog.end.timestamp()) + 1

    # -- the request ---------------------------------------------------------------------------
    def request(self, key: str, controls: Controls, context: Context | None, as_of: int) -> Request:
        """A request before scoring: history, mode, context (None: the usual one), region, mask."""
        # the history of a customer who objected to profiling is never read
        hist = self.history(key, as_of) if not self._objected(key) else np.zeros(0, np.int64)
        mode = self.mode_for(key, hist)
        if mode == "personalized" and not self.personal:
            mode = "best-sellers"
        if context is None:
            context = self.usual_context(hist)
        region = self.region_of(key) if mode != "non-personalized" else None
        return Request(key, hist, mode, context, region, allowed_mask(self, controls, hist, as_of), as_of)

    def recommend(self, key: str, controls: Controls | None = None, context: Context | None = None,
                  as_of: int | None = None, explain_picks: bool = True) -> Result:
        """Top-N for one customer (``as_of``: as if it were that time, for evaluation)."""
        started = time.perf_counter()
        controls = controls or Controls()
        req = self.request(key, controls, context, as_of or self.now())
        ctx, ok = req.context, req.allowed
        if req.mode in MODEL_MODES:
            cands = candidates.personal(self, req.hist, ok, controls, ctx, req.as_of, explain_picks)
        else:
            cands = candidates.fallback(self, key, req.mode, ok, ctx, req.region, controls)
        return self.finish(req, cands, controls, explain_picks, started)

    def finish(self, req: Request, cands: Candidates, controls: Controls, explain_picks: bool,
               started: float) -> Result:
        """A request's last steps: MMR order, picks (and reasons), scores relative to the best."""
        order = mmr(self, cands, controls)
        picks = [explain.make_pick(self, cands, i, req.key, req.hist, req.context, req.mode, req.as_of,
                                   explain_picks, req.region) for i in order]
        top = picks[0].score if picks and picks[0].score > 0 else 1.0
        for p in picks:
            p.score = float(np.clip(p.score / top, 0, 1))
        notes = [] if len(picks) >= controls.n else [
            f"Only {len(picks)} products pass the filters; loosen them to see more."]
        return Result(req.key, req.mode, picks, req.context, self.name, notes,
                      time.perf_counter() - started)

    def _objected(self, key: str) -> bool:  # read on every request, never cached
        return key in self.customers.index and not bool(self.customers.at[key, "consent"])

    def region_of(self, key: str) -> str | None:
        """The customer's region (their country where the export has none), None if unknown."""
        return self._regions.get(key)


def _customers(store: Store) -> pd.DataFrame:
    return store.df("SELECT customer_key, coalesce(region, country) AS region, "
                    "consent_profiling AS consent FROM customers").set_index("customer_key")


def segment_names(store: Store, customer_data: object | None = None) -> dict[int, str]:
    """Names of the shop's latest segments ({} when none are built yet)."""
    from core.segments import profiles, segments
    run = cache.previous_run(store)
    if run is None:
        return {}
    data = customer_data or profiles.load(store, with_value=False)
    labels = segments.view(run, assign_outliers=True)
    return {k: p.name for k, p in profiles.segment_profiles(data, run.keys, labels).items()}


def is_rule(name: str) -> bool:
    """Whether ``name`` is a rule-based recommender (a baseline), not a trained model's id."""
    return name in baselines.BASELINES


def available_models(store: Store) -> dict[str, str]:
    """Choosable models: the latest trained model of each neural kind, then the baselines."""
    from core.learn.embeddings import LABELS, latest_per_kind

    out = {m["model_id"]: f"{LABELS.get(m['kind'], m['kind'])} ({m['model_id']})"
           for m in latest_per_kind(store)}
    first = ["itemknn", "ease", "repeat", "als"]  # the personal rules before the best-sellers
    names = first + [n for n in baselines.BASELINES if n not in first]
    out.update({name: LABELS.get(name, name) for name in names if name in baselines.BASELINES})
    return out


def load(store: Store, model: str | None = None, segment_names: dict[int, str] | None = None,
         cat: Catalog | None = None, logs: dict | None = None) -> Engine:
    """An engine for ``model``: a model id, or a baseline name; None = the latest trained
    model (or the next good one, see ``core.store.fallback``), or item-kNN when the shop has
    none that can be used (``Engine.problems`` then says why). ``logs``: event logs already read, by
    ``LogOptions`` (filled as they are read), for loading several engines at once."""
    logs = {} if logs is None else logs

    def event_log(options: sequences.LogOptions) -> data.EventLog:
        if options not in logs:
            logs[options] = sequences.event_log(store, options)
        return logs[options]

    from core.learn import embeddings
    from core.segments import segments
    from core.store import artifacts
    chosen, refusals = model, []
    model = model or artifacts.latest_id(store) or "itemknn"
    cat = cat or catalog_mod.load(store)
    if model not in baselines.BASELINES:
        try:
            rec, art, problems = embeddings.load_recommender(store, model)
        except artifacts.ArtifactError as err:
            if chosen is not None:
                raise
            model, refusals = "itemknn", [f"{err} No trained model can be used: item-kNN serves."]
    if model in baselines.BASELINES:
        log_ = event_log(sequences.LogOptions())
        split = data.split(log_)
        scorer: object = baselines.make(model).fit(split)
        name, neural = embeddings.LABELS.get(model, model), False
    else:
        log_ = event_log(sequences.LogOptions(**art.state.get("options", {})))
        if list(rec.item_ids_) != list(log_.item_ids):
            raise ValueError(f"Model {art.model_id} was trained on a different catalog than the "
                             "shop has now: retrain it on the Model page.")
        for p in problems:
            log.warning(p)
        scorer, neural, refusals = rec, True, problems
        name = f"{embeddings.LABELS.get(art.manifest.get('kind'), 'model')} ({art.model_id})"
        split = data.split(log_)
    run = cache.previous_run(store)
    seg = None
    if run is not None:
        seg = pd.Series(segments.view(run, assign_outliers=True), index=pd.Index(run.keys))
    engine = Engine(store, scorer, name, log_, cat, _customers(store), seg, segment_names or {},
                    neural, split.test)
    engine.problems = list(refusals)
    if log_.user_ids:  # the first call pays torch's and numpy's warm-up; not the first customer
        engine.recommend(log_.user_ids[0])
    return engine


__all__ = ["Engine", "MIN_EVENTS", "MODEL_MODES", "available_models", "load", "segment_names"]
