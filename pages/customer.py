"""Customer: one customer's card, timeline and recommendations with reasons, under the
merchant's controls, in an imagined context, from one model or two side by side."""

import numpy as np
import pandas as pd
import streamlit as st

import ui
from core.recommend import customer, recommend
from core.recommend import defaults as list_defaults
from core.recommend.types import Controls, Result
from core.shop.catalog import DAYPART_NAMES
from core.shop.features import WEEKDAYS
from core.shop.money import column_format, format_money, titled
from core.store import pseudonym

store = ui.page_start("pages/customer.py", "Customer", needs_products=True)
shop = store.shop
currency = ui.currency(store)
USUAL = "their usual"

# -- model(s) ---------------------------------------------------------------------------------
models = recommend.available_models(store)
ids = list(models)
c1, c2 = st.columns(2)
model = c1.selectbox("Model", ids, format_func=models.get, key=f"cust_model_{shop}",
                     help="A trained neural model, or one of the simple rules it is compared with.")
other = c2.selectbox("Compare with", [None, *[i for i in ids if i != model]], key=f"cust_other_{shop}",
                     format_func=lambda i: "nothing (one list)" if i is None else models[i])
try:
    engine = ui.engine(store, model)
except (ValueError, RuntimeError) as err:
    st.error(ui.md_escape(str(err)))
    st.page_link("pages/model.py", label="Go to the Model page", icon=":material/model_training:")
    st.stop()
for problem in engine.problems:  # a refused model (and the one served instead), a stale one
    st.warning(ui.md_escape(problem))

# -- find a customer --------------------------------------------------------------------------
KEY = f"cust_key_{shop}"
f1, f2, f3 = st.columns([2, 2, 1])
typed = f1.text_input("Customer id or key", key=f"cust_typed_{shop}",
                      placeholder="the shop's own customer id, or c_...")
if typed and st.session_state.get(f"cust_last_typed_{shop}") != typed:
    st.session_state[f"cust_last_typed_{shop}"] = typed
    found = customer.find(store, typed)
    if found is None:
        st.warning(f"No customer {ui.md_escape(repr(typed))} in this shop: showing what a new "
                   "customer would see.")
        found = typed if typed.startswith("c_") else pseudonym.pseudonymize(store, [typed])[0]
    st.session_state[KEY] = found
if engine.segments is not None:  # the engine's own copy of the latest segments: no second read
    labels = engine.segments.to_numpy()
    names = engine.segment_names
    seg = f2.selectbox("Or pick from a segment", sorted(set(labels.tolist()) - {-1}),
                       format_func=lambda s: f"{s}: {names.get(s, 'segment')}", index=None,
                       key=f"cust_seg_{shop}", placeholder="choose a segment")
    if seg is not None:
        members = engine.segments.index[labels == seg].to_numpy()
        pick = f2.selectbox("Customer of the segment", members[:500], index=None,
                            key=f"cust_member_{shop}_{seg}", placeholder=f"{len(members):,} customers")
        if pick is not None and st.session_state.get(f"cust_last_member_{shop}") != pick:
            st.session_state[f"cust_last_member_{shop}"] = pick
            st.session_state[KEY] = pick
f3.write("")
if f3.button("A random customer", key=f"cust_random_{shop}", icon=":material/casino:"):
    regulars = [k for k in engine.log.user_ids[:20_000] if len(engine.history(k)) >= 10]
    pool = regulars or engine.log.user_ids
    st.session_state[KEY] = str(np.random.default_rng().choice(pool)) if len(pool) else None
key = st.session_state.get(KEY)
if key is None and len(engine.log.user_ids):
    key = st.session_state[KEY] = engine.log.user_ids[0]
if key is None:
    st.info("This shop has no customers yet: import orders on the Data page.")
    st.stop()

