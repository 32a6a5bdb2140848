"""`rehearse --rows N`: synthetic rows for a rehearsal when the copy has no data, so what it measures is real.

Before a phase is rehearsed, every empty table it names (altered, indexed, read, updated; not one it inserts into,
whose rows are the phase's to make), and every empty table their foreign keys reference, gets N rows, generated in
PostgreSQL by one `INSERT ... SELECT ... FROM generate_series(1, N)` each (parents first). A table that has rows
keeps them as they are: they are the user's data. Each column gets a value of its type from the row number `g`,
unique per row where the type allows (so UNIQUE and primary keys hold), a foreign key column a key its parent has
(row g takes the parent's row g, so a one-to-one key stays unique), a column with a default its default. A column
named like another table's key without a foreign key yet (user_id: users; plan_id: the one table ending in _plans)
takes that table's keys too: a later phase that adds the key, and its check for orphans, finds none.

CHECK constraints are not parsed into a solver: a few rows (g = 1, 2, 3, N/2, N) are tried first in a
savepoint, and a constraint they break names its columns, which then try other values of their types (the
literals the constraint names, a hexadecimal or capital string of the length a pattern asks, 0, 1, dates in
either order, NULL where allowed) until the rows pass. A table no combination satisfies is left empty and said.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

import psycopg
from pglast import ast
from psycopg import sql

from ..plan import Phase
from ..plan.text import nodes_in

_COMBINATIONS = 64  # value combinations tried per constraint before the table is given up
_PROBE = "SELECT DISTINCT unnest(ARRAY[1, 2, 3, greatest(%(n)s / 2, 1), %(n)s]) AS g"


@dataclass(frozen=True)
class Filled:
    table: str
    rows: int
    seconds: float
    note: str | None = None  # why it was left empty


def tables_named(phase: Phase) -> list[str]:
    """Every relation the phase's statements name, as written (schema-qualified when it is), but those it
    inserts into: their rows are what the phase makes (a backfill finding its table full would do nothing)."""
    names, inserted = {}, set()
    for migration in phase.migrations:
        for statement in migration.apply_script.statements:
            for node in nodes_in(statement.node):
                if isinstance(node, ast.RangeVar):
                    names[_name(node)] = True
                elif isinstance(node, ast.InsertStmt):
                    inserted.add(_name(node.relation))
    return [name for name in names if name not in inserted]


def _name(relation: ast.RangeVar) -> str:
    return ".".join(p for p in (relation.schemaname, relation.relname) if p)


_TABLES = """
SELECT c.oid FROM unnest(%s::text[]) AS named(name)
JOIN pg_class c ON c.oid = to_regclass(named.name) WHERE c.relkind = 'r'
"""
# (child, parent, constraint, its columns, the parent's): the declared foreign keys of these tables.
_DECLARED = """
SELECT k.conrelid, k.confrelid, k.conname,
       (SELECT array_agg(a.attname::text ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
       (SELECT array_agg(a.attname::text ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)
FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid = ANY(%(tables)s)
"""
# Columns that name another table's key without a foreign key yet (a later phase adds it, and its check finds
# orphans first): X_id where a table in the same schema is Xs, Xes or X, else the one table ending in _Xs,
# whose single-column primary key has the column's type. (child, column, parent, its key, 0 exact / 1 suffix)
_NAMED = r"""
SELECT a.attrelid, a.attname::text, p.oid, pa.attname::text,
       CASE WHEN p.relname IN (x.stem || 's', x.stem || 'es', x.stem) THEN 0 ELSE 1 END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
CROSS JOIN LATERAL (SELECT left(a.attname, -3) AS stem) AS x
JOIN pg_class p ON p.relnamespace = c.relnamespace AND p.relkind IN ('r', 'p') AND p.oid <> c.oid
 AND (p.relname IN (x.stem || 's', x.stem || 'es', x.stem) OR p.relname LIKE '%%\_' || x.stem || 's')
JOIN pg_constraint pk ON pk.conrelid = p.oid AND pk.contype = 'p' AND cardinality(pk.conkey) = 1
JOIN pg_attribute pa ON pa.attrelid = p.oid AND pa.attnum = pk.conkey[1] AND pa.atttypid = a.atttypid
WHERE a.attrelid = ANY(%(tables)s) AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%%\_id'
  AND NOT EXISTS (SELECT FROM pg_constraint f WHERE f.conrelid = a.attrelid AND f.contype = 'f'
                  AND a.attnum = ANY(f.conkey))
"""
_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(bt.typname, t.typname),
       coalesce(bt.typcategory, t.typcategory), coalesce(t.typtype = 'e' OR bt.typtype = 'e', false),
       a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), a.atthasdef OR a.attidentity = 'd',
       coalesce(nullif(t.typtypmod, -1), a.atttypmod),
       (SELECT string_agg(pg_get_constraintdef(k.oid), ' ') FROM pg_constraint k
        WHERE k.conrelid = a.attrelid AND k.contype = 'c' AND a.attnum = ANY(k.conkey))
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a'
ORDER BY a.attnum
"""
_CONSTRAINT = """
SELECT pg_get_constraintdef(k.oid), (SELECT array_agg(a.attname::text) FROM pg_attribute a
                                    WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey))
FROM pg_constraint k WHERE k.conrelid = %s AND k.conname = %s
"""


@dataclass
class _Column:
    name: str
    type: str  # as format_type spells it
    base: str  # the base type's name (a domain's)
    category: str  # pg_type.typcategory: N numeric, S string, D date/time, B boolean, A array, ...
    enum: bool
    not_null: bool
    has_default: bool  # a default, or an identity BY DEFAULT
    typmod: int
    checks: str | None  # the CHECK constraints that name it, as pg_get_constraintdef gives them
    parent: str | None = None  # a foreign key's value, when it has one

    @property
    def length(self) -> int | None:  # varchar(n), char(n)
        return self.typmod - 4 if self.category == "S" and self.typmod > 4 else None

    @property
    def digits(self) -> int | None:  # numeric(p, s): the digits before the point
        return ((self.typmod - 4) >> 16) - ((self.typmod - 4) & 0xFFFF) if self.base == "numeric" and \
            self.typmod > 4 else None

    @property
    def literals(self) -> list[str]:  # the strings its checks compare it with
        found = re.findall(r"('(?:[^']|'')*')::(?:text|character varying|bpchar)", self.checks or "")
        return list(dict.fromkeys(found))

    @property
    def pattern_lengths(self) -> list[int]:  # {n} in its checks' patterns
        return sorted({int(n) for n in re.findall(r"\{(\d+)\}", self.checks or "")})


def fill(conn: psycopg.Connection, phase: Phase, rows: int) -> list[Filled]:
    """N rows into each empty table the phase names and each empty table those reference, parents first."""
    named = [oid for (oid,) in conn.execute(_TABLES, (tables_named(phase),)).fetchall()]
    order, seen, frontier = [], set(), named
    while frontier:  # the tables, then their parents, then theirs
        fresh = [oid for oid in frontier if oid not in seen]
        seen.update(fresh)
        order.extend(fresh)
        frontier = [parent for _child, parent, *_ in _references(conn, fresh)] if fresh else []
    references = _references(conn, order)
    filled = []
    for oid in _parents_first(order, references):
        name, has_rows = _table_state(conn, oid)
        if has_rows:
            continue  # the user's rows stay as they are
        filled.append(_fill_table(conn, oid, name, rows, [r for r in references if r[0] == oid]))
    return filled


def _table_state(conn, oid: int) -> tuple[str, bool]:
    """(its name as regclass prints it, whether it has a row)."""
    name = conn.execute("SELECT %s::regclass::text", (oid,)).fetchone()[0]
    return name, conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.SQL(name))).fetchone()[0]


def _references(conn, oids: list[int]) -> list[tuple]:
    """(child, parent, constraint or None, columns, the parent's): declared keys, then the ones names imply, each
    column to the one best-named table (an exact name before a suffix; two equally good: none)."""
    found = [tuple(row) for row in conn.execute(_DECLARED, {"tables": oids}).fetchall()]
    candidates: dict[tuple[int, str], list[tuple[int, int, str]]] = {}
    for child, column, parent, key, rank in conn.execute(_NAMED, {"tables": oids}).fetchall():
        candidates.setdefault((child, column), []).append((rank, parent, key))
    for (child, column), options in candidates.items():
        best = min(rank for rank, _parent, _key in options)
        chosen = [(parent, key) for rank, parent, key in options if rank == best]
        if len(chosen) == 1:
            found.append((child, chosen[0][0], None, [column], [chosen[0][1]]))
    return found


def _parents_first(oids: list[int], references) -> list[int]:
    waiting = {oid: {parent for child, parent, *_ in references if child == oid and parent != oid and parent in oids}
               for oid in oids}
    ordered = []
    while waiting:
        ready = [oid for oid, parents in waiting.items() if not parents] or [next(iter(waiting))]  # a cycle: any
        for oid in ready:
            ordered.append(oid)
            del waiting[oid]
        for parents in waiting.values():
            parents.difference_update(ready)
    return ordered


def _fill_table(conn, oid: int, name: str, rows: int, references) -> Filled:
    started = time.monotonic()
    columns = {row[0]: _Column(*row) for row in conn.execute(_COLUMNS, (oid,)).fetchall()}
    keys, note = _foreign_keys(conn, columns, references)
    if note:
        return Filled(name, 0, 0.0, note)
    # a column with a default gets it, unless it is a key's (its value must be the parent's) or a check needs it
    choices = {c.name: _candidates(c, name) for c in columns.values() if not c.has_default or c.parent}
    chosen = {column: 0 for column in choices}
    tried: dict[str, itertools.product] = {}
    for _attempt in range(_COMBINATIONS * 4):
        insert = _insert(name, choices, chosen, keys)
        try:
            with conn.transaction():
                conn.execute(insert.replace("{source}", _PROBE), {"n": rows})
                raise _Probed
        except _Probed:
            break
        except (psycopg.errors.CheckViolation, psycopg.errors.NotNullViolation,
                psycopg.errors.NumericValueOutOfRange, psycopg.errors.StringDataRightTruncation,
                psycopg.errors.InvalidTextRepresentation, psycopg.errors.InvalidDatetimeFormat) as broken:
            involved = _involved(conn, oid, broken, columns)
            if not involved:
                return Filled(name, 0, 0.0, f"left empty: {broken.diag.message_primary}")
            for column in involved:  # a default that a check involves is replaced too
                choices.setdefault(column, _candidates(columns[column], name))
                chosen.setdefault(column, 0)
            key = ",".join(sorted(involved))
            if key not in tried:
                tried[key] = itertools.islice(itertools.product(*(range(len(choices[c])) for c in sorted(involved))),
                                              1, _COMBINATIONS)
            combination = next(tried[key], None)
            if combination is None:
                return Filled(name, 0, 0.0, f"left empty: no values found for {broken.diag.constraint_name or key}")
            chosen.update(zip(sorted(involved), combination))
        except psycopg.Error as other:
            return Filled(name, 0, 0.0, f"left empty: {other.diag.message_primary}")
    else:
        return Filled(name, 0, 0.0, "left empty: no values found for its checks")
    try:
        with conn.transaction():
            conn.execute(insert.replace("{source}", "SELECT generate_series(1, %(n)s) AS g"), {"n": rows})
    except psycopg.Error as failed:  # a UNIQUE a type cannot keep (a boolean, an enum), an exclusion
        return Filled(name, 0, 0.0, f"left empty: {failed.diag.message_primary}")
    conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(name)))  # estimates, as a restored copy would have
    return Filled(name, rows, round(time.monotonic() - started, 3))


