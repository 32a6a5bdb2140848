"""dbmate: db/migrations/VERSION_name.sql holding `-- migrate:up` and `-- migrate:down` parts.

Each part runs in a transaction unless its marker says `transaction:false`. Versions are the digits before
the first underscore, usually a timestamp; dbmate orders by them.
"""

from __future__ import annotations

import re
from pathlib import Path

from .source import Part, Source, SourceMigration, read_text, sections, words, year_of

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.*)\.sql$")
MARKER = re.compile(r"^\s*--\s*migrate:(?P<name>\S+)(?P<options>[^\n]*)$")


def read(root: Path) -> Source:
    folder = root / "db" / "migrations" if (root / "db" / "migrations").is_dir() else root
    source = Source("dbmate", root)
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = NAME.match(path.name)
        if not match:
            source.skip(path, "name does not start with a version (VERSION_name.sql): dbmate ignores it")
            continue
        found.append((match["version"], match, path))
    for version, match, path in sorted(found, key=lambda item: item[0]):
        parts = sections(path, read_text(path), MARKER, ("up", "down"))
        if "up" not in parts:
            source.skip(path, "no '-- migrate:up' line: dbmate refuses this file too")
            continue
        up, down = parts["up"], parts.get("down")
        source.migrations.append(SourceMigration(
            id=version, description=words(match["name"] or version),
            up=Part(path, up[0], _transactional(up[2]), "its '-- migrate:up' part"),
            down=Part(path, down[0], _transactional(down[2]), "its '-- migrate:down' part") if down else None,
            year=year_of(version)))
    return source


def _transactional(options: str) -> bool:
    return "transaction:false" not in options.replace(" ", "").lower()
