"""Commands on a project's files: init, new, convert, lint, config. Each parses its options and makes one library
call (toolkit.scaffold, toolkit.convert, toolkit.lint).
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
from .options import DSN, PROJECT, history_schema, json_option, plain_settings, target_of


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--checks", type=click.Choice(["queries", "pgtap"]), default="queries", show_default=True,
              help="The check templates `new` copies into each phase: named queries, or pgTAP tests.")
@handles_errors
def init(directory, checks):
    """Start a project in DIRECTORY: migrations/, rollbacks/, validation/ (with check templates), .sqlfluff and a
    pre-commit snippet. Refuses a folder that already holds migrations."""
    from ..scaffold import init_project

    for path in init_project(directory, checks=checks):
        out().print(f"wrote {path}", markup=False)


@click.command()
@PROJECT
@click.argument("name")
@click.option("--phase", type=click.IntRange(0, 99), help="Phase of the new step (default: the newest phase, or 1).")
@click.option("--concurrent", "kind", flag_value="concurrent", help="A concurrent index build (runs outside a "
              "transaction) and its concurrent drop.")
@click.option("--batch", "kind", flag_value="batch", help="A batched data step: each batch its own transaction.")
@click.option("--from-diff", "from_diff", is_flag=True, help="Write what the database (--dsn) has and the migrations "
              "do not build as new steps and their rollbacks (as many as the changes need: index drops, the "
              "transactional changes, index builds, validations). Then `adopt --phase N` records them there.")
@click.option("--compare-phase", type=int, help="With --from-diff: compare with what phases up to N build "
              "(default: the newest phase the database's history says is applied).")
@DSN
@handles_errors
def new(project, name, phase, kind, from_diff, compare_phase, dsn):
    """Write the next numbered migration NAME (snake_case) and its rollback, from the header template."""
    if from_diff:
        _new_from_diff(project, name, phase, kind, compare_phase, dsn)
        return
    if compare_phase is not None:
        raise BadInput("--compare-phase goes with --from-diff")
    from ..scaffold import new_migration

    for path in new_migration(project, name, phase=phase, kind=kind or "plain"):
        out().print(f"wrote {path}", markup=False)


def _new_from_diff(project, name, phase, kind, compare_phase, dsn):
    from ..adopt.from_diff import new_from_diff

    if kind:
        raise BadInput(f"--from-diff writes the steps the changes need; --{kind} goes without it")
    capture = new_from_diff(target_of(dsn), name, phase, compared=compare_phase, settings=plain_settings(project))
    for path in capture.written:
        out().print(f"wrote {path}", markup=False)
    if not capture.written and not capture.not_generated:
        out().print(f"nothing to write: {capture.database} is what phases {capture.phases[0]}-{capture.phases[-1]} "
                    "build", markup=False)
    for said in capture.not_generated:
        err().print(f"not written (a human decides): {said}", markup=False)
    if capture.not_generated:
        sys.exit(FINDINGS)


@click.command()
@click.option("--from", "tool", required=True, help="The tool whose folder SOURCE is: "
              "diesel, goose, golang-migrate, dbmate, yoyo, flyway or sqitch.")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The new project folder (must be empty or absent).")
@click.option("--phases", "grouping", default="count:99", show_default=True,
              help="How migrations are grouped into phases: single, count:N (N per phase) or year "
                   "(by the year in a timestamp version).")
@json_option("the manifest")
@handles_errors
def convert(tool, source, into, grouping, as_json):
    """Read another tool's migration folder and write it in this layout: SQL kept byte for byte, rollbacks from
    the down part, transaction markers honoured, and convert.json mapping each source id to a migration."""
    from ..convert import convert as run_convert
    from . import render

    conversion = run_convert(tool, source, into, grouping)
    if as_json:
        click.echo(render.to_json(conversion))
    else:
        render.print_conversion(out(), conversion)
    if not conversion.clean:  # written, but the runner refuses some files as they are
        sys.exit(FINDINGS)


@click.command("lint")
@PROJECT
@click.option("--format", "output", type=click.Choice(["human", "json", "github", "gitlab", "sarif"]),
              default="human", show_default=True,
              help="How findings are printed: for people, JSON, GitHub workflow annotations, GitLab code quality "
                   "JSON, or SARIF 2.1.0.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--pg-major", type=click.IntRange(min=10, max=18), default=15, show_default=True,
              help="Oldest PostgreSQL major the migrations must be safe on.")
@click.option("--no-style", is_flag=True, help="Skip sqlfluff (structure and safety rules only).")
@click.option("--changed", metavar="[REV]", is_flag=False, flag_value="HEAD",
              help="Lint only the SQL files changed against git revision REV (default HEAD: what a commit would "
                   "add) and new ones, style included; the plan is still read whole.")
@click.option("--fix", "apply_fixes", is_flag=True, help="First apply sqlfluff's style fixes, never to a migration "
              "a database may have applied: only those the --dsn history shows unapplied or that changed against "
              "--changed REV (rollbacks and checks carry no checksum).")
@click.option("--new-tables", type=click.Choice(("migration", "phase")), default="migration", show_default=True,
              help="Where a table the plan creates counts as new and empty (its indexes and constraints lock no "
                   "one): only in the migration that creates it, or anywhere in its phase (phases always applied "
                   "whole on databases that have none of them). With --dsn on the command line, a phase none of "
                   "whose migrations that database has applied counts whole.")
@DSN
@handles_errors
def lint_command(project, output, as_json, pg_major, no_style, changed, apply_fixes, new_tables, dsn):
    """sqlfluff style, lock-safety rules on the parsed SQL, and plan structure. Exit 1 on findings.
    A project without .sqlfluff gets the toolkit's own style settings (PostgreSQL dialect). With --dsn on the
    command line and plpgsql_check on that server, every PL/pgSQL function the phases define is checked by it
    on a scratch database (the role needs CREATEDB)."""
    from ..lint import fix, lint
    from ..lint.changes import changed_files
    from ..lint.formats import FORMATS
    from . import render

    only = changed_files(project, changed) if changed else None
    # the history counts for new tables only when --dsn is on the command line: a DATABASE_URL in CI's
    # environment must not make lint connect (nor fail when that database is not up yet)
    given = click.get_current_context().get_parameter_source("dsn") == click.core.ParameterSource.COMMANDLINE
    applied = _applied_names(dsn) if dsn and (given or apply_fixes) else None
    if apply_fixes:
        fixed, left = fix(project, applied, only)  # before lint reads the files
        for path in fixed:
            err().print(f"toolkit: fixed style in {path}", markup=False)
        for path, why in left:
            err().print(f"toolkit: left {path} alone: {why}", markup=False)
    result = lint(project, pg_major=pg_major, style=not no_style, only=only, new_tables=new_tables,
                  applied=applied if given else None, functions_on=target_of(dsn) if dsn and given else None)
    for line in result.notes:
        err().print(f"toolkit: {line}", markup=False)
    if as_json or output == "json":
        click.echo(render.to_json(render.lint_json(result)))
    elif output in FORMATS:
        click.echo(FORMATS[output](result, project.absolute()), nl=False)
    else:
        render.print_lint(out(), result)
    if not result.clean:
        sys.exit(FINDINGS)


def _applied_names(dsn) -> set[str]:
    from ..runner.history import History

    with target_of(dsn).connect("toolkit lint") as conn:
        return set(History(conn, history_schema()).applied())


@click.command()
@click.argument("command", nargs=-1)
@PROJECT
@json_option("the settings")
@handles_errors
def config(command, project, as_json):
    """The settings in force and where each comes from: every option of COMMAND (e.g. `apply`, `fleet apply`),
    or, without one, every option the project's toolkit.toml sets. A flag on the command line wins over both."""
    from .project_file import FILE, settings_in_force

    root = click.get_current_context().find_root().command
    names = tuple(" ".join(command).split())
    found = settings_in_force(root, ["--project", str(project)], names or None)
    if as_json:
        click.echo(json.dumps([vars(setting) for setting in found], indent=2, default=str))
        return
    if not names and not found:
        out().print(f"{project / FILE}: none here; every option is at its built-in default (toolkit config "
                    "COMMAND lists them)", markup=False)
    for setting in found:
        out().print(f"{setting.command:<14} --{setting.option:<25} {setting.value!s:<24} {setting.source}",
                    markup=False)


COMMANDS = (init, new, convert, lint_command, config)
