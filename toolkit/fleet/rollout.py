"""A rollout: one phase (or every phase up to one) across the fleet, a wave at a time, canaries first.

A runner works from the ledger: it claims the next target of the wave now running, runs on it exactly what
`toolkit apply` (or `rollback`) would, with the same checks, the same key-query slowdown limit and the same
automatic rollback, and records the outcome. A wave starts only when every target of the waves before it has
finished and passed. At the first failure (past `max_failures`) no new target starts; the ones running finish
or roll back as a single apply would. Several runners, on one machine or several, may work on one rollout.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, ContextManager

from .. import api
from ..connection import Target
from ..errors import BadInput, CannotConnect, FleetStopped, RolledBack, ToolkitError
from ..exit_codes import CANNOT_CONNECT, HUMAN_NEEDED, OK, exit_code
from ..plan import load_plan
from ..runner.progress import Progress
from ..runner.session import Settings
from .ledger import APPLY, ROLLBACK, Ledger, Rollout, TargetRow
from .targets import Fleet

POLL = 0.2  # seconds between looks at the ledger while the wave's last targets finish elsewhere


class Watcher:
    """What a rollout tells its caller while it works (the CLI draws a live table from it)."""

    def target_started(self, row: TargetRow) -> None: ...

    def target_progress(self, name: str, text: str) -> None: ...

    def target_finished(self, row: TargetRow, state: str, seconds: float, error: str | None) -> None: ...


@dataclass(frozen=True)
class Outcome:
    state: str
    exit_code: int
    first_error: str | None
    done: str | None


class _TargetProgress(Progress):
    """Passes a target's phase and step starts to the watcher, with the target's name."""

    def __init__(self, name: str, watcher: Watcher):
        self.name, self.watcher = name, watcher

    def phase_started(self, phase, pending):
        self.watcher.target_progress(self.name, f"phase {phase.number}")

    def step_started(self, migration, action):
        self.watcher.target_progress(self.name, f"phase {migration.phase}: {action} {migration.name}")


def start(ledger_target: Target, fleet: Fleet, action: str, phase: int | None, *, max_failures: int = 0,
          settings: Settings = Settings()) -> Rollout:
    """A new rollout in the ledger, every target pending. The project's plan is read first: a file the runner
    would refuse stops the rollout before any target is touched."""
    if action == ROLLBACK and phase is None:
        raise BadInput("fleet rollback needs --phase")
    plan = load_plan(settings.project)
    if phase is not None:
        plan.phase(phase)
    ledger = Ledger(ledger_target)
    try:
        return ledger.create(fleet, action, phase, max_failures)
    finally:
        ledger.close()


def rollout_to_run(ledger_target: Target, action: str | None = None, phase: int | None = None, *,
                   fleet: Fleet | None = None, join: int | None = None, resume: bool = False, max_failures: int = 0,
                   settings: Settings = Settings()) -> tuple[Rollout, str]:
    """The rollout a runner is to work on (then `work`), and one line saying which: a new one of `action` over
    `fleet`; the one `join` names, as the ledger has it; or (resume) that one, else the latest, with its failed
    targets pending again. A rollout in the ledger keeps its targets: giving a fleet with it is refused."""
    if join is None and not resume:
        if fleet is None:
            raise BadInput("give the targets: --targets FILE or --targets-query SQL (one of them)")
        rollout = start(ledger_target, fleet, action, phase, max_failures=max_failures, settings=settings)
        what = f"{action}{f' phase {phase}' if phase is not None else ''}"
        return rollout, (f"rollout {rollout.id} started: {what} on {len(fleet.targets)} targets in "
                         f"{len(fleet.waves)} wave(s): {', '.join(fleet.waves)}")
    if fleet is not None:
        raise BadInput("a rollout already in the ledger keeps its targets: leave out --targets, --targets-query "
                       "and --canary")
    if resume:
        rollout, again = reopen(ledger_target, join)
        return rollout, f"rollout {rollout.id}: {again} target(s) to try again"
    ledger = Ledger(ledger_target)
    try:
        rollout = _existing(ledger, join)
    finally:
        ledger.close()
    return rollout, f"rollout {rollout.id}: joined ({rollout.state})"


def reopen(ledger_target: Target, rollout_id: int | None = None) -> tuple[Rollout, int]:
    """resume: the rollout (the latest by default) with its failed targets pending again."""
    ledger = Ledger(ledger_target)
    try:
        rollout = _existing(ledger, rollout_id)
        return ledger.rollout(rollout.id), ledger.reopen(rollout)
    finally:
        ledger.close()


def work(ledger_target: Target, rollout_id: int, *, parallel: int = 1, settings: Settings = Settings(),
         watcher: Watcher = Watcher()) -> Rollout:
    """Run targets of the rollout until none is left that this runner may start: at most `parallel` at once.
    Returns the rollout as the ledger has it afterwards (completed, stopped, or running elsewhere)."""
    if parallel < 1:
        raise BadInput("--parallel must be at least 1")
    presence = Ledger(ledger_target)
    try:
        rollout = _existing(presence, rollout_id)
        runner, key = presence.join_as_runner()
        lost: list[str] = []  # what the workers could not record because the ledger went away, one line each
        threads = [threading.Thread(target=_worker, args=(ledger_target, rollout, runner, key, settings, watcher,
                                                          presence, lost), daemon=True) for _ in range(parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if lost or not presence.still_holds_lock():
            error = CannotConnect(f"lost the ledger ({ledger_target.describe()}) during rollout {rollout.id}; "
                                  f"when it is back, toolkit fleet resume --rollout {rollout.id} goes on (each "
                                  "target's own history says what it has)")
            error.notes = tuple(lost)
            raise error
        return presence.finish_if_done(rollout)
    finally:
        presence.close()


def _existing(ledger: Ledger, rollout_id: int | None) -> Rollout:
    rollout = ledger.rollout(rollout_id)
    if rollout is None:
        raise BadInput(f"the ledger has no rollout {rollout_id}" if rollout_id is not None else
                       "the ledger has no rollout yet: start one with toolkit fleet apply --targets FILE")
    return rollout


def _worker(ledger_target: Target, rollout: Rollout, runner: str, key: int, settings: Settings, watcher: Watcher,
            presence: Ledger, lost: list[str]) -> None:
    """Claims, runs and records targets until none is left. A lost ledger ends the worker with a line in `lost`
    (the target it was on, if any), never a thread's traceback."""
    import psycopg

    row = outcome = None
    try:
        ledger = Ledger(ledger_target)
    except (psycopg.Error, CannotConnect) as error:
        lost.append(f"a worker could not reach the ledger: {ledger_target.redact(' '.join(str(error).split()))}")
        return
    try:
        while presence.still_holds_lock():
            row = outcome = None
            row = ledger.claim(rollout, runner, key)
            if row is None:
                counts = ledger.counts(rollout)
                if counts.failed > rollout.max_failures or counts.unfinished == 0:
                    return
                time.sleep(POLL)  # the wave's last targets are running (here or elsewhere): then the next wave
                continue
            watcher.target_started(row)
            began = time.monotonic()
            outcome = run_one(row, rollout, settings, _TargetProgress(row.target.name, watcher))
            ledger.record(rollout, row.target.name, outcome.state, outcome.exit_code, outcome.first_error,
                          outcome.done)
            watcher.target_finished(row, outcome.state, time.monotonic() - began, outcome.first_error)
    except psycopg.Error as error:
        reason = ledger_target.redact(" ".join(str(error).split()) or type(error).__name__)
        if row is None:
            lost.append(f"a worker lost the ledger between targets: {reason}")
        elif outcome is None:
            lost.append(f"{row.target.name}: the ledger was lost while it ran ({reason})")
        else:
            lost.append(f"{row.target.name}: {outcome.state} (exit {outcome.exit_code}), but the ledger could not "
                        f"record it ({reason})")
    finally:
        try:
            ledger.close()
        except psycopg.Error:
            pass


