"""The only Streamlit glue shared by pages: the shop picker, cached store and cached queries.

The app process owns each shop's DuckDB file read-write (one ``Store`` per shop, shared by
every browser session through ``st.cache_resource``; a ``Store`` runs each query on its own
cursor, so sessions do not block each other). Query results are cached with ``st.cache_data``
keyed by the shop's data version, which changes with every import.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.demo import demo
from core.guard import password
from core.guard.plain import plain_text
from core.segments import cache
from core.shop import catalog, overview
from core.store import config, scratch
from core.store import currency as shop_currency
from core.store.jobs import JobRunner
from core.store.store import Store, StoreError

SHOP_KEY = "shop"
FRAMED, WANTED = "_framed_by_app", "_wanted_page"
SIGNED_IN = "_password_ok"
WRONG_PASSWORD_DELAY_S = 1.0  # each wrong try waits this long: slows guessing


def password_gate() -> None:
    """When the owner set a password (``shoplens password set``), ask for it before anything
    else runs - no navigation, no sidebar, no shop - and remember success for this browser
    session. With no password set this does nothing."""
    if st.session_state.get(SIGNED_IN) or not password.is_set():
        return
    st.title("shoplens")
    with st.form("password_gate"):
        given = st.text_input("Password", type="password", key="password_gate_input")
        tried = st.form_submit_button("Open the dashboard")
    if tried:
        try:
            good = password.check(given)
        except password.PasswordError as err:
            st.error(md_escape(str(err)))
            st.stop()
        if good:
            st.session_state[SIGNED_IN] = True
            st.rerun()
        time.sleep(WRONG_PASSWORD_DELAY_S)
        st.error("Wrong password. Try again; the owner can change it with `shoplens password set` "
                 "at this computer's terminal.")
    st.stop()
def save_uploads(shop: str, files: Iterable[Any]) -> list[Path]:
    """Copy uploaded files to disk once (reruns reuse them), as this process's scratch files:
    removed after their import, or by the next shoplens start if this process is killed."""
    folder = scratch.upload_folder(shop)
    paths = []
    for up in files:
        target = folder / Path(up.name).name
        if not (target.exists() and target.stat().st_size == up.size):
            with open(target, "wb") as fh:
                shutil.copyfileobj(up, fh)
        paths.append(target)
    return paths


def forget_uploads(paths: Iterable[Path]) -> None:
    """Delete uploaded copies once imported (paths outside the upload folder are left alone)."""
    uploads = scratch.folder() / "uploads"
    for path in paths:
        if uploads in path.parents:
            path.unlink(missing_ok=True)


@st.cache_resource(show_spinner=False)
def jobs() -> JobRunner:
    """Background work of the app process (training, comparisons): outlives page switches."""
    return JobRunner()


def get_store(shop: str) -> Store:
    """The app's read-write connection to one shop (created on first use)."""
    return _open_store(str(config.home()), shop)


@st.cache_resource(show_spinner=False)
def _open_store(home: str, shop: str) -> Store:
    """One connection per data folder and shop (tests run apps over several folders)."""
    return Store.open(shop)


def data_version(store: Store) -> int:
    """Changes whenever the data changes (an import, an erasure, a consent change, a purge):
    part of every cache key."""
    return store.data_version()


def page_guard(page: str) -> None:
    """Run a page only inside app.py's frame (shop picker, navigation).

    Streamlit's legacy discovery of the ``pages/`` folder runs a page file on its own when
    the very first request after a start asks for that page's URL. Such a run is sent
    through the entry script, which then opens the page that was asked for.
    """
    if not st.session_state.get(FRAMED):
        st.session_state[WANTED] = page
        st.switch_page("app.py")


def page_start(page: str, title: str, needs_products: bool = False) -> Store:
    """The top of a page that needs a shop: frame guard, title, the chosen shop's store; a page
    about recommendations says plainly why a shop without products cannot have them."""
    page_guard(page)
    st.title(title)
    store = current_store()
    if store is None:
        st.info("Choose or import a shop on the Data page.")
        st.stop()
    if needs_products and (why := catalog.why_no_recommendations(store)):
        st.info(why)
        st.page_link("pages/segments.py", label="See the shop's customer segments",
                     icon=":material/scatter_plot:")
        st.stop()
    return store


