"""Many people on the dashboard at once: page-load and control times of N browser sessions on
the Customer page, with a training job running in the same server.

    .venv/bin/python bench/concurrency.py                  # 10 sessions, training running
    .venv/bin/python bench/concurrency.py --sessions 1 --no-train   # one person alone

What it does, on a fresh data folder:
1. builds the demo shop and trains one small model with the CLI (a merchant who trained once);
2. starts ``streamlit run app.py`` and, as a first visitor, opens the Customer page once (its
   seconds are reported as the cold load: the model and the catalog are read into memory);
3. starts a training from the Model page (the "Start training" button, as a merchant would);
4. opens the Customer page in N browser sessions at once (one Chromium, N contexts: separate
   Streamlit sessions), then in every session moves the Diversity slider ``--changes`` times.

A page load ends when the script has finished (``stApp``'s script state is back to
``notRunning``) and the list is drawn; a control change ends when the rerun it caused has
finished. It also reads, from /proc, the CPU seconds the server process and the Chromium
processes used while the sessions ran: on one machine the browsers compete with the server.
Prints a table and writes ``bench/results/concurrency.json``. Needs Chromium
(apt-get install chromium). Times are wall-clock on this machine, including the browser's own
work: compare rows of one run, not runs on different machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = "script-runs.jsonl"  # bench/timed_server.py's log, in the temporary data folder
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
STATE = '[data-testid="stApp"]'
# Counts finished script runs from now on: records of stApp's script state leaving 'running'
# (with the old value recorded: a fast run can go running -> notRunning between two callbacks,
# so the current value alone would miss it). A fragment rerun of 0.1 s can also leave no trace in
# that attribute at all (React applies both states in one frame), so a run is also seen when
# the list's heading - "... imagined visit ...; N ms", rewritten by every run - changes.
WATCH = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__runs = 0;
  new MutationObserver((records) => {
    for (const r of records) if (r.oldValue === 'running') window.__runs += 1;
  }).observe(app, {attributes: true, attributeOldValue: true,
                   attributeFilter: ['data-test-script-state']});
  window.__heading = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .find((e) => e.textContent.includes('imagined visit')) || null;
  window.__headingText = window.__heading ? window.__heading.textContent : null;
}"""
RAN = """() => window.__runs >= 1 || (window.__heading !== null && (!window.__heading.isConnected
  || window.__heading.textContent !== window.__headingText))"""
SLIDER = 'input[type="range"][aria-label="Diversity"]'
LOST_AFTER_S = 30  # no rerun this long after the slider moved on screen: the change was lost
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMain"] h1') !== null
    && document.body.innerText.includes('score ');
}"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu(match) -> dict[int, float]:
    """CPU seconds (user + system) of every live process whose command line ``match`` accepts."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match(int(entry.name), cmd):
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _open_customer(browser, url: str, timeout_ms: int) -> tuple:
    context = await browser.new_context(viewport={"width": 1400, "height": 1200})
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(f"{url}/customer")
    await page.wait_for_function(IDLE, timeout=timeout_ms, polling=100)
    return context, page, time.perf_counter() - started


async def _change(page, timeout_ms: int, lost: list) -> float:
    """Move the Diversity slider one step; seconds until the rerun it caused has finished.

    If no run is seen ``LOST_AFTER_S`` after the slider moved on screen (the key press was lost,
    or a run left no trace this page could see), it presses again, as a person would; the
    time counts from the first press and each such press is appended to ``lost``."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    thumb = page.locator(SLIDER)
    await page.evaluate(WATCH)
    started = time.perf_counter()
    for attempt in range(4):
        before = await thumb.input_value()
        for _ in range(5):  # a key sent while the slider is being redrawn is lost: send it again
            await thumb.focus()
            await thumb.press("ArrowRight" if float(before) < 1.0 else "ArrowLeft")
            try:
                await page.wait_for_function(
                    "([sel, v]) => { const e = document.querySelector(sel); return e && e.value !== v; }",
                    arg=[SLIDER, before], timeout=5000, polling=50)
                break
            except PlaywrightTimeout:
                continue
        try:
            await page.wait_for_function(RAN, polling=50,
                                         timeout=timeout_ms if attempt == 3 else LOST_AFTER_S * 1000)
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            lost.append(round(time.perf_counter() - started, 1))
    await page.wait_for_function(IDLE, timeout=timeout_ms, polling=100)
    return time.perf_counter() - started


