"""`toolkit rehearse`: parses its options and calls toolkit.rehearse.rehearse."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ..exit_codes import FINDINGS
from .consoles import out
from .failures import handles_errors
from .options import console_progress, run_options, run_settings, target_of, target_options

@click.command()
@target_options
@run_options
@click.option("--phase", "phases", type=int, multiple=True, help="The phase to rehearse (repeat for more); "
              "default: every phase pending on the copy.")
@click.option("--all", "everything", is_flag=True, help="Every phase pending on the copy (the default).")
@click.option("--template", metavar="DB", help="Rehearse on a copy of DB made on the --dsn server (CREATE DATABASE "
              "... TEMPLATE DB; refused while DB has other sessions), dropped afterwards.")
@click.option("--scratch-dsn", metavar="DSN", help="Rehearse on this database, one you restored from a backup or "
              "snapshot (refused with other sessions on it or without the toolkit's history, unless --force).")
@click.option("--force", is_flag=True, help="Rehearse on a --scratch-dsn database that has other sessions or no "
              "history.")
@click.option("--rows", type=click.IntRange(min=1), metavar="N", help="First give every empty table a phase names "
              "(and the empty tables their foreign keys reference) N synthetic rows that satisfy its constraints.")
@click.option("--max-access-exclusive", type=float, metavar="SECONDS",
              help="Budget: the longest a statement may hold ACCESS EXCLUSIVE on a relation.")
@click.option("--max-share", type=float, metavar="SECONDS",
              help="Budget: the longest a statement may hold a lock that blocks writes (SHARE to EXCLUSIVE).")
@click.option("--max-rewrite-rows", type=int, metavar="ROWS", help="Budget: no table or index of more rows rewritten.")
@click.option("--max-phase-wal-mb", type=float, metavar="MB", help="Budget: WAL one phase's apply makes.")
@click.option("--max-phase-seconds", type=float, metavar="SECONDS", help="Budget: one phase's apply.")
@click.option("--format", "output", type=click.Choice(["human", "json", "github", "gitlab", "sarif"]),
              default="human", show_default=True, help="How the profile and the budgets broken are printed.")
@handles_errors
def rehearse(dsn, project, phases, everything, template, scratch_dsn, force, rows, max_access_exclusive, max_share,
             max_rewrite_rows, max_phase_wal_mb, max_phase_seconds, output, **run):
    """Apply and roll back phases on a copy with data, measuring what every statement locks, rewrites and
    writes. Exit 1 when a budget is broken, each said at its file and line."""
    from ..connection import Target
    from ..lint import LintReport
    from ..lint.formats import FORMATS
    from ..rehearse import rehearse as run_rehearsal
    from ..rehearse.budgets import Budgets

    budgets = Budgets(max_access_exclusive, max_share, max_rewrite_rows, max_phase_wal_mb, max_phase_seconds)
    result = run_rehearsal(target_of(dsn) if template else None, list(phases) or None, template=template,
                           scratch=Target.from_option(scratch_dsn) if scratch_dsn else None, force=force,
                           budgets=budgets, rows=rows, settings=run_settings(project, **run),
                           progress=console_progress())
    if output == "json":
        click.echo(json.dumps({"source": result.source, "phases": [asdict(p) for p in result.phases],
                               "budgets_broken": [asdict(f) for f in result.findings]}, indent=2, default=str))
    elif output in FORMATS:
        click.echo(FORMATS[output](LintReport(findings=result.findings), Path(project).absolute()), nl=False)
    else:
        _print(result)
    if result.findings:
        sys.exit(FINDINGS)


def _print(result) -> None:
    console = out()
    console.print(f"rehearsed on {result.source}", markup=False)
    for phase in result.phases:
        for filled in phase.filled:
            console.print(f"phase {phase.phase}: {filled.table} " + (f"{filled.note}" if filled.note else
                          f"given {filled.rows:,} synthetic rows in {filled.seconds:g} s"), markup=False)
        for action in ("apply", "rollback"):
            console.print(f"phase {phase.phase} {action}: {phase.seconds(action):g} s of statements, "
                          f"{phase.wal_bytes(action) / 1024 / 1024:.1f} MB of WAL", markup=False)
            for s in (s for s in phase.statements if s.action == action):
                console.print(f"  {Path(s.path).name}:{s.line}{f' batch {s.batch}' if s.batch else ''} "
                              f"{s.seconds * 1000:.0f} ms: {_locks(s)}{_rewrites(s)}{_rows(s)}, "
                              f"WAL {s.wal_bytes / 1024:.0f} kB", markup=False, highlight=False)
            _print_timeline(console, phase, action)
    for finding in result.findings:
        console.print(finding.human(), markup=False, highlight=False)


def _print_timeline(console, phase, action: str) -> None:
    """The clients' view, in time order: each lock that stopped their reads or writes, when and how long."""
    from ..plan.lock_modes import clients_blocked, sql_mode

    held = sorted(((lock, s) for s in phase.statements if s.action == action for lock in s.locks
                   if clients_blocked(lock.mode) and not lock.new_relation), key=lambda pair: pair[0].at)
    if not held:
        console.print(f"  clients' view: no {action} statement blocked reads or writes", markup=False)
        return
    console.print(f"  clients' view ({action}): from     for      blocked              lock", markup=False)
    for lock, s in held:
        console.print(f"    {lock.at:8.3f} s {lock.held_seconds:7.3f} s  {clients_blocked(lock.mode) + ' blocked':20} "
                      f"{sql_mode(lock.mode)} on {lock.relation} ({Path(s.path).name}:{s.line})",
                      markup=False, highlight=False)


def _locks(s) -> str:
    strong = [lock for lock in s.locks
              if lock.mode not in ("AccessShareLock", "RowShareLock") and not lock.new_relation]
    if not strong:  # locks on what the phase itself made are left out: nobody else could wait for them
        return "no lock beyond a reader's on an existing relation"
    from ..plan.lock_modes import sql_mode

    return ", ".join(f"{sql_mode(lock.mode)} on {lock.relation} {lock.held_seconds:g} s"
                     + (f" (waited {lock.waited_seconds:g} s" + (f" for {lock.waited_for}" if lock.waited_for else "")
                        + ")" if lock.waited_seconds else "") for lock in strong)


def _rewrites(s) -> str:
    return "".join(f"; rewrote {relation} ({rows:,} rows)" for relation, rows in s.rewritten)


def _rows(s) -> str:
    return "; rows " + ", ".join(f"{k} {v:,}" for k, v in s.rows.items() if v) if any(s.rows.values()) else ""


COMMANDS = [rehearse]
