"""`toolkit lint`: structure, lock safety on the parsed SQL, and sqlfluff style.

Every finding is collected, suppressions are applied, then the caller decides.
A suppression is a comment above a statement:

    -- toolkit:allow index-not-concurrent because the table is created empty in 0601
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..plan import LEVELS_FOLDER, read_plan
from ..plan.files import check_readable
from ..plan.sql import Script, read_script
from .changes import fixable
from .plpgsql_check import check_functions
from .rules import RULES, Finding
from .safety import check_script, position
from .schema import KnownSchema
from .style import fix_files, start_style

SUPPORTED_MAJORS = range(10, 19)
NEW_TABLES = ("migration", "phase")  # where a table created by the plan still counts as new and empty
_ALLOW = re.compile(r"^\s*--\s*toolkit:allow\s+(?P<rule>[a-z0-9-]+)\s*(?P<reason>.*)$", re.M)


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # said once on stderr, e.g. which style settings were used

    @property
    def clean(self) -> bool:
        return not self.findings


def _readable(path: Path) -> bool:
    try:
        check_readable(path)
        return True
    except OSError:
        return False


def lint(root: Path | str = ".", pg_major: int = 15, style: bool = True, only: set[str] | None = None,
         new_tables: str = "migration", applied: set[str] | None = None, functions_on=None) -> LintReport:
    """Every finding of the project. With `only` (project-relative paths, e.g. from --changed REV), sqlfluff
    runs on those files alone and only their findings are kept; the other rules still read the whole plan,
    which is what tells them what the earlier migrations built. A table is new (empty, unused: its indexes and
    constraints may lock it) only in the migration that creates it; with `new_tables="phase"` anywhere in its
    phase, and with `applied` (the names a database's history holds) in a phase none of whose migrations that
    database has applied. `functions_on` (a Target): plpgsql_check checks the PL/pgSQL functions the phases
    define, built on a scratch database of that server, where it has the extension (plpgsql_check.py)."""
    if new_tables not in NEW_TABLES:
        raise BadInput(f"--new-tables: one of {', '.join(NEW_TABLES)}, not {new_tables!r}")
    root = Path(root).absolute()
    started = time.monotonic()
    paths = _sql_paths(root)
    if only is not None:
        paths = [p for p in paths if str(p.relative_to(root)) in only]
    report = LintReport()
    if style and not (root / ".sqlfluff").is_file():
        report.notes.append(f"no .sqlfluff in {root}: style uses the toolkit's defaults (dialect postgres; "
                            "`toolkit init` writes them to a file you can edit)")
    # sqlfluff runs while the rest is checked, on the files that can be read (the plan names the others)
    style_findings = start_style(root, [p for p in paths if _readable(p)]) if style else None
    plan, problems = read_plan(root)
    report.findings += [Finding(_relative(p.path, root), p.line or 1, 1, p.rule, p.problem) for p in problems]
    for phase in plan.phases:
        for when, checks in (("pre", phase.pre_checks), ("post", phase.post_checks)):
            if not checks:
                rule = f"phase-without-{when}-checks"
                report.findings.append(Finding(f"validation/{phase.number:02d}_{when}.sql", 1, 1, rule,
                                               f"phase {phase.number}: {RULES[rule].message}"))

    checked = {}
    if functions_on is not None and problems:
        report.notes.append("plpgsql_check did not run: the plan has problems, so its phases cannot be built")
    elif functions_on is not None:
        checked, note = check_functions(functions_on, plan, root)
        report.notes.append(note)
    unapplied = {p.number for p in plan.phases if applied is not None and not any(m.name in applied
                                                                               for m in p.migrations)}
    for script, is_rollback, schema, phase in _in_plan_order(plan):
        whole_phase_new = new_tables == "phase" or phase in unapplied
        found = list(_safety_findings(script, root, is_rollback, pg_major, schema, phase, whole_phase_new))
        _apply_suppressions(report, script, root, found + ([] if is_rollback else checked.get(script.path, [])))

    report.files = len(paths)
    if style_findings:
        report.findings += [Finding(**f) for f in style_findings()]
    if only is not None:
        report.findings = [f for f in report.findings if f.path in only]
        report.suppressed = [f for f in report.suppressed if f.path in only]
    report.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    report.seconds = round(time.monotonic() - started, 2)
    return report


def fix(root: Path | str = ".", applied: set[str] | None = None, changed: set[str] | None = None):
    """sqlfluff's style fixes on the files it may rewrite (toolkit.lint.changes.fixable): returns
    (files changed, [(file, why it was left alone)])."""
    root = Path(root).absolute()
    allowed, left = fixable(root, _sql_paths(root), applied, changed)
    return [str(p.relative_to(root)) for p in fix_files(root, allowed)], left


def _in_plan_order(plan):
    """(script, is it a rollback, what the migrations before it built, its phase), phase by phase: each
    migration sees the schema its predecessors made, its rollback and the phase's checks what the phase made."""
    schema = KnownSchema()
    checks = {c.path: c.phase for p in plan.phases for c in p.pre_checks + p.post_checks}
    check_scripts = {script.path: script for script in _check_scripts(plan)}
    for phase in plan.phases:
        for migration in phase.migrations:
            yield migration.apply_script, False, schema, phase.number  # check_script learns what it builds
        for migration in phase.migrations:
            yield migration.rollback_script, True, schema, phase.number
        if phase.feature_rollback:
            yield phase.feature_rollback, True, schema, phase.number
        for path in sorted(p for p, n in checks.items() if n == phase.number):
            if path in check_scripts:
                yield check_scripts[path], False, schema, None  # checks create nothing of their own


def _safety_findings(script: Script, root: Path, is_rollback: bool, pg_major: int, schema, phase,
                     whole_phase_new: bool):
    for statement, hit in check_script(script, is_rollback, pg_major, schema, phase, whole_phase_new):
        line, column = position(script, statement, hit)
        message = f"{RULES[hit.rule].message}: {hit.detail}"
        yield statement, Finding(_relative(script.path, root), line, column, hit.rule, message)


def _apply_suppressions(report: LintReport, script: Script, root: Path, found) -> None:
    """A `-- toolkit:allow RULE reason` above a statement silences that rule on that statement."""
    by_statement: dict[int, list[Finding]] = {}
    for statement, finding in found:
        by_statement.setdefault(id(statement), []).append(finding)
    for statement in script.statements:
        findings = by_statement.get(id(statement), [])
        for match in _ALLOW.finditer(statement.leading_comments):
            rule, reason = match["rule"], match["reason"].strip()
            where = Finding(_relative(script.path, root), statement.line, statement.column, "", "")
            if rule not in RULES or not reason:
                report.findings.append(_at(where, "suppression-without-reason",
                                           f"'{match.group(0).strip()}' needs a known rule id and a reason"))
                continue
            silenced = [f for f in findings if f.rule == rule]
            if not silenced:
                report.findings.append(_at(where, "unused-suppression", f"nothing to allow for {rule} here"))
            for f in silenced:
                findings.remove(f)
                report.suppressed.append(Finding(f.path, f.line, f.column, f.rule, f.message, suppressed=reason))
        report.findings += findings


def _at(where: Finding, rule: str, message: str) -> Finding:
    return Finding(where.path, where.line, where.column, rule, message)


def _check_scripts(plan) -> list[Script]:
    """The validation files (checks hold queries: NOT IN and friends apply to them too)."""
    paths = sorted({c.path for p in plan.phases for c in p.pre_checks + p.post_checks})
    return [script for script in (read_script(path)[0] for path in paths) if script]


def _sql_paths(root: Path) -> list[Path]:
    folders = [root / "migrations", root / "rollbacks", root / "rollbacks" / LEVELS_FOLDER, root / "validation"]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.sql") if p.is_file())


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).absolute().relative_to(root))
    except ValueError:
        return str(path)
