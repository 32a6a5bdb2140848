"""The toolkit's commands as plain functions: what the CLI calls, and what a Python user can call.

    from toolkit import api, Target
    api.apply(Target("postgresql://..."), phase=1)
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql

from .checks import CheckResult, run_checks
from .connection import Target
from .errors import BadInput, ChecksumMismatch, HumanNeeded, PreCheckFailed, RollbackCause, RolledBack, StepFailed
from .executor import Batching, Executor, Timeouts
from .fingerprint import Fingerprint, take_fingerprint
from .history import AppliedMigration, History
from .plan import Migration, Phase, Plan, load_plan
from .performance import measure, slowdowns
from .progress import Progress
from .runlock import runner_lock


@dataclass(frozen=True)
class Settings:
    project: Path = Path(".")
    lock_wait: float = 30.0  # seconds a second runner waits for the first
    timeouts: Timeouts = field(default_factory=Timeouts)
    batching: Batching = field(default_factory=Batching)
    max_slowdown: float = 0.20  # 004: roll back when a key query gets >20% slower
    key_query_runs: int = 5  # EXPLAIN ANALYZE runs per key query; the median counts


# Results ---------------------------------------------------------------------


@dataclass
class StepResult:
    migration: str
    action: str
    duration_ms: int


@dataclass
class PhaseResult:
    phase: int
    action: str
    steps: list[StepResult] = field(default_factory=list)
    pre_checks: list[CheckResult] = field(default_factory=list)
    post_checks: list[CheckResult] = field(default_factory=list)
    key_queries: dict = field(default_factory=dict)  # {"before": {...}, "after": {...}} Measurements


@dataclass
class PlannedStatement:
    line: int
    mode: str  # "transaction" or "autocommit"
    text: str


@dataclass
class PlannedStep:
    migration: str
    action: str
    path: str
    statements: list[PlannedStatement]


@dataclass
class PlannedPhase:
    phase: int
    pre_checks: list[str]
    steps: list[PlannedStep]
    post_checks: list[str]


@dataclass
class MigrationStatus:
    migration: str
    phase: int
    state: str  # applied, pending, failed, interrupted, rollback_interrupted, missing_file
    applied_at: str | None = None
    duration_ms: int | None = None
    checksum: str | None = None  # ok, changed; None when not applied


@dataclass
class PhaseStatus:
    phase: int
    state: str  # applied, pending, partial
    migrations: list[MigrationStatus]


@dataclass
class Status:
    database: str
    phases: list[PhaseStatus]
    unknown: list[MigrationStatus]  # applied, but no longer on disk


# Commands --------------------------------------------------------------------


def apply(target: Target, phase: int | None = None, *, settings: Settings = Settings(),
          progress: Progress = Progress(), dry_run: bool = False):
    """Apply phase `phase` (or every pending phase, in order). Returns the phases' results,
    or with dry_run the plan of what would run, running nothing."""
    plan = load_plan(settings.project)
    if dry_run:
        applied = _read_applied(target)
        _refuse_edited(plan, applied)
        return [_preview(p, "apply", set(applied)) for p in plan.phases_to_apply(set(applied), phase)]
    with locked_session(target, settings, progress, "apply") as session:
        applied = session.history.applied()
        _refuse_edited(plan, applied)
        return [session.apply_phase(p) for p in plan.phases_to_apply(set(applied), phase)]


ROLLBACK_LEVELS = ("schema", "data", "feature")


def rollback(target: Target, phase: int, *, cascade: bool = False, level: str = "schema",
             settings: Settings = Settings(), progress: Progress = Progress(), dry_run: bool = False):
    """Roll back phase `phase` (and, with cascade, every later applied phase), newest first.

    004's levels: "schema" undoes every migration; "data" undoes only the phase's data
    steps and keeps its tables (apply the phase again to redo them); "feature" runs
    rollbacks/levels/PP_feature.sql (switch the features off, keep every row)."""
    plan = load_plan(settings.project)
    chosen = _level_phase(plan, phase, cascade, level)
    if dry_run:
        applied = _read_applied(target)
        _refuse_edited(plan, applied)
        phases = plan.phases_to_roll_back(set(applied), phase, cascade)
        return [_preview(p, "rollback", set(applied), level) for p in phases]
    with locked_session(target, settings, progress, "rollback") as session:
        applied = session.history.applied()
        _refuse_edited(plan, applied)
        phases = plan.phases_to_roll_back(set(applied), phase, cascade)
        if level == "feature":
            duration = session.executor.switch_off_features(phase, chosen.feature_rollback)
            return [PhaseResult(phase, "rollback", [StepResult(f"{phase:02d}_feature", "rollback", duration)])]
        return [session.roll_back_phase(p, only=p.data_steps if level == "data" else None) for p in phases]


def _level_phase(plan: Plan, phase: int, cascade: bool, level: str) -> Phase:
    if level not in ROLLBACK_LEVELS:
        raise BadInput(f"unknown rollback level {level!r} (levels: {', '.join(ROLLBACK_LEVELS)})")
    chosen = plan.phase(phase)
    if level != "schema" and cascade:
        raise BadInput(f"--cascade goes with the schema level only, not --level {level}")
    if level == "data" and not chosen.data_steps:
        raise BadInput(f"phase {phase} has no data steps: nothing for --level data to roll back")
    if level == "feature" and chosen.feature_rollback is None:
        raise BadInput(f"phase {phase} has no feature rollback (rollbacks/levels/{phase:02d}_feature.sql)")
    return chosen


def validate(target: Target, phase: int, when: str | None = None, *, settings: Settings = Settings()) -> list[CheckResult]:
    """Run a phase's checks (pre, post or both) and return every result. Changes nothing but history."""
    chosen = load_plan(settings.project).phase(phase)
    checks = {"pre": chosen.pre_checks, "post": chosen.post_checks}
    selected = [c for w in ("pre", "post") if when in (None, w) for c in checks[w]]
    with target.connect("toolkit validate") as conn:
        history = History(conn)
        return run_checks(conn, selected, history if history.exists() else None)


