"""Model: train or load the shop's neural model, watch it learn, compare it with simple rules.

The page keeps one layout on every run: each section draws into a container that is there
whatever the state, and a job's panel refreshes itself only while the job runs
(``ui.job_panel``), so the browser never gets an update for a place the page no longer has. The
frame (title, controls) is drawn before anything slow is imported or read.
"""

import streamlit as st

import ui
from core.learn import kinds, wording

store = ui.page_start("pages/model.py", "Model")
shop = store.shop
runner = ui.jobs()
TRAIN, START = f"train-{shop}", f"model_start_{shop}"

# -- the frame: at once, before torch is imported or the histories are read --------------------
notice_box = st.container()
st.subheader("Train")
c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
kind = c1.selectbox("Model", list(kinds.NEURAL), format_func=kinds.LABELS.get, key=f"model_kind_{shop}")
epochs = c2.number_input("Epochs (at most)", 1, 100, 20, key=f"model_epochs_{shop}",
                         help="Training stops early when validation NDCG@10 stops improving.")
seed = c3.number_input("Seed", 0, 10_000, 0, key=f"model_seed_{shop}",
                       help="The same seed on the same data gives the same model.")
start_slot = c4.empty()
start_slot.button("Start training", type="primary", disabled=True, key="model_train_wait",
                  use_container_width=True)
ready_box = st.container()
train_box = st.container()
st.subheader("Trained models")
models_box = st.container()
st.subheader("Default lists for this shop")
defaults_box = st.container()
st.subheader("Compare on this shop")
compare_box, compare_panel_box = st.container(), st.container()
st.subheader("Does order matter here?")
order_box, order_panel_box = st.container(), st.container()
st.subheader("Beyond accuracy")
beyond_box, beyond_panel_box = st.container(), st.container()


# -- the slow part: imported and read once the frame is on screen -------------------------------
import pandas as pd  # noqa: E402

from core.learn import charts as learn_charts  # noqa: E402
from core.learn import embeddings, promotion  # noqa: E402
from core.privacy.retraining import retrain_notice  # noqa: E402
from core.recommend import beyond, lists_report  # noqa: E402
from core.recommend import defaults as list_defaults  # noqa: E402
from core.segments import defaults as segment_defaults  # noqa: E402
from core.store import artifacts  # noqa: E402
from core.store.jobs import Job  # noqa: E402


def show_list_defaults() -> None:
    """What a merchant's lists use without touching a control, and what each choice scored."""
    choice = list_defaults.load(store)
    if choice is None:
        st.caption("Lists use the built-in settings (leave out what a customer bought unless it is "
                   "a re-buy that is due; context weight 0.15). After the next training, the "
                   "settings that do best on this shop's validation baskets are chosen here.")
        return
    verdict = ("kept: no other setting was clearly better" if choice.chosen == list_defaults.BUILT_IN
               else f"{choice.gain():+.1%} NDCG@10 over the built-in settings")
    st.markdown(f"Without touching a control, the Customer page, `shoplens recommend` and the A/B "
                f"arms use **{ui.md_escape(choice.chosen)}** ({verdict}), chosen on "
                f"{choice.baskets:,} validation baskets with {ui.md_escape(choice.model)} on "
                f"{ui.md_escape(choice.when)}. The test baskets were not used.")
    base = choice.scores.get(list_defaults.BUILT_IN) or float("nan")
    st.dataframe(pd.DataFrame({"settings": list(choice.scores),
                               "validation NDCG@10": list(choice.scores.values()),
                               "vs built-in": [v / base - 1 for v in choice.scores.values()],
                               "in use": [k == choice.chosen for k in choice.scores]}),
                 hide_index=True, column_config={
                     "validation NDCG@10": st.column_config.NumberColumn(format="%.4f"),
                     "vs built-in": st.column_config.NumberColumn(format="percent")})


with defaults_box:
    show_list_defaults()



@st.cache_resource(show_spinner=False, max_entries=4)
def prepared(shop_name: str, version: int) -> embeddings.Prepared:
    return embeddings.prepare(ui.get_store(shop_name))


reading = ready_box.empty()
reading.caption("Reading the shop's histories...")
try:
    prep = prepared(shop, ui.data_version(store))
except ValueError as err:  # no purchases of consenting customers at all
    reading.warning(str(err))
    st.stop()
refused = prep.not_ready()
if refused is None:
    reading.caption(embeddings.ladder(prep) + f" Validation: {len(prep.split.valid):,} baskets; "
                    f"test: each customer's last basket ({len(prep.split.test):,}).")
