"""Other migration tools' history tables, read with plain SELECTs: never written, never created.

Each reader returns the tool's own ids it records as applied, and what it records as failed or half done.
Some tools record every migration (yoyo, Flyway, goose, diesel, dbmate, Rails, Prisma, Sqitch); alembic and
golang-migrate record only where they stand (the head revision, the current version): for those, `upto` is
set and every migration up to the mapped one counts as applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BadInput


@dataclass
class ForeignHistory:
    tool: str
    table: str
    applied: list[str] = field(default_factory=list)  # the tool's ids, in its order
    broken: list[str] = field(default_factory=list)  # "id: why", each refuses the adoption
    upto: bool = False  # the tool records where it stands, not each migration


def _rows(conn, table: str, query: str, tool: str):
    schema, _, name = table.rpartition(".")
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]
    if not exists:
        raise BadInput(f"--from {tool}: this database has no {table}, the table {tool} keeps its history in")
    return conn.execute(query).fetchall()


def _yoyo(conn) -> ForeignHistory:
    # yoyo's own get_backend() would create its lock table: the history table is read directly
    rows = _rows(conn, "_yoyo_migration", "SELECT migration_id FROM _yoyo_migration ORDER BY applied_at_utc, "
                                          "migration_id", "yoyo")
    return ForeignHistory("yoyo", "_yoyo_migration", [r[0] for r in rows])


def _alembic(conn) -> ForeignHistory:
    rows = _rows(conn, "alembic_version", "SELECT version_num FROM alembic_version ORDER BY 1", "alembic")
    history = ForeignHistory("alembic", "alembic_version", [r[0] for r in rows], upto=True)
    if len(rows) > 1:
        history.broken.append(f"{', '.join(r[0] for r in rows)}: several heads; merge them before adopting")
    return history


def _prisma(conn) -> ForeignHistory:
    rows = _rows(conn, "_prisma_migrations", "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT "
                                             "NULL FROM _prisma_migrations ORDER BY started_at, migration_name",
                 "prisma")
    history = ForeignHistory("prisma", "_prisma_migrations")
    for name, finished, rolled_back in rows:
        if rolled_back:
            continue  # rolled back (prisma migrate resolve): not applied
        if finished:
            history.applied.append(name)
        else:
            history.broken.append(f"{name}: started, never finished (prisma migrate resolve decides)")
    return history


def _flyway(conn) -> ForeignHistory:
    rows = _rows(conn, "flyway_schema_history", "SELECT version, success, type FROM flyway_schema_history "
                                                "WHERE version IS NOT NULL ORDER BY installed_rank", "flyway")
    history = ForeignHistory("flyway", "flyway_schema_history")
    for version, success, kind in rows:
        (history.applied if success else history.broken).append(version if success else f"{version}: failed")
        if kind == "BASELINE":
            history.upto = True  # a baseline stands for every version up to it
    return history


def _goose(conn) -> ForeignHistory:
    rows = _rows(conn, "goose_db_version", "SELECT DISTINCT ON (version_id) version_id, is_applied "
                                           "FROM goose_db_version WHERE version_id > 0 ORDER BY version_id, id DESC",
                 "goose")
    return ForeignHistory("goose", "goose_db_version", [str(v) for v, applied in rows if applied])


def _golang_migrate(conn) -> ForeignHistory:
    rows = _rows(conn, "schema_migrations", "SELECT version, dirty FROM schema_migrations", "golang-migrate")
    history = ForeignHistory("golang-migrate", "schema_migrations", upto=True)
    for version, dirty in rows:
        (history.broken if dirty else history.applied).append(
            f"{version}: dirty (a migration failed half way; golang-migrate force decides)" if dirty else str(version))
    return history


def _versions(tool: str, table: str, column: str = "version"):
    def read(conn) -> ForeignHistory:
        rows = _rows(conn, table, f"SELECT {column} FROM {table} ORDER BY 1", tool)
        return ForeignHistory(tool, table, [str(r[0]) for r in rows])
    return read


def _sqitch(conn) -> ForeignHistory:
    rows = _rows(conn, "sqitch.changes", "SELECT change FROM sqitch.changes ORDER BY committed_at", "sqitch")
    return ForeignHistory("sqitch", "sqitch.changes", [r[0] for r in rows])


READERS = {"yoyo": _yoyo, "alembic": _alembic, "prisma": _prisma, "flyway": _flyway, "goose": _goose,
           "golang-migrate": _golang_migrate, "diesel": _versions("diesel", "__diesel_schema_migrations"),
           "dbmate": _versions("dbmate", "schema_migrations"), "rails": _versions("rails", "schema_migrations"),
           "sqitch": _sqitch}


def read_history(conn, tool: str) -> ForeignHistory:
    if tool not in READERS:
        raise BadInput(f"--from {tool!r}: the toolkit reads the histories of {', '.join(READERS)}")
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")  # whatever happens, nothing of theirs is written
        return READERS[tool](conn)