# -- the card and the timeline ----------------------------------------------------------------
data = ui.customer_data(store)
seg_of = engine.segment_of(key)
seg_name = None if seg_of is None else engine.segment_names.get(seg_of, f"segment {seg_of}")
info = customer.card(store, key, data, seg_name)
st.subheader(f"Customer {ui.md_escape(key)}")
if not info["known"]:
    st.caption("Not in the shop's data: a new customer.")
else:
    m = st.columns(4)
    m[0].metric("Predicted 12-month value", format_money(info.get("value_12m"), currency),
                help="From the value model of the Segments page, checked on a later period.")
    risk = info.get("churn_risk")
    m[1].metric("Churn risk", "-" if risk is None else f"{risk:.0%}")
    m[2].metric("Orders / spend", f"{info['orders']:,} / {format_money(info['spend'], currency)}")
    m[3].metric("Consent to profiling", "yes" if info["consent"] else "objected")
    facts = [f"Segment: **{ui.md_escape(info['segment'])}**" if info.get("segment") else None,
             f"RFM group: **{ui.md_escape(info['rfm_group'])}**" if info.get("rfm_group") else None,
             f"Region: {ui.md_escape(info['region'])}" if info.get("region") else None,
             f"last seen {info['last_seen']:%Y-%m-%d}" if pd.notna(info.get("last_seen")) else None]
    st.markdown(" · ".join(f for f in facts if f))
    if not info["consent"]:
        st.warning("This customer objected to profiling: no profile, no segment and no "
                   "personalised list - only best-sellers, labelled as such.")
    events = customer.timeline(store, key)
    st.plotly_chart(customer.customer_timeline(events, currency), key="cust_timeline")

def show(result: Result, hits: list[str] | None) -> None:
    """A list: one bordered row per product with its score bar and reasons."""
    st.markdown(f"**{ui.md_escape(result.model)}** - {ui.md_escape(result.label)}; imagined visit "
                f"{ui.md_escape(result.context.words())}; {result.seconds * 1000:.0f} ms")
    if hits is not None:
        found = sum(p.product_id in hits for p in result.picks)
        st.markdown(f"Next basket: **{found} of {len(set(hits))}** products found in the top "
                    f"{len(result.picks)}.")
    for note in result.notes:
        st.caption(ui.md_escape(note))
    for i, p in enumerate(result.picks):
        with st.container(border=True):
            badge = ""
            if hits is not None:
                badge = " :green-badge[hit]" if p.product_id in hits else " :gray-badge[miss]"
            price_text = "" if p.price is None else f" · {format_money(p.price, currency, 2)}"
            left, right = st.columns([5, 2], vertical_alignment="center")
            left.markdown(f"**{i + 1}. {ui.md_escape(p.title)}** · {ui.md_escape(p.category or '-')}"
                          f"{price_text}{badge}")
            right.progress(p.score, text=f"score {p.score:.2f}")
            for r in p.reasons:
                left.caption(f"{ui.md_escape(r.text)} - strength {r.weight:.0%}")
    frame = customer.marked(result.frame(), hits)
    st.download_button("Download this list (CSV)", ui.safe_table(frame).to_csv(index=False),
                       f"{shop}-{result.customer_key}.csv", "text/csv", key=f"dl_{result.model}")


