"""The catalog as named objects: what `diff` compares, and what a rollback's fingerprint is made of.

One query per kind of object (after results' schemainspect, but on our own queries: migra/schemainspect are
unmaintained and break on current setuptools, and `results` pulls in SQLAlchemy to do the same). Each row is
one object: its kind, its name (schema-qualified, with the table for columns, constraints, triggers and
policies) and the attributes that matter for it; two objects are equal when their attributes are. PostgreSQL's
own schemas, the toolkit's `toolkit` schema, objects an extension owns, and other migration tools' bookkeeping
(their history tables) are left out; `Inspection.foreign_histories` names the latter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# Other tools' history tables and schemas: never drift, reported once by name.
FOREIGN_HISTORIES = {
    "_yoyo_migration": "yoyo", "_yoyo_log": "yoyo", "_yoyo_version": "yoyo", "yoyo_lock": "yoyo",
    "alembic_version": "alembic", "_prisma_migrations": "prisma", "flyway_schema_history": "flyway",
    "goose_db_version": "goose", "schema_migrations": "golang-migrate, dbmate or rails",
    "ar_internal_metadata": "rails", "__diesel_schema_migrations": "diesel",
}
FOREIGN_SCHEMAS = {"sqitch": "sqitch"}

_SCHEMAS = """
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'toolkit')
      AND nspname NOT LIKE 'pg_temp_%%' AND nspname NOT LIKE 'pg_toast_temp_%%'
      AND nspname <> ALL (%(foreign_schemas)s)
