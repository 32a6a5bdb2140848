"""The two ways the benchmark applies phases 1-7 under load: the toolkit, and the seeds' SQL by psql."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from toolkit import api
from toolkit.connection import Target
from toolkit.plan import load_plan
from toolkit.runner.batches import Batching
from toolkit.runner.progress import Progress

from . import REPO
from .workload import Run


class PhaseClock(Progress):
    """Reports each phase start, and what the runner says about locks, to the benchmark process
    (with seconds since the load started)."""

    def __init__(self, events, started: float):
        self.events, self.started = events, started

    def _put(self, kind: str, value) -> None:
        self.events.put((kind, value, round(time.monotonic() - self.started, 2)))

    def phase_started(self, phase, pending):
        self._put("phase", phase.number)

    # what the runner is doing, for the stalls' timeline
    def step_started(self, migration, action):
        self._put("event", f"{migration.name}: {action} started")

    def step_finished(self, migration, action, duration_ms):
        self._put("event", f"{migration.name}: {action} done in {duration_ms} ms")

    def batch_done(self, migration, batches, rows):
        self._put("batch", (migration.name, rows))

    def checks_finished(self, phase, when, results):
        self._put("event", f"phase {phase.number}: {when}-checks done")

    def key_queries_measured(self, phase, when, measurements):
        self._put("event", f"phase {phase.number}: key queries measured ({when})")

    def retrying(self, label, attempt, wait_seconds, reason):
        self._put("said", f"{label}: {reason}; retry {attempt}")

    def note(self, text):
        self._put("said", text)


def _toolkit_process(dsn: str, started: float, events, batching: Batching) -> None:
    try:
        settings = api.Settings(project=REPO, batching=batching)
        api.apply(Target(dsn), settings=settings, progress=PhaseClock(events, started))
    except Exception as exc:  # the benchmark reports a failed apply instead of dying
        events.put(("error", f"{type(exc).__name__}: {exc}", 0))
    events.put(("done", None, 0))


def apply_with_toolkit(target: Target, run: Run, started: float, batching: Batching) -> None:
    """The runner in its own process, as a DBA runs it: the clients' threads here never wait for its Python
    work (one interpreter lock), just as the naive run's psql does not share it."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with running client threads
    events = context.Queue()
    child = context.Process(target=_toolkit_process, args=(target.dsn, started, events, batching))
    child.start()
    current = None
    while True:
        kind, value, at = events.get()
        if kind == "batch":
            run.batches.append((at, *value))
            continue
        if kind in ("phase", "said", "event"):
            run.runner_events.append((at, f"phase {value} started" if kind == "phase" else value))
        if kind == "phase":
            if current:
                run.phases.append((current[0], current[1], at))
            current = (value, at)
            print(f"  toolkit: phase {value}", flush=True)
        elif kind == "said":
            run.runner_said.append(f"{at} s: {value}")
            print(f"  toolkit: {value}", flush=True)
        elif kind == "error":
            run.error = value
        elif kind == "done":
            break
    child.join()
    if current:
        run.phases.append((current[0], current[1], round(time.monotonic() - started, 2)))


def naive_sql(migration) -> str:
    """The same change the way the seeds write it: no CONCURRENTLY, constraints validated
    at once, data in one statement, no lock_timeout."""
    text = migration.apply_script.text
    if "VALIDATE CONSTRAINT" in text and "ADD CONSTRAINT" not in text:
        return ""  # the naive ADD CONSTRAINT already validated
    text = re.sub(r"CONCURRENTLY IF NOT EXISTS\s+", "", text)
    text = text.replace(" NOT VALID", "")
    if "toolkit.batch_size" in text:
        text = "SET toolkit.batch_size = 2147483647;\n" + text  # one-shot INSERT ... SELECT
    return text


def apply_naively(target: Target, run: Run, started: float, bindir: Path) -> None:
    params = target.params
    env = {**os.environ, "PGPASSWORD": params.get("password", ""), "PGHOST": params["host"],
           "PGPORT": str(params["port"]), "PGUSER": params["user"], "PGDATABASE": params["dbname"]}
    for phase in load_plan(REPO).phases[1:]:
        begin = time.monotonic() - started
        print(f"  naive: phase {phase.number}", flush=True)
        run.runner_events.append((round(begin, 2), f"phase {phase.number} started (psql)"))
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write("\n".join(naive_sql(m) for m in phase.migrations))
        result = subprocess.run([str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", script.name],
                                env=env, capture_output=True, text=True)
        os.unlink(script.name)
        run.phases.append((phase.number, round(begin, 2), round(time.monotonic() - started, 2)))
        if result.returncode != 0:
            run.error = f"phase {phase.number}: {result.stderr.strip()[:300]}"
            return