def status(target: Target, *, settings: Settings = Settings()) -> Status:
    plan = load_plan(settings.project)
    with target.connect("toolkit status") as conn:
        history = History(conn)
        applied, events = history.applied(), history.last_events()
    phases = []
    for phase in plan.phases:
        migrations = [_migration_status(m, applied.get(m.name), events.get(m.name)) for m in phase.migrations]
        done = sum(m.state in ("applied", "rollback_interrupted") for m in migrations)
        state = "applied" if done == len(migrations) else "partial" if done else "pending"
        phases.append(PhaseStatus(phase.number, state, migrations))
    known = {m.name for m in plan.migrations}
    unknown = [
        MigrationStatus(a.migration, a.phase, "missing_file", a.applied_at.isoformat(), a.duration_ms)
        for a in applied.values() if a.migration not in known
    ]
    return Status(target.describe(), phases, unknown)


@dataclass
class Verification:
    database: str
    empty: str  # fingerprint digests
    applied: str
    rolled_back: str
    reapplied: str | None  # None when the rollback already failed to restore the empty schema
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(server: Target, *, settings: Settings = Settings(), progress: Progress = Progress()) -> Verification:
    """On a scratch database created (and dropped) here: apply every phase, roll every phase back,
    apply again. The full rollback must restore the empty fingerprint, and both applies must agree."""
    plan = load_plan(settings.project)
    if not plan.phases:
        raise BadInput(f"nothing to verify: no migrations in {settings.project / 'migrations'}")
    name = f"toolkit_verify_{uuid.uuid4().hex[:10]}"
    with server.connect("toolkit verify") as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        scratch = server.with_database(name)
        empty = fingerprint(scratch)
        apply(scratch, settings=settings, progress=progress)
        applied = fingerprint(scratch)
        rollback(scratch, plan.phases[0].number, cascade=True, settings=settings, progress=progress)
        rolled_back = fingerprint(scratch)
        differences = [f"after rollback {d}" for d in empty.differences(rolled_back)]
        reapplied = None
        if not differences:  # re-applying over leftovers would only fail less clearly
            apply(scratch, settings=settings, progress=progress)
            reapplied = fingerprint(scratch)
            differences = [f"after re-apply {d}" for d in applied.differences(reapplied)]
    finally:
        with server.connect("toolkit verify") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return Verification(name, empty.digest, applied.digest, rolled_back.digest,
                        reapplied.digest if reapplied else None, differences)


