"""Differences as statements: what takes one schema to another, each statement with the one that undoes it, in
the order and the transaction mode a DBA runs them. `toolkit diff --sql` prints them; `toolkit new --from-diff`
writes them as migrations with their rollbacks.

Lock-safe forms where PostgreSQL has them (the advice strong_migrations and squawk give, and the lint checks):
an index is built or dropped CONCURRENTLY IF [NOT] EXISTS outside a transaction (a rerun is safe); a foreign key
or check is added NOT VALID and validated in a later transaction (SHARE UPDATE EXCLUSIVE: writes go on); a
primary key or unique constraint is attached USING INDEX to an index built concurrently before; SET NOT NULL
follows a validated CHECK (column IS NOT NULL), which spares PostgreSQL 12+ its scan under ACCESS EXCLUSIVE.
What comes and goes with a table (its columns, indexes, constraints, triggers) is made in the table's
transaction and dropped with it. So there are four steps, each only when it holds something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from . import ddl, table_ddl
from .diff import Difference, differences
from .inspect import Inspection

STEPS = ("drop indexes", "main", "build indexes", "validate")
CONCURRENT = ("drop indexes", "build indexes")  # outside a transaction, one statement at a time
HOW = {"drop indexes": "outside a transaction, one statement at a time: indexes dropped concurrently",
       "main": "in one transaction",
       "build indexes": "outside a transaction, one statement at a time: indexes built concurrently",
       "validate": "in one transaction, after the indexes: constraints validated or attached to their index, "
                   "NOT NULL set"}

# Order inside a step, dependencies first: drops undo what depends on a thing before the thing; alters; creates.
_DROP = {"comment": 0, "policy": 1, "trigger": 2, "rule": 3, "statistics": 4, "view": 5, "foreign key": 6,
         "constraint": 7, "index": 8, "owned": 8, "column": 9, "table": 10, "sequence": 11, "function": 12,
         "type": 13, "extension": 14, "schema": 15}
_ALTER = 20
_CREATE = {"schema": 40, "extension": 41, "type": 42, "function": 43, "sequence": 44, "table": 45, "column": 46,
           "owned": 47, "constraint": 48, "index": 49, "foreign key": 50, "view": 51, "rule": 52, "trigger": 53,
           "policy": 54, "statistics": 55, "comment": 60}
_WITH_TABLE = ("column", "constraint", "index", "rule", "trigger", "policy")
_DROPS_DATA = re.compile(r"^(DROP (TABLE|SCHEMA)|ALTER TABLE \S+ DROP COLUMN)")


@dataclass(frozen=True)
class Change:
    """Statements for one difference (or a part of one) in one step, and those that undo them there."""

    step: str
    rank: int
    name: str
    said: str  # the difference as `diff` says it; "" for what rides along with another change
    do: tuple[str, ...]
    undo: tuple[str, ...] | None  # None: nothing undoes it (`irreversible` says why)
    irreversible: str = ""

    @property
    def drops_data(self) -> bool:
        return any(_DROPS_DATA.match(statement) for statement in self.do)


@dataclass
class ChangeSet:
    changes: list[Change] = field(default_factory=list)
    not_generated: list[str] = field(default_factory=list)  # each difference said, with why no statement

    def step(self, step: str) -> list[Change]:
        return sorted((c for c in self.changes if c.step == step), key=lambda c: (c.rank, c.name))

    @property
    def steps(self) -> list[str]:
        return [s for s in STEPS if any(c.do for c in self.changes if c.step == s)]


def plan_changes(have: Inspection, want: Inspection, have_said: str = "in the database",
                 want_said: str = "in the migrations") -> ChangeSet:
    """The changes that take a schema inspected as `have` to one inspected as `want`."""
    found = differences(want, have)  # each Difference's `actual` is have's, `expected` want's
    planner = _Planner(have, want, found, have_said, want_said)
    grouped: dict[tuple[str, str], list[Difference]] = {}
    for difference in found:
        grouped.setdefault((difference.kind, difference.name), []).append(difference)
    for (kind, name), group in grouped.items():
        said = "; ".join(d.describe(have_said, want_said) for d in group)
        written = len(planner.result.changes)
        try:
            planner.object(kind, name, group, said)
        except ddl.NotGenerated as why:  # nothing of it, not half: a drop without its create would lose it
            del planner.result.changes[written:]
            planner.result.not_generated.append(f"{said} ({why})")
    return planner.result


class _Planner:
    def __init__(self, have: Inspection, want: Inspection, found: list[Difference], have_said: str, want_said: str):
        self.have, self.want = have.objects, want.objects
        self.have_said, self.want_said = have_said, want_said
        self.result = ChangeSet()
        whole = [d for d in found if d.attribute is None]
        self.created = {d.name for d in whole if d.kind == "table" and d.actual is None}
        self.dropped = {d.name for d in whole if d.kind == "table" and d.expected is None}
        self.dropped_columns = {d.name for d in whole if d.kind == "column" and d.expected is None}
        self.composites = {name for side in (self.have, self.want) for name, a in side.get("type", {}).items()
                           if a.get("kind") == "c"}
        # a primary key's, unique or exclusion constraint's index carries the constraint's name: changed with it
        self.constraint_indexes = {self._index_of(d.name) for d in found
                                   if d.kind == "constraint" and self._owns_index(d.name)}

    def add(self, step: str, rank: int, name: str, said: str, do, undo, irreversible: str = "") -> None:
        self.result.changes.append(Change(step, rank, name, said, tuple(do),
                                          None if undo is None else tuple(undo), irreversible))

    def object(self, kind: str, name: str, group: list[Difference], said: str) -> None:
        first = group[0]
        whole = first.attribute is None
        a = (first.actual if first.expected is None else first.expected) if whole else self.want[kind][name]
        if whole and a.get("inherited_only"):
            return  # a partition's or child's copy: made and dropped with its parent's
        if kind == "constraint" and table_ddl.constraint_kind(a.get("definition") or "") == "not null":
            return  # PostgreSQL 18's NOT NULL rows: the column's not_null says it
        if kind in _WITH_TABLE and kind != "index":
            table = ddl.table_of(name)
            if table in self.composites:
                raise ddl.NotGenerated("composite types are not written by the toolkit")
            if table in self.created and kind == "column":
                return  # in its CREATE TABLE
            if table in self.created and first.expected is not None and kind != "constraint":
                # made after its table, in its transaction; undone by the table's DROP
                self.add("main", _CREATE[kind], name, said, ddl.create(kind, name, first.expected), ())
                return
            if table in self.dropped:
                if kind != "column" and first.actual is not None:  # dropped with its table; made again with it
                    self.add("main", _DROP.get(kind, 7), name, "", (), self._create_plain(kind, name, first.actual))
                return
        handler = {"table": self._table, "column": self._column, "constraint": self._constraint,
                   "index": self._index, "sequence": self._sequence}.get(kind)
        if whole:
            (handler or partial(self._whole, kind))(name, first.actual, first.expected, said)
        elif kind in ("column", "constraint", "index"):
            handler(name, self.have[kind][name], self.want[kind][name], said, group)
        else:
            self._attributes(kind, name, group, said)

    def unwritten(self, d: Difference, why: Exception) -> None:
        self.result.not_generated.append(f"{d.describe(self.have_said, self.want_said)} ({why})")

    # ---- generic: create, drop, alter in place, else drop and create again -------------------------------

    def _whole(self, kind: str, name: str, have: dict | None, want: dict | None, said: str) -> None:
        if want is not None:
            self.add("main", _CREATE[kind], name, said, ddl.create(kind, name, want), ddl.drop(kind, name, want))
        else:
            self.add("main", _DROP[kind], name, said, ddl.drop(kind, name, have), ddl.create(kind, name, have))

    def _attributes(self, kind: str, name: str, group: list[Difference], said: str) -> None:
        """Each attribute in place where an ALTER sets it (one that none sets is said, the others still
        written); when one needs the object made again, drop and create in one transaction."""
        have, want = self.have[kind][name], self.want[kind][name]
        alter = table_ddl.alter_table if kind == "table" else partial(ddl.alter, kind)
        do, undo, irreversible, written = [], [], "", []
        for d in group:
            try:
                forward = alter(name, d.attribute, d.actual, d.expected, want)
            except ddl.NotGenerated as why:
                self.unwritten(d, why)
                continue
            if forward is None:  # no ALTER for it: drop and create again, in one transaction
                self.add("main", _DROP[kind], name, said, ddl.drop(kind, name, have), ddl.create(kind, name, have))
                self.add("main", _CREATE[kind], name, "", ddl.create(kind, name, want), ddl.drop(kind, name, want))
                return
            do += forward
            written.append(d.describe(self.have_said, self.want_said))
            try:
                undo = (alter(name, d.attribute, d.expected, d.actual, have) or []) + undo
            except ddl.NotGenerated as why:
                irreversible = str(why)
        if do:
            self.add("main", _ALTER, name, "; ".join(written), do, None if irreversible else undo, irreversible)

    def _create_plain(self, kind: str, name: str, a: dict) -> list[str]:
        """An object made again with its table, as the table's own transaction makes it."""
        if kind == "constraint":
            return [table_ddl.add_constraint(name, a["definition"])]
        return ddl.create(kind, name, a)

    # ---- tables and their columns ------------------------------------------------------------------------

    def _table(self, name: str, have: dict | None, want: dict | None, said: str) -> None:
        if want is not None:
            self.add("main", _CREATE["table"], name, said,
                     table_ddl.create_table(name, want, self._columns(self.want, name)),
                     [f"DROP TABLE {ddl.qualified(name)}"])
        else:
            self.add("main", _DROP["table"], name, said, [f"DROP TABLE {ddl.qualified(name)}"],
                     table_ddl.create_table(name, have, self._columns(self.have, name)))

    def _columns(self, side: dict, table: str) -> list[tuple[str, dict]]:
        prefix = table + "."
        return [(name[len(prefix):], a) for name, a in side.get("column", {}).items()
                if name.startswith(prefix) and "." not in name[len(prefix):]]

    def _column(self, name: str, have: dict | None, want: dict | None, said: str, group=None) -> None:
        table, column = ddl.owner_and_member(name)
        bare = ddl.parts(name, 3)[2]
        if group is None:
            add = [f"ALTER TABLE {table} ADD COLUMN {table_ddl.column_definition(bare, want or have)}"]
            add += table_ddl.column_settings(table, bare, want or have)
            remove = [f"ALTER TABLE {table} DROP COLUMN {column}"]
            if want is not None:
                self.add("main", _CREATE["column"], name, said, add, remove)
            else:
                self.add("main", _DROP["column"], name, said, remove, add)
            return
        rest = [d for d in group if not (d.attribute == "not_null" and d.expected)]
        if rest:
            self._column_attributes(name, rest, have, want, said)
        for d in group:
            if d not in rest:  # SET NOT NULL after a validated CHECK: no scan under ACCESS EXCLUSIVE
                self._set_not_null(name, table, column, d.describe(self.have_said, self.want_said))

    def _set_not_null(self, name: str, table: str, column: str, said: str) -> None:
        check = _check_name(name)
        proof = f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"
        self.add("main", _ALTER, name, said, [proof], [f"ALTER TABLE {table} DROP CONSTRAINT {check}"])
        self.add("validate", 1, name, said, [f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}",
                                             f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL",
                                             f"ALTER TABLE {table} DROP CONSTRAINT {check}"],
                 [f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL", proof])

    def _column_attributes(self, name: str, group: list[Difference], have: dict, want: dict, said: str) -> None:
        do, undo, irreversible, written = [], [], "", []
        for d in group:
            try:
                do += table_ddl.alter_column(name, d.attribute, d.actual, d.expected, want)
            except ddl.NotGenerated as why:
                self.unwritten(d, why)
                continue
            written.append(d.describe(self.have_said, self.want_said))
            try:
                undo = table_ddl.alter_column(name, d.attribute, d.expected, d.actual, have) + undo
            except ddl.NotGenerated as why:
                irreversible = str(why)
        if do:
            self.add("main", _ALTER, name, "; ".join(written), do, None if irreversible else undo, irreversible)

    # ---- constraints and indexes -------------------------------------------------------------------------

    def _constraint(self, name: str, have: dict | None, want: dict | None, said: str, group=None) -> None:
        if group is not None:
            same = table_ddl.without_not_valid(have["definition"]) == table_ddl.without_not_valid(want["definition"])
            if {d.attribute for d in group} <= {"validated", "definition"} and same:  # only NOT VALID differs
                self._validated(name, have, want, said)
                return
            if "inherited_only" in {d.attribute for d in group}:
                raise ddl.NotGenerated("whether a constraint is inherited is how its table was made")
            self._constraint(name, have, None, said)
            self._constraint(name, None, want, "")
            return
        kind = table_ddl.constraint_kind((want or have)["definition"])
        rank = "foreign key" if kind == "foreign key" else "constraint"
        if want is None:
            self.add("main", _DROP[rank], name, said, [table_ddl.drop_constraint(name)],
                     self._restore_constraint(name, have))
        elif ddl.table_of(name) in self.created:  # undone by the table's DROP (a foreign key first: tables
            # dropped in any order must not reference each other)
            self.add("main", _CREATE[rank], name, said, [table_ddl.add_constraint(name, want["definition"])],
                     [table_ddl.drop_constraint(name)] if kind == "foreign key" else ())
        elif kind in ("foreign key", "check"):
            base = table_ddl.without_not_valid(want["definition"])
            self.add("main", _CREATE[rank], name, said, [table_ddl.add_constraint(name, base + " NOT VALID")],
                     [table_ddl.drop_constraint(name)])
            if want.get("validated", True):
                self._validated(name, {**want, "validated": False}, want, "")
        elif kind in ("primary key", "unique") and self._concurrent_index(name):
            index = self._index_of(name)
            build = table_ddl.create_index(self.want["index"][index]["definition"], True)
            self.add("build indexes", 1, index, "", [build], [table_ddl.drop_index(index, True)])
            self.add("validate", 2, name, said, [table_ddl.constraint_using_index(name, want["definition"])],
                     [table_ddl.drop_constraint(name)])
        else:
            self.add("main", _CREATE[rank], name, said, [table_ddl.add_constraint(name, want["definition"])],
                     [table_ddl.drop_constraint(name)])

    def _validated(self, name: str, have: dict, want: dict, said: str) -> None:
        base = table_ddl.without_not_valid(want["definition"])
        unvalidate = [table_ddl.drop_constraint(name), table_ddl.add_constraint(name, base + " NOT VALID")]
        if want.get("validated"):
            self.add("validate", 3, name, said, [table_ddl.validate_constraint(name)], unvalidate)
        else:
            self.add("main", _ALTER, name, said, unvalidate, [table_ddl.validate_constraint(name)])

    def _restore_constraint(self, name: str, have: dict) -> list[str]:
        if table_ddl.constraint_kind(have["definition"]) in ("foreign key", "check") and have.get("validated", True):
            base = table_ddl.without_not_valid(have["definition"])
            return [table_ddl.add_constraint(name, base + " NOT VALID"), table_ddl.validate_constraint(name)]
        return [table_ddl.add_constraint(name, have["definition"])]

    def _owns_index(self, constraint: str) -> bool:
        a = self.want.get("constraint", {}).get(constraint) or self.have.get("constraint", {}).get(constraint)
        return table_ddl.constraint_kind(a["definition"]) in ("primary key", "unique", "exclude")

    def _index_of(self, constraint: str) -> str:
        return f"{constraint.split('.', 1)[0]}.{constraint.rsplit('.', 1)[-1]}"

    def _concurrent_index(self, constraint: str) -> bool:
        index = self.want.get("index", {}).get(self._index_of(constraint))
        return bool(index) and not table_ddl.index_is_partitioned(index["definition"])

    def _index(self, name: str, have: dict | None, want: dict | None, said: str, group=None) -> None:
        if name in self.constraint_indexes or (want or have or {}).get("partition_of"):
            return  # made and dropped with its constraint, or with its partitioned parent's index
        table = _indexed_table((want or have)["definition"])
        if table in {ddl.qualified(t) for t in self.created}:
            self.add("main", _CREATE["index"], name, said, [table_ddl.create_index(want["definition"], False)], ())
            return
        if table in {ddl.qualified(t) for t in self.dropped}:
            self.add("main", _DROP["index"], name, "", (), [table_ddl.create_index(have["definition"], False)])
            return
        if group is not None:
            if {d.attribute for d in group} - {"definition", "valid"} or not want.get("valid", True):
                raise ddl.NotGenerated("an index's tablespace or statistics, or an INVALID index, is not written "
                                       "by the toolkit")
            self._index(name, have, None, said)
            self._index(name, None, want, "")
            return
        concurrent = not table_ddl.index_is_partitioned((want or have)["definition"])
        if want is not None:
            step = "build indexes" if concurrent else "main"
            self.add(step, 1 if concurrent else _CREATE["index"], name, said,
                     [table_ddl.create_index(want["definition"], concurrent)], [table_ddl.drop_index(name, concurrent)])
        else:
            step = "drop indexes" if concurrent else "main"
            self.add(step, 1 if concurrent else _DROP["index"], name, said, [table_ddl.drop_index(name, concurrent)],
                     [table_ddl.create_index(have["definition"], concurrent)])

    # ---- sequences: an identity column's comes and goes with it -----------------------------------------

    def _sequence(self, name: str, have: dict | None, want: dict | None, said: str) -> None:
        a = want or have
        if self._identity_owned(a, self.want if want is not None else self.have):
            return
        create, remove = ddl.create("sequence", name, a), ddl.drop("sequence", name, a)
        own, disown = ddl.owned_by(name, a), ([f"ALTER SEQUENCE {ddl.qualified(name)} OWNED BY NONE"]
                                              if a.get("owned_by") else [])
        if want is not None:
            self.add("main", _CREATE["sequence"], name, said, create, remove)
            if own:
                self.add("main", _CREATE["owned"], name, "", own, disown)
        elif self._owner_dropped(a):  # dropped with its column; made again before it, owned after it
            self.add("main", _DROP["sequence"], name, said, (), create)
            self.add("main", _DROP["owned"], name, "", (), own)
        else:
            self.add("main", _DROP["sequence"], name, said, remove, create + own)

    def _identity_owned(self, a: dict, side: dict) -> bool:
        owner = a.get("owned_by")
        return bool(owner) and any(c.get("identity") for n, c in side.get("column", {}).items()
                                   if owner in (n, n.split(".", 1)[1]))

    def _owner_dropped(self, a: dict) -> bool:
        owner = a.get("owned_by") or ""
        candidates = {owner, "public." + owner}
        return bool(candidates & self.dropped_columns) or any(
            c.rsplit(".", 1)[0] in self.dropped for c in candidates if c.count(".") == 2)


def _indexed_table(definition: str) -> str:
    match = re.search(r" ON (?:ONLY )?(.+?) USING ", definition)
    return match.group(1) if match else ""


def _check_name(column: str) -> str:
    """The temporary CHECK's name: the table's and column's, cut to fit 63 bytes (PostgreSQL 18 names its own
    NOT NULL constraints table_column_not_null, so not that)."""
    _schema, table, column = ddl.parts(column, 3)
    return ddl.ident(f"{table}_{column}"[:50] + "_is_not_null")


def as_sql(changes: ChangeSet, heading: str) -> str:
    """One script psql can run (`-f`), step by step, each saying how it runs; what has no statement, at the end."""
    lines = [f"-- {heading}", "-- Review before running. Lock-safe forms where PostgreSQL has them; each part says how "
             "it runs.", "SET lock_timeout = '2s';"]
    for number, step in enumerate(changes.steps, 1):
        lines += ["", f"-- {number} of {len(changes.steps)}: {HOW[step]}"]
        transaction = step not in CONCURRENT
        if transaction:
            lines.append("BEGIN;")
        for change in changes.step(step):
            if change.do and change.said:
                lines.append(f"-- {change.said}")
            lines += [statement + ";" for statement in change.do]
        if transaction:
            lines.append("COMMIT;")
    if changes.not_generated:
        lines += ["", "-- Not written (a human decides):"] + [f"--   {said}" for said in changes.not_generated]
    return "\n".join(lines) + "\n"
