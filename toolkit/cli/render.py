"""How results look to a person (rich) or a program (JSON). Only commands use this."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..catalog.inspect import NOT_COMPARED
from ..runner.progress import Progress


def to_json(value) -> str:
    return json.dumps(_plain(value), indent=2, sort_keys=False)


def _plain(value):
    if hasattr(value, "as_json"):  # a CheckResult says its own shape (and this module need not import psycopg)
        return _plain(value.as_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return _scalar(value)


def _scalar(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (datetime, Path)):
        return str(value)
    return str(value)


class ConsoleProgress(Progress):
    """Progress lines on stderr, so stdout stays clean for --json. quiet: phases only."""

    def __init__(self, console: Console, quiet: bool = False):
        self.console = console
        self.quiet = quiet
        self.said_waiting = False  # key queries whose tables do not exist yet: said once per run

    def phase_started(self, phase, pending):
        self.console.print(f"[bold]phase {phase.number}[/]: {len(pending)} migration(s) to run")

    def step_started(self, migration, action):
        if self.quiet:
            return
        mode = "transaction" if _script(migration, action).transactional else "autocommit, statement by statement"
        self.console.print(f"  {action} {migration.name} ({mode}) ...")

    def step_finished(self, migration, action, duration_ms):
        if self.quiet:
            return
        self.console.print(f"  {action} {migration.name} [green]done[/] in {duration_ms} ms")

    def checks_finished(self, phase, when, results):
        if not results:
            return
        failed = [r for r in results if not r.passed]
        colour = "red" if failed else "green"
        self.console.print(f"  {when}-checks: [{colour}]{len(results) - len(failed)}/{len(results)} passed[/]")
        for r in failed:
            self.console.print(f"    [red]FAIL[/] {r.describe()}", highlight=False)
        for r in results:
            if r.skipped:
                self.console.print(f"    [yellow]SKIP[/] {r.describe()}", highlight=False)

    def key_queries_measured(self, phase, when, measurements):
        measured = {name: m for name, m in measurements.items() if hasattr(m, "median_ms")}
        # A key query on a table a later phase creates is not an error: it starts counting once the table exists.
        # Only a missing table means that: a missing column (a phase dropped it) is said as what it is.
        waiting = [name for name, m in measurements.items()
                   if name not in measured and m.error.startswith("relation ") and "does not exist" in m.error]
        broken = {name: m for name, m in measurements.items() if name not in measured and name not in waiting}
        figures = [f"{name} {m.median_ms:.3f} ms/{m.buffers} buf" for name, m in measured.items()]
        figures += [f"{name} not runnable ({m.error})" for name, m in broken.items()]
        if figures:
            self.console.print(f"  key queries {when} (median ms/buffers): {', '.join(figures)}", highlight=False)
        if waiting and not self.said_waiting:
            self.said_waiting = True
            self.console.print(f"  key queries {', '.join(waiting)}: measured from the phase that creates their "
                               "tables (not there yet)", highlight=False)

    def batch_done(self, migration, batches, rows):
        if self.quiet:
            return
        self.console.print(f"  {migration.name}: batch {batches}, {rows} rows so far", highlight=False)

    def retrying(self, label, attempt, wait_seconds, reason):
        self.console.print(f"  [yellow]{label}: {reason}; retry {attempt} in {wait_seconds:g}s[/]")

    def note(self, text):
        self.console.print(f"  [yellow]{text}[/]", highlight=False)


def _script(migration, action):
    return migration.apply_script if action == "apply" else migration.rollback_script


def print_status(console: Console, status) -> None:
    """Aligned plain columns (a rich Table of a few hundred rows costs more than the rest of `status`)."""
    console.print(f"database: {status.database}", markup=False)
    colours = {"applied": "green", "adopted": "green", "pending": "white", "partial": "yellow", "failed": "red",
               "interrupted": "red", "rollback_interrupted": "red", "missing_file": "red",
               "running": "yellow", "rollback_running": "yellow"}
    rows = [("phase", "migration", "state", "applied at", "ms", "checksum", None)]
    for phase in status.phases:
        rows.append((str(phase.phase), "", phase.state, "", "", "", colours[phase.state]))
        for m in phase.migrations:
            checksum = "CHANGED" if m.checksum == "changed" else (m.checksum or "")
            rows.append(("", m.migration, m.state, (m.applied_at or "")[:19],
                         "" if m.duration_ms is None else str(m.duration_ms), checksum, colours[m.state]))
    for m in status.unknown:
        rows.append((str(m.phase), m.migration, "applied, file missing", (m.applied_at or "")[:19], "", "", "red"))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for phase, migration, state, at, ms, checksum, colour in rows:
        cells = [phase.ljust(widths[0]), migration.ljust(widths[1]), state.ljust(widths[2]), at.ljust(widths[3]),
                 ms.rjust(widths[4]), checksum]
        if colour:
            cells[2] = f"[{colour}]{escape(cells[2])}[/]"
        if checksum == "CHANGED":
            cells[5] = "[red]CHANGED[/]"
        console.print("  ".join(cells).rstrip(), highlight=False)


def print_checks(console: Console, results: list) -> None:
    table = Table()
    for column in ("phase", "when", "check", "result", "ms", "where"):
        table.add_column(column)
    for r in results:
        verdict = "[yellow]skipped[/]" if r.skipped else "[green]pass[/]" if r.passed else "[red]FAIL[/]"
        table.add_row(str(r.check.phase), r.check.when, r.check.name, verdict, str(r.duration_ms),
                      f"{r.check.path}:{r.check.line}")
    console.print(table)
    for r in results:
        if not r.passed:
            console.print(f"[red]FAIL[/] {r.describe()}", highlight=False)


def print_plan(console: Console, planned) -> None:
    if not planned:
        console.print("nothing to do")
    for phase in planned:
        console.print(f"[bold]phase {phase.phase}[/]")
        if phase.pre_checks:
            console.print(f"  pre-checks: {', '.join(phase.pre_checks)}")
        for step in phase.steps:
            console.print(f"  {step.action} {step.migration} ({step.path})")
            for s in step.statements:
                first = s.text.splitlines()[0] if s.text else ""
                console.print(f"    line {s.line:>4}  {s.mode:<11}  {first}", highlight=False, markup=False)
                if s.stalling_locks:
                    console.print(f"{'':23}stalls applications while held: {', '.join(s.stalling_locks)}",
                                  highlight=False, markup=False)
        if phase.post_checks:
            console.print(f"  post-checks: {', '.join(phase.post_checks)}")


def print_results(console: Console, results) -> None:
    if not results:
        console.print("nothing to do: up to date")
    for r in results:
        total = sum(s.duration_ms for s in r.steps)
        verb = "applied" if r.action == "apply" else "rolled back"
        proof = f"; {r.proof}" if r.proof else ""
        console.print(f"phase {r.phase} {verb}: {len(r.steps)} migration(s) in {total} ms{proof}", markup=False)


def print_verification(console: Console, result) -> None:
    console.print(f"empty        {result.empty}")
    console.print(f"applied      {result.applied}")
    console.print(f"rolled back  {result.rolled_back}  {'= empty' if result.rolled_back == result.empty else '[red]differs from empty[/]'}")
    if result.reapplied:
        same = result.reapplied == result.applied
        console.print(f"re-applied   {result.reapplied}  {'= applied' if same else '[red]differs from applied[/]'}")
    for line in result.differences:
        console.print(f"  {line}", markup=False)
    console.print(f"not compared: {NOT_COMPARED}", markup=False)
    console.print("[green]verify passed[/]" if result.ok else "[red]verify FAILED[/]")


def print_history(console: Console, entries) -> None:
    if not entries:
        console.print("no history here yet (nothing was applied by the toolkit)")
        return
    rows = [("when", "action", "outcome", "phase", "migration / check", "ms", "who", "detail")]
    for e in entries:
        who = "@".join(part for part in (e.os_user, e.client_host) if part)
        role = e.db_role or "?"
        if e.session_role and e.session_role != e.db_role:
            role = f"{e.session_role} as {role}"
        who = f"{role} ({who}, {e.application_name or 'toolkit'} {e.toolkit_version})" if who else role
        rows.append((f"{e.recorded_at:%Y-%m-%d %H:%M:%S}", e.action, e.outcome,
                     "" if e.phase is None else str(e.phase), e.migration or e.check_name or "",
                     "" if e.duration_ms is None else str(e.duration_ms), who,
                     " ".join((e.detail or "").split())[:100]))
    _aligned(console, rows)


def print_repair(console: Console, result) -> None:
    for action in result.done:
        console.print(f"done: {action} (logged in toolkit.history)", markup=False)
    if not any(p.needs_human for p in result.problems):
        console.print("nothing needs a human")
    for problem in result.problems:
        colour = "red" if problem.needs_human else "yellow"
        console.print(f"[{colour}]{problem.kind}[/] {problem.subject}: {problem.detail}", highlight=False)
        for way in problem.ways_out:
            console.print(f"    {way}", markup=False)


def print_fingerprint(console: Console, result, with_lines: bool) -> None:
    console.print(result.digest)
    for line in result.lines if with_lines else ():
        console.print(line, markup=False)


def lint_json(result) -> dict:
    def finding(f):
        return {"file": f.path, "line": f.line, "column": f.column, "rule": f.rule, "message": f.message,
                **({"allowed_because": f.suppressed} if f.suppressed else {})}

    return {"findings": [finding(f) for f in result.findings], "suppressed": [finding(f) for f in result.suppressed],
            "files": result.files, "seconds": result.seconds}


def print_lint(console: Console, result) -> None:
    for finding in result.findings + result.suppressed:
        console.print(finding.human(), markup=False)
    console.print(f"{len(result.findings)} finding(s), {len(result.suppressed)} allowed, "
                  f"{result.files} files, {result.seconds:g}s")


def print_local_server(console: Console, server, database: str, env_file) -> None:
    console.print(f"{server.version()} running at {server.target(database).describe()}", markup=False)
    console.print(f"to use it from a shell: . {env_file}   (the password stays in {server.pgpass})", markup=False)


def print_conversion(console: Console, conversion) -> None:
    irreversible = [m for m in conversion.migrations if m.irreversible]
    autocommit = [m for m in conversion.migrations if not m.transactional]
    console.print(f"converted {len(conversion.migrations)} {conversion.tool} migration(s) from {conversion.source} "
                  f"into {conversion.phases} phase(s) in {conversion.into} ({conversion.grouping}); "
                  f"{len(autocommit)} outside a transaction, {len(irreversible)} irreversible", markup=False)
    for mapped in conversion.migrations:
        marks = [w for w, on in (("no transaction", not mapped.transactional),
                                 (f"irreversible: {mapped.irreversible}", mapped.irreversible)) if on]
        marks += mapped.notes
        console.print(f"  {mapped.source_id} -> {mapped.migration}" + (f"  ({'; '.join(marks)})" if marks else ""),
                      markup=False)
    for item in conversion.unmapped:
        console.print(f"not converted: {item['path']}: {item['reason']}", markup=False)
    for problem in conversion.problems:
        console.print(f"needs attention (the source's SQL as written): {problem}", markup=False)
    console.print(f"map of source ids to migrations: {Path(conversion.into) / 'convert.json'}", markup=False)


def print_drift(console: Console, drift) -> None:
    for table, tool in sorted(drift.foreign_histories.items()):
        console.print(f"{table}: another tool's history ({tool}), not compared", markup=False)
    for line in drift.lines():
        console.print(line, markup=False)
    console.print(f"not compared: {NOT_COMPARED}", markup=False)
    through = (f"phases {drift.phases[0]}-{drift.phases[-1]}" if len(drift.phases) > 1
               else f"phase {drift.phases[0]}" if drift.phases else "no phase")
    verdict = "no difference" if drift.equal else f"{len(drift.differences)} difference(s)"
    console.print(f"{drift.database} against what {through} build: {verdict}", markup=False)


def print_adoption(console: Console, adoption) -> None:
    if adoption.foreign:
        f = adoption.foreign
        console.print(f"{f.tool}'s history ({f.table}): {len(f.applied)} applied"
                      + (f", up to {f.applied[-1]}" if f.applied else ""), markup=False)
    for said in adoption.accepted:
        console.print(f"accepted: {said}", markup=False)
    through = f"phases {adoption.phases[0]}-{adoption.phases[-1]}" if len(adoption.phases) > 1 \
        else f"phase {adoption.phases[0]}"
    if not adoption.adopted:
        console.print(f"nothing to adopt: {through} already applied or adopted", markup=False)
        return
    verb = "would adopt" if adoption.dry_run else "adopted"
    console.print(f"{verb} {len(adoption.adopted)} migration(s) of {through} in {adoption.database}: the schema is "
                  "what they build", markup=False)


def _aligned(console: Console, rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        console.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), markup=False,
                      highlight=False)


def _rollout_line(rollout: dict) -> str:
    what = f"{rollout['action']}" + (f" phase {rollout['phase']}" if rollout["phase"] is not None else "")
    return (f"rollout {rollout['id']} ({what}, by {rollout['started_by']}, {str(rollout['started_at'])[:19]}): "
            f"{rollout['state']}; {rollout['passed']} passed, {rollout['failed']} failed, {rollout['running']} "
            f"running, {rollout['pending']} pending")


def print_rollout(console: Console, report: dict) -> None:
    """A rollout as the ledger has it: a line, then a row per target."""
    if report["rollout"] is None:
        console.print("no rollout in the ledger", markup=False)
        return
    console.print(_rollout_line(report["rollout"]), markup=False, highlight=False)
    rows = [("target", "wave", "state", "done", "runner", "error")]
    rows += [(t["name"], t["wave"], t["state"], t["done"] or "", t["runner"] or "", t["first_error"] or "")
             for t in report["targets"]]
    _aligned(console, rows)


def print_fleet_status(console: Console, status) -> None:
    """Per target: applied phases, changed checksums, behind the rest or not, and how the last rollout left it."""
    if status.rollout:
        console.print(f"last {_rollout_line(status.rollout)}", markup=False, highlight=False)
    rows = [("target", "wave", "applied phases", "behind", "checksums", "last rollout")]
    for t in status.targets:
        applied = "cannot read: " + t.error if t.error else _numbers(t.applied_phases) + (
            f" (partial: {_numbers(t.partial_phases)})" if t.partial_phases else "")
        last = t.last_rollout["state"] if t.last_rollout else ""
        rows.append((t.name, t.wave, applied, "BEHIND" if t.behind else "", "CHANGED: " + ", ".join(
            t.checksums_changed) if t.checksums_changed else "ok", last))
    _aligned(console, rows)
    if status.skew:
        console.print("version skew: targets are at different phases (BEHIND: below the highest)", markup=False)


def _numbers(numbers: list[int]) -> str:
    if not numbers:
        return "none"
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))
