"""golang-migrate: VERSION_title.up.sql and VERSION_title.down.sql.

golang-migrate's PostgreSQL driver sends a whole file as one multi-statement query, which the server runs
as one implicit transaction: the same as a transactional migration here. It has no per-file markers.
"""

from __future__ import annotations

import re
from pathlib import Path

from .source import Part, Source, SourceMigration, read_text, words, year_of

NAME = re.compile(r"^(?P<version>\d+)_(?P<title>.*)\.(?P<direction>up|down)\.sql$")


def read(root: Path) -> Source:
    source = Source("golang-migrate", root)
    versions: dict[int, dict] = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = NAME.match(path.name)
        if not match:
            if path.suffix == ".sql":
                source.skip(path, "name does not fit VERSION_title.up.sql / .down.sql: golang-migrate ignores it")
            continue
        entry = versions.setdefault(int(match["version"]), {"version": match["version"], "title": match["title"]})
        if match["direction"] in entry:
            source.skip(path, f"a second {match['direction']} file for version {match['version']}: "
                              "golang-migrate refuses the folder")
            continue
        entry[match["direction"]] = path
    for _, entry in sorted(versions.items()):
        if "up" not in entry:
            source.skip(entry["down"], "a down file without its up file")
            continue
        down = entry.get("down")
        source.migrations.append(SourceMigration(
            id=entry["version"], description=words(entry["title"] or entry["version"]),
            up=Part(entry["up"], read_text(entry["up"])),
            down=Part(down, read_text(down)) if down else None,
            year=year_of(entry["version"])))
    return source
