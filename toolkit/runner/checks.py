"""Running checks: named read-only queries that say whether something is wrong.

Pass rule: a check passes when its query returns no rows, or exactly one row with
a single value that is 0 or false. Anything else fails, and the failure shows the
first rows. A check that errors fails too: it could not vouch for anything. A check marked
`-- expect: no error` passes whenever it runs (Sqitch's verify scripts work that way).
Every check runs in its own READ ONLY transaction; all run, then the caller decides. A pgTAP file's tests are
checks too, each `ok` / `not ok` one (tap.py); a file whose plan does not hold is a failed check of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import psycopg

from ..errors import BadInput
from ..plan import Check
from . import tap
from .history import History

SHOWN_ROWS = 5


@dataclass(frozen=True)
class CheckResult:
    check: Check
    passed: bool
    columns: tuple[str, ...] = ()
    rows: tuple[tuple, ...] = ()  # the first rows, when it failed
    error: str | None = None
    duration_ms: int = 0
    detail: str = ""  # a pgTAP test's diagnostics, when it failed
    skipped: str = ""  # why it did not run (an `if-installed` pgTAP file where pgTAP is not)

    def as_json(self) -> dict:
        return {"check": self.check.name, "phase": self.check.phase, "when": self.check.when,
                "file": str(self.check.path), "line": self.check.line, "passed": self.passed, "error": self.error,
                "columns": list(self.columns), "rows": [list(row) for row in self.rows],
                "duration_ms": self.duration_ms, "detail": self.detail or None, "skipped": self.skipped or None}

    def describe(self) -> str:
        """One line: what failed and where."""
        where = f"{self.check.path}:{self.check.line}"
        if self.skipped:
            return f"check {self.check.name} ({where}) skipped: {self.skipped}"
        if self.detail:
            return f"check {self.check.name} ({where}) failed: {self.detail}"
        if self.error:
            return f"check {self.check.name} ({where}) errored: {self.error}"
        if len(self.columns) == 1 and len(self.rows) == 1:
            return f"check {self.check.name} ({where}) returned {self.rows[0][0]!r}"
        shown = "; ".join(", ".join(f"{c}={v!r}" for c, v in zip(self.columns, row)) for row in self.rows)
        return f"check {self.check.name} ({where}) returned rows: {shown}"


def passes(rows: list[tuple]) -> bool:
    if not rows:
        return True
    return len(rows) == 1 and len(rows[0]) == 1 and rows[0][0] in (0, False) and rows[0][0] is not None


def require_pgtap(conn: psycopg.Connection, checks) -> None:
    """Refuses (exit 2, before anything runs) a pgTAP file where the database has no pgTAP."""
    needed = [c for c in checks if c.tap and not c.tap_if_installed]
    if needed and not tap.installed(conn):
        raise BadInput(f"{needed[0].path}: holds pgTAP tests, and pgTAP is not installed in this database: "
                       "CREATE EXTENSION pgtap (Debian: apt-get install postgresql-NN-pgtap)")


def run_checks(conn: psycopg.Connection, checks, history: History | None = None) -> list[CheckResult]:
    require_pgtap(conn, checks)
    results = []
    for check in checks:
        results += _run_tap(conn, check) if check.tap else [_run_one(conn, check)]
    if history is not None:
        with conn.transaction():
            for r in results:
                history.log(
                    "check",
                    "ok" if r.passed else "failed",
                    phase=r.check.phase,
                    check_name=f"{r.check.when}:{r.check.name}",
                    duration_ms=r.duration_ms,
                    detail=r.describe() if r.skipped or not r.passed else None,
                )
    return results


def _run_one(conn: psycopg.Connection, check: Check) -> CheckResult:
    started = time.monotonic()
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            cur = conn.execute(check.sql)
            rows = cur.fetchmany(SHOWN_ROWS + 1) if cur.description else []  # a DO block returns nothing
            columns = tuple(c.name for c in cur.description or ())
    except psycopg.Error as exc:
        message = exc.diag.message_primary or str(exc).strip()
        return CheckResult(check, passed=False, error=message, duration_ms=_ms(started))
    ok = check.passes_if_it_runs or passes(rows)
    return CheckResult(
        check,
        passed=ok,
        columns=columns,
        rows=() if ok else tuple(rows[:SHOWN_ROWS]),
        duration_ms=_ms(started),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _run_tap(conn: psycopg.Connection, check: Check) -> list[CheckResult]:
    """Each test of a pgTAP file as a check named by its description, at the line of the statement that ran it."""
    if check.tap_if_installed and not tap.installed(conn):
        return [CheckResult(check, passed=True, skipped="pgTAP is not installed in this database")]
    started = time.monotonic()
    run = tap.run_tap(conn, check.tap)
    results = [CheckResult(replace(check, name=t.description, line=t.line), t.passed,
                           detail="" if t.passed else "; ".join(t.diagnostics) or "not ok", duration_ms=_ms(started))
               for t in run.tests]
    if run.error:
        results.append(CheckResult(replace(check, line=run.error_line), passed=False, error=run.error,
                                   duration_ms=_ms(started)))
    elif run.plan_problem:
        results.append(CheckResult(check, passed=False, detail=run.plan_problem, duration_ms=_ms(started)))
    return results