elif prep.no_recommendations:  # spend only: nothing to learn here, but segments need no model
    with reading.container():
        st.info(ui.md_escape(str(refused)))
        st.caption("Segments need no model in this shop: they are built from each customer's "
                   "recency, frequency, money and basket size, when you open the Segments page.")
        st.page_link("pages/segments.py", label="Open the Segments page", icon=":material/groups:")
else:
    reading.info(str(refused))

notice = retrain_notice(store, prep.fingerprint)
if notice:
    why = "; ".join(f"{r['why']} ({r['when'][:10]})" for r in notice["reasons"][-3:])
    notice_box.warning(f"Retrain: models {', '.join(notice['models'])} were trained on data that "
                       f"has since been deleted ({why}). Train a new model below; it replaces them "
                       "in use.")


def train_work(job: Job, kind: str, epochs: int, seed: int) -> str:
    def progress(p: dict) -> None:
        job.report(p["epoch"] / p["epochs"], wording.epoch_line(p), p)

    job.report(0.0, "Preparing training examples...")
    art = embeddings.train(ui.get_store(shop), kind, epochs, seed, prepared=prep,
                           progress=progress, stop=job.cancelled)
    if art is not None and not art.manifest["candidate"]:  # the model is in use: its defaults
        list_defaults.choose_and_save(ui.get_store(shop), art.model_id, progress=lambda f, m: job.report(
            f, f"Training done; choosing this shop's default list settings: {m}"))
        segment_defaults.build_after_training(ui.get_store(shop), progress=lambda f, m: job.report(
            f, f"Training done; building the default segments: {m}"))
    return art.model_id if art else ""


def ask_to_start() -> None:
    st.session_state[START] = True  # started below, once the histories are read


job = runner.latest(TRAIN)
if st.session_state.pop(START, False) and refused is None and not (job and job.running):
    args = (str(kind), int(epochs), int(seed))
    job = runner.start(TRAIN, lambda j: train_work(j, *args))
busy = job is not None and job.running
start_slot.button("Start training", type="primary", key="model_train", on_click=ask_to_start,
                  disabled=busy or refused is not None, use_container_width=True,
                  help="A training is running: cancel it or wait." if busy else (
                      str(refused) if refused else None))


def show_training(job: Job | None) -> None:
    if job is None:
        st.caption("No training started since the app started.")
        return
    snap = job.snapshot()
    if snap["status"] == "running":
        st.progress(snap["progress"], text=("Cancelling after this batch... " if job.cancelled()
                                            else "") + snap["message"])
        st.button("Cancel training", key="model_cancel", on_click=job.cancel, disabled=job.cancelled())
    else:
        manifest = artifacts.manifest_of(store, job.result) if job.result else None
        note = f" {manifest['note']}" if manifest else ""
        took = wording.duration(snap["seconds"])
        if snap["status"] == "failed":
            st.error(f"Training failed: {snap['error']}")
        elif snap["status"] == "cancelled":
            st.warning(f"Training was cancelled after {took}; the best epoch so far was saved as "
                       f"model {job.result}.{note}" if job.result else "Training was cancelled "
                       "before the first epoch ended; nothing was saved.")
        elif job.result:
            st.success(f"Trained in {took} and saved as model {job.result}.{note}")
        else:
            st.warning("Training stopped before the first epoch ended.")
    if snap["points"]:
        st.plotly_chart(learn_charts.training_curve(snap["points"]), key=f"curve_{snap['id']}")


with train_box:
    ui.job_panel(runner, TRAIN, show_training)

# -- models --------------------------------------------------------------------------------------
try:  # every model is checked and rebuilt: a refused one is recorded, the next good one served
    served: tuple | None = embeddings.load_recommender(store)
    serve_error = None
except artifacts.ArtifactError as err:
    served, serve_error = None, str(err)
