"""The catalog as named objects: what `diff` compares, and what a rollback's fingerprint is made of.

One query per kind of object (after results' schemainspect, but on our own queries: migra/schemainspect are
unmaintained and break on current setuptools, and `results` pulls in SQLAlchemy to do the same): every kind
pg_dump --schema-only writes (relations.py for tables and what hangs off them, objects.py for the rest). Each
row is one object: its kind, its name (schema-qualified, with the table for columns, constraints, rules,
triggers and policies) and the attributes that matter for it; two objects are equal when their attributes are.
Left out: PostgreSQL's own schemas and built-in objects, objects an extension owns (compared through the
extension's version), and bookkeeping tables by exact identity (bookkeeping.py), which
`Inspection.foreign_histories` names when they are another tool's. Kinds pg_dump writes that are not compared
are said in `NOT_COMPARED`, wherever a comparison is reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .bookkeeping import find_bookkeeping
from .objects import NOT_COMPARED, OBJECTS
from .relations import RELATIONS

# Dependencies first, as pg_dump orders them, so a difference list reads from schemas down to comments.
QUERIES = {**{kind: OBJECTS[kind] for kind in ("schema", "extension", "type")}, **RELATIONS,
           **{kind: query for kind, query in OBJECTS.items() if kind not in ("schema", "extension", "type")}}

_SCHEMAS = """
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg_temp_%%' AND nspname NOT LIKE 'pg_toast_temp_%%'
"""

__all__ = ["NOT_COMPARED", "QUERIES", "Inspection", "inspect"]


@dataclass
class Inspection:
    """{kind: {name: attributes}} for every object the migrations could have made."""

    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    foreign_histories: dict[str, str] = field(default_factory=dict)  # "schema.table" -> the tool it belongs to

    def lines(self) -> tuple[str, ...]:
        """One canonical line per object: what a fingerprint stores and compares."""
        return tuple(sorted(json.dumps([kind, name, attributes], sort_keys=True, separators=(",", ":"))
                            for kind, named in self.objects.items() for name, attributes in named.items()))

    @classmethod
    def from_lines(cls, lines) -> Inspection:
        inspection = cls({kind: {} for kind in QUERIES})
        for line in lines:
            kind, name, attributes = json.loads(line)
            inspection.objects.setdefault(kind, {})[name] = attributes
        return inspection


def inspect(conn, with_privileges: bool = False, adopting: str | None = None) -> Inspection:
    """The catalog, read in one REPEATABLE READ snapshot so the kinds agree with each other. `adopting`: the
    tool whose history `adopt --from` reads, left out whatever its columns."""
    inspection = Inspection()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        left_out = find_bookkeeping(conn, adopting)
        params = {"privileges": with_privileges, "excluded": left_out.relations,
                  "bookkeeping_schemas": left_out.schemas}
        for kind, query in QUERIES.items():
            rows = conn.execute(f"WITH s AS ({_SCHEMAS}) {query}", params).fetchall()
            inspection.objects[kind] = {name: _without_nulls(attributes) for name, attributes in rows}
    inspection.foreign_histories = left_out.named
    return inspection


def _without_nulls(attributes: dict) -> dict:
    return {key: value for key, value in attributes.items() if value is not None}
