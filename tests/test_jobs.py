"""Background jobs: progress, points, results, failures and cancellation."""

from __future__ import annotations

import os
import threading
import time

import pytest

from core.store.jobs import JOB_NICENESS, Job, JobRunner


def _wait(job: Job, timeout: float = 10.0) -> None:
    deadline = time.time() + timeout
    while job.running and time.time() < deadline:
        time.sleep(0.01)
    assert not job.running


def test_a_job_reports_progress_and_returns_its_result() -> None:
    def work(job: Job) -> int:
        for i in range(3):
            job.report((i + 1) / 3, f"step {i}", {"epoch": i, "loss": 1.0 / (i + 1)})
        return 42

    job = JobRunner().start("train", work)
    _wait(job)
    snap = job.snapshot()
    assert job.status == "done" and job.result == 42 and snap["progress"] == 1.0
    assert [p["epoch"] for p in snap["points"]] == [0, 1, 2]


def test_failures_are_kept_for_the_page() -> None:
    def work(job: Job) -> None:
        raise ValueError("no purchases")

    job = JobRunner().start("train", work)
    _wait(job)
    assert job.status == "failed" and "no purchases" in job.error


def test_cancel_stops_the_work_and_one_job_per_name_runs() -> None:
    steps = []

    def work(job: Job) -> None:
        while not job.cancelled():
            steps.append(1)
            time.sleep(0.01)

    runner = JobRunner()
    job = runner.start("train", work)
    assert runner.start("train", work) is job  # still running: the same job
    time.sleep(0.05)
    job.cancel()
    _wait(job)
    assert job.status == "cancelled" and steps
    assert runner.latest("train") is job


def test_shutdown_cancels_running_jobs_and_waits_for_them() -> None:
    # what the app's exit does (atexit): no thread left inside torch when the interpreter ends
    def work(job: Job) -> str:
        while not job.cancelled():
            time.sleep(0.01)
        time.sleep(0.05)  # the rest of the current batch
        return "stopped"

    runner = JobRunner()
    job = runner.start("train", work)
    assert runner.shutdown(timeout=5) == []
    assert job.status == "cancelled" and job.result == "stopped"

    def stubborn(job: Job) -> None:
        time.sleep(0.5)

    slow = runner.start("slow", stubborn)
    assert runner.shutdown(timeout=0.05) == ["slow"]  # said, not waited for forever
    _wait(slow)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priorities here")
def test_a_job_runs_at_a_lower_priority_than_the_pages() -> None:
    """A training must not take the CPU from the pages' script threads (issue 15, load)."""
    runner = JobRunner()
    job = runner.start("nice", lambda j: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    deadline = time.time() + 10
    while job.running and time.time() < deadline:
        time.sleep(0.01)
    page = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert job.result == min(19, page + JOB_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == page  # the caller's is unchanged
