"""Commands that read the catalog: diff, adopt, erd, docs. Each parses its options and makes one library
call (toolkit.api, toolkit.adopt, toolkit.site).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import BadInput
from ..exit_codes import FINDINGS
from .consoles import err, out
from .failures import handles_errors
from .options import json_option, plain_settings, show, target_of, target_options


@click.command()
@target_options
@click.option("--phase", type=int, help="Compare with what phases up to N build (default: the newest phase the "
              "database's history says is applied).")
@click.option("--with-privileges", is_flag=True, help="Also compare owners and grants.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the statements that make the database what the "
              "migrations build (lock-safe forms, each part saying how it runs; psql -f runs them), not the lines.")
@click.option("--reverse", is_flag=True, help="With --sql: the statements that make what the migrations build "
              "into what the database has (what `toolkit new NAME --from-diff` writes as new steps).")
@json_option("the differences")
@handles_errors
def diff(dsn, project, phase, with_privileges, as_sql, reverse, as_json):
    """The database's schema against what the migrations build, on a scratch database of the same server:
    one line per difference. Exit 0 when equal, 1 when not. Other tools' history tables are named, not drift."""
    from .. import api

    if reverse and not as_sql:
        raise BadInput("--reverse goes with --sql")
    if as_sql:
        from ..adopt.from_diff import drift_sql

        changes, script = drift_sql(target_of(dsn), phase, reverse=reverse, settings=plain_settings(project),
                                    with_privileges=with_privileges)
        click.echo(script, nl=False)
        if changes.changes or changes.not_generated:
            sys.exit(FINDINGS)
        return
    drift = api.diff(target_of(dsn), phase, settings=plain_settings(project), with_privileges=with_privileges)
    show(drift, as_json, "print_drift")
    if not drift.equal:
        sys.exit(FINDINGS)


@click.command()
@target_options
@click.option("--phase", type=int, help="Record phases 0..N as applied (with --from and a map: the phases the "
              "tool's history covers).")
@click.option("--from", "from_tool", help="Read this tool's history first (yoyo, alembic, prisma, flyway, goose, "
              "golang-migrate, diesel, dbmate, rails, sqitch); read only, never written.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON mapping the tool's ids to migrations (default: the project's convert.json).")
@click.option("--accept", type=click.Path(dir_okay=False, path_type=Path),
              help="`toolkit diff --json` output the DBA reviewed: adopt despite exactly those differences, each "
                   "recorded in history.")
@click.option("--dry-run", is_flag=True, help="Prove and report; record nothing.")
@click.option("--lock-wait", type=float, default=30.0, show_default=True,
              help="Seconds to wait for another runner's lock.")
@click.option("--write-baseline", is_flag=True,
              help="Write phase 0's migration and its rollback from this database's schema (pg_dump reads it), "
                   "for a project that has none yet; then `diff --phase 0` is empty and `adopt --phase 0` "
                   "records it. Records nothing itself.")
@json_option("the adoption")
@handles_errors
def adopt(dsn, project, phase, from_tool, map_file, accept, dry_run, lock_wait, write_baseline, as_json):
    """Record phases built by other means as applied, only when `diff` finds the schema is what they build.
    Refused, with the differences and nothing recorded, otherwise (exit 11)."""
    from ..adopt import adopt as run_adopt

    if write_baseline:
        _write_baseline(dsn, project, as_json, phase=phase, from_tool=from_tool, map_file=map_file, accept=accept,
                        dry_run=dry_run or None)
        return

    result = run_adopt(target_of(dsn), phase, from_tool=from_tool, map_file=map_file, accept=accept, dry_run=dry_run,
                       settings=plain_settings(project, lock_wait))
    show(result, as_json, "print_adoption")


def _write_baseline(dsn, project, as_json, **others) -> None:
    from ..adopt.baseline import write_baseline

    given = [f"--{name.replace('_', '-')}" for name, value in others.items() if value is not None]
    if given:
        raise BadInput(f"--write-baseline writes files and records nothing: not with {', '.join(given)}")
    baseline = write_baseline(target_of(dsn), project)
    if as_json:
        click.echo(json.dumps({"migration": str(baseline.migration), "rollback": str(baseline.rollback),
                               "statements": baseline.statements, "without_rollback": baseline.without_rollback}))
        return
    out().print(f"wrote {baseline.migration} ({baseline.statements} statements) and {baseline.rollback}",
                markup=False)
    for line in baseline.without_rollback:
        err().print(f"warning: the rollback does not undo {line}; add it by hand", markup=False)
    out().print("next: toolkit diff --phase 0 (finds nothing), toolkit adopt --phase 0 (records it), "
                "toolkit verify (proves the rollback on a scratch database)", markup=False)


@click.command()
@target_options
@click.option("--phase", type=int, help="Highlight what this phase adds; show what is within --hops of it, faded.")
@click.option("--around", metavar="TABLE", help="Only this table and the tables within --hops foreign keys of it.")
@click.option("--hops", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many foreign keys away from --phase's or --around's tables to draw.")
@click.option("--format", "form", type=click.Choice(("mermaid", "dot", "svg")), default="mermaid", show_default=True,
              help="Mermaid (GitHub renders it), Graphviz DOT, or SVG drawn by Graphviz's dot.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@handles_errors
def erd(dsn, project, phase, around, hops, form, out):
    """The schema as an entity-relationship diagram, from the live catalog: tables with their key columns,
    foreign keys with their ON DELETE action, each table marked with the phase that created it."""
    from .. import api
    from ..catalog import erd as drawing

    diagram = api.erd(target_of(dsn), phase=phase, around=around, hops=hops, settings=plain_settings(project))
    if form == "mermaid":
        parts = drawing.mermaid(diagram)
        if len(parts) > 1:
            err().print(f"split into {len(parts)} diagrams, one per phase: the whole is over Mermaid's "
                        f"{drawing.MERMAID_LIMIT:,}-character limit", markup=False)
        text = "\n".join(parts)
    else:
        text = drawing.dot(diagram) if form == "dot" else drawing.svg(diagram)
    if out:
        out.write_text(text)
        err().print(f"wrote {out}", markup=False)
    else:
        click.echo(text, nl=False)


@click.command()
@target_options
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the site into (index.html, a page per phase and per table).")
@click.option("--rehearsal", type=click.Path(dir_okay=False, path_type=Path),
              help="A `toolkit rehearse --format json` report: each phase it measured gets its lock timeline.")
@handles_errors
def docs(dsn, project, folder, rehearsal):
    """A static HTML site of the schema, readable offline: the ERD, a page per phase (its SQL, rollbacks,
    checks and locks) and per table (columns, keys, indexes, row security, which migration made each)."""
    from ..site import build_site

    site = build_site(target_of(dsn), folder, settings=plain_settings(project),
                      rehearsal=_rehearsal(rehearsal) if rehearsal else None)
    note = "" if site.diagrams == "svg" else " (diagrams as lists: Graphviz's dot is not installed)"
    out().print(f"wrote {len(site.pages)} pages{note}: {site.folder / 'index.html'}", markup=False)


def _rehearsal(path: Path) -> dict:
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"--rehearsal {path}: cannot read it as JSON ({exc})") from exc
    if not isinstance(report, dict) or not isinstance(report.get("phases"), list):
        raise BadInput(f"--rehearsal {path}: not a `toolkit rehearse --format json` report")
    return report


COMMANDS = (diff, adopt, erd, docs)
