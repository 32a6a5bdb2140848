"""A batched step's loop: the statement repeated, each batch its own short transaction, until it touches no row.

A crash loses at most one batch, and the rerun resumes because the statement only picks rows not yet done
(a keyset batch also starts after the last key it returned). Between batches the size and pause follow what
the server shows (toolkit/runner/throttle.py), and while a standby replays too far behind, the loop waits
holding nothing. Every batch runs through the executor, with its lock_timeout, retries and fault points.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from ..errors import StepFailed
from ..plan import Migration
from ..plan.sql import BATCH_AFTER_SETTING, BATCH_SIZE_SETTING, Script, Statement, written_table
from . import faults
from .throttle import Limits, decide, read_signals, waiting_clients

REFRESH_STATISTICS_AFTER = 10_000  # rows a batched step writes before it first refreshes the table's statistics

if TYPE_CHECKING:
    from .executor import Executor


@dataclass(frozen=True)
class Batching:
    # The defaults are the live-load benchmark's (bench/live_load.py): a DBA gets what was measured. Adaptive by
    # default: in every round it took 2-3x less time than the fixed batches for no more client harm, and the
    # fixed mode never shrinks a batch that a slow disk makes take seconds (bench/README.md, 2026-12-02).
    size: int = 2000  # rows per batch, read by the statement as current_setting('toolkit.batch_size')
    pause: float = 0.05  # seconds between batches, to leave room for live traffic
    adaptive: bool = True  # size and pause follow what the server shows (toolkit/runner/throttle.py); False: fixed
    max_replica_lag: float = 1.0  # seconds a standby may replay behind before the batches wait; 0: not watched
    max_replica_wait: float = 600.0  # seconds they wait for it, then the step fails (and the phase rolls back)


class BatchLoop:
    """One batched statement of one migration, run to the end through `executor`."""

    def __init__(self, executor: Executor, migration: Migration, script: Script, statement: Statement):
        self.executor = executor
        self.migration = migration
        self.script = script
        self.statement = statement
        self.conn, self.progress, self.history, self.batching = (executor.conn, executor.progress, executor.history,
                                                                 executor.batching)

    def run(self) -> None:
        migration, script, statement = self.migration, self.script, self.statement
        batches = rows = 0
        size, pause = self.batching.size, self.batching.pause
        after = ""  # a keyset batch's resume point; a new run (after a crash too) starts from the beginning
        table = _relation_name(statement)
        baseline = waiting_clients(self.conn)  # what clients wait on before this step adds its own load
        analyzed_at = 0  # rows this step had written when it last refreshed the table's statistics
        while True:
            def one_batch(size=size, after=after):
                with self.conn.transaction():
                    self.executor.set_timeouts(self.executor.timeouts.lock_timeout, local=True)
                    # No JIT: a batch is sized to be short, and compiling it again for every batch cost 20-30 ms
                    # each (measured, bench/README.md 2026-12-06), more than a small batch's own work.
                    self.conn.execute("SELECT set_config(%s, %s, true), set_config(%s, %s, true), "
                                      "set_config('jit', 'off', true)",
                                      (BATCH_SIZE_SETTING, str(size), BATCH_AFTER_SETTING, after))
                    if statement.keyset:
                        return self.executor.execute(script, statement, _with_last_key(statement)).fetchone()
                    return self.executor.execute(script, statement).rowcount, None

            started = time.monotonic()
            touched, last_key = self.executor.with_lock_retries(migration.name, statement.locks, one_batch)
            elapsed = time.monotonic() - started
            faults.boundary()
            if touched <= 0 and after:
                after = ""  # nothing left past the last key: one look from the start, for rows changed behind it
                continue
            if touched <= 0:
                if rows:
                    self._analyze(statement)
                return
            after = last_key or ""
            batches, rows = batches + 1, rows + touched
            self.progress.batch_done(migration, batches, rows)
            if rows - analyzed_at >= max(REFRESH_STATISTICS_AFTER, analyzed_at):
                self._refresh_statistics(migration, statement, rows)
                analyzed_at = rows
            decision = decide(size, pause, read_signals(self.conn, table, elapsed, touched, baseline),
                              self._limits, self.batching.adaptive)
            if decision.reason or (decision.size, decision.pause) != (size, pause):
                self._say_throttle(migration, decision)
            if decision.wait_for_standbys:
                self._wait_for_standbys(script, statement, migration, table)
            size, pause = decision.size, decision.pause
            if pause:
                time.sleep(pause)

    @property
    def _limits(self) -> Limits:
        return Limits(max_replica_lag=self.batching.max_replica_lag)

    def _say_throttle(self, migration: Migration, decision) -> None:
        text = f"{migration.name}: next batches {decision.size} rows, {decision.pause * 1000:.0f} ms apart" + (
            f" ({decision.reason})" if decision.reason else "")
        self.progress.note(text)
        if decision.reason:  # history keeps why it slowed (no migration on the row: the step's own rows stay last)
            self.history.log("apply", "ok", phase=migration.phase, detail=text)

    def _wait_for_standbys(self, script: Script, statement: Statement, migration: Migration, table: str) -> None:
        """Waits, between batches and holding nothing, until every standby replays within max_replica_lag."""
        ends = time.monotonic() + self.batching.max_replica_wait
        said = time.monotonic()
        while True:
            signals = read_signals(self.conn, table, 0.0, 0, 0)
            if signals.replica_lag is None or signals.replica_lag <= self.batching.max_replica_lag:
                self.progress.note(f"{migration.name}: standbys caught up; batches go on")
                return
            if time.monotonic() >= ends:
                raise StepFailed(script.path, statement.line, None,
                                 f"standby {signals.standby} still {signals.replica_lag:.1f} s behind after waiting "
                                 f"{self.batching.max_replica_wait:g} s (--max-replica-wait)")
            if time.monotonic() - said >= 5:
                self.progress.note(f"{migration.name}: still waiting: standby {signals.standby} replay lag "
                                   f"{signals.replica_lag:.1f} s")
                said = time.monotonic()
            time.sleep(0.2)

    def _refresh_statistics(self, migration: Migration, statement: Statement, rows: int) -> None:
        """ANALYZE the written table each time the step has written as many rows again (10,000, 20,000, 40,000...:
        a handful over a million rows), so each batch is planned by what the table holds now. Measured without
        it: a backfill's batches, planned by statistics from when the table held 50 rows, read every row already
        written in each batch (a sequential scan where an index would find the last key), 186 ms at 430,000
        rows, and autovacuum's own ANALYZE came a minute later. Skipped, not waited for, while autovacuum holds
        the table: it is refreshing them itself."""
        with self.conn.transaction():
            self.conn.execute("SET LOCAL lock_timeout = '100ms'")
            try:
                with self.conn.transaction():
                    self.conn.execute(sql.SQL("ANALYZE {}").format(_written_identifier(statement)))
            except psycopg.errors.LockNotAvailable:
                return
        self.progress.note(f"{migration.name}: statistics of {written_table(statement.node).relname} refreshed "
                           f"at {rows:,} rows")

    def _analyze(self, statement: Statement) -> None:
        """Fresh statistics for the table a batched step changed, so the planner (and the
        key-query check after the phase) does not judge a million new rows by old numbers.
        Best effort: if autovacuum holds the table, it is refreshing them already."""
        relation = written_table(statement.node)
        try:
            self.conn.execute(sql.SQL("ANALYZE {}").format(_written_identifier(statement)))
        except psycopg.errors.LockNotAvailable:
            self.progress.note(f"ANALYZE {relation.relname} skipped: autovacuum is working on it")


def _written_identifier(statement: Statement) -> sql.Identifier:
    relation = written_table(statement.node)
    return sql.Identifier(*(p for p in (relation.schemaname, relation.relname) if p))


def _relation_name(statement: Statement) -> str:
    relation = written_table(statement.node)
    return ".".join(sql.Identifier(p).as_string(None) for p in (relation.schemaname, relation.relname) if p)


def _with_last_key(statement: Statement) -> str:
    """A keyset batch as one query: how many rows it returned, and the greatest of their keys (the first column
    of its RETURNING), as text, ordered by the key's own type and collation."""
    return (f"WITH toolkit_batch AS (\n{statement.text}\n)\n"
            "SELECT (SELECT count(*) FROM toolkit_batch),\n"
            "       (SELECT b.k FROM toolkit_batch AS b (k) ORDER BY b.k DESC NULLS LAST LIMIT 1)::text")
