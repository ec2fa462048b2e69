"""Long work off the page's thread: start, watch, cancel.

A ``Job`` runs a function on a background thread and keeps what the page needs to show it:
progress, a message, a history of points (for a live loss curve), the result or the error.
The runner lives as long as the app process (the page holds it in ``st.cache_resource``), so
a training started on one page keeps running when the user switches pages and is still there
when they come back. Cancelling sets a flag that the work checks between steps. When the
process exits (the server stopped), running jobs are cancelled and given a few seconds to end:
a thread killed inside torch at interpreter exit aborts the process ("terminate called without
an active exception"). Job threads run at a lower CPU priority than the pages (JOB_NICENESS).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
# Background work yields the CPU to the pages' script threads (a training must not make ten
# people wait for their page): on Linux the niceness of one thread can be raised on its own.
JOB_NICENESS = 10


def _lower_priority() -> None:
    """Raise the calling thread's niceness by JOB_NICENESS, where the system allows it."""
    if not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + JOB_NICENESS))
    except OSError as err:  # e.g. a system that refuses: the job still runs, at normal priority
        log.debug("could not lower the job thread's priority: %s", err)


@dataclass
class Job:
    """One piece of background work and what it has reported."""

    name: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    status: str = "running"  # running | done | failed | cancelled
    progress: float = 0.0
    message: str = "Starting..."
    points: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, progress: float, message: str, point: dict[str, Any] | None = None) -> None:
        """Called by the work: how far it is, and optionally a point for the curve."""
        with self._lock:
            self.progress = max(0.0, min(1.0, progress))
            self.message = message
            if point is not None:
                self.points.append(dict(point))

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._cancel.set()

    def cancelled(self) -> bool:
        """True once cancellation was asked for (the work polls this)."""
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self.status == "running"

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy for display."""
        with self._lock:
            return {"name": self.name, "id": self.id, "status": self.status,
                    "progress": self.progress, "message": self.message,
                    "points": list(self.points), "error": self.error,
                    "seconds": (self.finished or time.time()) - self.started}


class JobRunner:
    """Starts jobs on daemon threads and remembers the latest job per name."""

    def __init__(self, exit_grace_s: float = 10.0) -> None:
        self._jobs: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self.exit_grace_s = exit_grace_s
        atexit.register(self.shutdown)

    def start(self, name: str, work: Callable[[Job], Any]) -> Job:
        """Run ``work(job)`` in the background, unless a job of this name is still running."""
        with self._lock:
            current = self._jobs.get(name)
            if current is not None and current.running:
                return current
            job = Job(name)
            self._jobs[name] = job
            thread = threading.Thread(target=self._run, args=(job, work), name=f"job-{name}",
                                      daemon=True)
            self._threads[name] = thread
        thread.start()
        return job

    def latest(self, name: str) -> Job | None:
        """The most recent job of this name, running or finished."""
        with self._lock:
            return self._jobs.get(name)

    def shutdown(self, timeout: float | None = None) -> list[str]:
        """Cancel every running job and wait for them (at most ``timeout`` seconds in all);
        returns the names of jobs still running after that."""
        deadline = time.monotonic() + (self.exit_grace_s if timeout is None else timeout)
        with self._lock:
            running = [(n, j, self._threads.get(n)) for n, j in self._jobs.items() if j.running]
        for _, job, _ in running:
            job.cancel()
        for _, _, thread in running:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        left = [name for name, job, _ in running if job.running]
        if left:
            log.warning("jobs still running at exit: %s", ", ".join(left))
        return left

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        _lower_priority()
        try:
            result = work(job)
        except Exception as err:  # noqa: BLE001 - any failure is shown to the user, not lost
            log.error("job %s failed: %s", job.name, traceback.format_exc())
            job.error, job.status = f"{type(err).__name__}: {err}", "failed"
        else:
            job.result = result
            job.status = "cancelled" if job.cancelled() else "done"
            if job.status == "done":
                job.progress = 1.0
        job.finished = time.time()
