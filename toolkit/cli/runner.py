"""Commands that run and inspect migrations on one database: apply, rollback, verify, status, validate,
fingerprint, repair. Each parses its options and makes one library call (toolkit.api, toolkit.runner).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import BadInput
from ..exit_codes import FINDINGS
from .consoles import out
from .failures import handles_errors
from .options import (
    DRY_RUN,
    DSN,
    MAX_SLOWDOWN,
    console_progress,
    json_option,
    plain_settings,
    run_options,
    run_settings,
    show,
    target_of,
    target_options,
)


@click.command()
@target_options
@run_options
@MAX_SLOWDOWN
@DRY_RUN
@click.option("--phase", type=int, help="Apply this phase only (earlier phases must be applied).")
@json_option("the result")
@handles_errors
def apply(dsn, project, phase, as_json, dry_run, **run):
    """Apply PHASE, or every pending phase in order; roll back automatically on failure."""
    from .. import api

    results = api.apply(target_of(dsn), phase, settings=run_settings(project, **run), progress=console_progress(),
                        dry_run=dry_run)
    show(results, as_json, "print_plan" if dry_run else "print_results")


@click.command()
@target_options
@run_options
@DRY_RUN
@click.option("--phase", type=int, help="The phase to roll back (the newest applied one, unless --cascade).")
@click.option("--cascade", is_flag=True, help="With --phase: also roll back every later applied phase, newest first.")
@click.option("--to", "to", type=int, metavar="N", help="Roll back every applied phase above N, newest first.")
@click.option("--all", "everything", is_flag=True, help="Roll back every applied phase, newest first.")
@click.option("--level", type=click.Choice(("schema", "data", "feature")), default="schema", show_default=True,
              help="With --phase: schema (every migration), data (only the phase's data steps, tables kept), "
                   "feature (run rollbacks/levels/PP_feature.sql, data kept).")
@click.option("--yes", "-y", "assume_yes", is_flag=True,
              help="Do not ask before dropping or emptying tables that hold rows (asked only on a terminal).")
@json_option("the result")
@handles_errors
def rollback(dsn, project, phase, cascade, to, everything, level, assume_yes, as_json, dry_run, **run):
    """Run rollback scripts, newest migration first, then prove each phase's schema is as before it was applied.
    A phase with an irreversible migration is refused before anything runs (exit 10). On a terminal, a rollback
    that would drop or empty tables holding rows asks first."""
    from .. import api

    target = target_of(dsn)
    scope = {"cascade": cascade, "to": to, "everything": everything, "level": level,
             "settings": run_settings(project, **run)}
    if not (dry_run or assume_yes) and sys.stdin.isatty() and sys.stderr.isatty():
        _confirm_losing(api.rows_at_stake(target, phase, **scope))
    results = api.rollback(target, phase, **scope, progress=console_progress(), dry_run=dry_run)
    show(results, as_json, "print_plan" if dry_run else "print_results")


def _confirm_losing(tables) -> None:
    """A person at a terminal confirms losing rows; a script (no terminal) is never asked, as with psql -f."""
    if not tables:
        return
    click.echo(f"this rollback drops or empties {len(tables)} table(s) holding rows: "
               + ", ".join(map(str, tables)), err=True)
    if not click.confirm("roll back?", default=False, err=True):
        raise BadInput("rollback not confirmed: nothing was done (--yes answers yes; without a terminal nothing "
                       "is asked)")


@click.command()
@target_options
@run_options
@MAX_SLOWDOWN
@json_option("the verification")
@handles_errors
def verify(dsn, project, as_json, **run):
    """Apply all, roll all back, apply again on a scratch database; the schemas must match."""
    from .. import api

    result = api.verify(target_of(dsn), settings=run_settings(project, **run), progress=console_progress(quiet=True))
    show(result, as_json, "print_verification")
    if not result.ok:
        sys.exit(FINDINGS)


@click.command()
@target_options
@json_option("the status")
@handles_errors
def status(dsn, project, as_json):
    """Phases and migrations: applied, pending, failed; when, how long, checksum state."""
    from .. import api

    show(api.status(target_of(dsn), settings=plain_settings(project)), as_json, "print_status")


@click.command()
@target_options
@click.option("--phase", type=int, required=True, help="The phase whose checks run.")
@click.option("--pre", "when", flag_value="pre", help="Only the checks run before the phase.")
@click.option("--post", "when", flag_value="post", help="Only the checks run after the phase.")
@json_option("the results")
@handles_errors
def validate(dsn, project, phase, when, as_json):
    """Run a phase's checks alone. Exit 1 when any fails."""
    from .. import api

    results = api.validate(target_of(dsn), phase, when, settings=plain_settings(project))
    show(results, as_json, "print_checks")
    if not all(r.passed for r in results):
        sys.exit(FINDINGS)


@click.command()
@DSN
@json_option("the digest and lines")
@click.option("--lines", is_flag=True, help="Print every catalog line, not only the digest.")
@handles_errors
def fingerprint(dsn, as_json, lines):
    """A digest of the schema (what a rollback must restore)."""
    from .. import api
    from . import render

    result = api.fingerprint(target_of(dsn))
    if as_json:
        click.echo(render.to_json({"digest": result.digest, "lines": list(result.lines)}))
    else:
        render.print_fingerprint(out(), result, lines)


@click.command()
@target_options
@click.option("--mark-applied", multiple=True, metavar="MIGRATION", help="Record as applied (finished by hand).")
@click.option("--mark-rolled-back", multiple=True, metavar="MIGRATION", help="Record as not applied (undone by hand).")
@click.option("--accept-checksum", multiple=True, metavar="MIGRATION", help="Accept the file as it is now.")
@click.option("--forget", multiple=True, metavar="MIGRATION", help="Drop the record of a migration whose file is gone.")
@click.option("--lock-wait", type=float, default=30.0, show_default=True,
              help="Seconds to wait for another runner's lock.")
@json_option("the report")
@handles_errors
def repair(dsn, project, mark_applied, mark_rolled_back, accept_checksum, forget, lock_wait, as_json):
    """What a human must resolve (interrupted or failed steps, changed files, INVALID indexes),
    and explicit, logged actions to resolve it. Without actions it only reports; exit 1 if anything is wrong."""
    from ..runner.repair import RepairActions
    from ..runner.repair import repair as run_repair

    actions = RepairActions(mark_applied, mark_rolled_back, accept_checksum, forget)
    result = run_repair(target_of(dsn), actions, settings=plain_settings(project, lock_wait))
    show(result, as_json, "print_repair")
    if any(p.needs_human for p in result.problems) and not actions:
        sys.exit(FINDINGS)


@click.command("history")
@DSN
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The newest rows to show.")
@click.option("--migration", metavar="NAME", help="Only this migration's rows.")
@click.option("--phase", type=int, help="Only this phase's rows.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Only rows recorded since then (YYYY-MM-DD[ HH:MM:SS], the server's time zone).")
@json_option("the rows")
@handles_errors
def history_command(dsn, limit, migration, phase, since, as_json):
    """The history (schema toolkit, or --history-schema), newest first: what was applied, rolled back, checked,
    adopted or repaired, when, how it ended, and who did it (database role, OS user, host, toolkit version)."""
    from .. import api

    show(api.history(target_of(dsn), limit=limit, migration=migration, phase=phase, since=since,
                     settings=plain_settings(Path("."))), as_json,
         "print_history")


COMMANDS = (apply, rollback, verify, status, validate, fingerprint, repair, history_command)
