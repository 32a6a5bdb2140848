"""The table locks a statement takes, read from its syntax tree (no database needed: the plan and lint use it).

The runner waits for long transactions holding a conflicting lock (toolkit/runner/locks.py).

The modes come from PostgreSQL's documentation of each command. An ALTER TABLE form
not listed is taken as ACCESS EXCLUSIVE: too strong a guess only means waiting for a
long transaction that was not in the way. A statement this module does not read (a DO
block, a function body) asks for its locks as it would without it, bounded by
lock_timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import ast, enums

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
        return sql_mode(self.mode)



def sql_mode(mode: str) -> str:
    """A mode as LOCK TABLE spells it: ShareRowExclusiveLock -> SHARE ROW EXCLUSIVE."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", mode.removesuffix("Lock")).upper()


def clients_blocked(mode: str) -> str | None:
    """What a lock of this mode stops applications doing while it is held: "reads and writes", "writes", or
    None (plain SELECT, INSERT, UPDATE and DELETE go on)."""
    if ACCESS_SHARE in CONFLICTS[mode]:
        return "reads and writes"
    return "writes" if ROW_EXCLUSIVE in CONFLICTS[mode] else None


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
