"""Segments: who the shop's customers are, on a map, in groups with names, sizes and value."""

import numpy as np
import pandas as pd
import streamlit as st

import ui
from core.segments import audience, cache, defaults, profiles, segments
from core.segments import charts as segment_charts
from core.segments import stats as segment_stats
from core.segments.types import FEATURE_PARTS, UNASSIGNED, SegmentConfig, SegmentRun
from core.shop.money import column_format
from core.store import artifacts
from core.store.jobs import Job

store = ui.page_start("pages/segments.py", "Segments")
shop = store.shop
currency = ui.currency(store)
runner = ui.jobs()

models = [m for m in artifacts.list_models(store) if "damaged" not in m and "refused" not in m]
default = defaults.choose(store)  # a shop without products is segmented without a model
if default is None or (default.model_id is not None and not models):
    st.info("Segments are built from the customer vectors of a trained model. "
            "Train one on the Model page first (about a minute on the demo shop).")
    st.page_link("pages/model.py", label="Go to the Model page", icon=":material/model_training:")
    st.stop()
model_less = default.model_id is None
if model_less:
    st.caption(default.why)

# -- settings ----------------------------------------------------------------------------------
with st.expander("Settings: model, inputs, smallest segment", expanded=False):
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    ids = [m["model_id"] for m in models]  # newest first
    if model_less:
        model_id = None
        c1.caption("No model: this shop has no products to learn behaviour from.")
    else:
        model_id = c1.selectbox("Model", ids, key=f"seg_model_{shop}",
                                index=ids.index(default.model_id) if default.model_id in ids else 0,
                                format_func=lambda i: ui.model_label(i, default.model_id, ids))
    parts = c2.multiselect(
        "Cluster customers on", [p for p in FEATURE_PARTS if not (model_less and p == "embedding")],
        default=list(default.config.parts), key=f"seg_parts_{shop}",
        format_func={"embedding": "learned behaviour (model)", "rfm": "recency, frequency, money",
                     "context": "when and how they shop"}.get,
        help="The learned vectors capture what customers buy and in what order; add RFM or "
             "context features to weigh value or habits more.")
    min_size = c3.number_input("Smallest segment", 0, 100_000, 0, key=f"seg_min_{shop}",
                               help="0 = scaled to the shop's size (about 1% of customers).")
    seed = c4.number_input("Seed", 0, 10_000, 0, key=f"seg_seed_{shop}")
try:
    cfg = SegmentConfig(parts=tuple(parts) or default.config.parts,
                                 min_cluster_size=int(min_size) or None, seed=int(seed))
except ValueError as err:
    st.error(ui.md_escape(str(err)))
    st.stop()
job_name = f"segments-{shop}-{model_id}-{cfg.key()}"


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_run(shop_name: str, model: str, settings: SegmentConfig, version: int,
               finished: str) -> SegmentRun | None:
    return cache.cached(ui.get_store(shop_name), model, settings)


def build_work(job: Job) -> str:
    run = segments.build(ui.get_store(shop), model_id, cfg, progress=lambda f, m: job.report(f, m))
    return str(run.meta.get("model_id"))


job = runner.latest(job_name)
run = cached_run(shop, model_id, cfg, ui.data_version(store), job.id if job and not job.running else "")
if run is None:
    if job is None:
        job = runner.start(job_name, build_work)
    st.caption("Building segments: the first run on a model maps every customer (UMAP) and finds "
               "groups (HDBSCAN); later visits open instantly from the cache.")

    @st.fragment(run_every=1.0)
    def build_panel() -> None:
        snap = runner.latest(job_name).snapshot()
        if snap["status"] == "running":
            st.progress(snap["progress"], text=snap["message"])
        elif snap["status"] == "failed":
            st.error(f"Building segments failed: {snap['error']}")
            if st.button("Try again", key="seg_retry"):
                runner.start(job_name, build_work)
        else:
            st.rerun()

    build_panel()
    st.stop()

# -- view choices -----------------------------------------------------------------------------
c1, c2, c3 = st.columns([1, 1, 1])
assign = c1.toggle("Put every customer in a segment", key=f"seg_assign_{shop}",
                   help="Unassigned customers (between segments) join the nearest segment.")
merge_below = c2.number_input("Merge segments smaller than", 0, 100_000, 0, key=f"seg_merge_{shop}",
                              help="Customers; 0 = keep every segment.")
colour = c3.selectbox("Colour the map by", ["segment", "monetary", "frequency", "recency_days",
                                             "basket_value", "value_12m", "churn_risk"],
                      key=f"seg_colour_{shop}")
