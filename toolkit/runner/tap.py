"""pgTAP files as checks: run the file's statements in order, in one transaction that is rolled back (pgTAP keeps
its counters in temporary tables, and a test may write), and read the TAP they return.

TAP as pgTAP writes it: a plan line `1..N` (from plan(N) first, or from finish() after no_plan()), then one
`ok N - description` or `not ok N - description` per test, `# ...` diagnostics under a failed one, and
`# TODO` / `# SKIP` directives (a TODO test's failure is expected, a skipped test passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg

_PLAN = re.compile(r"^1\.\.(\d+)")
_TEST = re.compile(r"^(?P<not>not )?ok (?P<number>\d+)(?: - (?P<description>.*?))?"
                   r"(?:\s+#\s*(?P<directive>TODO|SKIP)\b.*)?$", re.I)


@dataclass
class TapTest:
    number: int
    description: str
    passed: bool
    line: int  # the line of the statement that ran it
    diagnostics: list[str] = field(default_factory=list)


@dataclass
class TapRun:
    tests: list[TapTest] = field(default_factory=list)
    planned: int | None = None
    error: str | None = None  # a statement failed: where and what
    error_line: int = 0

    @property
    def plan_problem(self) -> str | None:
        """Why the plan does not hold, or None: as pgTAP's finish() would say it."""
        if self.error:
            return None
        if self.planned is None:
            return "no plan: the file calls neither plan(N) nor no_plan() and finish()"
        if self.planned != len(self.tests):
            return f"planned {self.planned} test(s) but ran {len(self.tests)}"
        return None


def installed(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("SELECT to_regprocedure('plan(integer)') IS NOT NULL").fetchone()[0])


def run_tap(conn: psycopg.Connection, statements: tuple[tuple[int, str], ...]) -> TapRun:
    run = TapRun()
    line = statements[0][0] if statements else 0
    try:
        with conn.transaction(force_rollback=True):
            for line, text in statements:
                cur = conn.execute(text)
                for row in cur.fetchall() if cur.description else ():
                    for value in row:
                        for tap in str(value).splitlines() if value is not None else ():
                            read(run, tap, line)
    except psycopg.Error as exc:
        run.error, run.error_line = exc.diag.message_primary or str(exc).strip(), line
    return run


def read(run: TapRun, tap: str, line: int) -> None:
    """One line of TAP into `run`."""
    if planned := _PLAN.match(tap):
        run.planned = int(planned[1])
    elif test := _TEST.match(tap):
        failed = bool(test["not"]) and (test["directive"] or "").upper() != "TODO"
        run.tests.append(TapTest(int(test["number"]), test["description"] or f"test {test['number']}",
                                 not failed, line))
    elif tap.startswith("#") and run.tests and not run.tests[-1].passed:
        run.tests[-1].diagnostics.append(tap.lstrip("# ").rstrip())
