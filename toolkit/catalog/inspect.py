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
    # the attributes as the server wrote them (jsonb's canonical text): lines are made from these without
    # parsing and writing 12,000 JSON objects again, which was half of a fingerprint's time at 1,000 tables
    texts: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.texts and not self.objects:
            self.objects = {kind: {name: json.loads(text) for name, text in named.items()}
                            for kind, named in self.texts.items()}

    def lines(self) -> tuple[str, ...]:
        """One canonical line per object: what a fingerprint stores and compares."""
        if self.texts:
            return tuple(sorted(f"[{json.dumps(kind)},{json.dumps(name)},{text}]"
                                for kind, named in self.texts.items() for name, text in named.items()))
        return tuple(sorted(json.dumps([kind, name, attributes], sort_keys=True, separators=(",", ":"))
                            for kind, named in self.objects.items() for name, attributes in named.items()))

    @classmethod
    def from_lines(cls, lines) -> Inspection:
        inspection = cls({kind: {} for kind in QUERIES})
        for line in lines:
            kind, name, attributes = json.loads(line)
            inspection.objects.setdefault(kind, {})[name] = attributes
        return inspection


def inspect(conn, with_privileges: bool = False, adopting: str | None = None, parsed: bool = True) -> Inspection:
    """The catalog, read in one REPEATABLE READ snapshot so the kinds agree with each other. `adopting`: the
    tool whose history `adopt --from` reads, left out whatever its columns. parsed=False leaves the attributes
    as text (all a fingerprint needs)."""
    texts = {}
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # the catalog queries are short; compiling them (jit, on by default) took most of their time at 1,000 tables
        conn.execute("SET LOCAL jit = off")
        left_out = find_bookkeeping(conn, adopting)
        members = [oid for (oid,) in conn.execute("SELECT objid FROM pg_depend WHERE deptype = 'e'").fetchall()]
        params = {"privileges": with_privileges, "excluded": left_out.relations,
                  "bookkeeping_schemas": left_out.schemas, "extension_members": members}
        for kind, query in QUERIES.items():
            rows = conn.execute(f"WITH s AS ({_SCHEMAS}) SELECT name, json_strip_nulls(attributes)::jsonb::text "
                                f"FROM ({query}) AS found (name, attributes)", params).fetchall()
            texts[kind] = dict(rows)
    inspection = Inspection(texts=texts) if parsed else Inspection({kind: {} for kind in texts}, texts=texts)
    inspection.foreign_histories = left_out.named
    return inspection
