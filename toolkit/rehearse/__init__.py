"""`toolkit rehearse`: a phase applied and rolled back on a copy with data, every statement measured (what it
locked and for how long, what it rewrote, read, wrote, and the WAL it made), and budgets a CI run fails on.

Never on the target itself: on a scratch database made from a source the user names, either `template` (CREATE
DATABASE ... TEMPLATE on the same server, refused while the template has other sessions, as PostgreSQL would
refuse it) or `scratch` (a database the user restored from a backup or snapshot: refused with other sessions
on it or without the toolkit's history, unless `force`). The same runner, checks and key queries as `apply`
run there, with profile.Profiler as their progress; then the rollback, measured the same way.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from psycopg import sql

from ..connection import Target
from ..errors import BadInput
from ..runner.history import History
from ..runner.progress import Progress
from ..runner.session import Settings
from .budgets import Budgets, over_budget
from .profile import Profiler, StatementProfile
from .rows import Filled, fill

_OTHERS = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"


@dataclass
class PhaseRehearsal:
    phase: int
    statements: list[StatementProfile] = field(default_factory=list)
    filled: list[Filled] = field(default_factory=list)  # the synthetic rows put in before it (--rows)

    def seconds(self, action: str) -> float:
        return round(sum(s.seconds for s in self.statements if s.action == action), 3)

    def wal_bytes(self, action: str) -> int:
        return sum(s.wal_bytes for s in self.statements if s.action == action)


@dataclass
class Rehearsal:
    source: str  # what the scratch database was made from
    phases: list[PhaseRehearsal] = field(default_factory=list)
    findings: list = field(default_factory=list)  # lint.rules.Finding, one per budget broken


def rehearse(target: Target, phases: list[int] | None = None, *, template: str | None = None,
             scratch: Target | None = None, force: bool = False, budgets: Budgets = Budgets(),
             rows: int | None = None, settings: Settings = Settings(),
             progress: Progress = Progress()) -> Rehearsal:
    """Each phase of `phases` (None: every phase pending on the source) applied, then rolled back, newest first,
    on the scratch database; returns every statement's profile and the budgets broken. With `rows`, the empty
    tables each phase names are first given that many synthetic rows (rows.py)."""
    from .. import api
    from ..plan import load_plan

    if (template is None) == (scratch is None):
        raise BadInput("say where to rehearse: --template DB (a copy made on the --dsn server) or --scratch-dsn DSN")
    made = _copy_of(target, template) if template is not None else None
    if made is None:
        _refuse_busy_or_foreign(scratch, force, settings)
    source = f"a copy of {template} on {target.describe()}" if made else scratch.describe()
    where = target.with_database(made) if made else scratch
    result = Rehearsal(source)
    try:
        chosen = phases if phases is not None else [p.phase for p in api.status(where, settings=settings).phases
                                                     if p.state == "pending"]
        if not chosen:
            raise BadInput(f"nothing to rehearse: every phase is applied on {source}")
        plan = load_plan(settings.project) if rows else None
        for number in chosen:
            filled = []
            if rows:
                with where.connect("toolkit rehearse rows") as conn:
                    filled = fill(conn, plan.phase(number), rows)
            profiler = Profiler(where.dsn, progress)
            try:
                api.apply(where, number, settings=settings, progress=profiler)
            finally:
                applied_statements = list(profiler.statements)
                profiler.close()
            result.phases.append(PhaseRehearsal(number, applied_statements, filled))
        for done in reversed(result.phases):
            profiler = Profiler(where.dsn, progress)
            try:
                api.rollback(where, done.phase, settings=settings, progress=profiler)
            finally:
                profiler.close()
            done.statements += profiler.statements
    finally:
        if made is not None:
            with target.connect("toolkit rehearse") as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(made)))
    result.findings = over_budget(result, budgets)
    return result


def _copy_of(target: Target, template: str) -> str:
    """The name of a new database copied from `template` on the target's server."""
    name = f"toolkit_rehearse_{uuid.uuid4().hex[:10]}"
    with target.connect("toolkit rehearse") as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone():
            raise BadInput(f"--template {template}: no such database on {target.describe()}")
        # a session that just disconnected is still listed for a moment: wait as CREATE DATABASE itself would (5 s)
        deadline = time.monotonic() + 5
        while (others := conn.execute(_OTHERS, (template,)).fetchone()[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if others:
            raise BadInput(f"--template {template} has {others} other session(s): PostgreSQL copies a database only "
                           "while nobody else is connected to it (use a replica's snapshot with --scratch-dsn)")
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    return name


def _refuse_busy_or_foreign(scratch: Target, force: bool, settings: Settings) -> None:
    """A restored copy is the user's: it must be idle, and hold the toolkit's history (a copy of production,
    not production's neighbour), unless told."""
    if force:
        return
    with scratch.connect("toolkit rehearse") as conn:
        name = conn.info.dbname
        others = conn.execute(_OTHERS, (name,)).fetchone()[0]
        history = History(conn, settings.history_schema).exists()
    if others:
        raise BadInput(f"--scratch-dsn {scratch.describe()} has {others} other session(s): a rehearsal changes and "
                       "rolls back its schema, so it must be a copy nobody uses (--force if it is)")
    if not history:
        raise BadInput(f"--scratch-dsn {scratch.describe()} has no toolkit history: a copy of a database the toolkit "
                       "migrates has one (--force to rehearse on it anyway)")
