"""What has been applied, and everything that was tried, in the target database.

Tables in schema ``toolkit`` (or the one the project's `history-schema` names):
- ``applied_migrations``: one row per migration currently applied, with its checksum.
- ``history``: every apply, rollback and check, with outcome and duration.
- ``phase_fingerprints``: the schema's fingerprint from before each applied phase ran.
- ``layout``: which version of these tables' layout the database has (LAYOUTS below).

A transactional migration's rows are written inside the migration's own
transaction (the caller holds it), so a crash can never keep one without the other.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import psycopg
from psycopg.rows import dict_row

from ..catalog.fingerprint import Fingerprint
from ..errors import BadInput


@functools.lru_cache(maxsize=1)
def _who() -> tuple[str, str, str]:
    """The operating-system user, host and toolkit version of this run, for every history row it writes."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a uid with no name (a container's), no USER set
        user = str(os.getuid())
    return user, socket.gethostname(), _toolkit_version()


def _toolkit_version() -> str:
    try:
        return package_version("pgphase")  # the distribution (pyproject.toml), not the import package
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


# The history's own layout, one step per version, each run once in order and recorded in
# toolkit.layout. A later toolkit appends steps, never edits one. Step 1 is written to also
# adopt the histories made before the layout was versioned (IF NOT EXISTS, the DO block).
LAYOUTS = ("""
CREATE TABLE IF NOT EXISTS {h}.applied_migrations (
    migration text PRIMARY KEY,
    phase integer NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {h}.history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    action text NOT NULL CONSTRAINT history_action_check CHECK (action IN ('apply', 'rollback', 'check', 'repair')),
    outcome text NOT NULL CHECK (outcome IN ('started', 'ok', 'failed')),
    phase integer,
    migration text,
    check_name text,
    checksum text,
    duration_ms bigint,
    detail text
);
CREATE INDEX IF NOT EXISTS history_migration_idx ON {h}.history (migration, id);
DO $$
BEGIN
    -- Histories created before 'repair' existed: widen the allowed actions once.
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{h}.history'::regclass
                   AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%repair%') THEN
        ALTER TABLE {h}.history DROP CONSTRAINT IF EXISTS history_action_check;
        ALTER TABLE {h}.history DROP CONSTRAINT IF EXISTS history_action_check1;
        ALTER TABLE {h}.history ADD CONSTRAINT history_action_check
            CHECK (action IN ('apply', 'rollback', 'check', 'repair'));
    END IF;
END
$$;
""", """
-- The schema as it was before each applied phase: what its rollback, automatic or manual, must restore.
CREATE TABLE IF NOT EXISTS {h}.phase_fingerprints (
    phase integer PRIMARY KEY,
    digest text NOT NULL,
    lines text[] NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
""", """
-- 'adopt': a migration recorded as applied because `toolkit diff` proved the schema has it.
ALTER TABLE {h}.history DROP CONSTRAINT IF EXISTS history_action_check;
ALTER TABLE {h}.history ADD CONSTRAINT history_action_check
    CHECK (action IN ('apply', 'rollback', 'check', 'repair', 'adopt'));
""", """
-- Who did it: the database role (as Flyway's installed_by, Sqitch's committer), and the operating-system user,
-- host and toolkit version of the run. Rows from before stay NULL: unknown, not the upgrader's.
ALTER TABLE {h}.history ADD COLUMN IF NOT EXISTS db_role text, ADD COLUMN IF NOT EXISTS os_user text,
    ADD COLUMN IF NOT EXISTS client_host text, ADD COLUMN IF NOT EXISTS toolkit_version text;
ALTER TABLE {h}.history ALTER COLUMN db_role SET DEFAULT current_user;
ALTER TABLE {h}.applied_migrations ADD COLUMN IF NOT EXISTS applied_by text;
ALTER TABLE {h}.applied_migrations ALTER COLUMN applied_by SET DEFAULT current_user;
""", """
-- Who, further: the session's login role (current_user is the role a SET ROLE chose; a DBA logs in as
-- herself and sets the owner role) and the connection's application_name (which tool, which CI job).
ALTER TABLE {h}.history ADD COLUMN IF NOT EXISTS session_role text DEFAULT session_user,
    ADD COLUMN IF NOT EXISTS application_name text DEFAULT current_setting('application_name');
""")


STATEMENTS_DONE = "statements done:"  # a 'started' row's detail in a non-transactional script's run


@dataclass(frozen=True)
class AppliedMigration:
    migration: str
    phase: int
    checksum: str
    applied_at: datetime
    duration_ms: int
    applied_by: str | None = None  # the database role (None: applied before the toolkit recorded it)