"""
# objects an extension created are the extension's, compared through its version
_NOT_FROM_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
_NOT_FOREIGN = "c.relname <> ALL (%(foreign_tables)s)"

QUERIES = {
    "extension": """
        SELECT extname, json_build_object('version', extversion) FROM pg_extension""",
    "schema": """
        SELECT s.nspname, json_build_object('owner', CASE WHEN %(privileges)s THEN n.nspowner::regrole::text END,
                                            'acl', CASE WHEN %(privileges)s THEN n.nspacl::text END)
        FROM s JOIN pg_namespace n ON n.oid = s.oid""",
    "type": f"""
        SELECT format('%%s.%%s', s.nspname, t.typname),
               json_build_object('kind', t.typtype,
                   'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
                              WHERE e.enumtypid = t.oid),
                   'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                   'not_null', CASE WHEN t.typtype = 'd' THEN t.typnotnull END,
                   'default', t.typdefault,
                   'checks', (SELECT json_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k
                              WHERE k.contypid = t.oid))
        FROM pg_type t JOIN s ON s.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'r', 'm') AND {_NOT_FROM_EXTENSION.format(oid='t.oid')}""",
    "sequence": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('type', format_type(q.seqtypid, NULL), 'start', q.seqstart,
                                 'increment', q.seqincrement, 'min', q.seqmin, 'max', q.seqmax, 'cycle', q.seqcycle)
        FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN s ON s.oid = c.relnamespace
        WHERE NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                          WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND t.relname = ANY (%(foreign_tables)s))
          AND {_NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "table": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('kind', c.relkind, 'persistence', c.relpersistence,
                                 'row_security', c.relrowsecurity, 'forced_row_security', c.relforcerowsecurity,
                                 'partition_of', (SELECT i.inhparent::regclass::text FROM pg_inherits i
                                                  WHERE i.inhrelid = c.oid AND c.relispartition),
                                 'partition_bound', pg_get_expr(c.relpartbound, c.oid),
                                 'owner', CASE WHEN %(privileges)s THEN c.relowner::regrole::text END,
                                 'acl', CASE WHEN %(privileges)s THEN c.relacl::text END)
        FROM pg_class c JOIN s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND {_NOT_FOREIGN} AND {_NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "column": f"""
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, a.attname),
               json_build_object('type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                                 'default', pg_get_expr(d.adbin, d.adrelid), 'identity', nullif(a.attidentity, ''),
                                 'generated', nullif(a.attgenerated, ''),
                                 'collation', CASE WHEN a.attcollation <> t.typcollation
                                              THEN a.attcollation::regcollation::text END,
                                 'position', rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum))
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN s ON s.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c')
          AND {_NOT_FOREIGN} AND {_NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "constraint": f"""
        SELECT format('%%s.%%s.%%s', s.nspname, coalesce(c.relname, t.typname), k.conname),
               json_build_object('definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated,
                                 'deferrable', k.condeferrable, 'deferred', k.condeferred)
        FROM pg_constraint k
        JOIN s ON s.oid = k.connamespace
        LEFT JOIN pg_class c ON c.oid = k.conrelid
        LEFT JOIN pg_type t ON t.oid = k.contypid
        WHERE coalesce(c.relname, '') <> ALL (%(foreign_tables)s) AND k.contypid = 0
          AND {_NOT_FROM_EXTENSION.format(oid='k.conrelid')}""",
    "index": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('definition', pg_get_indexdef(i.indexrelid), 'valid', i.indisvalid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN s ON s.oid = c.relnamespace
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname <> ALL (%(foreign_tables)s) AND {_NOT_FROM_EXTENSION.format(oid='t.oid')}""",
    "view": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('kind', CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
                                 'definition', pg_get_viewdef(c.oid),
                                 'owner', CASE WHEN %(privileges)s THEN c.relowner::regrole::text END,
                                 'acl', CASE WHEN %(privileges)s THEN c.relacl::text END)
        FROM pg_class c JOIN s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {_NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "function": f"""
        SELECT format('%%s.%%s(%%s)', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
               json_build_object('definition', pg_get_functiondef(p.oid),
                                 'owner', CASE WHEN %(privileges)s THEN p.proowner::regrole::text END,
                                 'acl', CASE WHEN %(privileges)s THEN p.proacl::text END)
        FROM pg_proc p JOIN s ON s.oid = p.pronamespace
        WHERE p.prokind IN ('f', 'p', 'w') AND {_NOT_FROM_EXTENSION.format(oid='p.oid')}""",
    "trigger": """
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, g.tgname),
               json_build_object('definition', pg_get_triggerdef(g.oid), 'enabled', g.tgenabled)
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN s ON s.oid = c.relnamespace
        WHERE NOT g.tgisinternal AND c.relname <> ALL (%(foreign_tables)s)""",
    "policy": """
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, p.polname),
               json_build_object('command', p.polcmd, 'permissive', p.polpermissive,
                                 'roles', (SELECT json_agg(CASE r WHEN 0 THEN 'public' ELSE r::regrole::text END
                                                           ORDER BY 1) FROM unnest(p.polroles) AS r),
                                 'using', pg_get_expr(p.polqual, p.polrelid),
                                 'check', pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN s ON s.oid = c.relnamespace""",
    "comment": """
        SELECT format('on %%s', CASE WHEN d.classoid = 'pg_class'::regclass AND d.objsubid > 0
                                     THEN format('column %%s.%%s', d.objoid::regclass, a.attname)
                                     ELSE pg_describe_object(d.classoid, d.objoid, 0) END),
               json_build_object('text', d.description)
        FROM pg_description d
        LEFT JOIN pg_attribute a ON d.classoid = 'pg_class'::regclass AND a.attrelid = d.objoid
             AND a.attnum = d.objsubid
        -- 16384 is FirstNormalObjectId: the thousands of built-in objects' comments are passed over before
        -- pg_identify_object runs on each (it was most of a fingerprint's time); no object a migration made is below
        WHERE d.objoid >= 16384
          AND (pg_identify_object(d.classoid, d.objoid, 0)).schema IN (SELECT nspname FROM s)
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = d.objoid AND e.deptype = 'e')
          AND (d.classoid <> 'pg_class'::regclass
               OR (SELECT relname FROM pg_class WHERE oid = d.objoid) <> ALL (%(foreign_tables)s))""",
}


@dataclass
class Inspection:
    """{kind: {name: attributes}} for every object the migrations could have made."""

    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    foreign_histories: dict[str, str] = field(default_factory=dict)  # table or schema -> the tool it belongs to

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


def inspect(conn, with_privileges: bool = False) -> Inspection:
    """The catalog, read in one REPEATABLE READ snapshot so the kinds agree with each other."""
    params = {"privileges": with_privileges, "foreign_tables": list(FOREIGN_HISTORIES),
              "foreign_schemas": list(FOREIGN_SCHEMAS)}
    inspection = Inspection()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for kind, query in QUERIES.items():
            rows = conn.execute(f"WITH s AS ({_SCHEMAS}) {query}", params).fetchall()
            inspection.objects[kind] = {name: _without_nulls(attributes) for name, attributes in rows}
        found = conn.execute(
            """SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname = ANY (%(t)s)
               UNION SELECT nspname FROM pg_namespace WHERE nspname = ANY (%(s)s)""",
            {"t": list(FOREIGN_HISTORIES), "s": list(FOREIGN_SCHEMAS)}).fetchall()
    known = {**FOREIGN_HISTORIES, **FOREIGN_SCHEMAS}
    inspection.foreign_histories = {name: known[name] for (name,) in found}
    return inspection


def _without_nulls(attributes: dict) -> dict:
    return {key: value for key, value in attributes.items() if value is not None}
