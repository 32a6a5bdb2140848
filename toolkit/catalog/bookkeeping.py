"""Bookkeeping tables the inspection leaves out, each by exact identity, never by a name alone.

- The toolkit's own history (schema `toolkit`, or the schema a project named with `history-schema`, known by
  its `layout` table's exact columns beside `applied_migrations`) and fleet ledger (schema `toolkit_fleet`):
  these tables, in these schemas. Anything else a user puts in those schemas is compared like any other object.
- Another migration tool's history table: the table the tool itself finds (its name resolved on the search
  path, as the tool resolves it; Sqitch's registry in schema `sqitch`) with exactly the columns the tool
  creates. It is named in `diff` ("another tool's history, not compared"), not skipped in silence. A table
  that only has such a name (another schema, other columns) is an ordinary table and compared.
- With `adopt --from TOOL`: that tool's tables as its history reader finds them, whatever their columns.
"""

from __future__ import annotations

from dataclasses import dataclass

OWN_TABLES = {"toolkit": ("applied_migrations", "history", "phase_fingerprints", "layout"),
              "toolkit_fleet": ("rollouts", "rollout_targets")}


@dataclass(frozen=True)
class ToolTable:
    tool: str
    name: str  # as the tool finds it: bare (search path) or schema-qualified
    columns: tuple[frozenset[str], ...]  # each column set a version of the tool creates


def _cols(*names: str) -> frozenset[str]:
    return frozenset(names)


_SQITCH_PLANNED = ("committed_at", "committer_name", "committer_email", "planned_at", "planner_name",
                   "planner_email")
TOOL_TABLES = (
    ToolTable("yoyo", "_yoyo_migration", (_cols("migration_hash", "migration_id", "applied_at_utc"),)),
    ToolTable("yoyo", "_yoyo_log", (_cols("id", "migration_hash", "migration_id", "operation", "username",
                                          "hostname", "comment", "created_at_utc"),)),
    ToolTable("yoyo", "_yoyo_version", (_cols("version", "installed_at_utc"),)),
    ToolTable("yoyo", "yoyo_lock", (_cols("locked", "ctime", "pid"),)),
    ToolTable("alembic", "alembic_version", (_cols("version_num"),)),
    ToolTable("prisma", "_prisma_migrations", (_cols("id", "checksum", "finished_at", "migration_name", "logs",
                                                     "rolled_back_at", "started_at", "applied_steps_count"),)),
    ToolTable("flyway", "flyway_schema_history", (_cols("installed_rank", "version", "description", "type", "script",
                                                        "checksum", "installed_by", "installed_on",
                                                        "execution_time", "success"),)),
    ToolTable("goose", "goose_db_version", (_cols("id", "version_id", "is_applied", "tstamp"),)),
    ToolTable("golang-migrate", "schema_migrations", (_cols("version", "dirty"),)),
    ToolTable("dbmate", "schema_migrations", (_cols("version"),)),
    ToolTable("rails", "schema_migrations", (_cols("version"),)),
    ToolTable("rails", "ar_internal_metadata", (_cols("key", "value", "created_at", "updated_at"),)),
    ToolTable("diesel", "__diesel_schema_migrations", (_cols("version", "run_on"),)),
    ToolTable("sqitch", "sqitch.releases", (_cols("version", "installed_at", "installer_name", "installer_email"),)),
    ToolTable("sqitch", "sqitch.projects", (_cols("project", "uri", "created_at", "creator_name", "creator_email"),)),
    ToolTable("sqitch", "sqitch.changes", (_cols("change_id", "script_hash", "change", "project", "note",
                                                 *_SQITCH_PLANNED),)),
    ToolTable("sqitch", "sqitch.tags", (_cols("tag_id", "tag", "project", "change_id", "note", *_SQITCH_PLANNED),)),
    ToolTable("sqitch", "sqitch.dependencies", (_cols("change_id", "type", "dependency", "dependency_id"),)),
    ToolTable("sqitch", "sqitch.events", (_cols("event", "change_id", "change", "project", "note", "requires",
                                                "conflicts", "tags", *_SQITCH_PLANNED),)),
)

# The relations found as `name` resolves on the search path, with their column names.
_RESOLVED = """
SELECT wanted.name, c.oid, n.nspname, array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0)
FROM unnest(%(names)s::text[]) AS wanted(name)
JOIN pg_class c ON c.oid = to_regclass(wanted.name) AND c.relkind IN ('r', 'p')
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
GROUP BY wanted.name, c.oid, n.nspname
"""
_OWN = """
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN unnest(%(schemas)s::text[], %(tables)s::text[]) AS own(schema, tbl) ON own.schema = n.nspname
 AND own.tbl = c.relname AND c.relkind IN ('r', 'p')
"""


# Schemas holding a toolkit history under another name: its layout table, exactly as history.py creates it.
_RENAMED_HISTORY = """
SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = 'layout' AND c.relkind = 'r'
  AND EXISTS (SELECT FROM pg_class m WHERE m.relnamespace = n.oid AND m.relname = 'applied_migrations'
              AND m.relkind = 'r')
  AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) = '{installed_at,installed_by,version}'
"""


@dataclass
class Bookkeeping:
    """What one inspection leaves out: relation oids, schema names, and the other tools' tables it names."""

    relations: list[int]
    schemas: list[str]
    named: dict[str, str]  # "schema.table" -> the tool whose history it is


def find_bookkeeping(conn, adopting: str | None = None) -> Bookkeeping:
    """The toolkit's own tables, other tools' histories recognised by identity, and (adopting) that tool's."""
    histories = {schema: OWN_TABLES["toolkit"] for (schema,) in conn.execute(_RENAMED_HISTORY).fetchall()}
    own_tables = {**histories, **OWN_TABLES}
    own = [(schema, table) for schema, tables in own_tables.items() for table in tables]
    relations = [oid for (oid,) in conn.execute(_OWN, {"schemas": [s for s, _ in own],
                                                       "tables": [t for _, t in own]}).fetchall()]
    schemas = list(own_tables)
    named: dict[str, str] = {}
    names = sorted({table.name for table in TOOL_TABLES})
    for name, oid, schema, columns in conn.execute(_RESOLVED, {"names": names}).fetchall():
        tools = sorted({t.tool for t in TOOL_TABLES
                        if t.name == name and (t.tool == adopting or frozenset(columns or ()) in t.columns)})
        if tools:
            relations.append(oid)
            named[f"{schema}.{name.rpartition('.')[2]}"] = " or ".join(tools)
            if "." in name:
                schemas.append(schema)  # the registry's own schema (sqitch's)
    return Bookkeeping(sorted(set(relations)), sorted(set(schemas)), named)
