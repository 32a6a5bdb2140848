"""The ledger: a rollout's record in a control database, and the work queue its runners share.

Each target's row says where it is (pending, running, applied, failed, rolled back, skipped), who runs it,
when, and the first line of its error. Runners claim the next target with SELECT ... FOR UPDATE SKIP LOCKED
(PostgreSQL as the work queue), so several processes on several machines can share one rollout. A runner
holds a session advisory lock while it lives; a target claimed by a runner whose lock is gone (killed, its
connection lost) goes back to pending for the next claim. The target's own history stays the truth for
the target: a rerun there resumes or skips what it already did.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..connection import Target
from ..errors import BadInput
from .targets import Fleet, FleetTarget

LOCK_SPACE = 0x746B6674  # 'tkft': the first key of every runner's advisory lock
APPLY, ROLLBACK = "apply", "rollback"
PASSED = {APPLY: ("applied", "skipped"), ROLLBACK: ("rolled back", "skipped")}

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS toolkit_fleet;
CREATE TABLE IF NOT EXISTS toolkit_fleet.rollouts (
    id bigint GENERATED ALWAYS AS IDENTITY,
    action text NOT NULL,
    phase integer,
    started_by text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    state text NOT NULL DEFAULT 'running',
    max_failures integer NOT NULL DEFAULT 0,
    CONSTRAINT rollouts_pkey PRIMARY KEY (id),
    CONSTRAINT rollouts_action_check CHECK (action IN ('apply', 'rollback')),
    CONSTRAINT rollouts_state_check CHECK (state IN ('running', 'stopped', 'completed'))
);
CREATE TABLE IF NOT EXISTS toolkit_fleet.rollout_targets (
    rollout_id bigint NOT NULL,
    target text NOT NULL,
    position integer NOT NULL,
    wave integer NOT NULL,
    wave_name text NOT NULL,
    dsn text NOT NULL,
    password_env text,
    tags text[] NOT NULL DEFAULT '{}',
    state text NOT NULL DEFAULT 'pending',
    runner text,
    runner_key integer,
    attempts integer NOT NULL DEFAULT 0,
    started_at timestamptz,
    finished_at timestamptz,
    exit_code integer,
    first_error text,
    done text,
    CONSTRAINT rollout_targets_pkey PRIMARY KEY (rollout_id, target),
    CONSTRAINT rollout_targets_rollout_id_fkey FOREIGN KEY (rollout_id) REFERENCES toolkit_fleet.rollouts (id),
    CONSTRAINT rollout_targets_state_check
        CHECK (state IN ('pending', 'running', 'applied', 'failed', 'rolled back', 'skipped'))
);
-- a claim looks for the first pending target of the lowest unfinished wave
CREATE INDEX IF NOT EXISTS rollout_targets_claim_idx
    ON toolkit_fleet.rollout_targets (rollout_id, state, wave, position);
"""

# A running row whose runner's advisory lock is held by nobody: that runner is gone.
_ORPHANED = """
t.state = 'running' AND NOT EXISTS (
    SELECT 1 FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %(space)s AND l.objid::bigint = t.runner_key
      AND l.objsubid = 2 AND l.database = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database()))
"""


@dataclass(frozen=True)
class Rollout:
    id: int
    action: str
    phase: int | None
    started_by: str
    started_at: object
    finished_at: object
    state: str
    max_failures: int


@dataclass(frozen=True)
class TargetRow:
    target: FleetTarget
    wave: int
    state: str
    runner: str | None
    attempts: int
    started_at: object
    finished_at: object
    exit_code: int | None
    first_error: str | None
    done: str | None
    live: bool = True  # for a running row: its runner still holds its lock


@dataclass(frozen=True)
class Counts:
    pending: int
    running: int
    passed: int
    failed: int

    @property
    def unfinished(self) -> int:
        return self.pending + self.running


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


