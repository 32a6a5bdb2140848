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


@dataclass(frozen=True)
class Fingerprint:
    lines: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode()).hexdigest()

    def differences(self, now: Fingerprint, expected: str = "before", actual: str = "now") -> list[str]:
        """What differs in `now` from this fingerprint, one sentence each."""
        return [d.describe(actual, expected)
                for d in differences(Inspection.from_lines(self.lines), Inspection.from_lines(now.lines))]


def take_fingerprint(conn) -> Fingerprint:
    return Fingerprint(inspect(conn, with_privileges=True).lines())
