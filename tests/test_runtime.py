"""models.runtime: a page's inference setting stays on its own thread and never queues pages."""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

import torch

from models import runtime

ROOT = Path(__file__).resolve().parents[1]


def test_single_thread_is_per_thread_and_concurrent_sections_do_not_wait() -> None:
    outside = torch.get_num_threads()
    inside: list[int] = []
    lock, both_inside, release = threading.Lock(), threading.Event(), threading.Event()

    def page() -> None:
        with runtime.single_thread():
            with lock:
                inside.append(torch.get_num_threads())
                if len(inside) == 2:
                    both_inside.set()
            release.wait(10)

    threads = [threading.Thread(target=page) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        together = both_inside.wait(5)  # two pages inside at once: no lock between them
        main_during = torch.get_num_threads()  # another thread's setting is not touched
    finally:
        release.set()
        for t in threads:
            t.join(10)
    assert together, "the second page waited for the first one's section to end"
    assert inside == [1, 1]
    assert main_during == outside
    assert torch.get_num_threads() == outside


def test_streamlit_does_not_collect_garbage_after_every_run() -> None:
    """A full gc.collect(2) per script run held the GIL for up to a second per page under load."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
