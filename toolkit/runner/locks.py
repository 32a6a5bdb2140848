"""Waiting, outside the lock queue, for a long transaction to let go of a lock a step needs.

Which lock a statement takes, and the modes it conflicts with, are read from its syntax tree
(toolkit/plan/lock_modes.py); here the runner looks in pg_locks for who holds one.

A statement waiting for a table lock sits in that table's lock queue, and every query
that arrives after it waits behind it, plain SELECTs included. `lock_timeout` bounds
that stall; waiting here avoids most of it. Before a step that needs a lock ordinary
reads or writes conflict with (SHARE or stronger), the executor looks in pg_locks for
transactions that have held a conflicting lock on one of its tables for longer than
`lock_timeout`, the kind that would make the step time out with everyone queued behind
it, and waits for them to end outside the queue, where nobody waits behind the runner.
An autovacuum in the way is cancelled instead, as PostgreSQL itself cancels one for any
lock request that has waited deadlock_timeout (1 s): a step asking with a shorter
lock_timeout never waits that long, so without this it would never get a table
autovacuum is working through. One that prevents wraparound is never cancelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..plan.lock_modes import CONFLICTS, TableLock

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Holder:
    """Another session's transaction holding a lock a step is about to ask for."""

    pid: int
    table: str
    mode: str
    state: str
    seconds: float
    query: str
    yielding_autovacuum: bool  # an autovacuum PostgreSQL would cancel for a waiting lock request

    def __str__(self) -> str:
        return (f"pid {self.pid}, which holds {self.mode} on {self.table} ({self.state}, transaction open "
                f"{self.seconds:.1f} s: {self.query})")


# Another session's granted locks on the step's tables in a mode the step's lock conflicts with, from
# transactions open longer than the given age. A session whose xact_start this role may not see
# (pg_stat_activity shows it only to its own role and pg_read_all_stats) is not counted: without an age
# the step tries as it would without this check.
_LONG_HOLDERS = """
SELECT l.pid, c.relname, l.mode, coalesce(a.state, ''),
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8, left(coalesce(a.query, ''), 80),
       a.backend_type = 'autovacuum worker' AND a.query NOT LIKE '%%to prevent wraparound%%'
FROM unnest(%(schemas)s::text[], %(tables)s::text[], %(modes)s::text[]) AS wanted(schema, tbl, mode)
JOIN pg_locks AS l
  ON l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
 AND l.relation = to_regclass(CASE WHEN wanted.schema = '' THEN quote_ident(wanted.tbl)
                                   ELSE quote_ident(wanted.schema) || '.' || quote_ident(wanted.tbl) END)
 AND l.mode = wanted.mode
JOIN pg_class AS c ON c.oid = l.relation
JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE a.xact_start < clock_timestamp() - make_interval(secs => %(older_than)s)
  AND (a.leader_pid IS NULL OR a.leader_pid = a.pid)  -- a parallel query's workers hold what its leader holds
ORDER BY a.xact_start
"""


def long_holders(conn: psycopg.Connection, locks: tuple[TableLock, ...], older_than: float) -> list[Holder]:
    wanted = [(lock.schema or "", lock.table, mode) for lock in locks for mode in sorted(CONFLICTS[lock.mode])]
    if not wanted:
        return []
    schemas, tables, modes = (list(column) for column in zip(*wanted))
    rows = conn.execute(_LONG_HOLDERS, {"schemas": schemas, "tables": tables, "modes": modes,
                                        "older_than": older_than}).fetchall()
    return [Holder(*row) for row in rows]


class LongTransactionWait:
    """Waits, outside the lock queue, for long transactions in a step's way: at most `budget` seconds per
    step, so one that never ends (idle in transaction) delays a failing step by that much, not forever."""

    POLL = 0.05  # seconds between looks at pg_locks, only while something is in the way

    def __init__(self, conn: psycopg.Connection, locks: tuple[TableLock, ...], older_than: float, budget: float,
                 report):
        self.conn = conn
        self.locks = tuple(lock for lock in locks if lock.stalls_applications)
        self.older_than = older_than
        self.deadline = time.monotonic() + budget
        self.report = report
        self.seen: set[int] = set()

    def __call__(self) -> None:
        if not self.locks:
            return
        while time.monotonic() < self.deadline:
            holders = long_holders(self.conn, self.locks, self.older_than)
            if not holders:
                return
            for holder in holders:
                if holder.pid not in self.seen:
                    self.seen.add(holder.pid)
                    self._cancel_or_wait_for(holder)
            time.sleep(self.POLL)

    def _cancel_or_wait_for(self, holder: Holder) -> None:
        if holder.yielding_autovacuum:
            from psycopg.errors import InsufficientPrivilege

            try:
                self.conn.execute("SELECT pg_cancel_backend(%s)", (holder.pid,))
                self.report(f"cancelled autovacuum (pid {holder.pid}) on {holder.table}, as PostgreSQL would "
                            "for a lock request waiting deadlock_timeout; it starts again later")
                return
            except InsufficientPrivilege:
                pass  # before PostgreSQL 18 only a superuser may; from 18 pg_signal_autovacuum_worker too
        self.report(f"waiting, outside the lock queue, for {holder}")
