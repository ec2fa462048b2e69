"""Long work off the page's thread: start, watch, cancel.

A ``Job`` runs a function on a background thread and keeps what the page needs to show it:
progress, a message, a history of points (for a live loss curve), the result or the error.
The runner lives as long as the app process (the page holds it in ``st.cache_resource``), so
a training started on one page keeps running when the user switches pages and is still there
when they come back. Cancelling sets a flag that the work checks between steps.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


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

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, name: str, work: Callable[[Job], Any]) -> Job:
        """Run ``work(job)`` in the background, unless a job of this name is still running."""
        with self._lock:
            current = self._jobs.get(name)
            if current is not None and current.running:
                return current
            job = Job(name)
            self._jobs[name] = job
        threading.Thread(target=self._run, args=(job, work), name=f"job-{name}",
                         daemon=True).start()
        return job

    def latest(self, name: str) -> Job | None:
        """The most recent job of this name, running or finished."""
        with self._lock:
            return self._jobs.get(name)

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
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
