"""Real-browser smoke test: `streamlit run` headless, every page opened in headless Chromium.

Starts the app on an empty data folder, so the first start builds the default demo shop as a
user's first `make run` would. Skips where no Chromium is installed (a user's laptop); CI
installs Debian's chromium. Screenshots go to tests/screenshots/.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PAGES = {"overview": "", "data": "data", "customer": "customer", "abtest": "abtest", "fairness": "fairness",
         "privacy": "privacy"}
MAIN_H1 = "[data-testid=\"stMain\"] h1"
log = logging.getLogger(__name__)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browserhome")


@contextlib.contextmanager
def _serve(home: Path, log: Path | None = None, script: Path = ROOT / "app.py") -> Iterator[str]:
    """`streamlit run app.py` (or ``script``) on a free port with its own data folder; the
    server's output goes to ``log`` when given."""
    port = _free_port()
    env = {**os.environ, "SHOPLENS_HOME": str(home)}
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.address",
         "127.0.0.1", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


@pytest.fixture(scope="module")
def server(server_home: Path) -> Iterator[str]:
    with _serve(server_home) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1600})
        yield pg
        browser.close()


def _open(page, url: str, name: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(MAIN_H1, timeout=120_000)
    # Wait until Streamlit has finished running the script (no "Running..." widget).
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(1000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return time.perf_counter() - started


def _exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_without_exception(page, server: str, name: str) -> None:
    seconds = _open(page, f"{server}/{PAGES[name]}", name)
    print(f"{name}: rendered in {seconds:.1f}s")  # noqa: T201 - shown with pytest -s
    assert _exceptions(page) == []
    heading = page.inner_text(MAIN_H1)
    titles = {"overview": "Overview", "data": "Data", "customer": "Customer", "abtest": "A/B test",
              "fairness": "Fairness", "privacy": "Privacy"}
    assert heading == titles[name]


def test_overview_has_kpis_and_charts(page, server: str) -> None:
    _open(page, server, "overview")
    text = page.inner_text("body")
    for label in ("Net revenue", "Orders", "Repeat rate"):
        assert label in text
    assert page.locator(".js-plotly-plot").count() >= 4


def test_data_page_checks_a_file_in_the_browser(page, server: str, server_home: Path, tmp_path: Path) -> None:
    from core.guard import folders
    from tests.conftest import use_home
    with use_home(server_home):
        folders.allow(tmp_path)  # the server reads the allowed folders on each check
    csv = tmp_path / "orders.csv"
    csv.write_text("order_id,timestamp,sku,qty,price\n1,2025-03-01 10:00,A,1,2.50\n"
                   "2,2025-03-02 11:00,B,0,2.50\n", encoding="utf-8")
    _open(page, f"{server}/data", "data")
    page.get_by_text("A file or folder on this computer").click()
    box = page.get_by_placeholder("/home/me/exports/orders.csv  or a folder of related tables")
    box.fill(str(csv))
    box.press("Enter")
    page.get_by_role("button", name="Check (dry run)").click()
    page.get_by_text("nothing written").first.wait_for(timeout=60_000)
    page.screenshot(path=str(SHOTS / "data-check.png"), full_page=True)
    assert _exceptions(page) == []
    rejected = page.locator('[data-testid="stMetric"]').filter(has_text="Rejected").first
    assert rejected.inner_text().split()[-1] == "1"
    read = page.locator('[data-testid="stMetric"]').filter(has_text="Lines read").first
    assert read.inner_text().split()[-1] == "2"


def test_upload_and_import_in_the_browser(page, server: str, server_home: Path) -> None:
    sample = ROOT / "sample_data" / "messy_orders_cp1252.csv"
    _open(page, f"{server}/data", "data")
    page.get_by_text("Upload files").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(sample))
    page.get_by_text("messy_orders_cp1252.csv: events").wait_for(timeout=60_000)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported 3 lines").wait_for(timeout=60_000)
    page.screenshot(path=str(SHOTS / "data-upload.png"), full_page=True)
    assert _exceptions(page) == []
    # the uploaded copy (it may hold e-mails) is gone once the shop has the data
    assert list((server_home / "tmp" / "uploads").rglob("*.csv")) == []


def test_create_and_switch_shops_in_the_sidebar(page, server: str) -> None:
    _open(page, f"{server}/data", "data")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("New shop").click()
    sidebar.get_by_placeholder("my-shop").fill("second-shop")
    sidebar.get_by_role("button", name="Create").click()
    page.get_by_text("Shop: second-shop").wait_for(timeout=60_000)
    assert _exceptions(page) == []
    # back to the demo shop through the picker, then the Overview shows its numbers
    picker = sidebar.locator('[data-testid="stSelectbox"] input').first
    picker.click()
    picker.fill("demo")
    page.keyboard.press("Enter")
    page.get_by_text("Shop: demo").wait_for(timeout=60_000)
    _open(page, server, "overview-after-switch")
    assert "Net revenue" in page.inner_text("body")
    assert _exceptions(page) == []


def test_a_page_url_opened_first_after_a_start_gets_the_app_frame(
        page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Streamlit's legacy pages/ discovery would run pages/data.py alone on the very first
    # request; ui.page_guard sends it through app.py, which opens the Data page in its frame.
    from core.demo import demo
    from core.demo.config import SynthConfig
    home = tmp_path / "home"
    monkeypatch.setenv("SHOPLENS_HOME", str(home))
    demo.create_demo_shop("demo", SynthConfig(n_customers=200, n_products=80, days=120))
    with _serve(home) as url:
        _open(page, f"{url}/data", "data-first")
        assert page.inner_text(MAIN_H1) == "Data"
        sidebar = page.inner_text('[data-testid="stSidebar"]')
        assert "Overview" in sidebar and "Shop" in sidebar and "app" not in sidebar.split()
        assert _exceptions(page) == []


def test_model_page_trains_the_demo_model_with_a_progress_bar(page, server: str) -> None:
    _open(page, f"{server}/model", "model")
    epochs = page.locator('[data-testid="stNumberInput"] input').first
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("button", name="Start training").click()
    bar = page.locator('[data-testid="stProgress"]').first
    bar.wait_for(timeout=60_000)
    page.screenshot(path=str(SHOTS / "model-training.png"), full_page=True)
    page.get_by_text("Trained in").wait_for(timeout=600_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # the loss curve
    page.get_by_text(re.compile(r"^In use: ")).first.wait_for(timeout=60_000)  # listed and loaded
    page.screenshot(path=str(SHOTS / "model-trained.png"), full_page=True)
    assert _exceptions(page) == []


def test_segments_page_maps_selects_profiles_and_exports(page, server: str, tmp_path: Path) -> None:
    # runs after the Model page test: its training job built the default segments as its last step
    _open(page, f"{server}/segments", "segments-building")
    page.get_by_text("Customers on the map").wait_for(timeout=600_000)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "segments.png"), full_page=True)
    assert _exceptions(page) == []
    # draw a box over the middle of the map (the map's drag mode is lasso; switch to box select)
    chart.hover()
    page.locator('.modebar-btn[data-val="select"]').first.click()
    box = chart.locator(".nsewdrag").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.85, steps=12)
    page.mouse.up()
    page.get_by_text("Your selection:").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "segments-selection.png"), full_page=True)
    assert _exceptions(page) == []
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download the selection").click()
    path = tmp_path / "selection.csv"
    info.value.save_as(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("customer_key,segment,segment_name") and len(lines) > 10
    # the segment table and a segment's profile
    page.get_by_role("tab", name="Segments").click()
    page.get_by_text("Open a segment").wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "segments-table.png"), full_page=True)
    assert _exceptions(page) == []


