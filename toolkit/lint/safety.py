"""Lock-safety and correctness rules on pglast's AST, one statement at a time.

"Existing table" means: not created earlier in the same file (then it is empty and nobody uses it yet), nor,
where the whole phase counts as new, by an earlier migration of the same phase: with `--new-tables phase`, or
with `--dsn` when none of the phase's migrations is applied there, so the phase is applied as one run on it.
A new table's indexes and constraints lock nothing anyone else is waiting for. What earlier migrations built (toolkit/lint/schema.py) also says which columns
can never be NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from pglast import ast, enums, parse_plpgsql
from pglast.parser import ParseError, scan

from ..plan.rerun import idempotent
from ..plan.sql import Script, Statement, is_concurrent, line_at
from ..plan.text import nodes_in
from .schema import KnownSchema, not_null_column

VOLATILE_FUNCTIONS = {"gen_random_uuid", "uuidv7", "uuidv4", "uuid_generate_v4", "uuid_generate_v1", "random",
                      "clock_timestamp", "timeofday", "nextval", "txid_current", "statement_timestamp"}
SMALL_INTEGERS = {"int2", "int4", "serial", "serial4", "smallserial", "serial2"}


@dataclass
class Hit:
    rule: str
    detail: str
    location: int | None = None  # offset into the file, when the node knows it


@dataclass
class FileContext:
    """What a file has done so far, statement by statement."""

    is_rollback: bool
    pg_major: int
    schema: KnownSchema = field(default_factory=KnownSchema)  # what the earlier migrations built
    phase: int | None = None  # the phase the file belongs to
    whole_phase_new: bool = False  # a table an earlier migration of this phase created is new here too
    created_tables: set[str] = field(default_factory=set)
    emptied_tables: set[str] = field(default_factory=set)  # TRUNCATE or DELETE without WHERE earlier in the file
    not_null_checks: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, constraint) -> column
    validated_not_null: set[tuple[str, str]] = field(default_factory=set)  # (table, column)
    # per tree, what the rules below look for in it: a data dump's rows share one tree (plan/text.py)
    seen_in_tree: dict[int, tuple] = field(default_factory=dict)

    def existing(self, relation: ast.RangeVar) -> bool:
        if relation.relname in self.created_tables:
            return False
        return self.is_rollback or not (self.whole_phase_new and self.schema.created_in(relation.relname, self.phase))


def check_script(script: Script, is_rollback: bool, pg_major: int, schema: KnownSchema | None = None,
                 phase: int | None = None, whole_phase_new: bool = False) -> Iterator[tuple[Statement, Hit]]:
    context = FileContext(is_rollback=is_rollback, pg_major=pg_major, schema=schema or KnownSchema(), phase=phase,
                          whole_phase_new=whole_phase_new)
    for statement in script.statements:
        for hit in _statement_hits(statement, context):
            yield statement, hit
        if not script.transactional and not statement.batched and not idempotent(statement.node):
            yield statement, Hit("not-idempotent-autocommit", f"{statement.kind} has no IF [NOT] EXISTS")
        _remember(statement.node, context)
        if not is_rollback and phase is not None:  # a migration's statements build the schema the next ones see
            context.schema.learn(statement.node, phase)


def _statement_hits(statement: Statement, context: FileContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.IndexStmt) and not node.concurrent and context.existing(node.relation):
        yield Hit("index-not-concurrent", f"CREATE INDEX on {node.relation.relname}")
    if isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_INDEX and not node.concurrent:
        yield Hit("index-not-concurrent", "DROP INDEX without CONCURRENTLY")
    if isinstance(node, ast.DropStmt) and not context.is_rollback and node.removeType in _DROPS_DATA:
        yield Hit("drop-in-migration", _DROPS_DATA[node.removeType])
    if isinstance(node, ast.DropdbStmt):
        yield Hit("drop-in-migration", "DROP DATABASE")
    if isinstance(node, ast.ReindexStmt) and not is_concurrent(node):
        yield Hit("reindex-not-concurrent", f"REINDEX {node.relation.relname if node.relation else node.name or ''}"
                  .strip())
    if isinstance(node, ast.TruncateStmt) and node.behavior == enums.DropBehavior.DROP_CASCADE:
        yield Hit("truncate-cascade", ", ".join(r.relname for r in node.relations))
    if _rewrites_under_lock(node):
        yield Hit("table-rewrite", "VACUUM FULL" if isinstance(node, ast.VacuumStmt) else "CLUSTER")
    notable, long_names = context.seen_in_tree.get(id(node)) or context.seen_in_tree.setdefault(id(node), (
        tuple(c for c in nodes_in(node) if isinstance(c, ast.ColumnDef) or _is_not_in_subquery(c)),
        tuple(_identifier_hits(statement))))  # rows of one shape have the same names
    yield from long_names
    if isinstance(node, ast.AlterTableStmt):
        yield from _alter_table_hits(node, context)
    if isinstance(node, ast.RenameStmt) and node.renameType in (enums.ObjectType.OBJECT_TABLE,
                                                               enums.ObjectType.OBJECT_COLUMN):
        yield Hit("rename", f"RENAME on {node.relation.relname if node.relation else 'a table'}")
    if isinstance(node, ast.CreateStmt):
        yield from _primary_key_hits(node)
    if isinstance(node, (ast.CreateFunctionStmt, ast.DoStmt)):
        yield from _plpgsql_hits(statement)
    for child in notable:
        if isinstance(child, ast.ColumnDef):
            yield from _type_hits(child)
        if _is_not_in_subquery(child) and not _yields_no_null(child.args[0].subselect, context):
            yield Hit("not-in-subquery", "x NOT IN (SELECT ...)", getattr(child.args[0], "location", None))


def _alter_table_hits(node: ast.AlterTableStmt, context: FileContext) -> Iterator[Hit]:
    table = node.relation.relname
    existing = context.existing(node.relation)
    for cmd in node.cmds or ():
        kind = cmd.subtype
        if kind == enums.AlterTableType.AT_AddConstraint and existing:
            constraint = cmd.def_
            if constraint.contype in (enums.ConstrType.CONSTR_FOREIGN, enums.ConstrType.CONSTR_CHECK) \
                    and not constraint.skip_validation:
                yield Hit("constraint-without-not-valid", f"{constraint.conname or 'constraint'} on {table}")
            if constraint.contype in _INDEX_BACKED and not constraint.indexname:
                yield Hit("constraint-builds-index", f"{constraint.conname or 'constraint'} on {table}")
        if kind == enums.AlterTableType.AT_AddColumn and existing:
            yield from _add_column_hits(cmd.def_, table, context, emptied=table in context.emptied_tables)
        if kind == enums.AlterTableType.AT_AlterColumnType and existing:
            yield Hit("alter-column-type", f"{table}.{cmd.name}")
        if kind == enums.AlterTableType.AT_SetNotNull and existing:
            proven = (table, cmd.name) in context.validated_not_null and context.pg_major >= 12
            if not proven:
                yield Hit("set-not-null-without-check", f"{table}.{cmd.name}")
        if kind == enums.AlterTableType.AT_DetachPartition and not cmd.def_.concurrent and context.pg_major >= 14:
            yield Hit("detach-partition-not-concurrent", f"{cmd.def_.name.relname} from {table}")
        if kind == enums.AlterTableType.AT_DropColumn and not context.is_rollback:
            yield Hit("drop-in-migration", f"DROP COLUMN {table}.{cmd.name}")


def _add_column_hits(column: ast.ColumnDef, table: str, context: FileContext, emptied: bool) -> Iterator[Hit]:
    constraints = column.constraints or ()
    default = next((c.raw_expr for c in constraints if c.contype == enums.ConstrType.CONSTR_DEFAULT), None)
    not_null = column.is_not_null or any(c.contype == enums.ConstrType.CONSTR_NOTNULL for c in constraints)
    if not_null and default is None and not emptied:  # an empty table takes a NOT NULL column without a default
        yield Hit("add-column-not-null-without-default", f"{table}.{column.colname}")
    if any(c.contype in _INDEX_BACKED for c in constraints):
        yield Hit("constraint-builds-index", f"{table}.{column.colname}")
    if default is not None and (context.pg_major < 11 or _volatile(default)):
        yield Hit("volatile-default", f"{table}.{column.colname}")
    for c in constraints:
        if c.contype in (enums.ConstrType.CONSTR_FOREIGN, enums.ConstrType.CONSTR_CHECK) and not c.skip_validation:
            yield Hit("constraint-without-not-valid", f"{table}.{column.colname}")


_DROPS_DATA = {enums.ObjectType.OBJECT_TABLE: "DROP TABLE", enums.ObjectType.OBJECT_SCHEMA: "DROP SCHEMA"}
_INDEX_BACKED = (enums.ConstrType.CONSTR_UNIQUE, enums.ConstrType.CONSTR_PRIMARY)
IDENTIFIER_LIMIT = 63  # NAMEDATALEN - 1: PostgreSQL cuts longer names without an error


def _rewrites_under_lock(node) -> bool:
    if isinstance(node, ast.VacuumStmt):
        return node.is_vacuumcmd and any(o.defname == "full" for o in node.options or ())
    return isinstance(node, ast.ClusterStmt)


def _identifier_hits(statement: Statement) -> Iterator[Hit]:
    """Names PostgreSQL would cut to 63 bytes, as its scanner does before the parser sees them (so the syntax
    tree already holds the short name): two long names that share their first 63 bytes are one object."""
    try:
        tokens = scan(statement.text)
    except ParseError:
        return
    for token in tokens:
        if token.name == "IDENT":
            name = statement.text[token.start:token.end + 1].strip('"')
            if len(name.encode("utf-8")) > IDENTIFIER_LIMIT:
                yield Hit("identifier-too-long", f"{name[:40]}... is {len(name.encode('utf-8'))} bytes")


def _yields_no_null(subquery, context: FileContext) -> bool:
    """`SELECT col FROM t [WHERE ...]` where the known schema says t.col is NOT NULL or a primary key."""
    if not isinstance(subquery, ast.SelectStmt) or subquery.op != enums.SetOperation.SETOP_NONE:
        return False
    targets, sources = subquery.targetList or (), subquery.fromClause or ()
    if len(targets) != 1 or len(sources) != 1 or not isinstance(sources[0], ast.RangeVar):
        return False
    column = targets[0].val
    if not isinstance(column, ast.ColumnRef) or not isinstance(column.fields[-1], ast.String):
        return False
    return context.schema.never_null(sources[0].relname, column.fields[-1].sval)


def _volatile(expr) -> bool:
    return any(isinstance(n, ast.FuncCall) and n.funcname[-1].sval in VOLATILE_FUNCTIONS for n in nodes_in(expr))


def _type_hits(column: ast.ColumnDef) -> Iterator[Hit]:
    name = _type_name(column)
    location = getattr(column.typeName, "location", None)
    if name == "timestamp":
        yield Hit("timestamp-without-time-zone", column.colname, location)
    if name == "json":
        yield Hit("json-not-jsonb", column.colname, location)
    if name == "bpchar" or (name == "varchar" and column.typeName.typmods):
        yield Hit("varchar-or-char", column.colname, location)


def _primary_key_hits(node: ast.CreateStmt) -> Iterator[Hit]:
    columns = {e.colname: e for e in node.tableElts or () if isinstance(e, ast.ColumnDef)}
    keys = set()
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            if any(c.contype == enums.ConstrType.CONSTR_PRIMARY for c in element.constraints or ()):
                keys.add(element.colname)
        elif isinstance(element, ast.Constraint) and element.contype == enums.ConstrType.CONSTR_PRIMARY:
            keys |= {k.sval for k in element.keys or ()}
    for key in sorted(keys):
        if key in columns and _type_name(columns[key]) in SMALL_INTEGERS:
            yield Hit("int4-primary-key", f"{node.relation.relname}.{key}", getattr(columns[key].typeName,
                                                                                    "location", None))


def _plpgsql_hits(statement: Statement) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.DoStmt):
        language = next((o.arg.sval for o in node.args if o.defname == "language"), "plpgsql")
        body = next((o.arg.sval for o in node.args if o.defname == "as"), None)
        source = f"CREATE FUNCTION toolkit_lint_do() RETURNS void LANGUAGE plpgsql AS $lint$ {body} $lint$"
    else:
        language = next((o.arg.sval for o in node.options or () if o.defname == "language"), "sql")
        body = next((o.arg[0].sval for o in node.options or () if o.defname == "as"), None)
        source = statement.text
    if language != "plpgsql" or body is None:
        return
    try:
        parse_plpgsql(source)
    except ParseError as exc:
        message = exc.args[0]
        yield Hit("plpgsql-syntax", f"{message}{_line_hint(statement, body, message)}")


def _line_hint(statement: Statement, body: str, message: str) -> str:
    """The PL/pgSQL parser gives no position; point at the token it names when it occurs once."""
    token = re.search(r'at or near "([^"]+)"', message)
    if not token:
        return ""
    lines = [i for i, text in enumerate(statement.text.splitlines()) if re.search(rf"\b{re.escape(token[1])}\b", text)]
    return f" (line {statement.line + lines[0]})" if len(lines) == 1 else ""


def _remember(node, context: FileContext) -> None:
    if isinstance(node, ast.CreateStmt):
        context.created_tables.add(node.relation.relname)
    if isinstance(node, ast.TruncateStmt):
        context.emptied_tables |= {r.relname for r in node.relations}
    if isinstance(node, ast.DeleteStmt) and node.whereClause is None and not node.usingClause:
        context.emptied_tables.add(node.relation.relname)
    if isinstance(node, ast.AlterTableStmt):
        table = node.relation.relname
        for cmd in node.cmds or ():
            if cmd.subtype == enums.AlterTableType.AT_AddConstraint and cmd.def_.contype == enums.ConstrType.CONSTR_CHECK:
                column = not_null_column(cmd.def_.raw_expr)
                if column:
                    context.not_null_checks[(table, cmd.def_.conname)] = column
                    if not cmd.def_.skip_validation:
                        context.validated_not_null.add((table, column))
            if cmd.subtype == enums.AlterTableType.AT_ValidateConstraint:
                column = context.not_null_checks.get((table, cmd.name)) or \
                    context.schema.not_null_checks.get((table, cmd.name))  # added NOT VALID by an earlier file
                if column:
                    context.validated_not_null.add((table, column))


def _is_not_in_subquery(node) -> bool:
    return (isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.NOT_EXPR
            and len(node.args) == 1 and isinstance(node.args[0], ast.SubLink)
            and node.args[0].subLinkType == enums.SubLinkType.ANY_SUBLINK)


def _type_name(column: ast.ColumnDef) -> str:
    return column.typeName.names[-1].sval if column.typeName else ""


def position(script: Script, statement: Statement, hit: Hit) -> tuple[int, int]:
    if hit.location is None or hit.location < 0 or statement.shared_node:  # a shared tree's are another row's
        return statement.line, statement.column
    location = statement.offset + hit.location
    return line_at(script.text, location), location - script.text.rfind("\n", 0, location)