def fingerprint(target: Target) -> Fingerprint:
    with target.connect("toolkit fingerprint") as conn:
        return take_fingerprint(conn)


# The run ---------------------------------------------------------------------


class Session:
    """A connection that holds the runner lock, with its history and executor."""

    def __init__(self, conn, progress: Progress, settings: Settings):
        self.conn = conn
        self.progress = progress
        self.settings = settings
        self.history = History(conn)
        self.executor = Executor(conn, self.history, settings.timeouts, progress, settings.batching)

    def apply_phase(self, phase: Phase) -> PhaseResult:
        """Pre-checks, key-query baseline, migrations, post-checks, key-query comparison.
        Any failure after the first migration rolls back what this run applied."""
        pending = [m for m in phase.migrations if m.name not in self.history.applied()]
        result = PhaseResult(phase.number, "apply")
        self.progress.phase_started(phase, pending)
        self._pre_validate(phase, resuming=len(pending) < len(phase.migrations), result=result)
        speed_before = self._measure_key_queries(phase, "before")
        before = take_fingerprint(self.conn)
        ran = self._run_migrations(phase, pending, before, result)
        self._post_validate(phase, ran, before, result)
        self._compare_key_queries(phase, speed_before, ran, before, result)
        return result

    def _pre_validate(self, phase: Phase, resuming: bool, result: PhaseResult) -> None:
        if resuming:
            # After a crash or a data-level rollback the state the pre-checks describe is
            # gone by design; the post-checks still decide.
            self.progress.note(f"phase {phase.number} is partly applied: resuming; pre-checks skipped")
            return
        result.pre_checks = self._checks(phase, "pre", phase.pre_checks)
        failed = [r for r in result.pre_checks if not r.passed]
        if failed:
            raise PreCheckFailed(phase.number, failed)

    def _run_migrations(self, phase: Phase, pending, before: Fingerprint, result: PhaseResult) -> list[Migration]:
        ran: list[Migration] = []
        for migration in pending:
            ran.append(migration)
            try:
                result.steps.append(StepResult(migration.name, "apply", self.executor.apply(migration)))
            except StepFailed as failure:
                if migration.apply_script.transactional:
                    ran.pop()  # its transaction already undid it
                self._undo(phase, ran, before, RollbackCause("step", f"{migration.name} failed: {failure}"), result)
        return ran

    def _post_validate(self, phase: Phase, ran, before: Fingerprint, result: PhaseResult) -> None:
        result.post_checks = self._checks(phase, "post", phase.post_checks)
        failed = [r for r in result.post_checks if not r.passed]
        if failed:
            message = "post-validation failed: " + "; ".join(r.describe() for r in failed)
            self._undo(phase, ran, before, RollbackCause("check", message, failed), result)

    def _measure_key_queries(self, phase: Phase, when: str) -> dict:
        if not phase.key_queries:
            return {}
        measured = measure(self.conn, phase.key_queries, self.settings.key_query_runs)
        self.progress.key_queries_measured(phase, when, measured)
        return measured

    def _compare_key_queries(self, phase: Phase, speed_before: dict, ran, before: Fingerprint, result) -> None:
        if not speed_before:
            return
        result.key_queries = {"before": speed_before, "after": self._measure_key_queries(phase, "after")}
        slower = slowdowns(speed_before, result.key_queries["after"], phase.key_queries, self.settings.max_slowdown)
        if slower:
            message = "; ".join(s.describe() for s in slower)
            self._undo(phase, ran, before, RollbackCause("slowdown", message, slower), result)

    def roll_back_phase(self, phase: Phase, only: tuple[Migration, ...] | None = None) -> PhaseResult:
        applied = self.history.applied()
        chosen = [m for m in phase.migrations if m.name in applied and (only is None or m in only)]
        result = PhaseResult(phase.number, "rollback")
        self.progress.phase_started(phase, chosen)
        for migration in reversed(chosen):
            if migration.name in applied:
                result.steps.append(StepResult(migration.name, "rollback", self._roll_back(phase, migration, result)))
        return result

    def _undo(self, phase: Phase, ran: list[Migration], before: Fingerprint, cause: RollbackCause, result):
        """Roll back what this run applied, newest first, then prove the schema is as before."""
        self.progress.note(f"phase {phase.number}: {cause.message}; rolling back {len(ran)} migration(s)")
        for migration in reversed(ran):
            self._roll_back(phase, migration, result, cause)
        after = take_fingerprint(self.conn)
        if after != before:
            raise HumanNeeded(
                f"phase {phase.number} was rolled back after: {cause.message}; "
                "but the schema differs from before the phase",
                differences=before.differences(after),
                result=result,
            )
        raise RolledBack(phase.number, cause, result)

    def _roll_back(self, phase: Phase, migration: Migration, result, cause: RollbackCause | None = None) -> int:
        try:
            return self.executor.roll_back(migration)
        except StepFailed as failure:
            still = sorted(m for m in self.history.applied() if any(m == x.name for x in phase.migrations))
            after = f" (rolling back after: {cause.message})" if cause else ""
            raise HumanNeeded(
                f"rollback of {migration.name} failed: {failure}{after}; "
                f"phase {phase.number} now has applied: {', '.join(still) or 'nothing'}",
                result=result,
            ) from failure

    def _checks(self, phase: Phase, when: str, checks) -> list[CheckResult]:
        results = run_checks(self.conn, checks, self.history)
        self.progress.checks_finished(phase, when, results)
        return results


