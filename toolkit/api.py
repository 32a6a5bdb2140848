"""The toolkit's commands as plain functions: what the CLI calls, and what a Python user can call.

    from toolkit import api, Target
    api.apply(Target("postgresql://..."), phase=1)
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import replace

import psycopg
from psycopg import sql

from .catalog.diff import differences as catalog_differences
from .catalog.fingerprint import Fingerprint, take_fingerprint
from .catalog.inspect import inspect
from .connection import Target
from .errors import BadInput, ChecksumMismatch, HumanNeeded, ToolkitError
from .plan import Migration, Phase, Plan, load_plan
from .runner.at_stake import tables_at_stake
from .runner.checks import CheckResult, run_checks
from .runner.history import AppliedMigration, History
from .runner.progress import Progress
from .runner.results import (
    Drift,
    MigrationStatus,
    PhaseResult,
    PhaseStatus,
    PlannedPhase,
    PlannedStatement,
    PlannedStep,
    Status,
    StepResult,
    Verification,
)
from .runner.runlock import other_runner
from .runner.session import Settings, locked_session

__all__ = ["Settings", "apply", "rollback", "validate", "status", "verify", "fingerprint", "diff", "erd",
           "ROLLBACK_LEVELS"]


def apply(target: Target, phase: int | None = None, *, through: int | None = None, settings: Settings = Settings(),
          progress: Progress = Progress(), dry_run: bool = False):
    """Apply phase `phase` (or every pending phase, in order; with `through=N`, every pending phase up to N).
    Returns the phases' results, or with dry_run the plan of what would run, running nothing."""
    plan = load_plan(settings.project, for_apply=True)
    if through is not None:
        plan.phase(through)  # refuses a phase the project does not have

    def chosen(applied) -> list[Phase]:
        phases = [p for p in plan.phases_to_apply(set(applied), phase) if through is None or p.number <= through]
        return _needing_their_rollbacks(plan, phases, "applied", progress)

    if dry_run:
        applied = _read_applied(target, settings)
        _refuse_edited(plan, applied)
        return [preview(p, "apply", set(applied)) for p in chosen(applied)]
    with locked_session(target, settings, progress, "apply") as session:
        applied = session.history.applied()
        _refuse_edited(plan, applied)
        done = []
        try:
            for chosen_phase in chosen(applied):
                done.append(session.apply_phase(chosen_phase))
        except ToolkitError as error:
            error.completed = tuple(done)  # the phases that did apply, said before what stopped the run
            raise
        return done


def _needing_their_rollbacks(plan: Plan, phases: list[Phase], done: str, progress: Progress) -> list[Phase]:
    """Refuses to apply or roll back a phase whose rollback file cannot run (an automatic rollback of it would
    need the file); a broken rollback of another phase is only said, once."""
    for chosen_phase in phases:
        broken = [m.rollback_problem for m in chosen_phase.migrations if m.rollback_problem]
        if broken:
            raise BadInput(f"{broken[0]} (phase {chosen_phase.number} is not {done}: rolling it back, "
                           "automatically too, needs this file)")
    chosen = {p.number for p in phases}
    for other in plan.phases:
        for migration in other.migrations:
            if migration.rollback_problem and other.number not in chosen:
                progress.note(f"warning: {migration.rollback_problem} (phase {other.number} cannot be applied or "
                              "rolled back until it is fixed)")
    return phases


ROLLBACK_LEVELS = ("schema", "data", "feature")


