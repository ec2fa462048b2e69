"""The Model page in a real browser: "Start training" clicked 10 times in a row, each time in a
fresh session, never blanks the page (no front-end error in the console), the button is
disabled while the training runs, and each cancelled run leaves the model in use alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import ARGS, CHROMIUM, MAIN_H1, _serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)"),
]
START = ".st-key-model_train button"  # the real button, not the one shown while the page loads


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A small demo shop with a model in use, served; yields the URL, the model and the log."""
    from core.demo import demo
    from core.demo.config import SynthConfig
    from core.learn import embeddings
    from core.store.store import Store
    from tests.conftest import use_home

    home = tmp_path_factory.mktemp("modelbrowser")
    with use_home(home):
        demo.create_demo_shop("demo", SynthConfig(n_customers=300, n_products=100, days=240, seed=9))
        with Store.open("demo") as store:
            art = embeddings.train(store, "gru", epochs=1, seed=0,
                                   model_args={"d_model": 32, "n_layers": 1, "max_len": 20})
        log = home / "server.log"
        with _serve(home, log) as url:
            yield url, art.model_id, log


def _listen(page) -> list[str]:
    """Every console error and uncaught page error of ``page``, as they come."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors


def _front_end_errors(messages: list[str]) -> list[str]:
    # A resource the browser cannot fetch offline (the page icon's font, the /model/_stcore
    # probes) is a network message, not the front end failing; everything else counts.
    return [m for m in messages if "Failed to load resource" not in m]


def test_start_training_ten_times_in_fresh_sessions(served: tuple[str, str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, in_use, log = served
    started = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for attempt in range(10):
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            page = context.new_page()
            errors = _listen(page)
            page.goto(f"{url}/model", wait_until="domcontentloaded", timeout=90_000)
            page.locator(f"{START}:not([disabled])").first.click(timeout=90_000)
            cancel = page.get_by_role("button", name="Cancel training")
            cancel.wait_for(timeout=60_000)
            assert page.locator(START).first.is_disabled(), f"attempt {attempt}: Start stays clickable"
            assert page.inner_text(MAIN_H1) == "Model"
            cancel.click()
            page.locator(f"{START}:not([disabled])").first.wait_for(timeout=60_000)  # the run ended
            page.get_by_text("Training was cancelled").first.wait_for(timeout=30_000)
            page.get_by_text(f"In use: {in_use}").wait_for(timeout=30_000)  # never replaced
            assert page.inner_text(MAIN_H1) == "Model"
            assert page.locator('[data-testid="stSidebar"]').is_visible()
            assert _front_end_errors(errors) == [], f"attempt {attempt}: {errors}"
            assert page.query_selector_all('[data-testid="stException"]') == []
            context.close()
        browser.close()
    seconds = time.perf_counter() - started
    print(f"10 fresh sessions started and cancelled a training in {seconds:.0f}s")  # noqa: T201
    assert "Traceback" not in log.read_text(errors="replace")
