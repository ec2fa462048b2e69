"""``streamlit run`` with every script run timed, for bench/concurrency.py.

    python bench/timed_server.py RUNS.jsonl app.py --server.port 8501 ...

Streamlit itself does not report how long the server took to answer a session. This wrapper
listens to each session's ``ScriptRunner`` events (SCRIPT_STARTED, then SCRIPT_STOPPED_*, both
sent from the session's script thread) and appends one JSON line per full or fragment run to
RUNS.jsonl: the session, whether it was a fragment, how the run ended, the wall seconds from its
start to its end, and the CPU seconds the script thread itself used meanwhile (the rest of the
wall time it waited for the CPU or the GIL). The product's code is not changed; only the
benchmark starts the server this way.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli

_lock = threading.Lock()
Event = script_runner.ScriptRunnerEvent
STOPS = {Event.SCRIPT_STOPPED_WITH_SUCCESS: "done", Event.FRAGMENT_STOPPED_WITH_SUCCESS: "done",
         Event.SCRIPT_STOPPED_FOR_RERUN: "rerun",
         Event.SCRIPT_STOPPED_WITH_COMPILE_ERROR: "error"}


def _patch(path: str) -> None:
    original = script_runner.ScriptRunner.__init__

    def init(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Streamlit's signature
        original(self, *args, **kwargs)
        started: dict = {}

        def on_event(_sender, event=None, fragment_ids_this_run=None, **_kw) -> None:  # noqa: ANN001
            if event == Event.SCRIPT_STARTED:
                started.update(wall=time.perf_counter(), cpu=time.thread_time(), at=time.time(),
                               fragment=bool(fragment_ids_this_run))
            elif event in STOPS and started:
                row = {"session": self._session_id, "fragment": started["fragment"],
                       "end": STOPS[event], "start": started["at"],
                       "wall_s": time.perf_counter() - started["wall"],
                       "cpu_s": time.thread_time() - started["cpu"]}
                started.clear()
                with _lock, open(path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")

        self.__timing_handler = on_event  # the signal holds handlers weakly: keep it alive
        self.on_event.connect(on_event)

    script_runner.ScriptRunner.__init__ = init


if __name__ == "__main__":
    _patch(sys.argv[1])
    sys.argv = ["streamlit", "run", *sys.argv[2:]]
    sys.exit(cli.main())