def rollback(target: Target, phase: int | None = None, *, cascade: bool = False, to: int | None = None,
             everything: bool = False, level: str = "schema", settings: Settings = Settings(),
             progress: Progress = Progress(), dry_run: bool = False):
    """Roll back, newest first: phase `phase` (with cascade, and every later applied phase); or with `to=N`
    every applied phase above N; or with everything=True every applied phase. Each phase's restored schema is
    compared with the fingerprint kept when it was applied. A phase holding an applied irreversible migration
    is refused before anything runs.

    Rollback levels (with `phase` only): "schema" undoes every migration; "data" undoes only the phase's data
    steps and keeps its tables (apply the phase again to redo them); "feature" runs
    rollbacks/levels/PP_feature.sql (switch the features off, keep every row)."""
    plan = load_plan(settings.project, for_apply=True)
    _one_scope(phase, to, everything, level)
    chosen = _level_phase(plan, phase, cascade, level) if phase is not None else None

    def choose(applied: set[str]) -> list[Phase]:
        if phase is None:
            phases = plan.phases_down_to(applied, to)
        else:
            phases = plan.phases_to_roll_back(applied, phase, cascade)
        if level != "feature":
            plan.refuse_irreversible(phases, applied, data_only=level == "data")
            _needing_their_rollbacks(plan, phases, "rolled back", progress)
        return phases

    if dry_run:
        applied = _read_applied(target, settings)
        _refuse_edited(plan, applied)
        return [preview(p, "rollback", set(applied), level) for p in choose(set(applied))]
    with locked_session(target, settings, progress, "rollback") as session:
        applied = session.history.applied()
        _refuse_edited(plan, applied)
        phases = choose(set(applied))
        if level == "feature":
            duration = session.executor.switch_off_features(phase, chosen.feature_rollback)
            return [PhaseResult(phase, "rollback", [StepResult(f"{phase:02d}_feature", "rollback", duration)])]
        return [session.roll_back_phase(p, only=p.data_steps if level == "data" else None) for p in phases]


def rows_at_stake(target: Target, phase: int | None = None, *, cascade: bool = False, to: int | None = None,
                  everything: bool = False, level: str = "schema", settings: Settings = Settings()):
    """The tables the same `rollback` would drop, truncate or delete from that hold rows now (TableAtStake, with
    the planner's row estimate); nothing changes. The feature level keeps every row: none."""
    if level == "feature":
        return []
    planned = rollback(target, phase, cascade=cascade, to=to, everything=everything, level=level,
                       settings=settings, dry_run=True)
    by_name = {m.name: m for m in load_plan(settings.project, for_apply=True).migrations}
    tables = [table for phase_ in planned for step in phase_.steps
              for table in by_name[step.migration].rollback_script.emptied_tables]
    with target.connect("toolkit rollback") as conn:
        return tables_at_stake(conn, dict.fromkeys(tables))


def _one_scope(phase: int | None, to: int | None, everything: bool, level: str) -> None:
    given = [name for name, value in (("--phase", phase), ("--to", to), ("--all", everything or None))
             if value is not None]
    if len(given) != 1:
        raise BadInput("say what to roll back: one of --phase N, --to N or --all"
                       + (f" (got {' and '.join(given)})" if given else ""))
    if phase is None and level != "schema":
        raise BadInput(f"--level {level} goes with --phase N only")


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
        history = History(conn, settings.history_schema)
        return run_checks(conn, selected, history if history.exists() else None)


def history(target: Target, *, limit: int = 50, migration: str | None = None, phase: int | None = None,
            since=None, settings: Settings = Settings()):
    """The history, newest first: the newest `limit` rows (of one migration or phase, or since a time, when
    asked), each with who did it (database role, operating-system user, host, toolkit version). Reads only."""
    with target.connect("toolkit history") as conn:
        return History(conn, settings.history_schema).entries(limit, migration, phase, since)


def status(target: Target, *, settings: Settings = Settings()) -> Status:
    plan = load_plan(settings.project, parsed=False)  # names and checksums are all status shows
    with target.connect("toolkit status") as conn:
        history = History(conn, settings.history_schema)
        applied, events = history.applied(), history.last_events()
        running = other_runner(conn) is not None  # a step another runner 'started' is running now
    phases = []
    for phase in plan.phases:
        migrations = [_migration_status(m, applied.get(m.name), events.get(m.name), running)
                      for m in phase.migrations]
        # the phase's state follows from its migrations': partial whenever they disagree (one interrupted, one
        # half rolled back), not only when some are applied; running while a runner works on one of them
        states = {"applied" if m.state == "adopted" else m.state for m in migrations}
        state = "applied" if states == {"applied"} else "pending" if states <= {"pending"} else \
            "running" if states & {"running", "rollback_running"} else "partial"
        phases.append(PhaseStatus(phase.number, state, migrations))
    known = {m.name for m in plan.migrations}
    unknown = [
        MigrationStatus(a.migration, a.phase, "missing_file", a.applied_at.isoformat(), a.duration_ms)
        for a in applied.values() if a.migration not in known
    ]
    return Status(target.describe(), phases, unknown)


