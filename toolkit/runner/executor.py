"""Runs one migration's script with the right transaction mode and timeouts.

The one place that decides:
- a transactional script runs in ONE transaction together with its history row;
- a script holding CONCURRENTLY (or anything else PostgreSQL refuses inside a
  transaction) runs statement by statement in autocommit, then records;
- every statement runs under lock_timeout, retried with backoff on
  lock_not_available (55P03) so it never queues behind a long transaction while
  blocking everyone behind it; a concurrent index build gets its own, longer wait,
  because a short lock_timeout also cancels its wait for older transactions;
- before a step that would stall applications' queries while it waits, a
  transaction already holding a conflicting lock for longer than lock_timeout is
  waited out first, outside the lock queue, and an autovacuum cancelled
  (toolkit/runner/locks.py);
- a new foreign key locks the table it references before its own, in the order
  applications write (parent, then child), so it cannot deadlock with a signup;
- a transaction's lock requests share one lock_timeout (LockBudget): it takes each
  statement's locks itself, each waiting only what the earlier ones left, so a table
  it already holds is never held up for more than lock_timeout in all;
- an INVALID index left by an earlier failed concurrent build is dropped before
  the build is tried again (IF NOT EXISTS would silently keep it);
- a batched statement (`-- toolkit:batch`) is handed to the batch loop
  (toolkit/runner/batches.py), whose every batch runs through this executor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from ..errors import ConnectionLost, StepFailed
from ..plan import Migration
from ..plan.lock_modes import TableLock
from ..plan.sql import IndexTarget, Script, Statement
from . import faults
from .batches import Batching, BatchLoop
from .history import STATEMENTS_DONE, History
from .locks import LongTransactionWait
from .progress import Progress

# Waiting for a lock is what hurts a live database: while a DDL statement waits, every
# query behind it in the lock queue waits too. So the wait is short and retried: the
# worst case is a phase that gives up and is rolled back, never a stalled application.
# A deadlock victim's transaction is simply undone, so it is retried the same way.
RETRYABLE = {pgerrors.LockNotAvailable.sqlstate, pgerrors.DeadlockDetected.sqlstate}


@dataclass(frozen=True)
class Timeouts:
    lock_timeout: float = 0.2  # seconds a DDL statement may wait for its lock (others queue behind it)
    concurrent_lock_timeout: float = 600.0  # ... and a concurrent index build (it waits for old transactions)
    statement_timeout: float = 0.0  # 0 = no limit
    lock_retries: int = 10
    first_backoff: float = 0.5  # doubled after every retry, capped at max_backoff
    max_backoff: float = 10.0
    long_transaction_wait: float = 10.0  # seconds per step spent waiting out long transactions before asking


class LockBudget:
    """One transaction's lock_timeout, shared by all its lock requests. PostgreSQL's lock_timeout bounds each
    request alone: a script that waited 0.19 s for its first table and then 0.19 s for its second kept the first
    locked, with that table's readers and writers queued behind it, for 0.38 s; five tables, a second. The
    executor takes each statement's locks itself (the same modes, parents first), each with what is left."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.spent = 0.0

    @property
    def left(self) -> float:
        return self.seconds - self.spent

    def spend(self, seconds: float) -> None:
        self.spent += seconds


