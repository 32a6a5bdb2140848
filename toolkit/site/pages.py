"""The site's pages as HTML text: one stylesheet inline, no script, links between pages by file name."""

from __future__ import annotations

import re
from html import escape

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; font-size: .85rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
.bad { color: #b00020; font-weight: bold; } .note { color: #555; } nav a { margin-right: .8rem; }
.erd svg { max-width: 100%; height: auto; } code { font-size: .9em; }
"""


def page_of(table: str) -> str:
    """A file name of its own for every table name, on case-insensitive disks too: lower-case letters, digits,
    '_' and '.' stay, anything else is its code point between hyphens ("a b", a_b, a-b and Upper all differ)."""
    return "table-" + "".join(c if c in _KEPT else f"-{ord(c):x}-" for c in table.removeprefix("public.")) + ".html"


_KEPT = set("abcdefghijklmnopqrstuvwxyz0123456789_.")


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><nav><a href='index.html'>index</a></nav>"
            f"<h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                              for row in rows) + "</table>"


def _origin(origin) -> str:
    if origin is None:
        return "<span class='note'>no migration</span>"
    return f"<a href='phase-{origin.phase}.html#{escape(origin.migration)}'>{escape(origin.migration)}</a>"


def _table_link(name: str) -> str:
    return f"<a href='{page_of(name)}'>{escape(name.removeprefix('public.'))}</a>"


def index_page(plan, diagram, picture: str) -> str:
    phases = [[f"<a href='phase-{p.number}.html'>phase {p.number}</a>", str(len(p.migrations)),
               ", ".join(_table_link(t.name) for t in sorted(diagram.tables.values(), key=lambda t: t.name)
                         if t.origin and t.origin.phase == p.number) or "<span class='note'>none</span>"]
              for p in plan.phases]
    loose = [t for t in diagram.tables.values() if t.origin is None]
    body = ("<h2>Phases</h2>" + _table(["phase", "migrations", "tables it creates"], phases)
            + "<h2>The schema</h2><div class='erd'>" + picture + "</div>"
            + ("<h2>Tables no migration creates</h2><p>" + ", ".join(_table_link(t.name) for t in loose) + "</p>"
               if loose else ""))
    return _page("The schema, phase by phase", body)


def phase_page(phase, planned, picture: str, diagram, made, timeline: str | None = None) -> str:
    parts = []
    by_name = {step.migration: step for step in planned.steps}
    for migration in phase.migrations:
        step = by_name.get(migration.name)
        statements = [[str(s.line), escape(s.mode), escape(", ".join(s.stalling_locks)) or
                       "<span class='note'>none that stall applications</span>"] for s in step.statements] \
            if step else []
        parts.append(f"<h3 id='{escape(migration.name)}'>{escape(migration.name)}</h3>"
                     + _table(["line", "runs", "locks"], statements)
                     + f"<pre>{escape(migration.apply_script.text)}</pre><p>rollback"
                     + (f" (irreversible: {escape(migration.irreversible)})" if migration.irreversible else "")
                     + f":</p><pre>{escape(migration.rollback_script.text)}</pre>")
    checks = [[when, escape(check.name), f"<pre>{escape(check.sql)}</pre>"]
              for when, group in (("before", phase.pre_checks), ("after", phase.post_checks)) for check in group]
    adds = [_table_link(t.name) for t in sorted(diagram.tables.values(), key=lambda t: t.name)
            if t.origin and t.origin.phase == phase.number]
    body = (f"<p>{len(phase.migrations)} migrations; creates {', '.join(adds) or 'no table'}.</p>"
            + _columns_and_indexes(phase.number, diagram, made)
            + "<h2>What it adds (highlighted) and one foreign key around it</h2><div class='erd'>" + picture + "</div>"
            + (f"<h2>Locks held, measured</h2><div class='timeline'>{timeline}</div>" if timeline else "")
            + "<h2>Checks</h2>" + _table(["when", "check", "query"], checks)
            + "<h2>Migrations</h2>" + "".join(parts))
    return _page(f"Phase {phase.number}", body)


def _columns_and_indexes(number: int, diagram, made) -> str:
    """The columns a phase adds to tables made before it, and the indexes it builds, each with its migration."""
    tables = {t.name: t for t in diagram.tables.values()}
    rows = []
    for (kind, name), origin in sorted(made.items(), key=lambda item: (item[1].migration, item[0])):
        if origin.phase != number or kind not in ("column", "index"):
            continue
        owner = name.rsplit(".", 1)[0]
        if kind == "column" and owner in tables and tables[owner].origin and tables[owner].origin.phase != number:
            rows.append(["column", f"{_table_link(owner)}.{escape(name.rsplit('.', 1)[1])}", _origin(origin)])
        elif kind == "index":
            rows.append(["index", escape(name.removeprefix("public.")), _origin(origin)])
    return ("<h2>Columns it adds to earlier tables, and indexes it builds</h2>"
            + _table(["what", "name", "created by"], rows)) if rows else ""


def table_page(table, inspection, made, estimate, diagram) -> str:
    name = table.name
    prefix = name + "."
    columns = sorted(((full[len(prefix):], a) for full, a in inspection.objects.get("column", {}).items()
                      if full.startswith(prefix) and "." not in full[len(prefix):]), key=lambda c: c[1]["position"])
    rows = [[escape(column), escape(a["type"]), "NOT NULL" if a.get("not_null") else "",
             escape(a.get("default") or a.get("identity") and "identity" or ""),
             _origin(made.get(("column", f"{name}.{column}")))] for column, a in columns]
    keys = [[escape(full[len(prefix):]), escape(a["definition"]),
             "" if a.get("validated", True) else "<span class='bad'>NOT VALID</span>",
             _origin(made.get(("key", full[len(prefix):])))]
            for full, a in sorted(inspection.objects.get("constraint", {}).items()) if full.startswith(prefix)]
    schema, short = name.split(".", 1)
    on_table = re.compile(rf" ON (ONLY )?({re.escape(schema)}\.)?{re.escape(short)} USING ")
    indexes = [[escape(full.split(".", 1)[1]), escape(a["definition"]),
                "valid" if a.get("valid", True) else "<span class='bad'>INVALID</span>",
                _origin(made.get(("index", full)) or made.get(("key", full.split(".", 1)[1])))]  # a key's own index
               for full, a in sorted(inspection.objects.get("index", {}).items()) if on_table.search(a["definition"])]
    attributes = inspection.objects["table"][name]
    policies = [[escape(full[len(prefix):]), escape(str(a.get("command"))), escape(a.get("using") or ""),
                 escape(a.get("check") or "")]
                for full, a in sorted(inspection.objects.get("policy", {}).items()) if full.startswith(prefix)]
    security = ("on" + (", forced" if attributes.get("forced_row_security") else "")) \
        if attributes.get("row_security") else "off"
    related = sorted({k.parent for k in diagram.keys if k.child == name} | {k.child for k in diagram.keys
                                                                             if k.parent == name})
    body = (f"<p>created by {_origin(table.origin)}; about {estimate if estimate and estimate > 0 else 0:,} rows "
            f"(the planner's estimate); row security {security}.</p>"
            + (f"<p>foreign keys to and from: {', '.join(_table_link(r) for r in related)}</p>" if related else "")
            + "<h2>Columns</h2>" + _table(["column", "type", "", "default", "created by"], rows)
            + "<h2>Constraints</h2>" + _table(["name", "definition", "", "created by"], keys)
            + "<h2>Indexes</h2>" + _table(["name", "definition", "", "created by"], indexes)
            + ("<h2>Policies</h2>" + _table(["name", "command", "using", "with check"], policies) if policies else ""))
    return _page(f"Table {name.removeprefix('public.')}", body)
