"""A fingerprint of the catalog: what a rollback must restore exactly.

The fingerprint is the inspection (toolkit/catalog/inspect.py) as canonical lines, one per object,
privileges and owners included: two fingerprints are equal when the lines are. Column positions are ranks
among live columns, so dropping and re-adding a column in the same place reads the same. Its differences
are said in words, as `toolkit diff` says them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .diff import differences
from .inspect import Inspection, inspect

# Which kinds and attributes a fingerprint holds. A fingerprint kept by a toolkit that compared fewer (it has no
# such line) cannot prove a rollback: what it lacks would all read as differences.
FORMAT = '["fingerprint format","every kind pg_dump writes",{}]'


@dataclass(frozen=True)
class Fingerprint:
    lines: tuple[str, ...]

    @property
    def comparable(self) -> bool:
        """Taken by this toolkit's inspection, so a fingerprint taken now can be compared with it."""
        return FORMAT in self.lines

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode()).hexdigest()

    def compare(self, now: Fingerprint, expected: str = "before", actual: str = "now",
                strict: bool = False) -> tuple[list[str], list[str]]:
        """(differences that fail a proof, differences no rollback can undo), each in words. The second holds a
        column's position (ALTER TABLE cannot put a re-added column back in its place) and a function body that
        differs only in whitespace (nothing a client sees); with strict they fail too."""
        failing, tolerated = [], []
        for difference in differences(Inspection.from_lines(self._objects()), Inspection.from_lines(now._objects())):
            said = difference.describe(actual, expected)
            (failing if strict or not _unrestorable(difference) else tolerated).append(said)
        return failing, tolerated

    def _objects(self) -> tuple[str, ...]:
        return tuple(line for line in self.lines if line != FORMAT)


def take_fingerprint(conn) -> Fingerprint:
    return Fingerprint(tuple(sorted(inspect(conn, with_privileges=True, parsed=False).lines() + (FORMAT,))))


def _unrestorable(difference) -> bool:
    if difference.kind == "column" and difference.attribute == "position":
        return True
    return difference.kind in ("function", "aggregate") and difference.attribute == "definition" and \
        isinstance(difference.actual, str) and isinstance(difference.expected, str) and \
        difference.actual.split() == difference.expected.split()