def verify(server: Target, *, settings: Settings = Settings(), progress: Progress = Progress()) -> Verification:
    """On a scratch database created (and dropped) here: apply every phase, roll every phase back,
    apply again. The full rollback must restore the empty fingerprint, and both applies must agree. A phase
    holding an irreversible step cannot be rolled back: the phases after the last such one are checked (over
    the schema the earlier ones build), and only a project with nothing after it is refused (exit 10)."""
    plan = load_plan(settings.project)
    if not plan.phases:
        raise BadInput(f"nothing to verify: no migrations in {settings.project / 'migrations'}")
    blocked = [(p.number, m) for p in plan.phases for m in p.migrations if m.irreversible]
    floor = blocked[-1][0] if blocked else None  # this phase and those before it stay applied
    if floor is not None and floor == plan.phases[-1].number:
        plan.refuse_irreversible(list(plan.phases), {m.name for m in plan.migrations})  # nothing left to check
    with scratch_database(server, "verify") as scratch:
        if floor is not None:
            apply(scratch, through=floor, settings=settings, progress=progress)
            progress.note(f"verify: phase {floor} holds an irreversible step ({blocked[-1][1].name}: "
                          f"{blocked[-1][1].irreversible}): phases after it are checked, over what 0-{floor} build")
        empty = fingerprint(scratch)
        apply(scratch, settings=settings, progress=progress)
        applied = fingerprint(scratch)
        try:
            if floor is None:
                rollback(scratch, everything=True, settings=settings, progress=progress)
            else:
                rollback(scratch, to=floor, settings=settings, progress=progress)
        except HumanNeeded as proof:  # a phase's rollback did not restore its fingerprint: that is the finding
            if not proof.differences:
                raise
            progress.note(str(proof))
        rolled_back = fingerprint(scratch)
        differences, unrestorable = empty.compare(rolled_back, "on the empty database",
                                                  "after rolling every phase back", settings.strict_proof)
        reapplied = None
        if not differences:  # re-applying over leftovers would only fail less clearly
            apply(scratch, settings=settings, progress=progress)
            reapplied = fingerprint(scratch)
            differences, more = applied.compare(reapplied, "after the first apply", "after applying again",
                                                settings.strict_proof)
            unrestorable += more
        for line in unrestorable:
            progress.note(f"not restorable by any rollback, so not a failure (--strict makes it one): {line}")
    return Verification(scratch.params["dbname"], empty.digest, applied.digest, rolled_back.digest,
                        reapplied.digest if reapplied else None, differences)


@contextmanager
def scratch_database(server: Target, purpose: str, durable: bool = False):
    """A new, empty database on `server`'s server (the role needs CREATEDB), dropped afterwards whatever
    happens: where verify and diff build what the migrations make (and the benchmarks run). Not durable: its
    commits do not wait for the disk."""
    name = f"toolkit_{purpose}_{uuid.uuid4().hex[:10]}"
    with server.connect(f"toolkit {purpose}") as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            if not durable:  # a throwaway database need not wait for the disk at every commit
                conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise BadInput(f"{purpose} builds the migrations on a scratch database of the same server, and this "
                           f"role may not create one: {exc.diag.message_primary} (grant CREATEDB)") from exc
    try:
        yield server.with_database(name)
    finally:
        with server.connect(f"toolkit {purpose}") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def diff(target: Target, phase: int | None = None, *, settings: Settings = Settings(),
         with_privileges: bool = False, progress: Progress = Progress(), adopting: str | None = None) -> Drift:
    """The target's schema against what the migrations build through `phase` (default: the newest phase its
    history says is applied) on a scratch database of the same server, object by object. `adopting`: the tool
    whose history `adopt --from` reads, left out of the target's schema whatever its columns."""
    phases, expected, actual = inspect_both(target, phase, settings=settings, with_privileges=with_privileges,
                                            progress=progress, adopting=adopting)
    return Drift(target.describe(), phases, catalog_differences(expected, actual), actual.foreign_histories)


