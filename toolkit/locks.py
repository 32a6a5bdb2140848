"""The table locks a statement takes, and waiting for a long transaction to let go of one.

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

The modes come from PostgreSQL's documentation of each command. An ALTER TABLE form
not listed is taken as ACCESS EXCLUSIVE: too strong a guess only means waiting for a
long transaction that was not in the way. A statement this module does not read (a DO
block, a function body) asks for its locks as it would without it, bounded by
lock_timeout.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pglast import ast, enums

if TYPE_CHECKING:  # the statements' lock modes are read without a database driver (lint, the plan)
    import psycopg

MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
         "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, \
    ACCESS_EXCLUSIVE = MODES

# PostgreSQL's table-level lock conflict matrix ("Conflicting Lock Modes").
CONFLICTS = {
    ACCESS_SHARE: {ACCESS_EXCLUSIVE},
    ROW_SHARE: {EXCLUSIVE, ACCESS_EXCLUSIVE},
    ROW_EXCLUSIVE: {SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE},
    SHARE_UPDATE_EXCLUSIVE: {SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE},
    SHARE: {ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE},
    SHARE_ROW_EXCLUSIVE: {ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE,
                          ACCESS_EXCLUSIVE},
    EXCLUSIVE: set(MODES) - {ACCESS_SHARE},
    ACCESS_EXCLUSIVE: set(MODES),
}

# What applications take: a step needing a mode that conflicts with neither never stalls them.
_APPLICATION_MODES = (ACCESS_SHARE, ROW_EXCLUSIVE)

_ALTER_TABLE_MODES = {
    enums.AlterTableType.AT_ValidateConstraint: SHARE_UPDATE_EXCLUSIVE,
    enums.AlterTableType.AT_SetStatistics: SHARE_UPDATE_EXCLUSIVE,
    enums.AlterTableType.AT_ClusterOn: SHARE_UPDATE_EXCLUSIVE,
    enums.AlterTableType.AT_DropCluster: SHARE_UPDATE_EXCLUSIVE,
    enums.AlterTableType.AT_AttachPartition: SHARE_UPDATE_EXCLUSIVE,
    **{kind: SHARE_ROW_EXCLUSIVE for kind in (
        enums.AlterTableType.AT_EnableTrig, enums.AlterTableType.AT_EnableAlwaysTrig,
        enums.AlterTableType.AT_EnableReplicaTrig, enums.AlterTableType.AT_DisableTrig,
        enums.AlterTableType.AT_EnableTrigAll, enums.AlterTableType.AT_DisableTrigAll,
        enums.AlterTableType.AT_EnableTrigUser, enums.AlterTableType.AT_DisableTrigUser)},
}


@dataclass(frozen=True)
class TableLock:
    schema: str | None
    table: str
    mode: str

    @property
    def stalls_applications(self) -> bool:
        return any(mode in CONFLICTS[self.mode] for mode in _APPLICATION_MODES)

    @property
    def sql_mode(self) -> str:
        """The mode as LOCK TABLE spells it: ShareRowExclusiveLock -> SHARE ROW EXCLUSIVE."""
        return re.sub(r"(?<!^)(?=[A-Z])", " ", self.mode.removesuffix("Lock")).upper()


def foreign_key_parents(node: ast.Node) -> tuple[tuple[str | None, str], ...]:
    """The tables new foreign keys in a CREATE or ALTER TABLE reference, (schema, name)."""
    if isinstance(node, ast.AlterTableStmt):
        definitions = [command.def_ for command in node.cmds or ()]
    elif isinstance(node, ast.CreateStmt):
        definitions = list(node.tableElts or ())
    else:
        return ()
    constraints = []
    for definition in definitions:
        if isinstance(definition, ast.Constraint):
            constraints.append(definition)
        elif isinstance(definition, ast.ColumnDef):
            constraints.extend(c for c in definition.constraints or () if isinstance(c, ast.Constraint))
    tables = (c.pktable for c in constraints if c.contype == enums.ConstrType.CONSTR_FOREIGN)
    return tuple(dict.fromkeys((t.schemaname, t.relname) for t in tables))


def taken_by(node: ast.Node) -> tuple[TableLock, ...]:
    """The table locks a schema change takes. Tables it creates are listed too (nobody else can hold them yet);
    INSERT, UPDATE and DELETE are not: their ROW EXCLUSIVE conflicts with no application's reads or writes."""
    parents = tuple(TableLock(schema, table, SHARE_ROW_EXCLUSIVE) for schema, table in foreign_key_parents(node))
    if isinstance(node, ast.CreateStmt):
        return parents
    if isinstance(node, ast.AlterTableStmt) and node.objtype == enums.ObjectType.OBJECT_TABLE:
        strongest = max((_alter_table_mode(command) for command in node.cmds or ()), key=MODES.index,
                        default=ACCESS_EXCLUSIVE)
        return (_on(node.relation, strongest),) + parents
    if isinstance(node, ast.IndexStmt):
        return () if node.concurrent else (_on(node.relation, SHARE),)
    if isinstance(node, ast.CreateTrigStmt):
        return (_on(node.relation, SHARE_ROW_EXCLUSIVE),)
    if isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        return (_on(node.table, ACCESS_EXCLUSIVE),)
    if isinstance(node, ast.RenameStmt) and node.relation is not None:
        return (_on(node.relation, ACCESS_EXCLUSIVE),)
    if isinstance(node, ast.TruncateStmt):
        return tuple(_on(relation, ACCESS_EXCLUSIVE) for relation in node.relations)
    if isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TABLE:
        return tuple(TableLock(*_split(names), ACCESS_EXCLUSIVE) for names in node.objects)
    return ()


def _alter_table_mode(command: ast.AlterTableCmd) -> str:
    if command.subtype == enums.AlterTableType.AT_AddConstraint and \
            command.def_.contype == enums.ConstrType.CONSTR_FOREIGN:
        return SHARE_ROW_EXCLUSIVE
    return _ALTER_TABLE_MODES.get(command.subtype, ACCESS_EXCLUSIVE)


def _on(relation: ast.RangeVar, mode: str) -> TableLock:
    return TableLock(relation.schemaname, relation.relname, mode)


def _split(names) -> tuple[str | None, str]:
    parts = [name.sval for name in names]
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


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