labels = segments.view(run, assign_outliers=assign, merge_below=int(merge_below))
data = ui.customer_data(store)


@st.cache_resource(show_spinner="Describing the segments...", max_entries=8)
def segment_profiles(shop_name: str, version: int, run_id: str, assign: bool, merge: int,
                     money: str | None) -> dict[int, profiles.GroupProfile]:
    return profiles.segment_profiles(data, run.keys, labels)


run_id = f"{run.meta.get('model_id')}-{cfg.key()}-{run.meta.get('created')}"
profs = segment_profiles(shop, ui.data_version(store), run_id, assign, int(merge_below), currency)
names = {k: p.name for k, p in profs.items()}

m1, m2, m3, m4 = st.columns(4)
m1.metric("Customers on the map", f"{len(labels):,}")
m2.metric("Segments", f"{len(profs)}")
m3.metric("Unassigned", f"{(labels == UNASSIGNED).mean():.0%}")
stab = st.session_state.get(f"seg_stability_{run_id}")
m4.metric("Stability", f"{min(stab['seeds'], stab['subsamples']):.2f}" if stab else "-",
          help="Agreement (adjusted Rand index, 0-1) with reruns on other seeds and on 80% of the "
               "customers. Measure it on the 'Are they different?' tab.")
for note in [*run.meta.get("problems", []), *data.notes]:
    st.warning(ui.md_escape(note))
if data.numeric.attrs.get("value_report"):
    with st.expander("How good are the predicted 12-month value and churn risk?"):
        st.write(" ".join(data.numeric.attrs["value_report"]))
        st.caption("A gradient-boosted model learns from an earlier period and is checked on a later "
                   "period it did not see, on customers it did not learn from; the figures above are "
                   "that check. The check below goes forward in time, as the forecast is used.")
        if data.numeric.attrs.get("value_backtest"):
            st.write(" ".join(data.numeric.attrs["value_backtest"]))

points = pd.DataFrame({"x": run.map[:, 0], "y": run.map[:, 1], "segment": labels,
                       "customer_key": run.keys})
points["segment_name"] = points["segment"].map(lambda s: names.get(int(s), "unassigned"))
points = points.join(data.numeric.reindex(points["customer_key"]).reset_index(drop=True)
                     [[c for c in ("frequency", "monetary", "recency_days", "basket_value", "value_12m",
                                   "churn_risk") if c in data.numeric]])
for col in ("frequency", "monetary", "recency_days"):
    if col not in points:
        points[col] = np.nan
if colour not in points:
    st.caption(f"{colour.replace('_', ' ')} is not available for this shop; coloured by segment.")
    colour = "segment"


def profile_block(prof: profiles.GroupProfile, key: str) -> None:
    st.markdown(f"**{ui.md_escape(prof.name)}**")  # names and descriptions quote imported labels
    st.markdown(ui.md_escape(prof.description))
    a, b = st.columns(2)
    a.plotly_chart(segment_charts.lift_bars(prof.categories, "category", "Categories, against the shop"),
                   key=f"cat_{key}")
    traits = prof.traits.assign(label=prof.traits["kind"] + ": " + prof.traits["value"].astype(str))
    traits = traits[traits["share"] >= 0.05].sort_values("lift", ascending=False).groupby("kind").head(2)
    b.plotly_chart(segment_charts.lift_bars(traits, "label",
                                            "When, where and how they shop"), key=f"ctx_{key}")
    if not prof.products.empty:
        st.caption("Products they buy far more often than the average customer")
        st.dataframe(prof.products[["title", "category", "buyers", "share", "lift"]], hide_index=True,
                     column_config={
                         "share": st.column_config.NumberColumn("share of group", format="percent"),
                         "lift": st.column_config.NumberColumn(format="%.1fx")})


def download(frame: pd.DataFrame, label: str, file: str, key: str) -> None:
    st.download_button(f"{label} ({len(frame):,} customers who consented, CSV)", audience.to_csv(frame),
                       file_name=file, mime="text/csv", key=key)


tab_map, tab_seg, tab_time, tab_tree, tab_diff = st.tabs(
    ["Map", "Segments", "Over time & RFM", "Hierarchy", "Are they different?"])

with tab_map:
    fig = segment_charts.segment_map(points, colour, currency=currency)
    event = st.plotly_chart(fig, on_select="rerun", selection_mode=("lasso", "box"), key=f"segmap_{run_id}")
    picked = [p["customdata"][0] for p in (event.selection.points if event else [])
              if p.get("customdata")]
    if picked:
        st.subheader(f"Your selection: {len(picked):,} customers")
        profile_block(profiles.describe(data, picked), "sel")
        chosen = np.isin(run.keys, picked)
        download(audience.members(store, data, run.keys[chosen], labels[chosen], names),
                 "Download the selection", f"{shop}-selection.csv", "dl_sel")
    else:
        st.caption("Draw a lasso or a box on the map to profile those customers and export them.")

