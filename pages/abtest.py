"""A/B test: try recommendation policies on a simulated copy of the shop before the live shop."""

import math

import pandas as pd
import streamlit as st

import ui
from core.abtest import abtest, planning, simulate
from core.abtest import charts as ab_charts
from core.abtest.policies import Arm
from core.abtest.wording import cuped_sentence, metric_value, pct, pvalue, run_line, visitors_a_day
from core.abtest.world import ASSUMED_CONVERSION, WorldConfig
from core.recommend import defaults as list_defaults
from core.recommend import recommend
from core.store.jobs import Job

store = ui.page_start("pages/abtest.py", "A/B test", needs_products=True)
shop = store.shop
currency = ui.currency(store)
runner = ui.jobs()
JOB = f"abtest-{shop}"
SHOWN = f"ab_shown_{shop}"

st.caption("Try recommendation policies on a simulated copy of your customers before changing the live "
           "shop: which is likely better, by how much, how sure you can be, and how long a real test "
           "would need with your traffic.")
with st.expander("How the simulated world works, and what it cannot tell you"):
    st.markdown(
        "- **Customers** visit at the rate each of them visited your shop, with your shop's weekday and "
        "month pattern. Each is put in one arm at random and stays there.\n"
        "- **Their response** comes from a separate, transparent model of four habits read from your "
        "data: the categories each customer buys, how popular a product is within its category, the "
        "customer's usual price level, and re-buying. It is **none of the models you can test**, so it "
        "does not favour one of them for being itself; it favours policies that match those habits.\n"
        "- **Position matters**: the first slot is seen most. A visit can also end in an order without "
        "the recommendations, at your measured conversion.\n"
        "- **Assumptions you can change** below: how much of your orders recommendations bring today and "
        "how often a clicked product is bought. Results say how policies compare *in this world*; a "
        "live test remains the final word, and the planner says how long one would take.\n"
        "- **Statistics**: 95% intervals (wider with more than two arms, Bonferroni; p-values Holm), the "
        "delta method for ratios, an always-valid band that stays honest if you look every day, and "
        "a sample-ratio check of the split.")

# -- set up ---------------------------------------------------------------------------------------
models = recommend.available_models(store)
labels = {**models, "none": "No recommendations"}
options = list(labels)
neural = [m for m in models if not recommend.is_rule(m)]  # trained models, newest kind first
defaults = ["popularity", neural[0] if neural else "itemknn", "itemknn", "none"]

st.subheader("Set up the test")
top = st.columns([1, 1, 1, 1])
n_arms = top[0].radio("Arms", [2, 3, 4], horizontal=True, key=f"ab_arms_{shop}")
days = top[1].slider("Days", 7, 120, 30, key=f"ab_days_{shop}")
metric = top[2].selectbox("Decide on", list(simulate.METRICS), format_func=lambda m: simulate.METRICS[m],
                          key=f"ab_metric_{shop}")
n_slots = top[3].number_input("Products shown", 3, 20, 10, key=f"ab_slots_{shop}",
                              help="The length of the recommendation list, the same in every arm.")
