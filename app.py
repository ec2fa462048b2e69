"""shoplens: the dashboard's entry point. Page config, the shop picker, navigation."""

from pathlib import Path

import streamlit as st

import ui

# A local icon: ":material/...:" as page_icon makes the browser fetch the favicon from
# fonts.gstatic.com. In-page ":material/...:" icons use the font bundled with Streamlit.
ICON = str(Path(__file__).resolve().parent / ".streamlit" / "icon.png")
st.set_page_config(page_title="shoplens", page_icon=ICON, layout="wide")
ui.quiet_closed_tabs()  # a tab closing mid-update leaves no traceback in the server log
ui.password_gate()  # when a password is set: nothing below runs until it is given
ui.ensure_demo_shop()
st.sidebar.markdown("## :material/storefront: shoplens")
st.sidebar.caption("Personalization for small shops, on your own computer.")
ui.shop_picker()

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/model.py", title="Model", icon=":material/model_training:"),
    st.Page("pages/segments.py", title="Segments", icon=":material/bubble_chart:"),
    st.Page("pages/customer.py", title="Customer", icon=":material/person_search:"),
    st.Page("pages/abtest.py", title="A/B test", icon=":material/science:"),
    st.Page("pages/fairness.py", title="Fairness", icon=":material/balance:"),
    st.Page("pages/privacy.py", title="Privacy", icon=":material/shield_person:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
])
st.session_state[ui.FRAMED] = True
wanted = st.session_state.pop(ui.WANTED, None)
if wanted:
    st.switch_page(wanted)  # a page's URL opened first after a restart (see ui.page_guard)
page.run()