@dataclass(frozen=True)
class HistoryEntry:
    """One row of {h}.history: what was done, to what, how it ended, and who did it."""

    id: int
    recorded_at: datetime
    action: str
    outcome: str
    phase: int | None
    migration: str | None
    check_name: str | None
    duration_ms: int | None
    detail: str | None
    db_role: str | None
    os_user: str | None
    client_host: str | None
    toolkit_version: str | None
    session_role: str | None = None  # the login role, where a SET ROLE made db_role another
    application_name: str | None = None


@dataclass(frozen=True)
class LastEvent:
    migration: str
    action: str
    outcome: str
    recorded_at: datetime
    detail: str | None


DEFAULT_SCHEMA = "toolkit"
# A plain lower-case name: it is written into the history's SQL unquoted, and a DBA types it unquoted in psql.
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_schema_name(name: str) -> str:
    if not _SCHEMA_NAME.fullmatch(name) or name.startswith("pg_"):
        raise BadInput(f"history schema {name!r}: must be a lower-case name (letters, digits, _; not pg_...), "
                       "at most 63 characters")
    return name


class History:
    """The history tables in one schema of the target (`toolkit` unless the project names another: Flyway's
    `schemas`, Sqitch's registry)."""

    def __init__(self, conn: psycopg.Connection, schema: str = DEFAULT_SCHEMA, run_id: uuid.UUID | None = None):
        self.conn = conn
        self.schema = check_schema_name(schema)
        self.run_id = run_id or uuid.uuid4()

    def _named(self, query: str) -> str:
        return query.replace("{h}", self.schema)

    def _execute(self, query: str, params=None):
        return self.conn.execute(self._named(query), params)

    def exists(self) -> bool:
        return self._execute("SELECT to_regclass('{h}.applied_migrations') IS NOT NULL").fetchone()[0]

    def install(self) -> None:
        """Brings the history tables to this toolkit's layout. A layout newer than it knows was
        written by a newer toolkit: refused, so an old copy never writes a history it misreads."""
        try:
            with self.conn.transaction():
                # Two first runs at once would race on CREATE ... IF NOT EXISTS; serialise them.
                self._execute("SELECT pg_advisory_xact_lock(hashtext('{h}.history'))")
                self._execute("CREATE SCHEMA IF NOT EXISTS {h}")
                self._execute("CREATE TABLE IF NOT EXISTS {h}.layout (version integer PRIMARY KEY, "
                                  "installed_at timestamptz NOT NULL DEFAULT now(), installed_by text NOT NULL)")
                this = _toolkit_version()
                current = self._execute("SELECT coalesce(max(version), 0) FROM {h}.layout").fetchone()[0]
                if current > len(LAYOUTS):
                    raise BadInput(f"the history in schema {self.schema} has layout {current}, newer than this toolkit "
                                   f"({this}) knows ({len(LAYOUTS)}): "
                                   "upgrade toolkit before running it here")
                for version in range(current + 1, len(LAYOUTS) + 1):
                    self._execute(LAYOUTS[version - 1])
                    self._execute("INSERT INTO {h}.layout (version, installed_by) VALUES (%s, %s)",
                                      [version, f"toolkit {this}"])
        except psycopg.errors.InsufficientPrivilege as exc:
            raise BadInput(
                f"cannot create the history schema {self.schema!r}: {exc.diag.message_primary}; "
                f"grant CREATE on the database to this role, or create schema {self.schema} owned by it"
            ) from exc
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise BadInput("the database is read-only (default_transaction_read_only is on, or it is a standby): "
                           "nothing was changed") from exc

    def applied(self) -> dict[str, AppliedMigration]:
        if not self.exists():
            return {}
        with self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(self._named("SELECT * FROM {h}.applied_migrations")).fetchall()
        return {r["migration"]: AppliedMigration(**r) for r in rows}

    def last_events(self) -> dict[str, LastEvent]:
        """The newest apply/rollback event of each migration (to tell 'failed' and 'interrupted')."""
        if not self.exists():
            return {}
        with self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(self._named(
                """SELECT DISTINCT ON (migration) migration, action, outcome, recorded_at, detail
                   FROM {h}.history WHERE migration IS NOT NULL AND action IN ('apply', 'rollback', 'adopt')
                   ORDER BY migration, id DESC""")).fetchall()
        return {r["migration"]: LastEvent(**r) for r in rows}

    def entries(self, limit: int = 50, migration: str | None = None, phase: int | None = None,
                since: datetime | None = None) -> list[HistoryEntry]:
        """The newest `limit` rows, newest first; only a migration's or a phase's, or those since a time, when
        asked."""
        if not self.exists():
            return []
        # whole rows as JSON: a history from before the 'who' columns reads as well (they are None there)
        rows = self._execute(
            """SELECT to_jsonb(h), h.recorded_at FROM {h}.history AS h
               WHERE (%(migration)s::text IS NULL OR h.migration = %(migration)s)
                 AND (%(phase)s::int IS NULL OR h.phase = %(phase)s)
                 AND (%(since)s::timestamptz IS NULL OR h.recorded_at >= %(since)s)
               ORDER BY h.id DESC LIMIT %(limit)s""",
            {"migration": migration, "phase": phase, "since": since, "limit": limit}).fetchall()
        names = [f for f in HistoryEntry.__dataclass_fields__ if f != "recorded_at"]
        return [HistoryEntry(recorded_at=at, **{name: row.get(name) for name in names}) for row, at in rows]

    def fingerprint_before(self, phase: int) -> Fingerprint | None:
        """The schema as it was before `phase` was applied, if this toolkit applied it."""
        if not self.exists():  # a session installed the current layout before asking
            return None
        row = self._execute("SELECT lines FROM {h}.phase_fingerprints WHERE phase = %s", (phase,)).fetchone()
        return Fingerprint(tuple(row[0])) if row else None

    def statements_done(self, migration, action: str) -> int | None:
        """How many statements of a non-transactional script an interrupted run of this same file finished;
        None when no run of it was interrupted."""
        if not self.exists():
            return None
        row = self._execute(
            """SELECT action, outcome, checksum, detail FROM {h}.history
               WHERE migration = %s AND action IN ('apply', 'rollback') ORDER BY id DESC LIMIT 1""",
            (migration.name,)).fetchone()
        if not row or row[:3] != (action, "started", migration.checksum) or not (row[3] or "").startswith(
                STATEMENTS_DONE):
            return None
        return int(row[3].removeprefix(STATEMENTS_DONE).split()[0])

    # Writers. The caller decides the transaction; these only add rows.

    def keep_fingerprint(self, phase: int, before: Fingerprint) -> None:
        self._execute(
            """INSERT INTO {h}.phase_fingerprints (phase, digest, lines) VALUES (%s, %s, %s)
               ON CONFLICT (phase) DO UPDATE SET digest = excluded.digest, lines = excluded.lines,
                                                 taken_at = now()""",
            (phase, before.digest, list(before.lines)))

    def forget_fingerprint(self, phase: int) -> None:
        self._execute("DELETE FROM {h}.phase_fingerprints WHERE phase = %s", (phase,))

    def mark_applied(self, migration, duration_ms: int) -> None:
        self._execute(
            """INSERT INTO {h}.applied_migrations (migration, phase, checksum, duration_ms)
               VALUES (%s, %s, %s, %s)""",
            (migration.name, migration.phase, migration.checksum, duration_ms),
        )
        self.log("apply", "ok", migration=migration, duration_ms=duration_ms)

    def mark_rolled_back(self, migration, duration_ms: int) -> None:
        self._execute("DELETE FROM {h}.applied_migrations WHERE migration = %s", (migration.name,))
        self.log("rollback", "ok", migration=migration, duration_ms=duration_ms)

    def set_applied(self, migration, reason: str) -> None:
        """repair: record a migration a human finished by hand."""
        self._execute(
            """INSERT INTO {h}.applied_migrations (migration, phase, checksum, duration_ms)
               VALUES (%s, %s, %s, 0)""", (migration.name, migration.phase, migration.checksum))
        self.log("repair", "ok", migration=migration, detail=reason)

    def set_adopted(self, migration, reason: str) -> None:
        """adopt: a migration the schema is proven to have, built by other means."""
        self._execute(
            """INSERT INTO {h}.applied_migrations (migration, phase, checksum, duration_ms)
               VALUES (%s, %s, %s, 0)""", (migration.name, migration.phase, migration.checksum))
        self.log("adopt", "ok", migration=migration, detail=reason)

    def set_not_applied(self, name: str, phase: int, reason: str) -> None:
        """repair: forget a migration a human undid by hand (or whose file is gone)."""
        self._execute("DELETE FROM {h}.applied_migrations WHERE migration = %s", (name,))
        self.log("repair", "ok", phase=phase, name=name, detail=reason)

    def set_checksum(self, migration, reason: str) -> None:
        """repair: accept the file as it is now for an applied migration."""
        self._execute("UPDATE {h}.applied_migrations SET checksum = %s WHERE migration = %s",
                          (migration.checksum, migration.name))
        self.log("repair", "ok", migration=migration, detail=reason)

    def log(
        self,
        action: str,
        outcome: str,
        *,
        migration=None,
        phase: int | None = None,
        name: str | None = None,
        check_name: str | None = None,
        duration_ms: int | None = None,
        detail: str | None = None,
    ) -> None:
        self._execute(
            """INSERT INTO {h}.history
               (run_id, action, outcome, phase, migration, check_name, checksum, duration_ms, detail,
                os_user, client_host, toolkit_version)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                self.run_id,
                action,
                outcome,
                migration.phase if migration else phase,
                migration.name if migration else name,
                check_name,
                migration.checksum if migration else None,
                duration_ms,
                detail,
                *_who(),
            ),
        )
