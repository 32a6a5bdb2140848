"""What every source tool's folder is read into: migrations with their up, down and verify parts.

Each reader (one module per tool) only finds files, orders them, and cuts the parts out of them; the
writer turns the result into this layout. A part keeps its SQL exactly as the source has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..plan.files import read_bounded
from ..plan.sql import first_token


@dataclass(frozen=True)
class Part:
    """One script of a source migration, exactly as written."""

    path: Path
    text: str
    transactional: bool = True  # False when the tool was told to run it outside a transaction
    origin: str = ""  # what the header names when the part is not a whole file, e.g. "the '-- +goose Down' part"


@dataclass(frozen=True)
class SourceMigration:
    id: str  # the tool's own version or change name: what its history records
    description: str
    up: Part
    down: Part | None  # None: the tool has no down part for it
    verify: Part | None = None  # Sqitch's verify script, which becomes a post-check
    year: int | None = None  # from a timestamp version, for --phases year
    notes: tuple[str, ...] = ()  # what the toolkit does differently from the source tool here


@dataclass(frozen=True)
class Unmapped:
    """Something in the source folder that has no equivalent here: listed, never dropped silently."""

    path: str
    reason: str


class Source:
    """What a reader found in a source folder: its migrations in the tool's order, and what it set aside."""

    def __init__(self, tool: str, root: Path):
        self.tool = tool
        self.root = root
        self.migrations: list[SourceMigration] = []
        self.unmapped: list[Unmapped] = []

    def skip(self, path: Path, reason: str) -> None:
        self.unmapped.append(Unmapped(_relative(path, self.root), reason))

    def relative(self, path: Path) -> str:
        return _relative(path, self.root)


def read_text(path: Path) -> str:
    """A source file's text, with its line endings as they are (the converted file keeps its bytes)."""
    try:
        return read_bounded(path).decode("utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not valid UTF-8 (byte {exc.start})") from exc


def holds_sql(text: str) -> bool:
    """Whether a part holds anything but comments and blank space (a down part of comments only is an
    irreversible migration). Only the text up to its first token is read: parsing it all to ask this made a
    50 MB data migration parse twice. A part that holds SQL with an error holds SQL: the plan reports it."""
    position = first_token(text, 0, len(text))
    while position < len(text) and text[position] == ";":  # an empty statement is none
        position = first_token(text, position + 1, len(text))
    return position < len(text)


_YEAR = re.compile(r"^(?P<year>(19[7-9]|20\d|21\d)\d)[-_]?(0[1-9]|1[0-2])[-_]?[0-3]\d")


def year_of(version: str) -> int | None:
    """The year of a timestamp version (20190101000000, 2019-01-01-000000, 20190101_01_x), else None."""
    match = _YEAR.match(version)
    return int(match["year"]) if match else None


def sections(path: Path, text: str, marker: re.Pattern, known: tuple[str, ...]) -> dict[str, tuple[str, int, str]]:
    """Cuts a file that holds several parts (goose, dbmate) at its marker lines:
    {section: (text from its marker line to the next marker, line number, the marker's options)}.
    A marker twice, or one the tool does not know, is bad input naming the line."""
    found: dict[str, tuple[int, int, str]] = {}
    offset = 0
    order = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        match = marker.match(line)
        if match:
            name = match["name"]
            if name not in known:
                raise BadInput(f"{path}:{number}: unknown marker {line.strip()!r}")
            if name in found:
                raise BadInput(f"{path}:{number}: {line.strip()!r} appears twice")
            found[name] = (offset, number, (match["options"] or "").strip())
            order.append(name)
        offset += len(line)
    cut = {}
    for index, name in enumerate(order):
        start, number, options = found[name]
        end = found[order[index + 1]][0] if index + 1 < len(order) else len(text)
        cut[name] = (text[start:end], number, options)
    return cut


def words(text: str) -> str:
    """A description as words (the label is made from it)."""
    return " ".join(re.split(r"[\W_]+", text)).strip()


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
