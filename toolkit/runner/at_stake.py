"""What a rollback would take away: the tables its scripts drop, truncate or delete from that hold rows now.
The CLI asks on a terminal before such a rollback runs; a Python caller may ask its own way."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql


@dataclass(frozen=True)
class TableAtStake:
    table: str  # as the rollback names it
    rows_estimate: int | None  # the planner's estimate (pg_class.reltuples); None for a table never analyzed

    def __str__(self) -> str:
        return self.table if self.rows_estimate is None else f"{self.table} (about {self.rows_estimate:,} rows)"


def tables_at_stake(conn, tables) -> list[TableAtStake]:
    """Of `tables` ((schema or None, name) pairs), those that exist and hold at least one row. `EXISTS` reads one
    row, not the table; the count shown is the planner's estimate, so asking costs nothing on a big table."""
    found = []
    for schema, name in tables:
        identifier = sql.Identifier(*(part for part in (schema, name) if part))
        oid = conn.execute("SELECT to_regclass(%s)::oid", (identifier.as_string(conn),)).fetchone()[0]
        if oid is None or not conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(identifier)).fetchone()[0]:
            continue
        estimate = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s", (oid,)).fetchone()[0]
        found.append(TableAtStake(".".join(part for part in (schema, name) if part),
                                  estimate if estimate > 0 else None))
    return found
