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


# Keys as the catalog holds them (names unquoted, columns in key order), not read back from their definitions:
# a quoted name ("Upper", a column with a comma or a quote in it) does not survive a regular expression.
KEYS = """
SELECT format('%s.%s', n.nspname, c.relname), k.conname, k.contype,
       CASE WHEN k.contype = 'f' THEN format('%s.%s', pn.nspname, p.relname) END,
       (SELECT array_agg(a.attname::text ORDER BY u.position) FROM unnest(k.conkey) WITH ORDINALITY AS u (attnum, position)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
       k.confdeltype::text
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class p ON p.oid = k.confrelid LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE k.contype IN ('p', 'f')
ORDER BY 1, 2
"""
_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def read_keys(conn) -> list[tuple]:
    """(table, constraint, 'p' or 'f', parent table, [columns], ON DELETE code) of every primary and foreign key."""
    return conn.execute(KEYS).fetchall()


def build(inspection: Inspection, keys: list[tuple], plan=None) -> Diagram:
    """Every table of the inspection with its key columns, and every foreign key between them (`read_keys`)."""
    made = origins(plan) if plan is not None else {}
    tables = {name: Table(name, origin=made.get(("table", name)))
              for name, attributes in inspection.objects.get("table", {}).items()}
    key_columns: dict[str, dict[str, set[str]]] = {name: {} for name in tables}
    found = []
    for owner, constraint, kind, parent, columns, on_delete in keys:
        if owner not in tables:
            continue
        for column in columns or ():
            key_columns[owner].setdefault(column, set()).add("PK" if kind == "p" else "FK")
        if kind == "f" and parent in tables:
            found.append(ForeignKey(constraint, owner, parent, ", ".join(columns or ()),
                                    _ACTIONS.get(on_delete, "NO ACTION"), made.get(("key", constraint))))
    columns = inspection.objects.get("column", {})
    for full_name, attributes in sorted(columns.items(), key=lambda item: item[1].get("position", 0)):
        schema, rest = full_name.split(".", 1)
        for owner in (o for o in tables if rest.startswith(o.split(".", 1)[1] + ".") and o.startswith(schema + ".")):
            column = rest[len(owner.split(".", 1)[1]) + 1:]
            if column in key_columns[owner]:
                tables[owner].columns.append((column, attributes["type"],
                                              ", ".join(sorted(key_columns[owner][column], reverse=True))))
    return Diagram(tables, found, focus=set(tables))


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
    """An identifier Mermaid and DOT take for any table name, and a different one for every name: letters,
    digits and '_' stay, anything else is its code point between hyphens (a b, a_b and a-b stay three tables)."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == "_" else f"-{ord(c):x}-"
                   for c in name.removeprefix("public."))


def _mermaid_text(text: str) -> str:
    """Text inside a Mermaid "...": its quote and line breaks as entity codes, so a name cannot end the label
    or start a line of its own."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("\n", "#10;").replace("\r", "#13;")


def _attribute(column: str) -> str:
    """A column as a Mermaid attribute name (letters, digits, '_'); its real name goes in the comment."""
    return re.sub(r"[^A-Za-z0-9_]", "_", column) if column else "_"


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
        lines.append(f'    {_entity(name)}["{_mermaid_text(_label(table, diagram))}"] {{')
        if name in names and name in diagram.focus:
            lines += [f'        {_type(kind)} {_attribute(column)} {"PK" if "PK" in keys else "FK"}'
                      + (f' "{_mermaid_text(column)}"' if _attribute(column) != column else "")
                      for column, kind, keys in table.columns]
        lines.append("    }")
    for key in diagram.keys:
        if key.child in names or key.parent in names:
            new = " (new)" if diagram.highlighted(key) else ""
            lines.append(f'    {_entity(key.parent)} ||--o{{ {_entity(key.child)} : '
                         f'"{_mermaid_text(key.columns)}, ON DELETE {key.on_delete}{new}"')
    return "\n".join(lines) + "\n"


def _type(kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", kind.split("(")[0].strip().replace(" ", "_"))


# ---- Graphviz -----------------------------------------------------------------------------------------------

_NEW, _FADED, _PLAIN = "#d62728", "#b0b0b0", "#333333"


def dot(diagram: Diagram, overview=None) -> str:
    """DOT of the diagram. `overview` (a function giving each table's page): a map of the whole schema, each
    table a name linking to its page, grouped in a box per phase that created it; without columns, which at
    fifty tables made one diagram too small to read at page width."""
    lines = ["digraph erd {", '    graph [rankdir=LR, fontname="Helvetica", fontsize=10];',
             '    node [shape=plain, fontname="Helvetica", fontsize=10];',
             '    edge [fontname="Helvetica", fontsize=8, arrowhead=crow, arrowtail=none];']
    groups: dict[str, list[str]] = {}
    for name, table in sorted(diagram.tables.items()):
        full = name in diagram.focus and overview is None
        colour = _NEW if diagram.highlighted(table) else _PLAIN if full or overview else _FADED
        where = f"phase {table.origin.phase}, {table.origin.migration}" if table.origin else "not made by a migration"
        rows = "".join(f'<tr><td align="left">{_html(column)}</td><td align="left">{_html(kind)}</td>'
                       f'<td>{keys}</td></tr>' for column, kind, keys in table.columns) if full else ""
        link = f', URL="{_dot_text(overview(name))}", tooltip="{_dot_text(where)}"' if overview else ""
        groups.setdefault(f"phase {table.origin.phase}" if overview and table.origin else "", []).append(
            f'    "{_entity(name)}" [label=<<table border="1" cellborder="0" color="{colour}">'
            f'<tr><td colspan="3" bgcolor="{colour}"><font color="white"><b>{_html(table.short)}</b>'
            f'</font></td></tr>'
            + ("" if overview else f'<tr><td colspan="3"><font point-size="8">{_html(where)}</font></td></tr>')
            + f'{rows}</table>>{link}];')
    for group, nodes in sorted(groups.items(), key=lambda g: (g[0] == "", len(g[0]), g[0])):
        if group:
            lines += [f'    subgraph "cluster_{_entity(group)}" {{', f'    label="{group}"; color="{_FADED}";']
        lines += nodes + (["    }"] if group else [])
    for key in diagram.keys:
        new = diagram.highlighted(key)
        colour = _NEW if new else _PLAIN if key.child in diagram.focus and key.parent in diagram.focus else _FADED
        lines.append(f'    "{_entity(key.child)}" -> "{_entity(key.parent)}" [label="{_dot_text(key.columns)}\\n'
                     f'ON DELETE {key.on_delete}", color="{colour}", fontcolor="{colour}", '
                     f'penwidth={2.5 if new else 1}, class="{"new" if new else "old"}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_text(text: str) -> str:
    """Text inside a DOT "...": backslash and quote escaped, a line break as DOT's own."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def svg(diagram: Diagram, overview=None) -> str:
    """DOT rendered by Graphviz's `dot` (`overview`: see dot)."""
    program = shutil.which("dot")
    if program is None:
        raise BadInput("--format svg needs Graphviz's dot, which is not installed (Debian: apt-get install "
                       "graphviz); --format mermaid needs nothing")
    rendered = subprocess.run([program, "-Tsvg"], input=dot(diagram, overview), capture_output=True, text=True,
                              check=False)
    if rendered.returncode != 0:
        raise BadInput(f"dot could not draw the diagram: {rendered.stderr.strip()}")
    return rendered.stdout