def inspect_both(target: Target, phase: int | None = None, *, settings: Settings = Settings(),
                 with_privileges: bool = False, progress: Progress = Progress(), adopting: str | None = None):
    """(the phases compared, what they build, what the target has): the two sides `diff` compares."""
    plan = load_plan(settings.project)
    with target.connect("toolkit diff") as conn:
        applied = History(conn, settings.history_schema).applied()
        actual = inspect(conn, with_privileges, adopting=adopting)
    through = phase if phase is not None else max((a.phase for a in applied.values()), default=None)
    if through is None:
        raise BadInput("nothing is applied here by the toolkit: say which phases to compare with --phase N")
    phases = [p for p in plan.phases if p.number <= plan.phase(through).number]
    # nobody else uses the scratch database: no waiting out other transactions, no pause between batches
    quick = replace(settings, timeouts=replace(settings.timeouts, long_transaction_wait=0),
                    batching=replace(settings.batching, pause=0))
    with scratch_database(target, "diff") as scratch:
        for built in phases:
            apply(scratch, built.number, settings=quick, progress=progress)
        with scratch.connect("toolkit diff") as conn:
            expected = inspect(conn, with_privileges)
    return [p.number for p in phases], expected, actual


def fingerprint(target: Target) -> Fingerprint:
    with target.connect("toolkit fingerprint") as conn:
        return take_fingerprint(conn)


def _read_applied(target: Target, settings: Settings) -> dict[str, AppliedMigration]:
    with target.connect("toolkit plan") as conn:
        return History(conn, settings.history_schema).applied()


def _refuse_edited(plan: Plan, applied: dict[str, AppliedMigration]) -> None:
    on_disk = {m.name: m for m in plan.migrations}
    missing = sorted(name for name in applied if name not in on_disk)
    if missing:
        raise BadInput(f"applied migration(s) no longer in migrations/: {', '.join(missing)}")
    changed = sorted(name for name, a in applied.items() if on_disk[name].checksum != a.checksum)
    if changed:
        raise ChecksumMismatch(changed)


def preview(phase: Phase, action: str = "apply", applied: set[str] = frozenset(),
            level: str = "schema") -> PlannedPhase:
    """What `--dry-run` prints for a phase: each step's statements with their mode and the locks that stall
    applications (for apply, the migrations not in `applied`; for rollback, those in it)."""
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
                PlannedStatement(s.line, _mode(script, s), s.text,
                                 [f"{lock.mode} on {lock.table}" for lock in s.locks if lock.stalls_applications])
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


def _migration_status(migration: Migration, applied: AppliedMigration | None, event,
                      running: bool = False) -> MigrationStatus:
    if applied:
        half_undone = event is not None and event.action == "rollback" and event.outcome == "started"
        adopted = event is not None and event.action == "adopt"
        return MigrationStatus(
            migration.name,
            migration.phase,
            ("rollback_running" if running else "rollback_interrupted") if half_undone
            else "adopted" if adopted else "applied",
            applied.applied_at.isoformat(),
            applied.duration_ms,
            "ok" if applied.checksum == migration.checksum else "changed",
        )
    state = "pending"
    if event and event.outcome == "failed":
        state = "failed"
    elif event and event.outcome == "started":
        state = "running" if running else "interrupted"
    return MigrationStatus(migration.name, migration.phase, state)


def erd(target: Target, *, phase: int | None = None, around: str | None = None, hops: int = 1,
        settings: Settings = Settings()):
    """The schema as a diagram (toolkit/catalog/erd.py): every table with its key columns and foreign keys, each
    marked with the migration that created it; with `phase`, what that phase adds and what is within `hops` of
    it; with `around`, the tables within `hops` of that one."""
    from .catalog import erd as drawing

    plan = load_plan(settings.project)
    if phase is not None:
        plan.phase(phase)
    with target.connect("toolkit erd") as conn:
        inspection, keys = inspect(conn), drawing.read_keys(conn)
    return drawing.narrow(drawing.build(inspection, keys, plan), phase, around, hops)