class Executor:
    def __init__(self, conn: psycopg.Connection, history: History, timeouts: Timeouts, progress: Progress,
                 batching: Batching = Batching()):
        self.conn = conn
        self.history = history
        self.timeouts = timeouts
        self.progress = progress
        self.batching = batching

    def apply(self, migration: Migration) -> int:
        return self._run(migration, "apply", migration.apply_script, self.history.mark_applied)

    def roll_back(self, migration: Migration) -> int:
        return self._run(migration, "rollback", migration.rollback_script, self.history.mark_rolled_back)

    def switch_off_features(self, phase: int, script: Script) -> int:
        """The feature level: the phase's feature script in one transaction, logged; applied migrations stay applied."""
        started = time.monotonic()

        def record(_, duration_ms):
            self.history.log("rollback", "ok", phase=phase, duration_ms=duration_ms, detail="level=feature")

        try:
            self.with_lock_retries(f"phase {phase} feature rollback", script.locks,
                                    lambda: self._in_one_transaction(script, started, None, record))
        except StepFailed as failure:
            self.history.log("rollback", "failed", phase=phase, detail=f"level=feature: {failure}")
            raise
        return _elapsed_ms(started)

    def _run(self, migration: Migration, action: str, script: Script, record: Callable) -> int:
        self.progress.step_started(migration, action)
        started = time.monotonic()
        try:
            if script.transactional:
                self.with_lock_retries(migration.name, script.locks,
                                        lambda: self._in_one_transaction(script, started, migration, record))
            else:
                self._statement_by_statement(migration, action, script, started, record)
        except StepFailed as failure:
            self.history.log(action, "failed", migration=migration, detail="\n".join((str(failure),) + failure.notes))
            raise
        duration_ms = _elapsed_ms(started)
        self.progress.step_finished(migration, action, duration_ms)
        return duration_ms

    def _in_one_transaction(self, script: Script, started: float, migration: Migration, record: Callable) -> None:
        with self.conn.transaction():
            self.set_timeouts(self.timeouts.lock_timeout, local=True)
            budget = LockBudget(self.timeouts.lock_timeout)  # one for all the script's statements
            for statement in script.statements:
                self.execute(script, statement, budget=budget)
            record(migration, _elapsed_ms(started))
        faults.boundary()

    def _statement_by_statement(self, migration, action, script: Script, started: float, record: Callable) -> None:
        # 'started' rows let status and repair see a run that died half way, and say how far it got: a rerun
        # resumes at the statement that was running (the earlier ones are done and committed).
        interrupted = self.history.statements_done(migration, action)
        done = interrupted or 0
        if done:
            self.progress.note(f"{migration.name}: resuming at statement {done + 1} of {len(script.statements)} "
                               "(the earlier ones finished before the last run stopped)")
        self.history.log(action, "started", migration=migration, detail=_progress(done, script))
        for number, statement in enumerate(script.statements[done:], start=done + 1):
            wait = self.timeouts.concurrent_lock_timeout if statement.builds_index else self.timeouts.lock_timeout

            if statement.batched:
                BatchLoop(self, migration, script, statement).run()
            elif interrupted is not None and number == done + 1 and self._finished_before(migration, statement):
                pass  # the run that stopped did this statement's work; only its progress row was not written
            else:
                def attempt(statement=statement, wait=wait):
                    if statement.builds_index:
                        self._drop_if_invalid(statement.builds_index)
                    self.set_timeouts(wait, local=False)
                    self.execute(script, statement, budget=LockBudget(wait))

                self.with_lock_retries(migration.name, statement.locks, attempt)
            faults.boundary()
            if number < len(script.statements):
                self.history.log(action, "started", migration=migration, detail=_progress(number, script))
        self.set_timeouts(self.timeouts.lock_timeout, local=False)
        with self.conn.transaction():
            record(migration, _elapsed_ms(started))
        faults.boundary()

    def with_lock_retries(self, label: str, locks: tuple[TableLock, ...], attempt: Callable):
        wait_out_long_transactions = LongTransactionWait(
            self.conn, locks, older_than=self.timeouts.lock_timeout, budget=self.timeouts.long_transaction_wait,
            report=lambda text: self.progress.note(f"{label}: {text}"))
        backoff = self.timeouts.first_backoff
        for number in range(1, self.timeouts.lock_retries + 2):
            wait_out_long_transactions()
            try:
                return attempt()
            except StepFailed as failure:
                if failure.sqlstate not in RETRYABLE or number > self.timeouts.lock_retries:
                    raise
                self.progress.retrying(label, number, backoff, failure.reason)
                time.sleep(backoff)
                backoff = min(backoff * 2, self.timeouts.max_backoff)

    def execute(self, script: Script, statement: Statement, text: str | None = None,
                 budget: LockBudget | None = None) -> psycopg.Cursor:
        """Runs the statement (or `text`, a query built around it) and returns its cursor."""
        faults.boundary()
        self.progress.statement_started(script, statement, self.conn)
        started = time.monotonic()
        try:
            locks = statement.explicit_locks if budget else ()
            if not locks:
                cursor = self.conn.execute(text or statement.text)
            else:
                with self.conn.transaction():  # a LOCK holds to the end of a transaction: a savepoint, or its own
                    for lock in locks:
                        self._lock(lock, budget)
                    self._set_lock_timeout(budget.seconds)  # locks it takes that are not read from its syntax tree
                    cursor = self.conn.execute(text or statement.text)
        except psycopg.Error as exc:
            message = exc.diag.message_primary or " ".join(str(exc).split())
            if self.conn.broken:
                # Nothing can be rolled back or recorded on a dead connection; the server
                # already undid the open transaction. The next run resumes from history.
                raise ConnectionLost(f"{script.path}:{statement.line}", message) from exc
            notes = server_notes(exc)
            if exc.diag.sqlstate == "42601":  # the plan parsed it (a newer major's grammar): likely an older server
                version = self.conn.info.server_version
                notes += (f"the target runs PostgreSQL {version // 10000}.{version % 10000}; the toolkit's parser "
                          "(a newer major's grammar) read this statement, so it may need a newer server",)
            raise StepFailed(script.path, statement.line, exc.diag.sqlstate, message, notes) from exc
        self.progress.statement_finished(script, statement, time.monotonic() - started, self.conn)
        return cursor

    def _lock(self, lock: TableLock, budget: LockBudget) -> None:
        """Takes a lock the statement would take anyway, in the same mode, waiting at most what the transaction's
        budget has left. LOCK TABLE needs UPDATE, DELETE or TRUNCATE on the table, a foreign key only REFERENCES
        on its parent: without them the statement takes its locks itself, as it would without the toolkit. So it
        does for a relation LOCK TABLE does not take (an index or sequence being renamed), and a table that is not
        there is the statement's to report (or to skip, with IF EXISTS)."""
        started = time.monotonic()
        try:
            with self.conn.transaction():
                self._set_lock_timeout(budget.left)
                self.conn.execute(sql.SQL("LOCK TABLE ONLY {} IN {} MODE").format(
                    sql.Identifier(*(part for part in (lock.schema, lock.table) if part)), sql.SQL(lock.sql_mode)))
        except (pgerrors.InsufficientPrivilege, pgerrors.UndefinedTable, pgerrors.WrongObjectType):
            pass
        finally:
            budget.spend(time.monotonic() - started)

    def _set_lock_timeout(self, seconds: float) -> None:
        # SET LOCAL inside a savepoint outlives it once released; 0 would mean "no limit", so at least 1 ms
        self.conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
            sql.Literal(f"{max(1, int(seconds * 1000))}ms")))

    def set_timeouts(self, lock_timeout: float, local: bool) -> None:
        scope = "LOCAL " if local else ""
        for name, seconds in (("lock_timeout", lock_timeout), ("statement_timeout", self.timeouts.statement_timeout)):
            self.conn.execute(sql.SQL("SET {} {} = {}").format(sql.SQL(scope), sql.Identifier(name),
                                                                sql.Literal(f"{int(seconds * 1000)}ms")))

    def _finished_before(self, migration: Migration, statement: Statement) -> bool:
        """On the rerun of the statement a run stopped in: did that run finish it? A concurrent build whose index
        is there and valid, or a concurrent drop whose index is gone, did (IF [NOT] EXISTS or not); an INVALID
        index is dropped and built again by the attempt."""
        index = statement.builds_index or statement.drops_index
        if index is None:
            return False
        valid = self.conn.execute(
            """SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = %s AND n.nspname = coalesce(%s, current_schema())""",
            (index.name, index.schema)).fetchone()
        finished = (valid is not None and valid[0]) if statement.builds_index else valid is None
        if finished:
            self.progress.note(f"{migration.name}: index {index.name} is "
                               f"{'built and valid' if statement.builds_index else 'gone'}: the run that stopped "
                               "finished this statement")
        return finished

    def _drop_if_invalid(self, index: IndexTarget) -> None:
        row = self.conn.execute(
            """SELECT n.nspname FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = %s AND n.nspname = coalesce(%s, current_schema())
                 AND NOT i.indisvalid""",
            (index.name, index.schema),
        ).fetchone()
        if row:
            self.progress.note(f"index {row[0]}.{index.name} is INVALID (an earlier build failed): rebuilding it")
            self.conn.execute(
                sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(sql.Identifier(row[0]),
                                                                          sql.Identifier(index.name))
            )


def _progress(done: int, script: Script) -> str:
    return f"{STATEMENTS_DONE} {done} of {len(script.statements)}"


def server_notes(exc: psycopg.Error) -> tuple[str, ...]:
    """The lines psql prints under an error: which views depend on the column, what to do, where in a function."""
    diag = exc.diag
    parts = (("DETAIL", diag.message_detail), ("HINT", diag.message_hint), ("CONTEXT", diag.context))
    return tuple(f"{label}: {' '.join(text.split())}" for label, text in parts if text)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