@contextmanager
def locked_session(target: Target, settings: Settings, progress: Progress, purpose: str):
    conn = target.connect(f"toolkit {purpose}")
    try:
        # If this process dies, the server notices within a second, even mid-statement,
        # ends the backend and so frees the runner lock (PostgreSQL 14+).
        if conn.info.server_version >= 140000:
            conn.execute("SET client_connection_check_interval = '1s'")
        with runner_lock(conn, settings.lock_wait):
            session = Session(conn, progress, settings)
            session.history.install()
            yield session
    finally:
        conn.close()


def _read_applied(target: Target) -> dict[str, AppliedMigration]:
    with target.connect("toolkit plan") as conn:
        return History(conn).applied()


def _refuse_edited(plan: Plan, applied: dict[str, AppliedMigration]) -> None:
    on_disk = {m.name: m for m in plan.migrations}
    missing = sorted(name for name in applied if name not in on_disk)
    if missing:
        raise BadInput(f"applied migration(s) no longer in migrations/: {', '.join(missing)}")
    changed = sorted(name for name, a in applied.items() if on_disk[name].checksum != a.checksum)
    if changed:
        raise ChecksumMismatch(changed)


def _preview(phase: Phase, action: str, applied: set[str], level: str = "schema") -> PlannedPhase:
    if action == "apply":
        chosen = [(m.name, m.apply_script) for m in phase.migrations if m.name not in applied]
        pre, post = [c.name for c in phase.pre_checks], [c.name for c in phase.post_checks]
    elif level == "feature":
        chosen, pre, post = [(f"{phase.number:02d}_feature", phase.feature_rollback)], [], []
    else:
        steps = phase.data_steps if level == "data" else phase.migrations
        chosen = [(m.name, m.rollback_script) for m in reversed(steps) if m.name in applied]
        pre, post = [], []
    steps = [
        PlannedStep(
            migration=name,
            action=action,
            path=str(script.path),
            statements=[
                PlannedStatement(s.line, _mode(script, s), s.text)
                for s in script.statements
            ],
        )
        for name, script in chosen
    ]
    return PlannedPhase(phase.number, pre, steps, post)


def _mode(script, statement) -> str:
    if statement.batched:
        return "batched"
    return "transaction" if script.transactional else "autocommit"


def _migration_status(migration: Migration, applied: AppliedMigration | None, event) -> MigrationStatus:
    if applied:
        half_undone = event is not None and event.action == "rollback" and event.outcome == "started"
        return MigrationStatus(
            migration.name,
            migration.phase,
            "rollback_interrupted" if half_undone else "applied",
            applied.applied_at.isoformat(),
            applied.duration_ms,
            "ok" if applied.checksum == migration.checksum else "changed",
        )
    state = "pending"
    if event and event.outcome == "failed":
        state = "failed"
    elif event and event.outcome == "started":
        state = "interrupted"
    return MigrationStatus(migration.name, migration.phase, state)
