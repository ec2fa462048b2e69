"""Fairness: which products the recommendations show, and whether every group of customers gets
lists as good as the others."""

import pandas as pd
import streamlit as st

import ui
from core.fairness import audit as fairness_audit
from core.fairness import charts as fairness_charts
from core.recommend import recommend
from core.recommend.types import Controls

store = ui.page_start("pages/fairness.py", "Fairness", needs_products=True)
shop = store.shop
st.caption("A recommender left alone favours best-sellers and can serve some customers worse than others. "
           "This audit makes each customer's list as of their last visit, compares it with what they then "
           "bought (NDCG@10, 1 = perfect) and with the price level they were shown, group by group, and "
           "measures which share of the catalog gets shown - against simply showing best-sellers.")

models = recommend.available_models(store)
c1, c2, c3 = st.columns([2, 1, 1])
model = c1.selectbox("Model", list(models), format_func=models.get, key=f"fair_model_{shop}")
diversity = c2.slider("Diversity", 0.0, 1.0, 0.0, 0.1, key=f"fair_div_{shop}")
sample = c3.select_slider("Customers audited", [500, 1000, 2000, 5000], value=2000, key=f"fair_n_{shop}")


@st.cache_data(show_spinner=False, max_entries=8)
def audit(shop_name: str, version: int, model_id: str, div: float, n: int) -> dict:
    s = ui.get_store(shop_name)
    return fairness_audit.run(s, ui.engine(s, model_id), Controls(new_products=False, diversity=div), n)


try:
    with st.spinner("Making every audited customer's list and comparing groups..."):
        report = audit(shop, ui.data_version(store), model, float(diversity), int(sample))
except (ValueError, RuntimeError) as err:
    st.warning(ui.md_escape(str(err)))
    st.stop()

st.subheader("In plain words")
for sentence in report["summary"]:
    st.markdown(f"- {ui.md_escape(sentence)}")
with st.expander("Details: every measure, with its interval"):
    for sentence in report.get("details", []):
        st.markdown(f"- {ui.md_escape(sentence)}")
st.caption(f"{report['customers']:,} customers with a held-out last basket; model {report['model']}. "
           "A gap between groups is called worth a look only when its 95% interval (widened for the number "
           "of groups compared) leaves out parity.")

st.subheader("Products: who gets shown")
names = {"coverage": "catalog shown", "gini": "exposure Gini (1 = all on one product)",
         "long_tail_share": "slots for long-tail products", "popularity_share": "mean popularity share",
         "popularity_bias": "popularity vs what they buy (x)", "top10_share": "slots for the 10 most shown",
         "ndcg": "list accuracy (NDCG@10)"}
table = fairness_audit.exposure_table(report).rename(index=names)
st.dataframe(table.style.format("{:.3f}"))
st.caption(f"'diversity {fairness_audit.DIVERSITY}' and 'exposure cap {fairness_audit.CAP:.0%}' show what "
           "changing the setting would do: more of the catalog shown, usually at some cost in accuracy. "
           "Diversity is a control on the Customer page and in every A/B arm; the exposure cap can be "
           "tried as an A/B arm's setting, to see what it does to revenue.")

st.subheader("Customers: who gets good lists")
groups = pd.DataFrame(report["groups"])
attribute = st.radio("Group customers by", report["attributes"], horizontal=True, key=f"fair_attr_{shop}")
g1, g2 = st.columns(2)
for col, metric in zip((g1, g2), ("list accuracy (NDCG@10)", "price level"), strict=True):
    col.plotly_chart(fairness_charts.group_quality(groups, metric, attribute),
                     key=f"fair_{metric}_{attribute}")
disp = pd.DataFrame(report["disparities"])
if not disp.empty:
    disp = disp.assign(verdict=lambda d: ["worth a look" if (lo > 1 or hi < 1) else "could be chance"
                                          for lo, hi in zip(d["low"], d["high"], strict=True)])
    st.markdown("**Gaps between the worst and best group** (ratio 1 = parity)")
    st.dataframe(disp[["attribute", "metric", "worst", "best", "ratio", "low", "high", "n_groups", "verdict"]]
                 .round(3), hide_index=True)
