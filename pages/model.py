"""Model: train or load the shop's neural model, watch it learn, compare it with simple rules."""

import pandas as pd
import streamlit as st

import ui
from core.learn import charts as learn_charts
from core.learn import embeddings
from core.privacy.retraining import retrain_notice
from core.recommend import beyond, lists_report
from core.segments import defaults as segment_defaults
from core.store import artifacts
from core.store.jobs import Job

store = ui.page_start("pages/model.py", "Model")
shop = store.shop
runner = ui.jobs()


@st.cache_resource(show_spinner="Reading the shop's histories...", max_entries=4)
def prepared(shop_name: str, version: int) -> embeddings.Prepared:
    return embeddings.prepare(ui.get_store(shop_name))


try:
    prep = prepared(shop, ui.data_version(store))
except ValueError as err:
    st.warning(str(err))
    st.stop()

notice = retrain_notice(store, prep.fingerprint)
if notice:
    why = "; ".join(f"{r['why']} ({r['when'][:10]})" for r in notice["reasons"][-3:])
    st.warning(f"Retrain: models {', '.join(notice['models'])} were trained on data that has since been "
               f"deleted ({why}). Train a new model below; it replaces them in use.")
st.caption(embeddings.ladder(prep) + f" Validation: {len(prep.split.valid):,} baskets; "
           f"test: each customer's last basket ({len(prep.split.test):,}).")

# -- train --------------------------------------------------------------------------------
st.subheader("Train")
c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
kind = c1.selectbox("Model", list(embeddings.NEURAL), format_func=embeddings.LABELS.get,
                    key=f"model_kind_{shop}")
epochs = c2.number_input("Epochs (at most)", 1, 100, 20, key=f"model_epochs_{shop}",
                         help="Training stops early when validation NDCG@10 stops improving.")
seed = c3.number_input("Seed", 0, 10_000, 0, key=f"model_seed_{shop}",
                       help="The same seed on the same data gives the same model.")
c4.write("")


def train_work(job: Job, kind: str = kind, epochs: int = int(epochs), seed: int = int(seed)) -> str:
    def progress(p: dict) -> None:
        job.report(p["epoch"] / p["epochs"],
                   f"Epoch {p['epoch']} of at most {p['epochs']}: loss {p['loss']:.3f}, "
                   f"validation NDCG@10 {p['valid_ndcg10']:.3f}, about {p['eta_seconds']:.0f}s left",
                   p)

    job.report(0.0, "Preparing training examples...")
    art = embeddings.train(ui.get_store(shop), kind, epochs, seed, prepared=prep,
                           progress=progress, stop=job.cancelled)
    if art is not None:  # the last step: the default segments, so the Segments page opens at once
        segment_defaults.build_after_training(ui.get_store(shop), progress=lambda f, m: job.report(
            f, f"Training done; building the default segments: {m}"))
    return art.model_id if art else ""


if c4.button("Start training", type="primary", key="model_train", use_container_width=True):
    runner.start(f"train-{shop}", train_work)


@st.fragment(run_every=1.0)
def training_panel() -> None:
    job = runner.latest(f"train-{shop}")
    if job is None:
        st.caption("No training started in this session of the app.")
        return
    snap = job.snapshot()
    if snap["status"] == "running":
        st.progress(snap["progress"], text=snap["message"])
        if st.button("Cancel training", key="model_cancel"):
            job.cancel()
    elif snap["status"] == "done":
        st.success(f"Trained in {snap['seconds']:.0f}s and saved as model {job.result}."
                   if job.result else "Training stopped before the first epoch ended.")
    elif snap["status"] == "cancelled":
        st.warning("Training was cancelled; the best epoch so far was kept."
                   if job.result else "Training was cancelled.")
    else:
        st.error(f"Training failed: {snap['error']}")
    if snap["points"]:
        st.plotly_chart(learn_charts.training_curve(snap["points"]), key=f"curve_{snap['id']}")
    seen = f"model_seen_{snap['id']}"
    if snap["status"] != "running" and not st.session_state.get(seen):
        st.session_state[seen] = True
        st.rerun()  # the whole page: the new model joins the list below


training_panel()

# -- models --------------------------------------------------------------------------------
st.subheader("Trained models")
manifests = artifacts.list_models(store)
if not manifests:
    st.info("No trained model yet: train one above.")