arms: list[Arm] = []
for i, col in enumerate(st.columns(n_arms)):
    with col.container(border=True):
        name = st.text_input("Arm name", "ABCD"[i], key=f"ab_name_{shop}_{i}", max_chars=40)
        default = defaults[i] if defaults[i] in options else options[0]
        model = st.selectbox("Policy", options, index=options.index(default), format_func=labels.get,
                             key=f"ab_model_{shop}_{i}")
        diversity = st.slider("Diversity", 0.0, 1.0, 0.0, 0.1, key=f"ab_div_{shop}_{i}",
                              disabled=model == "none")
        novelty = st.slider("Novelty", 0.0, 1.0, 0.0, 0.1, key=f"ab_nov_{shop}_{i}", disabled=model == "none")
        cap = st.number_input("Exposure cap (% of lists, 0 = none)", 0, 100, 0, key=f"ab_cap_{shop}_{i}",
                              disabled=model == "none",
                              help="No product in more than this share of the arm's lists: spreads "
                                   "attention over more of the catalog, usually at some cost.")
        share = st.number_input("Traffic (%)", 1, 99, 100 // n_arms, key=f"ab_share_{shop}_{i}_{n_arms}")
        st.caption("Control" if i == 0 else "Challenger")
        arms.append(Arm(name.strip() or "ABCD"[i], model,
                        list_defaults.controls(store, n=int(n_slots), diversity=diversity, novelty=novelty,
                                               new_products=False),
                        float(share), cap / 100 if cap and model != "none" else None))

with st.expander("World assumptions and options"):
    w1, w2, w3 = st.columns(3)
    rec_share = w1.slider("Orders from recommendations today (%)", 2, 40, 10, key=f"ab_recshare_{shop}",
                          help="With best-sellers in the slots. Sets how strongly the world reacts "
                               "to lists.")
    buy = w2.slider("Clicked products bought (%)", 2, 50, 10, key=f"ab_buy_{shop}")
    own_conv = w3.checkbox("Set the conversion per visit myself", key=f"ab_ownconv_{shop}",
                           help="By default it is measured from your sessions (or assumed "
                                f"{ASSUMED_CONVERSION:.0%} when your data has orders only).")
    conversion = w3.slider("Conversion per visit (%)", 0.5, 50.0, 3.0, 0.5, key=f"ab_conv_{shop}",
                           disabled=not own_conv)
    o1, o2, o3, o4 = st.columns(4)
    repeats = o1.slider("Repeats", 0, 100, 20, key=f"ab_repeats_{shop}",
                        help="The same test re-run with new random customers and behaviour.")
    population = o2.number_input("Customers (0 = your shop's)", 0, 2_000_000, 0, step=1000,
                                 key=f"ab_pop_{shop}",
                                 help="Simulate a bigger shop with customers like yours.")
    alpha = o3.selectbox("Error rate", [0.05, 0.10, 0.01], key=f"ab_alpha_{shop}",
                         format_func=lambda a: f"{a:.0%} (≈{1 - a:.0%} sure)")
    seed = o4.number_input("Seed", 0, 1_000_000, 0, key=f"ab_seed_{shop}")

run_name = st.text_input("Name this run", " vs ".join(a.name for a in arms),
                         key=f"ab_runname_{shop}_{n_arms}")


def work(job: Job, plan: abtest.Plan, name: str) -> str:
    report = abtest.simulate_shop(ui.get_store(shop), plan, lambda f, m: job.report(f, m))
    return abtest.save(store, report, name)


if st.button("Run simulation", type="primary", key=f"ab_run_{shop}", icon=":material/play_arrow:"):
    try:
        plan = abtest.Plan(arms, days=int(days), repeats=int(repeats), seed=int(seed),
                           population=int(population) or None, metric=metric, alpha=float(alpha),
                           world=WorldConfig(rec_share=rec_share / 100, buy_after_click=buy / 100,
                                             conversion=conversion / 100 if own_conv else None,
                                             slots=int(n_slots)))
    except ValueError as err:
        st.error(ui.md_escape(str(err)))
    else:
        runner.start(JOB, lambda job, p=plan, n=run_name: work(job, p, n))


@st.fragment(run_every=1.0)
def run_panel() -> None:
    job = runner.latest(JOB)
    if job is None:
        return
    snap = job.snapshot()
    if snap["status"] == "running":
        st.progress(snap["progress"], text=snap["message"])
        if st.button("Cancel", key="ab_cancel"):
            job.cancel()
        return
    if snap["status"] == "failed":
        st.error(f"The simulation failed: {snap['error']}")
        return
    seen = f"ab_seen_{snap['id']}"
    if snap["status"] == "done" and not st.session_state.get(seen):
        st.session_state[seen] = True
        st.session_state[SHOWN] = job.result
        st.rerun()  # the whole page: the new run opens below


run_panel()


# -- results --------------------------------------------------------------------------------------
def show(report: dict) -> None:
    label = simulate.METRICS[report["metric"]]
    names = [a["name"] for a in report["arms"]]
    st.caption(run_line(report))
    primary = [x for x in report["lifts"] if x["metric"] == report["metric"]]
    for lift, text in zip(primary, report["verdicts"], strict=True):
        (st.success if lift["significant"] else st.info)(text)
        seq = ("excludes no change" if lift["seq_significant"] else "still includes no change")
        st.caption(f"Looking every day? {lift['arm']}'s always-valid interval, {pct(lift['seq_low'])} to "
                   f"{pct(lift['seq_high'])}, {seq}. In the simulated world the true lift is "
                   f"{pct(lift['true_rel_lift'])}.")
        cuped = cuped_sentence(lift, label, report["days"])
        if cuped:
            st.caption(cuped)
    srm = report["srm"]
    (st.error if srm["flagged"] else st.caption)(srm["message"])
    small = [a["name"] for a in report["arms"] if a["visitors"] < 1000]
    if small:
        st.warning(f"Fewer than 1,000 visitors in {', '.join(small)}: intervals of revenue and order "
                   "value rest on few orders and can be too narrow. Run more days or more customers.")

    st.markdown("**Per arm**")
    rows = [{"arm": a["name"], "policy": a["policy"], "traffic": f"{a['share']:.0%}",
             "visitors": a["visitors"],
             **{simulate.METRICS[m]: metric_value(m, a["values"][m], currency) for m in simulate.METRICS}}
            for a in report["arms"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.markdown(f"**Lift over {names[0]}**")
    lifts = [{"arm": x["arm"], "metric": simulate.METRICS[x["metric"]], "lift": pct(x["rel_lift"]),
              "interval": f"{pct(x['rel_low'])} to {pct(x['rel_high'])}",
              "p (adjusted)": pvalue(x["p_adjusted"]),
              "always-valid interval": f"{pct(x['seq_low'])} to {pct(x['seq_high'])}",
              "true in the world": pct(x["true_rel_lift"])} for x in report["lifts"]]
    st.dataframe(pd.DataFrame(lifts), hide_index=True)

    true = {x["arm"]: x["true_rel_lift"] for x in report["lifts"] if x["metric"] == report["metric"]}
    c1, c2 = st.columns(2)
    daily = pd.DataFrame(report["daily"])
    c1.plotly_chart(ab_charts.cumulative_lift(daily, names, label, true),
                    key=f"ab_cum_{report.get('run_id')}")
    if report["repeats_n"]:
        c2.plotly_chart(ab_charts.lift_distribution(report["repeats"], label, true),
                        key=f"ab_dist_{report.get('run_id')}")
        wins = ", ".join(f"{n} in {v:.0%}" for n, v in report["repeat_wins"].items())
        c2.caption(f"Share of repeats where the challenger was significantly better: {wins}.")
    st.markdown("**Planning a real test**")
    for sentence in report["power"]:
        st.markdown(f"- {ui.md_escape(sentence)}")
    base = report.get("baseline")
    if base and base["sd"] and math.isfinite(base["sd"]) and base["mean"] and math.isfinite(base["mean"]):
        p1, p2, p3 = st.columns(3)
        key = report.get("run_id")
        daily = p1.number_input("Visitors a day in a real test", 1, 10_000_000,
                                max(1, round(visitors_a_day(report))), key=f"ab_plan_daily_{key}")
        want = p2.number_input("Lift to detect (%)", 1.0, 200.0, 10.0, 1.0, key=f"ab_plan_lift_{key}")
        weeks = p3.number_input("Or: weeks you can run", 1, 104, 4, key=f"ab_plan_weeks_{key}")
        k = len(report["arms"])
        st.markdown("- " + ui.md_escape(planning.power_sentence(daily, base["mean"], base["sd"], want / 100,
                                                             report["alpha"], 0.8, k)))
        n = daily * weeks * 7 / k
        smallest = planning.mde(n, base["mean"], base["sd"], report["alpha"], 0.8, k)
        plural = "s" if weeks > 1 else ""
        st.markdown("- " + ui.md_escape(f"In {weeks} week{plural} ({n:,.0f} visitors per arm) the smallest "
                                        f"lift you could reliably detect is about {smallest:+.0%}."))
        st.caption(f"80% power, {report['alpha']:.0%} error rate, baseline {label} "
                   f"{metric_value(report['metric'], base['mean'], currency)} from the control arm.")

    st.markdown("**Guardrails**")
    guard = [{"arm": a["name"], "list diversity": round(a["diversity"], 3),
              "catalog shown": pct(a["coverage"], sign=False),
              "personalised lists": pct(a["personalised_share"], False),
              "objectors": a["objectors"],
              "objectors served non-personalised": pct(a["objectors_non_personalised"], False)}
             for a in report["arms"]]
    st.dataframe(pd.DataFrame(guard), hide_index=True)
    off = report.get("offpolicy")
    if off:
        st.markdown("**Off-policy check on logged traffic**")
        st.caption(f"{off['rounds']:,} logged visits of a 'featured product' slot whose product was "
                   f"drawn at random ({1 - off['epsilon']:.0%} from the arms' lists, {off['epsilon']:.0%} "
                   "from the whole catalog), as a shop would log for this. IPS, SNIPS and doubly robust "
                   "(DR) estimates are unbiased; the direct method (DM) leans on its model: its "
                   "interval, a bootstrap over the model's refits, shows that model's noise but not its "
                   "bias, and where the model rests mostly on its fallback DM has none.")
        table = pd.DataFrame(off["rows"])
        st.plotly_chart(ab_charts.offpolicy_estimates(table, off["true"]),
                        key=f"ab_ope_{report.get('run_id')}")
        for warning in sorted(set(table["warnings"].dropna()) - {""}):
            st.warning(warning)


runs = abtest.list_runs(store)
if not runs:
    st.info("No simulation yet: set up the arms above and press Run simulation.")
    st.stop()
st.subheader("Results")
ids = [r["run_id"] for r in runs]
titles = {r["run_id"]: f"{r['name']} ({r['created'][:16].replace('T', ' ')}, {r['days']} days)" for r in runs}
shown = st.session_state.get(SHOWN)
chosen = st.selectbox("Run", ids, index=ids.index(shown) if shown in ids else 0, format_func=titles.get,
                      key=f"ab_pick_{shop}_{shown}")
show(abtest.load_run(store, chosen))

if len(runs) > 1:
    st.subheader("Compare saved runs")
    picked = st.multiselect("Runs", ids, default=ids[:2], format_func=titles.get, max_selections=6,
                            key=f"ab_compare_{shop}_{len(ids)}")
    rows = []
    for run_id in picked:
        rep = abtest.load_run(store, run_id)
        for x in (x for x in rep["lifts"] if x["metric"] == rep["metric"]):
            rows.append({"run": rep.get("name"), "created": rep["created"][:16].replace("T", " "),
                         "days": rep["days"],
                         "metric": simulate.METRICS[rep["metric"]],
                         "challenger": x["arm"], "lift": pct(x["rel_lift"]),
                         "interval": f"{pct(x['rel_low'])} to {pct(x['rel_high'])}",
                         "true in the world": pct(x["true_rel_lift"]),
                         "verdict": "better" if x["significant"] and x["rel_lift"] > 0 else (
                             "worse" if x["significant"] else "not enough evidence")})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)