class Ledger:
    """One connection to the control database. A runner's first Ledger holds its advisory lock (`join_as_runner`);
    each worker thread uses a Ledger of its own (psycopg runs one statement at a time per connection)."""

    def __init__(self, target: Target):
        self.target = target
        self.conn = target.connect("toolkit fleet")
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_SPACE,))  # one installer at a time
            self.conn.execute(_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    # -- runners ---------------------------------------------------------------------------------------
    def join_as_runner(self) -> tuple[str, int]:
        """This connection holds the runner's lock for as long as it lives; returns (runner name, key)."""
        key = uuid.uuid4().int % 2**31
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE, key))
        return f"{who()} pid {os.getpid()}", key

    def still_holds_lock(self) -> bool:
        import psycopg

        try:
            self.conn.execute("SELECT 1")
            return True
        except psycopg.Error:  # the connection is gone: so is the lock, and the claims may be taken over
            return False

    # -- rollouts --------------------------------------------------------------------------------------
    def create(self, fleet: Fleet, action: str, phase: int | None, max_failures: int) -> Rollout:
        with self.conn.transaction():
            rollout_id = self.conn.execute(
                "INSERT INTO toolkit_fleet.rollouts (action, phase, started_by, max_failures) VALUES (%s, %s, %s, %s) "
                "RETURNING id", (action, phase, who(), max_failures)).fetchone()[0]
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO toolkit_fleet.rollout_targets (rollout_id, target, position, wave, wave_name, dsn, "
                    "password_env, tags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(rollout_id, t.name, position, fleet.wave_of(t), t.wave, t.dsn, t.password_env, list(t.tags))
                     for position, t in enumerate(fleet.targets)])
        return self.rollout(rollout_id)

    def rollout(self, rollout_id: int | None = None) -> Rollout | None:
        """The rollout with that id, or the latest one."""
        where, args = ("WHERE id = %s", (rollout_id,)) if rollout_id is not None else ("", ())
        row = self.conn.execute("SELECT id, action, phase, started_by, started_at, finished_at, state, max_failures "
                                f"FROM toolkit_fleet.rollouts {where} ORDER BY id DESC LIMIT 1", args).fetchone()
        return Rollout(*row) if row else None

    def reopen(self, rollout: Rollout) -> int:
        """resume: failed targets are tried again, targets of runners that are gone are free again.
        Returns how many targets go back to pending."""
        failed = tuple(s for s in ("applied", "failed", "rolled back") if s not in PASSED[rollout.action])
        with self.conn.transaction():
            again = self.conn.execute(
                "UPDATE toolkit_fleet.rollout_targets AS t SET state = 'pending', runner = NULL, runner_key = NULL "
                f"WHERE t.rollout_id = %(rollout)s AND (t.state = ANY(%(failed)s) OR {_ORPHANED})",
                {"rollout": rollout.id, "failed": list(failed), "space": LOCK_SPACE}).rowcount
            self.conn.execute("UPDATE toolkit_fleet.rollouts SET state = 'running', finished_at = NULL WHERE id = %s",
                              (rollout.id,))
        return again

    # -- targets ---------------------------------------------------------------------------------------
    def claim(self, rollout: Rollout, runner: str, key: int) -> TargetRow | None:
        """The next target this runner may start, or None: none pending in the wave now running (the wave gate:
        a wave starts when every target of the waves before it has finished), or too many failed."""
        with self.conn.transaction():
            self.conn.execute(  # claims of runners that are gone are free again
                "UPDATE toolkit_fleet.rollout_targets AS t SET state = 'pending', runner = NULL, runner_key = NULL "
                f"WHERE t.rollout_id = %(rollout)s AND {_ORPHANED}", {"rollout": rollout.id, "space": LOCK_SPACE})
            if self.counts(rollout).failed > rollout.max_failures:
                return None
            row = self.conn.execute(
                "WITH unfinished AS (SELECT min(wave) AS wave FROM toolkit_fleet.rollout_targets "
                "  WHERE rollout_id = %(rollout)s AND state IN ('pending', 'running')) "
                "SELECT t.target FROM toolkit_fleet.rollout_targets AS t, unfinished AS u "
                "WHERE t.rollout_id = %(rollout)s AND t.state = 'pending' AND t.wave = u.wave "
                "ORDER BY t.position LIMIT 1 FOR UPDATE OF t SKIP LOCKED", {"rollout": rollout.id}).fetchone()
            if row is None:
                return None
            self.conn.execute(
                # clock_timestamp(), not now(): the transaction began before its gate query saw the wave finish
                "UPDATE toolkit_fleet.rollout_targets SET state = 'running', runner = %s, runner_key = %s, "
                "attempts = attempts + 1, started_at = clock_timestamp(), finished_at = NULL, exit_code = NULL, "
                "first_error = NULL "
                "WHERE rollout_id = %s AND target = %s", (runner, key, rollout.id, row[0]))
        return self.targets(rollout, only=row[0])[0]

    def record(self, rollout: Rollout, name: str, state: str, exit_code: int, first_error: str | None,
               done: str | None) -> None:
        self.conn.execute(
            "UPDATE toolkit_fleet.rollout_targets SET state = %s, finished_at = clock_timestamp(), exit_code = %s, "
            "first_error = %s, done = %s WHERE rollout_id = %s AND target = %s",
            (state, exit_code, first_error, done, rollout.id, name))

    def counts(self, rollout: Rollout) -> Counts:
        passed = list(PASSED[rollout.action])
        return Counts(*self.conn.execute(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'running'), "
            "count(*) FILTER (WHERE state = ANY(%s)), "
            "count(*) FILTER (WHERE state <> ALL(%s) AND state NOT IN ('pending', 'running')) "
            "FROM toolkit_fleet.rollout_targets WHERE rollout_id = %s", (passed, passed, rollout.id)).fetchone())

    def finish_if_done(self, rollout: Rollout) -> Rollout:
        """When no target runs any more: completed if none is left and failures stayed within the limit, else
        stopped. Any runner may do it; the first to see it does."""
        counts = self.counts(rollout)
        if counts.running == 0 and (counts.pending == 0 or counts.failed > rollout.max_failures):
            state = "completed" if counts.pending == 0 and counts.failed <= rollout.max_failures else "stopped"
            self.conn.execute("UPDATE toolkit_fleet.rollouts SET state = %s, finished_at = now() "
                              "WHERE id = %s AND state = 'running'", (state, rollout.id))
        return self.rollout(rollout.id)

    def targets(self, rollout: Rollout, only: str | None = None) -> list[TargetRow]:
        """Every target's row, in the file's order (or only the one named)."""
        rows = self.conn.execute(
            "SELECT t.target, t.dsn, t.wave_name, t.tags, t.password_env, t.wave, t.state, t.runner, t.attempts, "
            f"t.started_at, t.finished_at, t.exit_code, t.first_error, t.done, NOT ({_ORPHANED}) "
            "FROM toolkit_fleet.rollout_targets AS t WHERE t.rollout_id = %(rollout)s "
            "AND (%(only)s::text IS NULL OR t.target = %(only)s) ORDER BY t.position",
            {"rollout": rollout.id, "space": LOCK_SPACE, "only": only}).fetchall()
        return [TargetRow(FleetTarget(name, dsn, wave_name, tuple(tags), password_env), *rest)
                for name, dsn, wave_name, tags, password_env, *rest in rows]


def ledger_target(ledger_dsn: str | None, local_home: Path = Path(".toolkit/local")) -> Target:
    """The database that keeps the ledger: the one named (--ledger-dsn, $TOOLKIT_LEDGER_DSN), else the local
    server `toolkit local start` runs."""
    if ledger_dsn:
        return Target.from_option(ledger_dsn)
    from ..local_server import LocalServer

    local = LocalServer(local_home)
    if not local.is_running():
        raise BadInput("no ledger: pass --ledger-dsn (or set TOOLKIT_LEDGER_DSN), or start a local server with "
                       "toolkit local start")
    return local.target()