else:
    rows = []
    for m in manifests:
        test = m.get("metrics", {}).get("test", {})
        rows.append({"model": m["model_id"], "kind": embeddings.LABELS.get(m.get("kind"), m.get("kind")),
                     "test NDCG@10": test.get("ndcg@10"), "test Recall@10": test.get("recall@10"),
                     "training (s)": m.get("metrics", {}).get("fit_seconds"),
                     "state": "damaged" if "damaged" in m else (
                         "stale: data changed" if m.get("data_fingerprint") != prep.fingerprint
                         else "current")})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    try:
        _, art, problems = embeddings.load_recommender(store)
        st.caption(f"In use: {art.model_id} (the latest intact model).")
        for problem in problems:
            st.warning(problem)
    except artifacts.ArtifactError as err:
        st.error(str(err))

# -- compare -------------------------------------------------------------------------------
st.subheader("Compare on this shop")
st.caption("Every model ranks the whole catalog for each customer's last basket; simple rules "
           "are fitted now on the same training data.")
if st.button("Compare all models", key="model_compare"):
    runner.start(f"compare-{shop}", lambda job: embeddings.compare(
        ui.get_store(shop), prep, progress=lambda f, m: job.report(f, m)))


def finished(name: str, what: str) -> Job | None:
    """The named job once it has a result; meanwhile its progress bar or its error."""
    job = runner.latest(name)
    if job is None:
        return None
    snap = job.snapshot()
    if snap["status"] == "running":
        st.progress(snap["progress"], text=snap["message"])
        return None
    if snap["status"] == "failed":
        st.error(f"{what} failed: {snap['error']}")
        return None
    return job


@st.fragment(run_every=1.0)
def compare_panel() -> None:
    job = finished(f"compare-{shop}", "Comparison")
    if job is None:
        return
    table = job.result
    st.markdown(f"**{embeddings.verdict(table)}**")
    st.plotly_chart(learn_charts.model_comparison(table), key=f"cmp_{job.id}")
    shown = table[["label", "kind", *embeddings.SHOWN, "fit_seconds"]]
    st.dataframe(shown, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.4f") for c in embeddings.SHOWN})


compare_panel()

# -- does order matter? ---------------------------------------------------------------------
st.subheader("Does order matter here?")
st.caption("The model in use scores each customer's last basket twice: from the true history, "
           "and from the same history with its order shuffled.")
if manifests and st.button("Check", key="model_order"):
    def order_work(job: Job) -> dict:
        job.report(0.1, "Scoring true and shuffled histories...")
        rec, _, _ = embeddings.load_recommender(ui.get_store(shop))
        return embeddings.order_matters(rec, prep)

    runner.start(f"order-{shop}", order_work)


@st.fragment(run_every=1.0)
def order_panel() -> None:
    job = finished(f"order-{shop}", "Check")
    if job is not None:
        true, shuffled = job.result["true_order"], job.result["shuffled"]
        c1, c2 = st.columns(2)
        c1.metric("NDCG@10, true order", f"{true:.3f}")
        c2.metric("NDCG@10, shuffled", f"{shuffled:.3f}", f"{shuffled - true:+.3f}")
        if true > shuffled * 1.02:
            st.info("Order matters on this shop: the model does better with the real sequence.")
        else:
            st.info("Order does not help here: the model does no better with the true order. "
                    "What customers bought matters, not in which order; simpler models may do.")


order_panel()

# -- beyond accuracy ------------------------------------------------------------------------
st.subheader("Beyond accuracy")
st.caption("The top-10 lists a sample of 1,000 customers would see (bought products left out "
           "unless due again, only in-stock products): how much of the catalog they use, how "
           "varied and personal they are, and how much they lean on best-sellers.")
if st.button("Measure", key="model_beyond"):
    runner.start(f"beyond-{shop}", lambda job: lists_report.report(
        ui.get_store(shop), sample=1000, progress=lambda f, m: job.report(f, m)))


@st.fragment(run_every=1.0)
def beyond_panel() -> None:
    job = finished(f"beyond-{shop}", "Measuring")
    if job is None:
        return
    table = job.result
    shown = table.drop(columns=["model_key"]).rename(columns={
        "coverage": "catalog coverage", "diversity": "intra-list diversity", "novelty": "novelty (bits)",
        "popularity_lift": "popularity vs purchases", "gini": "exposure Gini",
        "long_tail": "long-tail share"})
    st.dataframe(shown, hide_index=True, column_config={
        "catalog coverage": st.column_config.NumberColumn(format="percent"),
        "long-tail share": st.column_config.NumberColumn(format="percent"),
        **{c: st.column_config.NumberColumn(format="%.2f") for c in (
            "intra-list diversity", "novelty (bits)", "personalization", "popularity vs purchases",
            "exposure Gini")}})
    first = table.iloc[0]
    st.markdown(f"**{first['model']}**")
    for sentence in beyond.explain_summary(first.to_dict()):
        st.markdown(f"- {sentence}")


beyond_panel()
