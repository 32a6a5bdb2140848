"""The schema as a picture: tables with their key columns, foreign keys as edges with their ON DELETE action,
each table marked with the phase and migration that created it.

The tables and keys come from the live catalog (the same inspection `diff` reads); where each one came from
comes from the parsed migrations (`origins`), so a table no migration creates shows as such. Drawn as
Mermaid (which GitHub renders; split into one diagram per phase past Mermaid's default 50,000 characters)
or Graphviz DOT (rendered to SVG by `dot`). With a phase, what that phase adds is highlighted and the rest
within `hops` foreign keys of it shown faded; with `around`, only tables within `hops` of that one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from pglast import ast, enums

from ..errors import BadInput
from .inspect import Inspection

MERMAID_LIMIT = 50_000  # Mermaid's default maxTextSize

_FOREIGN_KEY = re.compile(r"FOREIGN KEY \((?P<columns>[^)]*)\) REFERENCES (?P<parent>[^(]+)"
                          r"\((?P<parent_columns>[^)]*)\)(?P<rest>.*)")
_ON_DELETE = re.compile(r"ON DELETE (SET NULL|SET DEFAULT|CASCADE|RESTRICT|NO ACTION)")


@dataclass(frozen=True)
class Origin:
    phase: int
    migration: str


@dataclass
class Table:
    name: str  # schema.table
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, "PK" / "FK" / "PK, FK")
    origin: Origin | None = None

    @property
    def short(self) -> str:
        return self.name.removeprefix("public.")


@dataclass(frozen=True)
class ForeignKey:
    name: str
    child: str
    parent: str
    columns: str
    on_delete: str
    origin: Origin | None = None


@dataclass
class Diagram:
    tables: dict[str, Table]
    keys: list[ForeignKey]
    highlight_phase: int | None = None
    focus: set[str] = field(default_factory=set)  # tables drawn in full; the rest of `tables` faded

    def highlighted(self, item) -> bool:
        return self.highlight_phase is not None and item.origin is not None and \
            item.origin.phase == self.highlight_phase


def origins(plan) -> dict[tuple[str, str], Origin]:
    """(kind, name) -> the migration that created it, from the parsed migrations: ("table", "public.users"),
    ("column", "public.users.email"), ("key", constraint name), ("index", "public.index_name")."""
    found: dict[tuple[str, str], Origin] = {}

    def made(kind: str, name: str | None, origin: Origin) -> None:
        if name:
            found.setdefault((kind, name), origin)

    for migration in plan.migrations:
        origin = Origin(migration.phase, migration.name)
        for statement in migration.apply_script.statements:
            node = statement.node
            if isinstance(node, ast.CreateStmt):
                table = _qualified(node.relation)
                made("table", table, origin)
                made("key", f"{node.relation.relname}_pkey", origin)  # a primary key's name when it has none
                for element in node.tableElts or ():
                    if isinstance(element, ast.ColumnDef):
                        made("column", f"{table}.{element.colname}", origin)
                    for constraint in _constraints_of(element):
                        made("key", constraint.conname or _default_fk_name(node.relation.relname, element,
                                                                            constraint), origin)
            elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
                table = _qualified(node.relation)
                for command in node.cmds or ():
                    if command.subtype == enums.AlterTableType.AT_AddColumn:
                        made("column", f"{table}.{command.def_.colname}", origin)
                    elif command.subtype == enums.AlterTableType.AT_AddConstraint:
                        made("key", command.def_.conname, origin)
            elif isinstance(node, ast.IndexStmt) and node.idxname:
                made("index", f"{node.relation.schemaname or 'public'}.{node.idxname}", origin)
    return found


def _constraints_of(element):
    if isinstance(element, ast.Constraint):
        return [element]
    if isinstance(element, ast.ColumnDef):
        return [c for c in element.constraints or () if c.contype == enums.ConstrType.CONSTR_FOREIGN or c.conname]
    return []


def _default_fk_name(table: str, element, constraint) -> str | None:
    """PostgreSQL's own name for an unnamed foreign key: table_column_fkey (other unnamed ones: not guessed)."""
    if constraint.contype != enums.ConstrType.CONSTR_FOREIGN:
        return None
    if isinstance(element, ast.ColumnDef):
        return f"{table}_{element.colname}_fkey"
    columns = [c.sval for c in constraint.fk_attrs or ()]
    return f"{table}_{'_'.join(columns)}_fkey" if columns else None