manifests = artifacts.list_models(store)  # after the load: this render's refusals are listed
with models_box:
    in_use = artifacts.latest_id(store)
    if not manifests:
        st.info("No trained model yet: train one above. Until then the shop's recommendations "
                "use item-kNN (products bought together).")
    else:
        rows = []
        for m in manifests:
            metrics = m.get("metrics", {})
            state = ("damaged" if "damaged" in m else f"refused: {m['refused']}" if "refused" in m
                     else "in use" if m["model_id"] == in_use
                     else "candidate" if m.get("candidate") else "earlier")
            if state in ("in use", "candidate", "earlier") and m.get("data_fingerprint") != prep.fingerprint:
                state += ", stale: data changed"
            rows.append({"model": m["model_id"], "kind": kinds.LABELS.get(m.get("kind"), m.get("kind")),
                         "state": state, "valid NDCG@10": metrics.get("valid", {}).get("ndcg@10"),
                         "test NDCG@10": metrics.get("test", {}).get("ndcg@10"),
                         "test Recall@10": metrics.get("test", {}).get("recall@10"),
                         "training": wording.duration(metrics.get("fit_seconds")),
                         "why": m.get("note", "")})
        st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="%.4f")
            for c in ("valid NDCG@10", "test NDCG@10", "test Recall@10")})
        if served is not None:
            _, art, problems = served
            st.caption(f"In use: {art.model_id} ({kinds.LABELS.get(art.manifest.get('kind'), 'model')}).")
            for problem in problems:
                st.warning(problem)
        else:
            st.error(serve_error)
        others = [m["model_id"] for m in manifests
                  if "damaged" not in m and "refused" not in m and m["model_id"] != in_use]
        if others:
            u1, u2 = st.columns([3, 1], vertical_alignment="bottom")
            chosen = u1.selectbox("Another model", others, key=f"model_other_{shop}",
                                  help="A cancelled or worse run is kept as a candidate: it is used "
                                       "only when you choose it here.")

            def use_chosen(model_id: str = chosen) -> None:
                try:
                    promotion.promote(ui.get_store(shop), model_id)
                except artifacts.ArtifactError as err:
                    st.session_state["model_use_error"] = str(err)

            u2.button("Use this model", key="model_use", on_click=use_chosen, use_container_width=True)
            if error := st.session_state.pop("model_use_error", None):
                st.error(error)


def finished(job: Job | None, what: str) -> Job | None:
    """The job once it has a result; meanwhile its progress bar or its error."""
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


# -- compare -------------------------------------------------------------------------------------
with compare_box:
    st.caption("Every model ranks the whole catalog for each customer's last basket; simple rules "
               "are fitted now on the same training data.")
    if st.button("Compare all models", key="model_compare", disabled=not prep.readiness.scorable,
                 help=None if prep.readiness.scorable else str(refused)):
        runner.start(f"compare-{shop}", lambda job: embeddings.compare(
            ui.get_store(shop), prep, progress=lambda f, m: job.report(f, m)))


def show_comparison(job: Job | None) -> None:
    if (job := finished(job, "Comparison")) is None:
        return
    table = job.result.assign(training=job.result["fit_seconds"].map(wording.duration))
    st.markdown(f"**{embeddings.verdict(table)}**")
    st.plotly_chart(learn_charts.model_comparison(table), key=f"cmp_{job.id}")
    st.dataframe(table[["label", "kind", *kinds.SHOWN, "training"]], hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.4f") for c in kinds.SHOWN})


with compare_panel_box:
    ui.job_panel(runner, f"compare-{shop}", show_comparison)

# -- does order matter? --------------------------------------------------------------------------
with order_box:
    st.caption("The model in use scores each customer's last basket twice: from the true history, "
               "and from the same history with its order shuffled.")

    def order_work(job: Job) -> dict:
        job.report(0.1, "Scoring true and shuffled histories...")
        rec, _, _ = embeddings.load_recommender(ui.get_store(shop))
        return embeddings.order_matters(rec, prep)

    if st.button("Check", key="model_order", disabled=not manifests or refused is not None,
                 help="Train a model first." if not manifests else None):
        runner.start(f"order-{shop}", order_work)


def show_order(job: Job | None) -> None:
    if (job := finished(job, "Check")) is None:
        return
    true, shuffled = job.result["true_order"], job.result["shuffled"]
    o1, o2 = st.columns(2)
    o1.metric("NDCG@10, true order", f"{true:.3f}")
    o2.metric("NDCG@10, shuffled", f"{shuffled:.3f}", f"{shuffled - true:+.3f}")
    if true > shuffled * 1.02:
        st.info("Order matters on this shop: the model does better with the real sequence.")
    else:
        st.info("Order does not help here: the model does no better with the true order. "
                "What customers bought matters, not in which order; simpler models may do.")


with order_panel_box:
    ui.job_panel(runner, f"order-{shop}", show_order)

# -- beyond accuracy -----------------------------------------------------------------------------
with beyond_box:
    st.caption("The top-10 lists a sample of 1,000 customers would see with this shop's default "
               "list settings (above) and only in-stock products: how much of the catalog they "
               "use, how varied and personal they are, and how much they lean on best-sellers.")
    if st.button("Measure", key="model_beyond", disabled=prep.no_recommendations is not None,
                 help=prep.no_recommendations):
        runner.start(f"beyond-{shop}", lambda job: lists_report.report(
            ui.get_store(shop), sample=1000, progress=lambda f, m: job.report(f, m)))


def show_beyond(job: Job | None) -> None:
    if (job := finished(job, "Measuring")) is None:
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


with beyond_panel_box:
    ui.job_panel(runner, f"beyond-{shop}", show_beyond)