def run_one(row: TargetRow, rollout: Rollout, settings: Settings, progress: Progress) -> Outcome:
    """What `toolkit apply --phase N` (every pending phase up to N) or `toolkit rollback --phase N` does on one
    target, as an outcome: never an exception, so one target's failure is recorded, not the runner's end."""
    try:
        target = row.target.connection()
        if rollout.action == APPLY:
            results = api.apply(target, through=rollout.phase, settings=settings, progress=progress)
            if not results:
                return Outcome("skipped", OK, None, "already there (its history)")
            return Outcome("applied", OK, None, _phases(r.phase for r in results))
        status = api.status(target, settings=settings)
        if next(p for p in status.phases if p.phase == rollout.phase).state == "pending":
            return Outcome("skipped", OK, None, f"phase {rollout.phase} not applied (its history)")
        api.rollback(target, rollout.phase, settings=settings, progress=progress)
        return Outcome("rolled back", OK, None, f"phase {rollout.phase}")
    except ToolkitError as error:
        state = "rolled back" if isinstance(error, RolledBack) and rollout.action == APPLY else "failed"
        return Outcome(state, exit_code(error), row.target.redact(str(error)), None)
    except Exception as error:  # noqa: BLE001 - one target's surprise must not end the rollout unrecorded
        psycopg = sys.modules.get("psycopg")
        code = CANNOT_CONNECT if psycopg and isinstance(error, psycopg.OperationalError) else HUMAN_NEEDED
        reason = " ".join(str(error).split()) or type(error).__name__
        return Outcome("failed", code, row.target.redact(reason), None)


def _phases(numbers) -> str:
    numbers = sorted(numbers)
    return f"phase {numbers[0]}" if len(numbers) == 1 else f"phases {numbers[0]}-{numbers[-1]}"


def run_rollout(ledger_target: Target, action: str | None = None, phase: int | None = None, *,
                targets: tuple = (None, None, None), join: int | None = None, resume: bool = False,
                max_failures: int = 0, parallel: int = 1, settings: Settings = Settings(),
                say: Callable[[str], None] = lambda line: None,
                watcher_for: Callable[[int], ContextManager[Watcher]] | None = None) -> dict:
    """Start a rollout over the targets (a file, a query, the canaries: `chosen_fleet`), join one, or reopen one
    (resume); work on it here until nothing is left this runner may start; return its report (`rollout_report`).
    `say` hears which rollout it is; `watcher_for(total)` gives the watcher that sees each target run."""
    from .status import rollout_report
    from .targets import chosen_fleet

    rollout, said = rollout_to_run(ledger_target, action, phase, fleet=chosen_fleet(ledger_target, *targets),
                                   join=join, resume=resume, max_failures=max_failures, settings=settings)
    say(said)
    total = len(rollout_report(ledger_target, rollout.id)["targets"])
    with (watcher_for(total) if watcher_for else contextlib.nullcontext(Watcher())) as watcher:
        work(ledger_target, rollout.id, parallel=parallel, settings=settings, watcher=watcher)
    return rollout_report(ledger_target, rollout.id)


def raise_if_stopped(report: dict) -> None:
    """A rollout that stopped on failures is the operator's to fix: FleetStopped (exit 12) says how to go on."""
    rollout = report["rollout"]
    if rollout and rollout["state"] == "stopped":
        raise FleetStopped(f"rollout {rollout['id']} stopped: {rollout['failed']} target(s) failed; fix them, then "
                           f"toolkit fleet resume --rollout {rollout['id']}")