with tab_seg:
    table = profiles.table(profs)
    st.dataframe(table, hide_index=True, column_config={
        "share of customers": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "share of revenue": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        **{c: st.column_config.NumberColumn(format="%.1f") for c in table.columns if c.startswith("median")},
        **{c: st.column_config.NumberColumn(format=column_format(currency))
           for c in ("median monetary", "median basket value", "median value 12m") if c in table},
        "median churn risk": st.column_config.NumberColumn("mean churn risk", format="percent")})
    everyone = audience.members(store, data, run.keys, labels, names)
    download(everyone, "Download all segments", f"{shop}-segments.csv", "dl_all")
    if profs:
        k = st.selectbox("Open a segment", list(profs), format_func=lambda s: f"{s}: {names[s]}",
                         key=f"seg_open_{shop}")
        profile_block(profs[k], f"seg{k}")
        crowd = everyone[everyone["segment"] == k]
        st.caption(f"The segment's customers ({len(crowd):,})")
        st.dataframe(crowd, hide_index=True, height=260)
        download(crowd, f"Download segment {k}", f"{shop}-segment-{k}.csv", "dl_one")
        if len(profs[k].rfm_groups):
            st.caption("Classic RFM groups in this segment: " + ", ".join(
                f"{g} {s:.0%}" for g, s in profs[k].rfm_groups.head(4).items()))

with tab_time:
    sizes = segment_stats.monthly_sizes(store, run.keys, labels)
    st.plotly_chart(segment_charts.sizes_over_time(sizes, names), key="seg_time")
    if "rfm_group" in data.numeric:
        groups = data.numeric["rfm_group"].reindex(run.keys)
        cross = pd.crosstab(pd.Series(labels).map(lambda s: names.get(int(s), "unassigned")).to_numpy(),
                            groups.to_numpy(), normalize="index")
        st.plotly_chart(segment_charts.rfm_crosswalk(cross), key="seg_rfm")

with tab_tree:
    leaves = {int(node): int(seg) for seg, node in run.meta.get("leaf_nodes", {}).items()}
    st.plotly_chart(segment_charts.hierarchy(run.tree, names, leaves), key="seg_tree")
    st.caption("HDBSCAN grows segments as dense groups split from the whole; click a block to "
               "zoom in. Groups that are not segments split further or fade into unassigned.")

with tab_diff:
    diff = segment_stats.differences(data, run.keys, labels)
    sig = diff[diff["significant"]] if not diff.empty else diff
    st.markdown(f"**{len(sig)} of {len(diff)} measures differ between segments** "
                "(Kruskal-Wallis test per measure, Holm-corrected, p < 0.01).")
    shown = diff.drop(columns=["p"]).assign(measure=diff["measure"].str.replace("_", " "))
    st.dataframe(shown, hide_index=True, column_config={
        "H": st.column_config.NumberColumn(format="%.0f"),
        "p_holm": st.column_config.NumberColumn("p (Holm)", format="%.1e"),
        "effect": st.column_config.NumberColumn("effect (ε²)", format="%.3f",
                                                help="Share of the measure's rank variance explained by "
                                                     "the segments: 0.01 small, 0.06 medium, 0.14 large.")})
    if st.button("Measure stability", key="seg_stability",
                 help="Reruns the pipeline twice with other seeds and twice on 80% of customers."):
        def stability_work(job: Job) -> dict:
            _, X, _, _ = segments.inputs_for(ui.get_store(shop), model_id, cfg)
            return segment_stats.agreement(X, run.labels, cfg, progress=lambda f, m: job.report(f, m))

        runner.start(f"stability-{run_id}", stability_work)

    @st.fragment(run_every=1.0)
    def stability_panel() -> None:
        j = runner.latest(f"stability-{run_id}")
        if j is None:
            return
        snap = j.snapshot()
        if snap["status"] == "running":
            st.progress(snap["progress"], text=snap["message"])
        elif snap["status"] == "failed":
            st.error(f"Stability check failed: {snap['error']}")
        elif j.result:
            st.info(segment_stats.stability_words(j.result))
            if st.session_state.get(f"seg_stability_{run_id}") != j.result:
                st.session_state[f"seg_stability_{run_id}"] = j.result
                st.rerun()

    stability_panel()
