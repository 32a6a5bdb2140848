"""goose (Go): VERSION_name.sql holding `-- +goose Up` and `-- +goose Down` parts.

`-- +goose NO TRANSACTION` runs both parts outside a transaction. `-- +goose StatementBegin/End` mark a
statement holding semicolons for goose's own splitter; PostgreSQL's parser needs no help, and the lines
stay as the comments they are. Versions are integers (00001 or 20170506082420); .go migrations are code.
"""

from __future__ import annotations

import re
from pathlib import Path

from .source import Part, Source, SourceMigration, read_text, sections, words, year_of

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")
MARKER = re.compile(r"^\s*--\s*\+goose\s+(?P<name>Up|Down|StatementBegin|StatementEnd|NO TRANSACTION|ENVSUB"
                    r"|\S+)(?P<options>[^\n]*)$")
_PARTS = ("Up", "Down")


def read(root: Path) -> Source:
    source = Source("goose", root)
    found = []
    for path in sorted(root.iterdir()):
        if path.suffix == ".go":
            source.skip(path, "a Go migration is code, not SQL: write its SQL as a migration by hand")
            continue
        if path.suffix != ".sql":
            continue
        match = NAME.match(path.name)
        if not match:
            source.skip(path, "name does not fit VERSION_name.sql: goose ignores it too")
            continue
        found.append((int(match["version"]), match, path))
    for version, match, path in sorted(found, key=lambda item: item[0]):
        text = read_text(path)
        parts = _parts(path, text)
        if "Up" not in parts:
            source.skip(path, "no '-- +goose Up' line: goose refuses this file too")
            continue
        transactional = not any(m["name"] == "NO TRANSACTION" for m in _markers(text))
        notes = ()
        if any(m["name"] == "ENVSUB" and "ON" in m["options"].upper() for m in _markers(text)):
            notes = ("goose ENVSUB ON: ${VAR} in its SQL is not substituted by the toolkit",)
        up_text, _, _ = parts["Up"]
        down = parts.get("Down")
        source.migrations.append(SourceMigration(
            id=match["version"], description=words(match["name"]),
            up=Part(path, up_text, transactional, "its '-- +goose Up' part"),
            down=Part(path, down[0], transactional, "its '-- +goose Down' part") if down else None,
            year=year_of(match["version"]), notes=notes))
    return source


def _markers(text: str):
    return [m for m in map(MARKER.match, text.splitlines()) if m]


def _parts(path: Path, text: str) -> dict:
    """The Up and Down parts; the other annotations are lines inside them."""
    only_parts = re.compile(r"^\s*--\s*\+goose\s+(?P<name>Up|Down)\b(?P<options>[^\n]*)$")
    return sections(path, text, only_parts, _PARTS)