def _settle(page) -> None:
    """Wait until Streamlit has finished every queued rerun: no status widget and no stale
    (faded) element, three checks in a row."""
    idle = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && "
            "!document.querySelector('[data-stale=\"true\"]')")
    calm = 0
    deadline = time.monotonic() + 120
    while calm < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        calm = calm + 1 if page.evaluate(idle) else 0
    assert calm >= 3, "the page kept rerunning"


def _the_list(page) -> tuple[list[str], list[str]]:
    """The first list's product lines and its reasons, as shown."""
    titles = [t for t in page.locator('[data-testid="stMain"] strong').all_inner_texts()
              if t[:1].isdigit() and ". " in t]
    reasons = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_inner_texts()
    return titles, [r for r in reasons if "strength" in r]


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    _settle(page)


def test_customer_page_context_and_diversity_change_the_list(page, server: str) -> None:
    # runs after the Model page test: the trained model is the one in use
    _open(page, f"{server}/customer", "customer")
    page.get_by_text("Personalised by the model").first.wait_for(timeout=120_000)
    _settle(page)
    before, reasons_before = _the_list(page)
    assert len(before) == 10 and reasons_before
    _choose(page, "Time of day", "early morning")
    _choose(page, "Weekday", "Tuesday")
    _choose(page, "Device", "desktop")
    morning, reasons_morning = _the_list(page)
    _choose(page, "Time of day", "evening")
    _choose(page, "Weekday", "Sunday")
    _choose(page, "Device", "mobile")
    evening, reasons_evening = _the_list(page)
    page.screenshot(path=str(SHOTS / "customer-evening.png"), full_page=True)
    assert "on mobile on Sunday evening" in page.inner_text("body")
    assert evening != morning and reasons_evening != reasons_morning
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Diversity").locator("input").first
    thumb.focus()
    for _ in range(8):
        thumb.press("ArrowRight")
    _settle(page)
    diverse, reasons_diverse = _the_list(page)
    page.screenshot(path=str(SHOTS / "customer-diverse.png"), full_page=True)
    assert diverse != evening and reasons_diverse != reasons_evening
    assert _exceptions(page) == []