def _qualified(relation: ast.RangeVar) -> str:
    return f"{relation.schemaname or 'public'}.{relation.relname}"


def build(inspection: Inspection, plan=None) -> Diagram:
    """Every table of the inspection with its key columns, and every foreign key between them."""
    made = origins(plan) if plan is not None else {}
    tables = {name: Table(name, origin=made.get(("table", name)))
              for name, attributes in inspection.objects.get("table", {}).items()}
    key_columns: dict[str, dict[str, set[str]]] = {name: {} for name in tables}
    keys = []
    for full_name, attributes in sorted(inspection.objects.get("constraint", {}).items()):
        schema, table, constraint = full_name.split(".", 2)
        owner, definition = f"{schema}.{table}", attributes["definition"]
        if owner not in tables:
            continue
        if definition.startswith("PRIMARY KEY"):
            for column in _columns(definition[definition.index("(") + 1:definition.index(")")]):
                key_columns[owner].setdefault(column, set()).add("PK")
        match = _FOREIGN_KEY.match(definition)
        if match:
            parent = match["parent"].strip()
            parent = parent if "." in parent else f"public.{parent}"
            on_delete = _ON_DELETE.search(match["rest"])
            keys.append(ForeignKey(constraint, owner, parent, ", ".join(_columns(match["columns"])),
                                   on_delete.group(1) if on_delete else "NO ACTION",
                                   made.get(("key", constraint))))
            for column in _columns(match["columns"]):
                key_columns[owner].setdefault(column, set()).add("FK")
    columns = inspection.objects.get("column", {})
    for full_name, attributes in sorted(columns.items(), key=lambda item: item[1].get("position", 0)):
        schema, table, column = full_name.split(".", 2)
        owner = f"{schema}.{table}"
        if owner in tables and column in key_columns[owner]:
            tables[owner].columns.append((column, attributes["type"], ", ".join(sorted(key_columns[owner][column],
                                                                                       reverse=True))))
    keys = [k for k in keys if k.parent in tables]
    return Diagram(tables, keys, focus=set(tables))


def _columns(text: str) -> list[str]:
    return [c.strip().strip('"') for c in text.split(",") if c.strip()]


def narrow(diagram: Diagram, phase: int | None = None, around: str | None = None, hops: int = 1) -> Diagram:
    """With a phase: its tables and the tables its keys touch are drawn in full, everything else within `hops`
    of them faded, the rest left out. Around a table: that table and what is within `hops` of it."""
    if phase is None and around is None:
        return diagram
    if around is not None:
        name = around if "." in around else f"public.{around}"
        if name not in diagram.tables:
            raise BadInput(f"--around {around}: no such table in the database")
        focus = {name}
    else:
        focus = {t.name for t in diagram.tables.values() if t.origin and t.origin.phase == phase}
        focus |= {x for k in diagram.keys if k.origin and k.origin.phase == phase for x in (k.child, k.parent)}
        if not focus:
            raise BadInput(f"phase {phase} adds no table or foreign key the database has")
    shown = set(focus)
    for _ in range(hops):
        shown |= {other for k in diagram.keys for table, other in ((k.child, k.parent), (k.parent, k.child))
                  if table in shown}
    return Diagram({n: t for n, t in diagram.tables.items() if n in shown},
                   [k for k in diagram.keys if k.child in shown and k.parent in shown],
                   highlight_phase=phase, focus=focus if around is None else shown)


# ---- Mermaid ------------------------------------------------------------------------------------------------

def mermaid(diagram: Diagram) -> list[str]:
    """One erDiagram, or one per phase when one would pass Mermaid's limit (each with the tables its keys
    reach, drawn without columns)."""
    whole = _mermaid(diagram, set(diagram.tables))
    if len(whole) <= MERMAID_LIMIT:
        return [whole]
    by_phase: dict[object, set[str]] = {}
    for table in diagram.tables.values():
        by_phase.setdefault(table.origin.phase if table.origin else None, set()).add(table.name)
    return [_mermaid(diagram, names, title=f"phase {phase}" if phase is not None else "not made by a migration")
            for phase, names in sorted(by_phase.items(), key=lambda item: (item[0] is None, item[0] or 0))]