def ensure_demo_shop() -> None:
    """Build the demo shop on the very first start, with a progress bar."""
    if config.list_shops():
        return
    bar = st.progress(0.0, text="Preparing the demo shop (first start only)...")
    demo.create_demo_shop(progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()


def shop_picker() -> str | None:
    """Sidebar: choose the shop every page works on. Returns its name."""
    shops = config.list_shops()
    if not shops:
        st.sidebar.info("No shop yet: import one on the Data page.")
        return None
    current = st.session_state.get(SHOP_KEY)
    if current not in shops:
        current = config.DEMO_SHOP if config.DEMO_SHOP in shops else shops[0]
    chosen = st.sidebar.selectbox("Shop", shops, index=shops.index(current),
                                  help="Each shop is its own DuckDB file in " + str(config.home()))
    st.session_state[SHOP_KEY] = chosen
    try:
        currency_picker(get_store(chosen))
    except StoreError:
        pass  # the page says why the shop cannot be opened (``current_store``)
    return chosen


def currency_picker(store: Store) -> None:
    """Sidebar: the currency the shop's amounts are shown in (its own choice, kept in the shop)."""
    key = f"currency_{store.shop}"
    st.session_state[key] = shop_currency.currency(store)  # an import may have set it meanwhile
    st.sidebar.selectbox(
        "Currency", [None, *shop_currency.choices()], format_func=shop_currency.label, key=key,
        on_change=_pick_currency, args=(store.shop, key),
        help="Every amount on every page is shown in it. An import sets it from the file's "
             "currency column or symbols, but never over your own choice.")


def _pick_currency(shop: str, key: str) -> None:
    shop_currency.set_currency(get_store(shop), st.session_state[key])


def currency(store: Store) -> str | None:
    """The shop's currency (an ISO code), or None: amounts as plain numbers."""
    return shop_currency.currency(store)


def model_label(model_id: str, in_use: str | None, ids: list[str]) -> str:
    """A model picker's label: the model in use and the newest one (``ids`` newest first) say so."""
    marks = [w for w, hit in (("in use", model_id == in_use), ("newest", bool(ids) and model_id == ids[0]))
             if hit]
    return f"{model_id} ({', '.join(marks)})" if marks else model_id


def current_store() -> Store | None:
    """The chosen shop's store, or None (with the reason shown) when it cannot be opened."""
    shop = st.session_state.get(SHOP_KEY)
    if not shop:
        return None
    try:
        return get_store(shop)
    except StoreError as err:
        st.error(md_escape(str(err)))
        return None


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Cache a ``fn(store, *args)`` query per shop, data version and arguments."""

    # Every wrapped query shares this code, so the query's name is part of the cache key.
    @st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
    def run(name: str, shop: str, version: int, *args: Any) -> Any:
        return fn(get_store(shop), *args)

    def call(store: Store, *args: Any) -> Any:
        return run(fn.__name__, store.shop, data_version(store), *args)

    return call


kpis = cached(overview.kpis)
revenue_over_time = cached(overview.revenue_over_time)
hour_weekday = cached(overview.hour_weekday)
breakdown = cached(overview.breakdown)
places = cached(overview.places)
top_products = cached(overview.top_products)
filter_options = cached(overview.filter_options)
data_range = cached(overview.data_range)


def delta(now: float | None, before: float | None, percent_points: bool = False) -> str | None:
    """A metric's change against the previous period, as text for ``st.metric``."""
    if now is None or before is None:
        return None
    if percent_points:
        return f"{(now - before) * 100:+.1f} pp"
    if before == 0:
        return None
    return f"{(now - before) / abs(before):+.1%}"


def safe_table(df: pd.DataFrame) -> pd.DataFrame:
    """Cells starting with = + - @ neutralised, for CSV downloads opened in spreadsheets."""
    from core.segments.audience import safe_cells

    return safe_cells(df)


@st.cache_resource(show_spinner="Reading every customer's behaviour...", max_entries=4)
def _customer_data(shop: str, version: int, money: str | None) -> Any:
    from core.segments import profiles
    return profiles.load(get_store(shop))


def customer_data(store: Store) -> Any:
    """``core.segments.profiles.CustomerData`` of the shop, once per data version and currency
    (its descriptions state amounts; shared, never mutated)."""
    return _customer_data(store.shop, data_version(store), currency(store))


def _segments_stamp(store: Store) -> float:
    latest = cache.cache_dir(store) / "LATEST"
    return latest.stat().st_mtime if latest.exists() else 0.0


@st.cache_resource(show_spinner="Loading the model and the catalog...", max_entries=6)
def _engine(shop: str, version: int, model: str, segments_stamp: float) -> Any:
    from core.recommend import recommend
    store = get_store(shop)
    names = recommend.segment_names(store, customer_data(store)) if segments_stamp else {}
    return recommend.load(store, model, names)


def engine(store: Store, model: str) -> Any:
    """A ``core.recommend.recommend.Engine`` for a model (shared, never mutated): reloaded when the data
    changes or new segments are built."""
    return _engine(store.shop, data_version(store), model, _segments_stamp(store))


def md_escape(text: str) -> str:
    """Text shown inside ``st.markdown`` exactly as written (no markdown, no HTML): the one
    escaping helper, ``core.guard.plain.plain_text``."""
    return plain_text(text)


def forget_people() -> None:
    """Drop the cached engines, customer data and data caches at once (after an erasure or a
    consent change): they hold customers' histories, which must not outlive the change."""
    _engine.clear()
    _customer_data.clear()
    st.cache_data.clear()


def job_panel(runner: JobRunner, name: str, show: Callable[[Any], None], every: float = 1.0) -> None:
    """The named background job's panel: ``show(job)`` (job may be None) drawn in one fragment.

    The panel refreshes itself every ``every`` seconds only while the job runs, and when it sees
    the job end it reruns the whole page once (so the job's results show everywhere). It never
    reruns the page during a full run: an ``st.rerun()`` in the middle of a page run cuts the
    page short, and a refresh timer of the cut run then updates a place the browser no longer
    has - the front end's "Bad delta path index" error, which blanks the whole page.
    """
    job = runner.latest(name)
    running = job is not None and job.running
    runs = f"_job_panel_runs_{name}"
    st.session_state[runs] = token = st.session_state.get(runs, 0) + 1  # one per full run

    @st.fragment(run_every=every if running else None)
    def panel(token: int, was_running: bool) -> None:
        seen = f"_job_panel_seen_{name}"
        refresh = st.session_state.get(seen) == token  # a rerun of the fragment alone
        st.session_state[seen] = token
        current = runner.latest(name)
        show(current)
        if refresh and was_running and not (current is not None and current.running):
            st.rerun()

    panel(token, running)


def quiet_closed_tabs() -> None:
    """No "Exception in ASGI application" traceback in the server log when a tab closes.

    Streamlit's Starlette websocket loop (``starlette_websocket.py``) reads with
    ``receive_bytes`` and takes any ``RuntimeError`` for a text frame. When the page is sending
    (a fragment's refresh) as the tab closes, the send fails first, Starlette marks the socket
    closed, and the next ``receive_bytes`` raises ``WebSocketDisconnected`` - a RuntimeError - so
    Streamlit calls ``close()`` on the closed socket, which raises again and escapes to uvicorn.
    Here a read on a socket already known closed raises ``WebSocketDisconnect`` instead, which
    the loop treats as the client leaving (the same as when the close is read first).
    Installed once per process from app.py; does nothing where Starlette is not the server.
    """
    try:
        from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
    except ImportError:  # pragma: no cover - another server
        return
    original = WebSocket.receive_bytes
    if getattr(original, "_shoplens_quiet", False):
        return

    async def receive_bytes(self: WebSocket) -> bytes:
        if self.application_state == WebSocketState.DISCONNECTED:
            raise WebSocketDisconnect(code=1006)  # 1006: the connection went away
        return await original(self)

    receive_bytes._shoplens_quiet = True  # type: ignore[attr-defined]
    WebSocket.receive_bytes = receive_bytes  # type: ignore[method-assign]
