"""What the plan's earlier migrations built, as far as lint needs to know it.

The linter reads the migrations in plan order and learns each table's columns, which of them can never hold
NULL (NOT NULL or part of the primary key), and which phase created the table. Rules use it to drop findings
the schema disproves; where it says nothing (a table made outside the plan, a column it never saw), a rule
fires as it would without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, enums


@dataclass
class Table:
    created_in_phase: int | None  # None: not created by the plan (e.g. an IF NOT EXISTS over an existing one)
    never_null: dict[str, bool] = field(default_factory=dict)  # column -> can never hold NULL


class KnownSchema:
    def __init__(self):
        self.tables: dict[str, Table] = {}
        # CHECK (column IS NOT NULL) constraints an earlier migration added, (table, name) -> column: validated in
        # a later file, one lets SET NOT NULL skip its scan (lock-safe NOT NULL is split across transactions)
        self.not_null_checks: dict[tuple[str, str], str] = {}

    def created_in(self, table: str, phase: int | None) -> bool:
        known = self.tables.get(table)
        return phase is not None and known is not None and known.created_in_phase == phase

    def never_null(self, table: str, column: str) -> bool:
        known = self.tables.get(table)
        return bool(known and known.never_null.get(column))

    def learn(self, node: ast.Node, phase: int) -> None:
        if isinstance(node, ast.AlterTableStmt) and node.relation:
            self._learn_checks(node)
        if isinstance(node, ast.CreateStmt) and node.relation:
            self._create(node, phase)
        elif isinstance(node, ast.AlterTableStmt) and node.relation and node.relation.relname in self.tables:
            self._alter(self.tables[node.relation.relname], node)
        elif isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TABLE:
            for name in node.objects or ():
                self.tables.pop(name[-1].sval, None)
        elif isinstance(node, ast.RenameStmt):
            self._rename(node)

    def _create(self, node: ast.CreateStmt, phase: int) -> None:
        name = node.relation.relname
        if node.if_not_exists and name in self.tables:
            return
        table = Table(created_in_phase=phase)
        keys = set()
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                table.never_null[element.colname] = _column_never_null(element)
            elif isinstance(element, ast.Constraint) and element.contype == enums.ConstrType.CONSTR_PRIMARY:
                keys |= {k.sval for k in element.keys or ()}
        for key in keys:
            table.never_null[key] = True
        self.tables[name] = table

    def _alter(self, table: Table, node: ast.AlterTableStmt) -> None:
        kinds = enums.AlterTableType
        for cmd in node.cmds or ():
            if cmd.subtype == kinds.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                table.never_null[cmd.def_.colname] = _column_never_null(cmd.def_)
            elif cmd.subtype in (kinds.AT_SetNotNull, kinds.AT_DropNotNull):
                table.never_null[cmd.name] = cmd.subtype == kinds.AT_SetNotNull
            elif cmd.subtype == kinds.AT_DropColumn:
                table.never_null.pop(cmd.name, None)
            elif cmd.subtype == kinds.AT_AddConstraint and cmd.def_.contype == enums.ConstrType.CONSTR_PRIMARY:
                for key in cmd.def_.keys or ():
                    table.never_null[key.sval] = True

    def _learn_checks(self, node: ast.AlterTableStmt) -> None:
        kinds = enums.AlterTableType
        for cmd in node.cmds or ():
            if cmd.subtype == kinds.AT_AddConstraint and cmd.def_.contype == enums.ConstrType.CONSTR_CHECK:
                column = not_null_column(cmd.def_.raw_expr)
                if column:
                    self.not_null_checks[(node.relation.relname, cmd.def_.conname)] = column
            elif cmd.subtype == kinds.AT_DropConstraint:
                self.not_null_checks.pop((node.relation.relname, cmd.name), None)

    def _rename(self, node: ast.RenameStmt) -> None:
        table = node.relation.relname if node.relation else None
        if table not in self.tables:
            return
        if node.renameType == enums.ObjectType.OBJECT_TABLE:
            self.tables[node.newname] = self.tables.pop(table)
        elif node.renameType == enums.ObjectType.OBJECT_COLUMN:
            columns = self.tables[table].never_null
            if node.subname in columns:
                columns[node.newname] = columns.pop(node.subname)


def _column_never_null(column: ast.ColumnDef) -> bool:
    kinds = (enums.ConstrType.CONSTR_NOTNULL, enums.ConstrType.CONSTR_PRIMARY)
    return bool(column.is_not_null) or any(c.contype in kinds for c in column.constraints or ())


def not_null_column(expr) -> str | None:
    """The column of a `column IS NOT NULL` expression (a CHECK that proves NOT NULL), else None."""
    if isinstance(expr, ast.NullTest) and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL \
            and isinstance(expr.arg, ast.ColumnRef):
        return expr.arg.fields[-1].sval
    return None
