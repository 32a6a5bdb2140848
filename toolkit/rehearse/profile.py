"""What each statement of a rehearsal did, measured: the Progress the runner reports to while it applies and
rolls back a phase on the scratch database.

Between statements (the runner's statement_started / statement_finished, on its own connection and inside its
transaction) it reads what only that connection sees: the WAL insert position (and on PostgreSQL 18 the
backend's own WAL bytes and full-page images), the rows its transaction read and wrote
(pg_stat_xact_user_tables: a statement in a transaction; an autocommit statement's rows are not counted), and
every relation's relfilenode (a new one is a rewrite: ALTER ... TYPE, VACUUM FULL, CLUSTER, TRUNCATE). A
sampler on a connection of its own reads pg_locks for the runner's backend every 10 ms: each relation lock,
its mode, how long it was held (taken by the statement that was running when it was first seen, held until it
was gone), how long it waited ungranted and for whom (pg_blocking_pids); and the peak of temporary files
(pg_ls_tmpdir, where the role may read it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

from ..runner.progress import Progress

SAMPLE_SECONDS = 0.01
_RELATIONS = """
SELECT c.oid::bigint, c.relfilenode::bigint, c.oid::regclass::text, c.relkind::text, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 'i', 't', 'p', 'I') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""
_ROWS = """
SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::bigint, coalesce(sum(n_tup_ins), 0)::bigint,
       coalesce(sum(n_tup_upd), 0)::bigint, coalesce(sum(n_tup_del), 0)::bigint
FROM pg_stat_xact_user_tables
"""
_OWN_LOCKS = """
SELECT l.relation::bigint, l.relation::regclass::text, l.mode FROM pg_locks l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.relation NOT IN (SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace)
"""
# an ungranted lock also says who it waits for (pg_blocking_pids, asked only then: it is not free)
_LOCKS = """
SELECT l.relation::bigint, l.relation::regclass::text, l.mode, l.granted,
       CASE WHEN NOT l.granted THEN
           (SELECT string_agg(coalesce(nullif(a.application_name, ''), a.backend_type) || ' (pid ' || a.pid || ')',
                              ', ' ORDER BY a.pid)
            FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids(l.pid))) END
FROM pg_locks l
WHERE l.pid = %s AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database
                                                               WHERE datname = current_database())
"""


@dataclass
class LockHeld:
    relation: str
    mode: str  # AccessExclusiveLock, ShareLock, ...
    held_seconds: float = 0.0
    waited_seconds: float = 0.0
    at: float = 0.0  # seconds from the rehearsal's start of the phase (or its rollback) when it was first held
    new_relation: bool = False  # made by this phase (or rollback) itself: nobody else could wait for it
    waited_for: str | None = None  # the sessions that held what it waited for, as pg_blocking_pids named them
    since: float = field(default=0.0, repr=False, compare=False)  # when it was first seen granted (monotonic)


@dataclass
class StatementProfile:
    action: str  # "apply" or "rollback"
    path: str
    line: int
    text: str  # its first line
    batch: int | None = None  # the batch's number, for a batched step
    at: float = 0.0  # seconds from the start of the phase's apply (or its rollback) when it started
    seconds: float = 0.0
    locks: list[LockHeld] = field(default_factory=list)
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (relation, its rows before)
    rows: dict[str, int] = field(default_factory=dict)  # read, inserted, updated, deleted (in a transaction)
    wal_bytes: int = 0
    full_page_images: int | None = None  # PostgreSQL 18's per-backend count; None before it
    temp_bytes_peak: int | None = None  # None: the role may not read pg_ls_tmpdir()

    def longest(self, modes: tuple[str, ...]) -> LockHeld | None:
        """The longest hold of these modes on a relation that existed before (what clients could wait for)."""
        held = [lock for lock in self.locks if lock.mode in modes and not lock.new_relation]
        return max(held, key=lambda lock: lock.held_seconds) if held else None


