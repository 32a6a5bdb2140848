"""`toolkit docs --out DIR`: the schema and its phases as a static site, readable offline (no server, no script).

index.html: the schema's ERD and the phases; phase-N.html: each migration with its SQL and rollback, the
mode and the locks each statement takes (what `--dry-run` knows), the checks, and an ERD of what the phase
adds plus one hop; table-NAME.html: columns, constraints, indexes with their validity, row security and
policies, which migration created each, and the planner's row estimate. Built from the live catalog and the
parsed migrations; ERDs are SVG drawn by Graphviz's `dot` when it is installed, else a list of the keys.
Given a rehearsal (`toolkit rehearse --format json`), each phase it measured also gets its lock timeline
(timeline.py) on its page and as phase-N-locks.svg.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .. import api
from ..catalog import erd as drawing
from ..catalog.inspect import inspect
from ..connection import Target
from ..errors import BadInput
from ..plan import load_plan
from ..runner.session import Settings
from .pages import index_page, page_of, phase_page, table_page
from .timeline import lock_timeline

_ESTIMATES = """
SELECT n.nspname || '.' || c.relname, c.reltuples::bigint
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')
"""


@dataclass(frozen=True)
class Site:
    folder: Path
    pages: tuple[Path, ...]
    diagrams: str  # "svg" (Graphviz) or "text" (no dot here)


def build_site(target: Target, out: Path, *, settings: Settings = Settings(), rehearsal: dict | None = None) -> Site:
    plan = load_plan(settings.project)
    with target.connect("toolkit docs") as conn:
        inspection, keys = inspect(conn), drawing.read_keys(conn)
        estimates = dict(conn.execute(_ESTIMATES).fetchall())
    made = drawing.origins(plan)
    diagram = drawing.build(inspection, keys, plan)
    out.mkdir(parents=True, exist_ok=True)
    can_draw = shutil.which("dot") is not None

    def picture(which: drawing.Diagram, overview=None) -> str:
        if can_draw:
            svg = drawing.svg(which, overview)
            return svg[svg.index("<svg"):]  # inline, without the XML prologue
        return "".join(f"<li>{escape(k.child)} &rarr; {escape(k.parent)} ({escape(k.columns)}, ON DELETE "
                       f"{k.on_delete})</li>" for k in which.keys).join(("<ul class='keys'>", "</ul>"))

    measured = {p["phase"]: p for p in (rehearsal or {}).get("phases", ())}
    pages = [out / "index.html"]
    pages[0].write_text(index_page(plan, diagram, picture(diagram, overview=page_of)))  # a map of the schema
    for phase in plan.phases:
        try:
            around = drawing.narrow(diagram, phase=phase.number, hops=1)
            drawn = picture(around)
        except BadInput as nothing:  # a phase that adds no table or key (data only) has no picture of its own
            drawn = f"<p class='note'>{nothing}</p>"
        timeline = lock_timeline(measured[phase.number]) if phase.number in measured else None
        if timeline:
            (out / f"phase-{phase.number}-locks.svg").write_text(timeline)
            timeline = (f"<p>Measured by <code>toolkit rehearse</code> on {escape(rehearsal.get('source', '?'))} "
                        f"(<a href='phase-{phase.number}-locks.svg'>the SVG alone</a>).</p>{timeline}")
        path = out / f"phase-{phase.number}.html"
        path.write_text(phase_page(phase, api.preview(phase), drawn, diagram, made, timeline))
        pages.append(path)
    for name, table in diagram.tables.items():
        path = out / page_of(name)
        path.write_text(table_page(table, inspection, made, estimates.get(name), diagram))
        pages.append(path)
    return Site(out, tuple(pages), "svg" if can_draw else "text")

