"""`toolkit fleet`: one phase across many databases. The decisions (which ledger, which targets, whether to
start, join or reopen a rollout) are toolkit.fleet's; these commands parse options and show what it returns."""

from __future__ import annotations

from pathlib import Path

import click

from .consoles import err
from .failures import handles_errors
from .options import (HISTORY_SCHEMA, MAX_SLOWDOWN, PROJECT, decorate, json_option, plain_settings, run_options,
                      run_settings, show)


@click.group()
def fleet():
    """One phase across many databases: canary wave first, a wave at a time, with a ledger to resume from."""


_LEDGER = click.option("--ledger-dsn", envvar="TOOLKIT_LEDGER_DSN",
                       help="The control database that keeps the ledger; default $TOOLKIT_LEDGER_DSN, else the "
                            "local server (toolkit local start).")


def _targets_options(command):
    return decorate(command, (
        click.option("--targets", "targets_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="The targets file (TOML): name, DSN without a password, wave, tags."),
        click.option("--targets-query", metavar="SQL",
                     help="Read the targets from the ledger's database instead: rows of name, dsn[, wave[, tags]]."),
    ))


def _rollout_options(command):
    return decorate(command, (
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


def _rollout(ledger_dsn, action, phase, settings, parallel, max_failures, join, as_json, targets=(None,) * 3,
             resume=False):
    """targets: (--targets, --targets-query, --canary). The rollout's report is shown whether it finished or
    stopped; a stopped one then exits 12."""
    from .. import fleet as fleet_api
    from ..fleet.live import LiveTable

    report = fleet_api.run_rollout(
        fleet_api.ledger_target(ledger_dsn), action, phase, targets=targets, join=join, resume=resume,
        max_failures=max_failures, parallel=parallel, settings=settings, say=lambda line: err().print(line, markup=False),
        watcher_for=lambda total: LiveTable(err(), total, live=err().is_terminal and not as_json))
    show(report, as_json, "print_rollout")
    fleet_api.raise_if_stopped(report)


@fleet.command("apply")
@PROJECT
@HISTORY_SCHEMA
@_LEDGER
@_targets_options
@_rollout_options
@run_options
@MAX_SLOWDOWN
@click.option("--phase", type=int, help="Apply every pending phase up to this one on each target (default: all).")
@json_option("the rollout")
@handles_errors
def fleet_apply(project, ledger_dsn, targets_file, targets_query, parallel, max_failures, join, canary, phase,
                as_json, **run):
    """Apply phases on every target, a wave at a time: a wave starts when every target before it passed its
    migrations, post-checks and key-query comparison. Exit 12 when the rollout stopped on a failure."""
    _rollout(ledger_dsn, "apply", phase, run_settings(project, **run), parallel, max_failures, join, as_json,
             targets=(targets_file, targets_query, canary))


@fleet.command("rollback")
@PROJECT
@HISTORY_SCHEMA
@_LEDGER
@_targets_options
@_rollout_options
@run_options
@click.option("--phase", type=int, required=True, help="The phase to roll back on every target.")
@json_option("the rollout")
@handles_errors
def fleet_rollback(project, ledger_dsn, targets_file, targets_query, parallel, max_failures, join, canary, phase,
                   as_json, **run):
    """Roll back PHASE on every target, canary wave first; targets without it are skipped."""
    _rollout(ledger_dsn, "rollback", phase, run_settings(project, **run), parallel, max_failures, join, as_json,
             targets=(targets_file, targets_query, canary))


@fleet.command("resume")
@PROJECT
@HISTORY_SCHEMA
@_LEDGER
@click.option("--rollout", "rollout_id", type=int, help="The rollout to resume (default: the latest).")
@click.option("--parallel", type=click.IntRange(min=1), default=2, show_default=True,
              help="Targets this runner works on at once.")
@run_options
@MAX_SLOWDOWN
@json_option("the rollout")
@handles_errors
def fleet_resume(project, ledger_dsn, rollout_id, parallel, as_json, **run):
    """Go on with a stopped rollout, or one whose runner died: failed targets and those of runners that are gone
    run again (their own history skips or resumes what they did)."""
    _rollout(ledger_dsn, None, None, run_settings(project, **run), parallel, 0, rollout_id, as_json, resume=True)


@fleet.command("status")
@PROJECT
@HISTORY_SCHEMA
@_LEDGER
@_targets_options
@click.option("--rollout", "rollout_id", type=int, help="Whose rollout rows to show (default: the latest).")
@json_option("the status")
@handles_errors
def fleet_status(project, ledger_dsn, targets_file, targets_query, rollout_id, as_json):
    """Every target's applied phases (its own history), changed checksums, version skew, and the last rollout."""
    from .. import fleet as fleet_api

    ledger = fleet_api.ledger_target(ledger_dsn)
    chosen = fleet_api.chosen_fleet(ledger, targets_file, targets_query, None)
    show(fleet_api.fleet_status(ledger, chosen, settings=plain_settings(project), rollout_id=rollout_id),
         as_json, "print_fleet_status")


COMMANDS = (fleet,)