async def _session(browser, url: str, changes: int, timeout_ms: int, keep: list) -> dict:
    """One visitor; its browser context is left open in ``keep`` (closed by the caller once the
    browser's CPU time is read: a closed tab's processes take their CPU time with them)."""
    out: dict = {"load": None, "changes": [], "errors": [], "lost": []}
    context, page, phase = None, None, "page load"
    try:
        context, page, out["load"] = await _open_customer(browser, url, timeout_ms)
        for i in range(changes):
            phase = f"control change {i + 1}"
            out["changes"].append(await _change(page, timeout_ms, out["lost"]))
        out["errors"] = await page.locator('[data-testid="stException"]').all_inner_texts()
    except Exception as err:  # noqa: BLE001 - a benchmark records a session's failure and goes on
        where = ""
        try:
            where = await page.evaluate(
                "() => [document.querySelector('[data-testid=\"stApp\"]')"
                "?.getAttribute('data-test-script-state'), window.__runs,"
                f" document.querySelector('{SLIDER}')?.value]")
        except Exception:  # noqa: BLE001 - the page may be gone
            pass
        out["errors"].append(f"{phase}: {type(err).__name__}: {str(err).splitlines()[0]} "
                             f"(script state, runs seen, slider: {where})")
    if context is not None:
        keep.append(context)
    return out


async def _start_training(browser, url: str, timeout_ms: int):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/model")
    await page.get_by_role("button", name="Start training").first.wait_for(timeout=timeout_ms)
    await page.wait_for_function(f"() => document.querySelector('{STATE}')"
                                 ".getAttribute('data-test-script-state') === 'notRunning'",
                                 timeout=timeout_ms)
    await page.get_by_role("button", name="Start training").first.click()
    await page.get_by_role("button", name="Cancel training").wait_for(timeout=timeout_ms)
    return context, page


def _chromium(nice: int) -> str:
    """Chromium, started at a lower CPU priority when ``nice`` > 0 (a wrapper script in a
    temporary folder): the visitors' browsers then take only the CPU the server leaves, as if
    they ran on the visitors' own computers."""
    binary = shutil.which("chromium")
    if not nice:
        return binary
    wrapper = Path(tempfile.mkdtemp(prefix="shoplens-chromium-")) / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {binary} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def _run(url: str, server: int, runs_file: Path, sessions: int, changes: int, train: bool,
               timeout_s: float, browser_nice: int = 0) -> dict:
    from playwright.async_api import async_playwright

    timeout_ms = int(timeout_s * 1000)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_chromium(browser_nice), args=ARGS)
        keep: list = []
        first = await _session(browser, url, 0, timeout_ms, keep)
        trainer = await _start_training(browser, url, timeout_ms) if train else None
        is_server = lambda pid, _cmd: pid == server  # noqa: E731
        is_browser = lambda pid, cmd: pid != server and "chromium" in cmd  # noqa: E731
        cpu0 = (_cpu(is_server), _cpu(is_browser))
        started, since = time.perf_counter(), time.time()
        results = await asyncio.gather(*(_session(browser, url, changes, timeout_ms, keep)
                                         for _ in range(sessions)))
        wall = time.perf_counter() - started
        server_cpu, browser_cpu = _used(cpu0[0], _cpu(is_server)), _used(cpu0[1], _cpu(is_browser))
        for context in keep:
            await context.close()
        still_training = False
        if trainer is not None:
            still_training = await trainer[1].get_by_role("button", name="Cancel training").count() > 0
            await trainer[0].close()
        await browser.close()
    server = _server_runs(runs_file, since)
    loads = [r["load"] for r in results if r["load"] is not None]
    moves = [c for r in results for c in r["changes"]]
    return {"sessions": sessions, "training": train, "still_training_at_end": still_training,
            "cold_load_s": first["load"], "wall_s": wall, "server_cpu_s": server_cpu,
            "browser_cpu_s": browser_cpu,
            "load_p50_s": statistics.median(loads) if loads else None,
            "load_p95_s": _pct(loads, 0.95), "load_max_s": max(loads, default=None),
            "change_p50_s": statistics.median(moves) if moves else None,
            "change_p95_s": _pct(moves, 0.95), "change_max_s": max(moves, default=None),
            "changes": len(moves), "lost_changes": sum(len(r["lost"]) for r in results), **server,
            "errors": [e for r in (first, *results) for e in r["errors"]]}


