"""Two inspections, compared object by object, in words a DBA reads.

One generic helper over name-keyed dicts (after results' dbdiff): what only one side has, and, for an object
both have, each attribute that differs. Sorted by kind, then name, so the output is the same every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from .inspect import QUERIES, Inspection

# Attribute names as a sentence says them.
_SAID = {"not_null": "NOT NULL", "row_security": "row security", "forced_row_security": "forced row security",
         "partition_of": "partition of", "partition_bound": "partition bound", "acl": "privileges",
         "partition_key": "partition key", "inherits": "inherits from", "options": "options (WITH)",
         "toast_options": "TOAST options", "replica_identity": "replica identity",
         "replica_identity_index": "replica identity index", "clustered_on": "clustered on",
         "access_method": "access method", "of_type": "of type", "foreign_options": "foreign table options",
         "fdw_options": "foreign data wrapper options", "owned_by": "owned by", "statistics": "statistics target",
         "inherited_only": "only inherited (not local)", "state_type": "state type",
         "moving_state_type": "moving state type", "sort_operator": "sort operator", "base_type": "base type"}
_KIND_ORDER = list(QUERIES)


@dataclass(frozen=True)
class Difference:
    kind: str  # "column", "index", ...
    name: str  # "public.users.email"
    attribute: str | None  # None: the whole object is on one side only
    actual: object  # in the database (None: missing there)
    expected: object  # what the migrations build (None: not built by them)

    def describe(self, actual: str = "in the database", expected: str = "in the migrations") -> str:
        name = f"{self.kind} {_short(self.name)}"
        if self.attribute is None:
            if self.expected is None:
                return f"{name}: {actual}, not {expected}"
            return f"{name}: {expected}, missing {actual.replace('in the', 'from the', 1)}"
        if self.attribute == "valid" and self.actual is False:
            return f"{name}: INVALID {actual}"
        if self.attribute == "validated":
            said = {True: "validated", False: "NOT VALID"}
            return f"{name}: {said[bool(self.actual)]} {actual}, {said[bool(self.expected)]} {expected}"
        what = _SAID.get(self.attribute, self.attribute)
        return f"{name}: {what} {_value(self.actual)} {actual}, {_value(self.expected)} {expected}"

    def as_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "attribute": self.attribute, "in_database": self.actual,
                "in_migrations": self.expected}


def differences(expected: Inspection, actual: Inspection) -> list[Difference]:
    found = []
    for kind in sorted(set(expected.objects) | set(actual.objects), key=_kind_rank):
        want, have = expected.objects.get(kind, {}), actual.objects.get(kind, {})
        for name in sorted(set(want) | set(have)):
            if name not in have:
                found.append(Difference(kind, name, None, None, want[name]))
            elif name not in want:
                found.append(Difference(kind, name, None, have[name], None))
            else:
                for attribute in sorted(set(want[name]) | set(have[name])):
                    if want[name].get(attribute) != have[name].get(attribute):
                        found.append(Difference(kind, name, attribute, have[name].get(attribute),
                                                want[name].get(attribute)))
    return found


def _kind_rank(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


def _short(name: str) -> str:
    return name.removeprefix("public.")


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    text = " ".join(str(value).split())
    return text if len(text) <= 120 else text[:117] + "..."
