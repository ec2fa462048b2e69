"""Overview: how the shop is doing, when and where it sells, and what sells."""

from datetime import timedelta

import streamlit as st

import ui
from core.shop import charts
from core.shop.money import column_format, format_money
from core.shop.overview import Filters

store = ui.page_start("pages/overview.py", "Overview")
currency = ui.currency(store)

span = ui.data_range(store)
if span is None:
    st.info(f"Shop **{store.shop}** has no sales yet. Import orders on the Data page.")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()
first, last = span
options = ui.filter_options(store)

with st.container(border=True):
    c1, c2, c3, c4, c5 = st.columns([2.2, 1, 1, 1, 1])
    default_start = max(first, last - timedelta(days=89))
    picked = c1.date_input("Date range", value=(default_start, last), min_value=first,
                           max_value=last, key=f"ov_range_{store.shop}",
                           help="KPIs compare with the period of the same length just before.")
    devices = c2.multiselect("Device", options["devices"], key=f"ov_dev_{store.shop}")
    channels = c3.multiselect("Channel", options["channels"], key=f"ov_chan_{store.shop}")
    countries = c4.multiselect("Country", options["countries"], key=f"ov_country_{store.shop}")
    categories = c5.multiselect("Category", options["categories"], key=f"ov_cat_{store.shop}")

if isinstance(picked, tuple):  # a 1-tuple while the user is still choosing the end
    start, end = (picked[0], picked[-1]) if picked else (default_start, last)
else:
    start = end = picked
flt = Filters(start, end, tuple(devices), tuple(channels), tuple(countries), tuple(categories))

k = ui.kpis(store, flt)
m = st.columns(5)
m[0].metric("Net revenue", format_money(k["revenue"]["now"], currency),
            ui.delta(k["revenue"]["now"], k["revenue"]["before"]),
            help="Purchases minus returns, guests included, postage and fees left out.")
m[1].metric("Orders", f"{k['orders']['now']:,.0f}",
            ui.delta(k["orders"]["now"], k["orders"]["before"]))
m[2].metric("Customers", f"{k['customers']['now']:,.0f}",
            ui.delta(k["customers"]["now"], k["customers"]["before"]),
            help="Known customers who bought in the period (guests are not counted).")
m[3].metric("Average order value", format_money(k["aov"]["now"], currency),
            ui.delta(k["aov"]["now"], k["aov"]["before"]))
rr = k["repeat_rate"]["now"]
m[4].metric("Repeat rate", "-" if rr is None else f"{rr:.1%}",
            ui.delta(rr, k["repeat_rate"]["before"], percent_points=True),
            help="Share of the period's customers who placed two or more orders in it.")
st.caption(f"{start:%d %b %Y} to {end:%d %b %Y}, compared with the "
           f"{(end - start).days + 1} days before. Data from {first:%d %b %Y} to {last:%d %b %Y}.")

if k["orders"]["now"] == 0:
    st.warning("No sales match these filters. Widen the date range or clear a filter.")
    st.stop()

st.plotly_chart(charts.revenue_line(ui.revenue_over_time(store, flt), currency), key="ov_revenue")

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.hour_weekday_heatmap(ui.hour_weekday(store, flt)), key="ov_heat")
with right:
    # Only the dimensions this shop's data actually has (UCI exports have no device, ...).
    frames = {dim: ui.breakdown(store, flt, dim)
              for dim in ("device", "channel", "country", "region", "category")}
    frames = {d: df for d, df in frames.items() if not df["value"].isin(["unknown",
                                                                         "uncategorised"]).all()}
    if not frames:
        st.info("This shop's data has no device, channel, place or category information.")
    else:
        for tab, (dim, df) in zip(st.tabs([d.capitalize() for d in frames]), frames.items()):
            with tab:
                st.plotly_chart(charts.breakdown_bar(df, dim, currency=currency), key=f"ov_bd_{dim}")

left, right = st.columns(2)
with left:
    where = ui.places(store, flt)
    if where.empty:
        st.info("No customer coordinates in this shop's data: see the Country tab above.")
    else:
        st.plotly_chart(charts.places_map(where, currency), key="ov_map")
with right:
    top = ui.top_products(store, flt, 15)
    st.plotly_chart(charts.top_products_bar(top, currency), key="ov_top")

with st.expander("Top products and categories as tables"):
    c1, c2 = st.columns(2)
    revenue = {"revenue": st.column_config.NumberColumn(format=column_format(currency))}
    c1.dataframe(top, hide_index=True, column_config=revenue)
    c2.dataframe(ui.breakdown(store, flt, "category"), hide_index=True, column_config=revenue)