class _Probed(Exception):
    """The probe rows went in: roll them back."""


def _involved(conn, oid: int, broken: psycopg.Error, columns: dict[str, _Column]) -> list[str]:
    if broken.diag.column_name in columns:
        return [broken.diag.column_name]
    row = conn.execute(_CONSTRAINT, (oid, broken.diag.constraint_name)).fetchone()
    return [c for c in (row[1] or ()) if c in columns] if row else []


def _foreign_keys(conn, columns: dict[str, _Column], references) -> tuple[list[tuple[str, str]], str | None]:
    """The CTEs holding each parent's keys; each key column's value reads its parent's row g."""
    ctes = []
    for i, (child, parent_oid, constraint, own, theirs) in enumerate(references):
        own = [c for c in own if c in columns]
        parent, has_rows = _table_state(conn, parent_oid)
        if parent_oid == child or not has_rows:
            if constraint is None:
                continue  # no key declared: its type's values
            if any(columns[c].not_null for c in own):
                return [], f"left empty: {constraint} needs rows in {parent}, which has none"
            for column in own:
                columns[column].parent = "NULL"
            continue
        keys = ", ".join(f"array_agg({_ident(c)} ORDER BY {', '.join(map(_ident, theirs))}) AS k{j}"
                         for j, c in enumerate(theirs))
        ctes.append((f"fk{i}", f"fk{i} AS MATERIALIZED (SELECT {keys} FROM {parent})"))
        for j, column in enumerate(own):
            columns[column].parent = f"fk{i}.k{j}[1 + (g - 1) % cardinality(fk{i}.k{j})]"
    return ctes, None