def _entity(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name.removeprefix("public."))


def _label(table: Table, diagram: Diagram) -> str:
    where = f"phase {table.origin.phase}" if table.origin else "no migration"
    mark = " (new in this phase)" if diagram.highlighted(table) else ""
    return f"{table.short} · {where}{mark}"


def _mermaid(diagram: Diagram, names: set[str], title: str | None = None) -> str:
    lines = ["---", f"title: {title}", "---"] if title else []
    lines.append("erDiagram")
    drawn = set(names) | {x for k in diagram.keys if k.child in names or k.parent in names for x in (k.child, k.parent)}
    for name in sorted(drawn):
        table = diagram.tables[name]
        lines.append(f'    {_entity(name)}["{_label(table, diagram)}"] {{')
        if name in names and name in diagram.focus:
            lines += [f'        {_type(kind)} {column} {"PK" if "PK" in keys else "FK"}'
                      for column, kind, keys in table.columns]
        lines.append("    }")
    for key in diagram.keys:
        if key.child in names or key.parent in names:
            new = " (new)" if diagram.highlighted(key) else ""
            lines.append(f'    {_entity(key.parent)} ||--o{{ {_entity(key.child)} : '
                         f'"{key.columns}, ON DELETE {key.on_delete}{new}"')
    return "\n".join(lines) + "\n"


def _type(kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", kind.split("(")[0].strip().replace(" ", "_"))


# ---- Graphviz -----------------------------------------------------------------------------------------------

_NEW, _FADED, _PLAIN = "#d62728", "#b0b0b0", "#333333"


def dot(diagram: Diagram) -> str:
    lines = ["digraph erd {", '    graph [rankdir=LR, fontname="Helvetica", fontsize=10];',
             '    node [shape=plain, fontname="Helvetica", fontsize=10];',
             '    edge [fontname="Helvetica", fontsize=8, arrowhead=crow, arrowtail=none];']
    for name, table in sorted(diagram.tables.items()):
        colour = _NEW if diagram.highlighted(table) else _PLAIN if name in diagram.focus else _FADED
        where = f"phase {table.origin.phase}, {table.origin.migration}" if table.origin else "not made by a migration"
        rows = "".join(f'<tr><td align="left">{_html(column)}</td><td align="left">{_html(kind)}</td>'
                       f'<td>{keys}</td></tr>' for column, kind, keys in table.columns) if name in diagram.focus \
            else ""
        lines.append(f'    "{_entity(name)}" [label=<<table border="1" cellborder="0" color="{colour}">'
                     f'<tr><td colspan="3" bgcolor="{colour}"><font color="white"><b>{_html(table.short)}</b>'
                     f'</font></td></tr><tr><td colspan="3"><font point-size="8">{_html(where)}</font></td></tr>'
                     f'{rows}</table>>];')
    for key in diagram.keys:
        new = diagram.highlighted(key)
        colour = _NEW if new else _PLAIN if key.child in diagram.focus and key.parent in diagram.focus else _FADED
        lines.append(f'    "{_entity(key.child)}" -> "{_entity(key.parent)}" [label="{key.columns}\\n'
                     f'ON DELETE {key.on_delete}", color="{colour}", fontcolor="{colour}", '
                     f'penwidth={2.5 if new else 1}, class="{"new" if new else "old"}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(diagram: Diagram) -> str:
    """DOT rendered by Graphviz's `dot`."""
    program = shutil.which("dot")
    if program is None:
        raise BadInput("--format svg needs Graphviz's dot, which is not installed (Debian: apt-get install "
                       "graphviz); --format mermaid needs nothing")
    rendered = subprocess.run([program, "-Tsvg"], input=dot(diagram), capture_output=True, text=True, check=False)
    if rendered.returncode != 0:
        raise BadInput(f"dot could not draw the diagram: {rendered.stderr.strip()}")
    return rendered.stdout
