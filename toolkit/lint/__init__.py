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

from ..plan import LEVELS_FOLDER, read_plan
from ..sql import Script, load_script
from .rules import RULES, Finding
from .safety import check_script, position
from .style import start_style

SUPPORTED_MAJORS = range(10, 19)
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


def lint(root: Path | str = ".", pg_major: int = 15, style: bool = True) -> LintReport:
    root = Path(root).absolute()
    started = time.monotonic()
    paths = _sql_paths(root)
    report = LintReport()
    if style and not (root / ".sqlfluff").is_file():
        report.notes.append(f"no .sqlfluff in {root}: style uses the toolkit's defaults (dialect postgres; "
                            "`toolkit init` writes them to a file you can edit)")
    style_findings = start_style(root, paths) if style else None  # sqlfluff runs while the rest is checked
    plan, problems = read_plan(root)
    report.findings += [Finding(_relative(p.path, root), p.line or 1, 1, p.rule, p.problem) for p in problems]
    for phase in plan.phases:
        for when, checks in (("pre", phase.pre_checks), ("post", phase.post_checks)):
            if not checks:
                rule = f"phase-without-{when}-checks"
                report.findings.append(Finding(f"validation/{phase.number:02d}_{when}.sql", 1, 1, rule,
                                               f"phase {phase.number}: {RULES[rule].message}"))

    scripts = [(m.apply_script, False) for m in plan.migrations] + [(m.rollback_script, True) for m in plan.migrations]
    scripts += [(p.feature_rollback, True) for p in plan.phases if p.feature_rollback]
    scripts += [(s, False) for s in _check_scripts(plan)]
    for script, is_rollback in scripts:
        _apply_suppressions(report, script, root, _safety_findings(script, root, is_rollback, pg_major))

    report.files = len(paths)
    if style_findings:
        report.findings += [Finding(**f) for f in style_findings()]
    report.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _safety_findings(script: Script, root: Path, is_rollback: bool, pg_major: int):
    for statement, hit in check_script(script, is_rollback, pg_major):
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
    return [load_script(path) for path in paths]


def _sql_paths(root: Path) -> list[Path]:
    folders = [root / "migrations", root / "rollbacks", root / "rollbacks" / LEVELS_FOLDER, root / "validation"]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.sql") if p.is_file())


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).absolute().relative_to(root))
    except ValueError:
        return str(path)