def _insert(table: str, choices, chosen, ctes) -> str:
    """The INSERT, its rows from `{source}` (a query giving g); % doubled, as psycopg reads the text."""
    names = list(chosen)
    values = ", ".join(choices[c][chosen[c]] for c in names).replace("%", "%%")
    with_ = f"WITH {', '.join(cte for _name, cte in ctes)} " if ctes else ""
    joined = "".join(f" CROSS JOIN {name}" for name, _cte in ctes)
    return (f"{with_}INSERT INTO {table} ({', '.join(map(_ident, names))}) "
            f"SELECT {values} FROM ({{source}}) AS rows{joined}")


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _candidates(column: _Column, table: str) -> list[str]:
    """Values to try, each an SQL expression of g, the first the one every row gets unless a check refuses it."""
    if column.parent:
        found = [column.parent]
    else:
        found = _by_type(column, table)
    if not column.not_null:
        found.append("NULL")
    return found


def _by_type(column: _Column, table: str) -> list[str]:
    cast = f"::{column.type}"
    seed = "'" + f"{table}.{column.name}".replace("'", "''") + "'"
    if column.enum:
        labels = f"enum_range(NULL{cast})"
        return [f"({labels})[1 + g % cardinality({labels})]", f"({labels})[1]", f"({labels})[cardinality({labels})]"]
    if column.category == "N":
        top = 32767 if column.base == "int2" else 10 ** column.digits - 1 if column.digits else None
        return [f"({'g' if top is None else f'g % {max(top, 1)}'}){cast}", f"(g % 100){cast}", f"1{cast}", f"0{cast}"]
    if column.category == "S":
        return [f"left(g || '_' || {seed}, {column.length or 200}){cast}", *_texts(column, cast)]
    if column.category == "B":
        return ["(g % 2 = 0)", "true", "false"]
    if column.base == "date":  # then later or earlier than a neighbour, in either order
        return ["(current_date - g % 3650)", *(f"(current_date + {k})" for k in (1, -1, 2, -2, 3, -3))]
    if column.base in ("timestamptz", "timestamp"):
        return [f"(now() - g * interval '1 minute'){cast}",
                *(f"(now() + {k} * interval '1 day'){cast}" for k in (1, -1, 2, -2, 3, -3))]
    if column.base in ("time", "timetz"):
        return [f"(time '00:00' + g * interval '1 second'){cast}"]
    if column.base == "uuid":
        return [f"md5({seed} || g)::uuid"]
    if column.base in ("jsonb", "json"):
        return [f"'{{}}'{cast}", f"jsonb_build_object('n', g){cast}", f"'[]'{cast}", f"'0'{cast}"]
    if column.base in ("inet", "cidr"):
        return [f"('10.0.0.0'::inet + g){cast}"]
    if column.base == "bytea":
        return ["decode(md5(g::text), 'hex')"]
    if column.base == "interval":
        return ["g * interval '1 second'"]
    if column.category == "A":
        return [f"'{{}}'{cast}"]
    if column.base == "tsvector":
        return [f"to_tsvector('simple', {seed} || g)"]
    return [f"NULL{cast}"]  # a type with no value of its own here: its NOT NULL says so


def _texts(column: _Column, cast: str) -> list[str]:
    """Strings the column's checks may want: of the lengths their patterns name, hexadecimal or capitals (a
    different one for each row while the length allows: UNIQUE holds), the literals they name, each row's in turn
    or one for all."""
    found = []
    for n in column.pattern_lengths or [3]:
        hexadecimal = f"lpad(to_hex(g), {n}, '0')" if n <= 15 else f"left(repeat(md5(g::text), {n // 32 + 1}), {n})"
        capitals = " || ".join(f"chr(65 + (g / {26 ** i}) % 26)" for i in reversed(range(min(n, 12))))
        found += [f"{hexadecimal}{cast}", f"({'repeat(' + repr('A') + ', ' + str(n - 12) + ') || ' if n > 12 else ''}"
                  f"{capitals}){cast}"]
    literals = column.literals
    if literals:
        found.append(f"(ARRAY[{', '.join(literals)}])[1 + g % {len(literals)}]{cast}")
        found += [f"{literal}{cast}" for literal in literals]
    return found