# -- controls and lists: one fragment, so a control change reruns only this part -----------------
@st.fragment
def recommendations(key: str, info: dict) -> None:
    """The controls and the list(s) for one customer (a control change reruns only this)."""
    st.subheader("Recommendations")
    choice = list_defaults.load(store)  # chosen for this shop on validation baskets
    shop_default = list_defaults.controls_of(choice)
    c = st.columns(4)
    daypart = c[0].selectbox("Time of day", [USUAL, *DAYPART_NAMES], key="cust_daypart")
    weekday = c[1].selectbox("Weekday", [USUAL, *WEEKDAYS], key="cust_weekday")
    device = c[2].selectbox("Device", [USUAL, *engine.devices()], key="cust_device")
    diversity = c[3].slider("Diversity", 0.0, 1.0, 0.0, 0.1, key="cust_diversity",
                            help="0: strictly by relevance. Higher: each next product differs more from "
                                 "the ones above it (category, brand, price, words).")
    cats = sorted(engine.catalog.products["category"].dropna().astype(str).unique().tolist())
    prices = engine.catalog.products["price"].dropna()
    default_help = (None if choice is None else
                    f"This shop's default, chosen on {choice.baskets:,} validation baskets: "
                    f"{choice.chosen} (see the Model page).")
    with st.expander("More controls: list length, novelty, price, categories, what to leave out"):
        e = st.columns(3)
        n = e[0].slider("Products in the list", 3, 30, 10, key="cust_n")
        novelty = e[1].slider("Novelty", 0.0, 1.0, 0.0, 0.1, key="cust_novelty",
                              help="Favour less-known products over best-sellers.")
        high = float(np.ceil(prices.max())) if len(prices) else 0.0
        price = (e[2].slider(titled("Price range", currency), 0.0, high, (0.0, high), key="cust_price")
                 if high > 0 else (None, None))
        include = e[0].multiselect("Only these categories", cats, key="cust_include")
        exclude = e[1].multiselect("Leave out categories", cats, key="cust_exclude")
        with e[2]:
            exclude_bought = st.toggle("Leave out what they bought", shop_default.exclude_bought,
                                       key="cust_excl_bought", help=default_help)
            rebuys = st.toggle("...except re-bought products that are due", True, key="cust_rebuys")
            in_stock = st.toggle("Only active, in-stock products", True, key="cust_stock")
            new_products = st.toggle("Suggest new products by similarity", True, key="cust_new")
        context_weight = e[0].slider(
            "Weight of the visit's context", 0.0, 1.0, shop_default.context_weight, 0.05,
            key="cust_ctx_weight",
            help="How much the shop's sales at that time and on that device re-weight the list. "
                 "0: the model alone (neural models still read the context themselves).")
        evaluate = st.toggle("Evaluation mode: recommend as of their last basket and mark hits", False,
                             key="cust_eval", help="The model never saw the customer's last basket.")
    try:
        controls = Controls(n=n, exclude_bought=exclude_bought, allow_rebuys=rebuys, in_stock_only=in_stock,
                            price_min=price[0] or None,
                            price_max=price[1] if price[1] and price[1] < high else None,
                            include_categories=tuple(include), exclude_categories=tuple(exclude),
                            diversity=diversity, novelty=novelty, new_products=new_products,
                            context_weight=context_weight)
    except ValueError as err:
        st.error(ui.md_escape(str(err)))
        st.stop()
    context = engine.context_for(key, None if daypart == USUAL else daypart,
                                 None if weekday == USUAL else WEEKDAYS.index(weekday) + 1,
                                 None if device == USUAL else device)
    held = engine.held_out(key) if evaluate else None
    if evaluate and held is None:
        st.info("This customer has no held-out last basket (their last purchase is before the test "
                "period, or they may not be profiled): showing today's list.")
    as_of = held[0] if held else None
    hits = held[1] if held else None
    results = [engine.recommend(key, controls, context, as_of=as_of)]
    if other is not None:
        try:
            results.append(ui.engine(store, other).recommend(key, controls, context, as_of=as_of))
        except (ValueError, RuntimeError) as err:
            st.error(ui.md_escape(str(err)))
    cols = st.columns(len(results))
    for col, result in zip(cols, results):
        with col:
            show(result, hits)
    if len(results) == 2:
        a, b = ({p.product_id for p in r.picks} for r in results)
        st.caption(f"The two lists share {len(a & b)} of {max(len(a), 1)} products.")
    if hits is not None and info["known"]:
        basket = pd.DataFrame({"product_id": hits}).merge(
            engine.catalog.products[["title", "category", "price"]], left_on="product_id",
            right_index=True, how="left")
        st.caption("Their held-out next basket")
        st.dataframe(basket, hide_index=True, column_config={
            "price": st.column_config.NumberColumn(format=column_format(currency, 2))})


recommendations(key, info)
