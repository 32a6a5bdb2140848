"""Running checks: named read-only queries that say whether something is wrong.

Pass rule: a check passes when its query returns no rows, or exactly one row with
a single value that is 0 or false. Anything else fails, and the failure shows the
first rows. A check that errors fails too: it could not vouch for anything. A check marked
`-- expect: no error` passes whenever it runs (Sqitch's verify scripts work that way).
Every check runs in its own READ ONLY transaction; all run, then the caller decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

from ..plan import Check
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

    def as_json(self) -> dict:
        return {"check": self.check.name, "phase": self.check.phase, "when": self.check.when,
                "file": str(self.check.path), "line": self.check.line, "passed": self.passed, "error": self.error,
                "columns": list(self.columns), "rows": [list(row) for row in self.rows],
                "duration_ms": self.duration_ms}

    def describe(self) -> str:
        """One line: what failed and where."""
        where = f"{self.check.path}:{self.check.line}"
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


def run_checks(conn: psycopg.Connection, checks, history: History | None = None) -> list[CheckResult]:
    results = [_run_one(conn, check) for check in checks]
    if history is not None:
        with conn.transaction():
            for r in results:
                history.log(
                    "check",
                    "ok" if r.passed else "failed",
                    phase=r.check.phase,
                    check_name=f"{r.check.when}:{r.check.name}",
                    duration_ms=r.duration_ms,
                    detail=None if r.passed else r.describe(),
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
