"""Sqitch: sqitch.plan names the changes in order; deploy/, revert/ and verify/ hold a script each.

A change reworked after a tag has its older scripts under NAME@TAG.sql; the plan's timestamps give the
year. Sqitch's templates wrap each script in BEGIN; ... COMMIT; which the runner takes as its own
transaction. A verify script passes when it runs without error: it becomes a post-check that says so.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from ..errors import BadInput
from .source import Part, Source, SourceMigration, read_text, words

_CHANGE = re.compile(r"^(?P<name>[^\s\[@#%:][^\s\[]*)(?:\s+\[[^\]]*\])?\s+(?P<year>\d{4})-\d\d-\d\dT")


def read(root: Path) -> Source:
    top, plan_file = _layout(root)
    if not plan_file.is_file():
        raise BadInput(f"{plan_file}: no Sqitch plan here")
    source = Source("sqitch", root)
    entries = _entries(plan_file)
    for index, (name, year, tag_after, line) in enumerate(entries):
        reworked_later = any(later[0] == name for later in entries[index + 1:])
        stem = f"{name}@{tag_after}" if reworked_later and tag_after else name
        deploy, revert, verify = (top / folder / f"{stem}.sql" for folder in ("deploy", "revert", "verify"))
        if not deploy.is_file():
            source.skip(deploy, f"{plan_file.name}:{line} names change {stem}, whose deploy script is missing")
            continue
        source.migrations.append(SourceMigration(
            id=stem, description=words(name),
            up=Part(deploy, read_text(deploy)),
            down=Part(revert, read_text(revert)) if revert.is_file() else None,
            verify=Part(verify, read_text(verify)) if verify.is_file() else None,
            year=year))
    return source


def _layout(root: Path) -> tuple[Path, Path]:
    """top_dir and plan_file from sqitch.conf's [core], as Sqitch reads them."""
    conf = root / "sqitch.conf"
    top, plan = root, None
    if conf.is_file():
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            parser.read_string(read_text(conf))
        except configparser.Error as exc:
            raise BadInput(f"{conf}: cannot read: {' '.join(str(exc).split())}") from exc
        if parser.has_option("core", "top_dir"):
            top = root / parser.get("core", "top_dir").strip('"')
        if parser.has_option("core", "plan_file"):
            plan = root / parser.get("core", "plan_file").strip('"')
    return top, plan or top / "sqitch.plan"


def _entries(plan_file: Path) -> list[tuple[str, int | None, str | None, int]]:
    """(change, year, the first tag after it, line) for each change line, in plan order."""
    entries = []
    for number, raw in enumerate(read_text(plan_file).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("%", "#")):
            continue
        if line.startswith("@"):
            tag = line.split()[0][1:]
            entries = [(n, y, t or tag, ln) for n, y, t, ln in entries]
            continue
        match = _CHANGE.match(line)
        if not match:
            raise BadInput(f"{plan_file}:{number}: not a Sqitch plan line: {line[:60]!r}")
        entries.append((match["name"].lstrip("+"), int(match["year"]), None, number))
    return entries