def test_ab_page_runs_a_simulation_end_to_end(page, server: str) -> None:
    # runs after the Model page test: arm B defaults to the trained model, arm A to best-sellers
    _open(page, f"{server}/abtest", "abtest")
    _settle(page)
    page.get_by_role("button", name="Run simulation").click()
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=60_000)  # a progress bar while it runs
    page.get_by_text("Lift over A").first.wait_for(timeout=240_000)
    _settle(page)
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    assert any(a.startswith("B vs A:") for a in alerts), alerts
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 3
    text = page.inner_text("body")
    assert "always-valid" in text and "Planning a real test" in text and "Guardrails" in text
    page.set_viewport_size({"width": 1400, "height": 4000})
    _settle(page)
    page.screenshot(path=str(SHOTS / "abtest-result.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1600})
    assert _exceptions(page) == []


def test_no_request_leaves_this_computer(page, server: str) -> None:
    """Every request the browser makes while every page opens goes to the local server: no
    favicon from a font server, no analytics, no outside image."""
    from urllib.parse import urlparse
    seen: list[str] = []

    def record(request) -> None:
        seen.append(request.url)

    page.on("request", record)
    try:
        for name, path in PAGES.items():
            _open(page, f"{server}/{path}", f"local-{name}")
    finally:
        page.remove_listener("request", record)
    hosts = {urlparse(u).hostname for u in seen if urlparse(u).scheme not in ("data", "blob")}
    assert seen and hosts <= {"127.0.0.1", "localhost"}, sorted(u for u in seen if urlparse(u).hostname
                                                             not in ("127.0.0.1", "localhost"))


ALL_PAGES = {**PAGES, "model": "model", "segments": "segments"}
LINKING = ("src", "href", "xlink:href", "srcset", "poster", "data", "action")


def test_imported_labels_fetch_nothing_and_link_nowhere(evil_labels: Path) -> None:
    """Issue 15, in a real browser: a shop whose titles, categories, brands, channels, devices and
    regions are Markdown images, links and HTML tags (``tests/evil_shop.py``). Every page is
    opened; every request not to this computer is blocked and recorded - there must be none -
    and no element may point an image or a link at the attacker's host."""
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright
    outside: list[str] = []
    pointing: dict[str, list[str]] = {}

    def guard(route) -> None:
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def visit() -> None:
        with _serve(evil_labels) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                pg = browser.new_page(viewport={"width": 1400, "height": 1600})
                pg.route("**/*", guard)
                for name, path in ALL_PAGES.items():
                    _open(pg, f"{url}/{path}", f"labels-{name}")
                    assert _exceptions(pg) == [], name
                    found = pg.evaluate("""(names) => [...document.querySelectorAll('*')].flatMap(e =>
                        names.map(n => e.getAttribute(n)).filter(v => v && v.includes('evil.example'))
                             .map(v => e.tagName + ' ' + v + ' in '
                                  + (e.parentElement || e).outerHTML.slice(0, 400)))""", list(LINKING))
                    if found:
                        pointing[name] = found
            finally:
                browser.close()

    # In a thread of its own: building the shop (training, segments) can leave an asyncio
    # loop set on the test thread, and Playwright's sync API refuses to run inside one.
    failure: list[BaseException] = []

    def run() -> None:
        try:
            visit()
        except BaseException as err:  # noqa: BLE001 - re-raised on the test's thread
            failure.append(err)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    assert outside == [], outside
    assert pointing == {}, pointing