class Profiler:
    """A Progress that measures; every call it does not measure goes on to `forward` (the console's)."""

    def __init__(self, dsn: str, forward: Progress | None = None):
        self.dsn, self.forward = dsn, forward or Progress()
        self.started = time.monotonic()  # the timeline's zero
        self._existing: set[int] | None = None  # the relations there before its first statement
        self._names: dict[int, str] = {}  # every relation's name as last seen (a dropped one's lock shows its oid)
        self.action = "apply"
        self.statements: list[StatementProfile] = []
        self._before: dict = {}
        self._batches: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], LockHeld] = {}  # (relation, mode) -> the hold being watched
        self._current: StatementProfile | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="rehearse-locks", daemon=True)
        self._sampler.start()

    def close(self) -> None:
        self._stop.set()
        self._sampler.join(timeout=5)

    # ---- the runner's calls --------------------------------------------------------------------------------

    def statement_started(self, script, statement, conn) -> None:
        key = (str(script.path), statement.line, self.action)
        batch = None
        if statement.batched:
            batch = self._batches[key] = self._batches.get(key, 0) + 1
        profile = StatementProfile(self.action, str(script.path), statement.line,
                                   statement.text.strip().splitlines()[0][:100], batch,
                                   round(time.monotonic() - self.started, 4))
        self._before = self._read(conn)
        self._names.update((oid, name) for oid, (_node, name, _kind, _rows) in self._before["files"].items())
        if self._existing is None:
            self._existing = set(self._before["files"])
        with self._lock:
            self._pid, self._current = conn.info.backend_pid, profile
            self.statements.append(profile)

    def statement_finished(self, script, statement, seconds: float, conn) -> None:
        profile = self.statements[-1]
        profile.seconds = round(seconds, 4)
        with self._lock:
            self._current = None  # what the runner locks between statements (its history, checks) is its own
        after = self._read(conn)
        profile.wal_bytes = max(0, after["lsn"] - self._before["lsn"])  # the server's: on a rehearsal, its own
        if after.get("fpi") is not None:  # counted when the backend reports them (at the end of a transaction)
            profile.full_page_images = after["fpi"] - self._before["fpi"]
        if after["in_transaction"]:
            profile.rows = {k: after["rows"][i] - (self._before["rows"][i] if self._before["in_transaction"] else 0)
                            for i, k in enumerate(("read", "inserted", "updated", "deleted"))}
        self._own_locks(conn, profile, seconds)
        before = self._before["files"]
        profile.rewritten = [(name, self._rows(conn, name, kind, before[oid][3]))
                             for oid, (node, name, kind, _rows) in after["files"].items()
                             if oid in before and before[oid][0] != node]

    def step_started(self, migration, action):
        self.action = "rollback" if action == "rollback" else "apply"
        self.forward.step_started(migration, action)

    def __getattr__(self, name: str):
        return getattr(self.__dict__["forward"], name)

    # ---- reading ---------------------------------------------------------------------------------------------

    def _read(self, conn) -> dict:
        in_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        found = {"in_transaction": in_transaction,
                 "lsn": conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")
                 .fetchone()[0],
                 "rows": conn.execute(_ROWS).fetchone(),
                 "files": {oid: (node, name, kind, rows) for oid, node, name, kind, rows in conn.execute(_RELATIONS)}}
        if conn.info.server_version >= 180000:
            found["fpi"] = int(conn.execute("SELECT wal_fpi FROM pg_stat_get_backend_wal(pg_backend_pid())")
                               .fetchone()[0])
        return found

    def _own_locks(self, conn, profile: StatementProfile, seconds: float) -> None:
        """The locks the runner's transaction holds as the statement ends, read on its own connection: the
        sampler, 10 ms apart, misses what a 1 ms statement takes, and cannot name a relation the transaction
        has just made (another session does not see it yet). A lock first seen here is this statement's, held
        at least as long as it ran; the sampler goes on timing it until it is released."""
        for oid, relation, mode in conn.execute(_OWN_LOCKS).fetchall():
            with self._lock:
                hold = self._open.get((oid, mode))
                if hold is None:
                    since = time.monotonic() - seconds
                    hold = self._open[(oid, mode)] = LockHeld(self._name(oid, relation), mode, round(seconds, 3),
                                                              at=round(since - self.started, 4),
                                                              new_relation=self._is_new(oid), since=since)
                    profile.locks.append(hold)
                hold.relation = self._name(oid, relation)  # where the sampler saw only a new relation's number

    def _name(self, oid: int, shown: str) -> str:
        """The name pg_locks' regclass gives, or the one last seen for a relation it shows by number (dropped,
        or not yet committed, so another session cannot see it)."""
        return self._names.get(oid, shown) if shown.isdigit() else shown

    def _is_new(self, oid: int) -> bool:
        return self._existing is not None and oid not in self._existing

    @staticmethod
    def _rows(conn, name: str, kind: str, estimate: int) -> int:
        """A rewritten table's rows: the planner's estimate, or counted where it has none (never analyzed; a
        rehearsal's copy is often fresh). An index counts as its estimate."""
        if estimate >= 0 or kind not in ("r", "m"):
            return max(estimate, 0)
        return conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # regclass text: quoted, qualified

    def _watch(self, rows, now: float, current: StatementProfile | None) -> None:
        """One look's locks: a new one is the running statement's; one gone is released."""
        seen = set()
        for oid, relation, mode, granted, blockers in rows:
            seen.add((oid, mode))
            hold = self._open.get((oid, mode))
            if hold is None:
                if current is None:  # between statements: the statement that ended reads its own (_own_locks)
                    continue
                hold = self._open[(oid, mode)] = LockHeld(self._name(oid, relation), mode,
                                                          at=round(now - self.started, 4),
                                                          new_relation=self._is_new(oid), since=now)
                current.locks.append(hold)
            if granted:
                hold.held_seconds = max(hold.held_seconds, round(now - hold.since + SAMPLE_SECONDS, 3))
            else:  # waiting: held from when it is granted
                hold.waited_seconds = round(hold.waited_seconds + SAMPLE_SECONDS, 3)
                hold.waited_for = blockers or hold.waited_for
                hold.since, hold.at = now, round(now - self.started, 4)
        for gone in set(self._open) - seen:
            del self._open[gone]

    def _sample(self) -> None:
        """Every 10 ms: the runner's relation locks (and the peak of temporary files), until closed."""
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, application_name="toolkit rehearse sampler")
        except psycopg.Error:
            return
        tmpdir = True
        with conn:
            while not self._stop.wait(SAMPLE_SECONDS):
                with self._lock:
                    pid, current = self._pid, self._current
                if pid is None:
                    continue
                rows = conn.execute(_LOCKS, (pid,)).fetchall()
                now = time.monotonic()
                with self._lock:
                    self._watch(rows, now, current)
                if tmpdir and current is not None:
                    try:
                        size = conn.execute("SELECT coalesce(sum(size), 0)::bigint FROM pg_ls_tmpdir()").fetchone()[0]
                        current.temp_bytes_peak = max(current.temp_bytes_peak or 0, size)
                    except psycopg.Error:
                        tmpdir = False
