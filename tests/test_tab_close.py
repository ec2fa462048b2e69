"""No traceback in the server log when a browser tab closes ("Exception in ASGI application").

Streamlit's websocket loop takes Starlette's ``WebSocketDisconnected`` (raised when a send has
already found the tab gone) for a text frame and fails closing a closed socket;
``ui.quiet_closed_tabs`` (installed by app.py) turns that read into the disconnect it is. A page
that sends 30 updates a second hits the race on about 1 close in 10 without it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.test_browser import ARGS, CHROMIUM, ROOT, _serve

STRESS = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
import streamlit as st
import ui
ui.quiet_closed_tabs()
st.title("updates")
@st.fragment(run_every=0.03)
def updates():
    st.write(np.random.rand(100, 10))
updates()
"""


def test_a_read_on_a_socket_known_closed_is_a_disconnect() -> None:
    from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

    import ui

    ui.quiet_closed_tabs()
    ui.quiet_closed_tabs()  # once per process, however often app.py runs

    async def receive() -> dict:
        return {"type": "websocket.receive", "bytes": b"backmsg"}

    async def send(message: dict) -> None:
        raise AssertionError("nothing is sent")

    ws = WebSocket({"type": "websocket", "path": "/_stcore/stream", "headers": []}, receive, send)
    ws.client_state = ws.application_state = WebSocketState.CONNECTED
    assert asyncio.run(ws.receive_bytes()) == b"backmsg"  # an open socket reads as before
    ws.application_state = WebSocketState.DISCONNECTED  # a send found the tab gone
    with pytest.raises(WebSocketDisconnect):
        asyncio.run(ws.receive_bytes())


def _close_tabs(url: str, times: int, paths: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(times):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + paths[i % len(paths)], wait_until="domcontentloaded", timeout=90_000)
            page.locator("h1").first.wait_for(timeout=90_000)
            page.wait_for_timeout(200 + (i * 37) % 700)
            (page.close() if i % 2 else context.close())
        browser.close()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
def test_closing_tabs_mid_update_leaves_no_traceback(tmp_path: Path) -> None:
    app = tmp_path / "updates.py"
    app.write_text(STRESS.format(root=str(ROOT)), encoding="utf-8")
    log = tmp_path / "server.log"
    with _serve(tmp_path / "home", log, script=app) as url:
        _close_tabs(url, 30, ["/"])
        time.sleep(1)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception in ASGI" not in text, text[-3000:]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
def test_closing_the_apps_tabs_leaves_no_traceback(tmp_path: Path, monkeypatch) -> None:
    from core.demo import demo
    from core.demo.config import SynthConfig

    home = tmp_path / "home"
    monkeypatch.setenv("SHOPLENS_HOME", str(home))
    demo.create_demo_shop("demo", SynthConfig(n_customers=300, n_products=100, days=240, seed=9))
    log = tmp_path / "server.log"
    with _serve(home, log) as url:
        _close_tabs(url, 8, ["/model", "/", "/segments", "/data"])
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception in ASGI" not in text, text[-3000:]