def _server_runs(path: Path, since: float) -> dict:
    """The server's own seconds per session that started after ``since`` (from
    bench/timed_server.py): its first finished run is the page load, later ones the changes."""
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    before = {r["session"] for r in rows if r["start"] < since}  # the first visitor, the trainer
    by_session: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: r["start"]):
        if r["session"] not in before and r["end"] == "done":
            by_session.setdefault(r["session"], []).append(r)
    loads = [runs[0] for runs in by_session.values()]
    changes = [r for runs in by_session.values() for r in runs[1:]]
    return {"server_load_p50_s": statistics.median([r["wall_s"] for r in loads]) if loads else None,
            "server_load_p95_s": _pct([r["wall_s"] for r in loads], 0.95),
            "server_change_p50_s": (statistics.median([r["wall_s"] for r in changes])
                                    if changes else None),
            "server_change_p95_s": _pct([r["wall_s"] for r in changes], 0.95),
            "server_run_cpu_s": sum(r["cpu_s"] for r in loads + changes),
            "server_runs": len(loads) + len(changes)}


def _serve(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SHOPLENS_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "timed_server.py"),
                             str(home / RUNS), "app.py", "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def _prepare(home: Path, epochs: int) -> None:
    env = {**os.environ, "SHOPLENS_HOME": str(home)}
    cli = [sys.executable, "-m", "core.cli"]
    subprocess.run([*cli, "demo", "--shop", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    if epochs > 0:
        subprocess.run([*cli, "train", "--shop", "demo", "--epochs", str(epochs), "--quiet"], cwd=ROOT,
                       env=env, check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--changes", type=int, default=3, help="slider moves per session")
    ap.add_argument("--no-train", dest="train", action="store_false",
                    help="no training job during the sessions")
    ap.add_argument("--pretrain-epochs", type=int, default=2,
                    help="epochs of the model trained before the server starts (0: none)")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run Chromium at this niceness (19: the browsers only get what the server "
                         "leaves, as if they ran on the visitors' own computers)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a wait fails")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "concurrency.json")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="shoplens-load-"))
    try:
        t0 = time.perf_counter()
        _prepare(home, args.pretrain_epochs)
        prep_s = time.perf_counter() - t0
        proc = _serve(home, port := _port())
        try:
            row = asyncio.run(_run(f"http://127.0.0.1:{port}", proc.pid, home / RUNS, args.sessions,
                                   args.changes, args.train, args.timeout,
                                   args.browser_nice))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    row["prepare_s"] = prep_s
    row["browser_nice"] = args.browser_nice
    row["cpus"] = os.cpu_count()
    f = lambda v: "-" if v is None or v != v else f"{v:.1f}"  # noqa: E731 - v != v: NaN
    print("| sessions | training | browsers niced | cold load s | page p50 s | page p95 s | page max s | "
          "control p50 s | control p95 s | control max s | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {row['sessions']} | {'yes' if row['training'] else 'no'} | {args.browser_nice or 'no'} | "
          f"{f(row['cold_load_s'])} | "
          f"{f(row['load_p50_s'])} | {f(row['load_p95_s'])} | {f(row['load_max_s'])} | "
          f"{f(row['change_p50_s'])} | {f(row['change_p95_s'])} | {f(row['change_max_s'])} | "
          f"{len(row['errors'])} |")
    print(f"CPU seconds while the {row['sessions']} sessions ran ({row['wall_s']:.0f} s wall): server "
          f"(the app, its script runs and the training job) {row['server_cpu_s']:.0f}, "
          f"Chromium {row['browser_cpu_s']:.0f}")
    print(f"The server's own seconds (script runs, bench/timed_server.py): page p50 "
          f"{f(row['server_load_p50_s'])}, p95 {f(row['server_load_p95_s'])}; control p50 "
          f"{f(row['server_change_p50_s'])}, p95 {f(row['server_change_p95_s'])}; "
          f"{row['server_runs']} runs used {row['server_run_cpu_s']:.1f} CPU s")
    if row["lost_changes"]:
        print(f"{row['lost_changes']} slider moves showed no rerun within {LOST_AFTER_S} s: "
              "pressed again, their time counts from the first press")
    for e in row["errors"]:
        print("error:", e)
    if row["training"] and not row["still_training_at_end"]:
        print("note: the training job ended before the sessions did")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(args.out.read_text()) if args.out.exists() else []
    runs.append({"date": time.strftime("%Y-%m-%d %H:%M"), **row})
    args.out.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
