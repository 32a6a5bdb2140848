"""Lint findings in the formats CI systems read: GitHub workflow annotations, GitLab code quality, SARIF 2.1.0.

Paths are given relative to the folder the command runs in (a CI job's checkout), not to the project, so an
annotation lands on the file even when the project is a subfolder.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .rules import RULES


def _where(root: Path, finding) -> str:
    return os.path.relpath(root / finding.path).replace(os.sep, "/")


def github(report, root: Path) -> str:
    """`::error file=...,line=...,col=...,title=...::message`, one line a finding (GitHub Actions)."""
    def escape(text: str, property_value: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property_value else text

    return "".join(
        f"::error file={escape(_where(root, f), True)},line={f.line},col={f.column},title={escape(f.rule, True)}"
        f"::{escape(f.message)}\n" for f in report.findings)


def gitlab(report, root: Path) -> str:
    """GitLab's code quality report (a JSON list; `artifacts: reports: codequality:`)."""
    issues = []
    for f in report.findings:
        where = _where(root, f)
        fingerprint = hashlib.sha256(f"{where}\0{f.line}\0{f.rule}\0{f.message}".encode()).hexdigest()
        issues.append({"description": f"{f.rule}: {f.message}", "check_name": f.rule, "fingerprint": fingerprint,
                       "severity": "major", "location": {"path": where, "lines": {"begin": f.line}}})
    return json.dumps(issues, indent=2) + "\n"


def sarif(report, root: Path) -> str:
    """SARIF 2.1.0 (GitHub code scanning, most security dashboards)."""
    used = sorted({f.rule for f in report.findings})
    rules = [{"id": rule, "shortDescription": {"text": RULES[rule].message if rule in RULES else rule},
              **({"help": {"text": f"{RULES[rule].why} Fix: {RULES[rule].fix}"}} if rule in RULES else {})}
             for rule in used]
    results = [{"ruleId": f.rule, "level": "error", "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _where(root, f)},
                                                    "region": {"startLine": f.line, "startColumn": f.column}}}]}
               for f in report.findings]
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "toolkit", "version": _version(), "rules": rules}},
                     "results": results}]}
    return json.dumps(log, indent=2) + "\n"


def _version() -> str:
    try:
        return version("pgphase")  # the distribution's name on PyPI
    except PackageNotFoundError:
        return "unknown"


FORMATS = {"github": github, "gitlab": gitlab, "sarif": sarif}
