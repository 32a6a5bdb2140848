"""A fingerprint of the catalog: what a rollback must restore exactly.

The fingerprint is a sorted list of one-line descriptions of every schema object
outside PostgreSQL's own schemas and the toolkit's bookkeeping schema. Column
positions are ranks among live columns, so dropping and re-adding a column in the
same place reads the same. Two fingerprints are equal when the lines are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import psycopg

_USER_SCHEMAS = """
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'toolkit')
      AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
"""

_QUERIES = {
    "schema": "SELECT format('schema %I', nspname) FROM s",
    "relation": """
        SELECT format('relation %I.%I kind=%s persistence=%s rls=%s force_rls=%s acl=%s',
                      s.nspname, c.relname, c.relkind, c.relpersistence,
                      c.relrowsecurity, c.relforcerowsecurity, c.relacl)
        FROM pg_class c JOIN s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')""",
    "column": """
        SELECT format('column %I.%I #%s %I %s not_null=%s default=%s identity=%s generated=%s',
                      s.nspname, c.relname,
                      rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                      a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                      pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN s ON s.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')""",
    "constraint": """
        SELECT format('constraint %I.%I %I %s validated=%s deferrable=%s',
                      s.nspname, coalesce(c.relname, t.typname), k.conname,
                      pg_get_constraintdef(k.oid), k.convalidated, k.condeferrable)
        FROM pg_constraint k
        JOIN s ON s.oid = k.connamespace
        LEFT JOIN pg_class c ON c.oid = k.conrelid
        LEFT JOIN pg_type t ON t.oid = k.contypid""",
    "index": """
        SELECT format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN s ON s.oid = c.relnamespace""",
    "view": """
        SELECT format('view %I.%I %s', s.nspname, c.relname, pg_get_viewdef(c.oid))
        FROM pg_class c JOIN s ON s.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')""",
    "sequence": """
        SELECT format('sequence %I.%I %s start=%s inc=%s min=%s max=%s cycle=%s',
                      s.nspname, c.relname, format_type(q.seqtypid, NULL),
                      q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcycle)
        FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN s ON s.oid = c.relnamespace""",
    "function": """
        SELECT format('function %s', pg_get_functiondef(p.oid))
        FROM pg_proc p JOIN s ON s.oid = p.pronamespace WHERE p.prokind IN ('f', 'p', 'w')""",
    "type": """
        SELECT format('type %I.%I kind=%s labels=%s base=%s', s.nspname, t.typname, t.typtype,
                      (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                       FROM pg_enum e WHERE e.enumtypid = t.oid),
                      format_type(t.typbasetype, t.typtypmod))
        FROM pg_type t JOIN s ON s.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'r', 'm')""",
    "trigger": """
        SELECT format('trigger %s enabled=%s', pg_get_triggerdef(g.oid), g.tgenabled)
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN s ON s.oid = c.relnamespace
        WHERE NOT g.tgisinternal""",
    "policy": """
        SELECT format('policy %I.%I %I cmd=%s permissive=%s roles=%s using=%s check=%s',
                      s.nspname, c.relname, p.polname, p.polcmd, p.polpermissive, p.polroles,
                      pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN s ON s.oid = c.relnamespace""",
    "extension": "SELECT format('extension %I %s', extname, extversion) FROM pg_extension",
}


@dataclass(frozen=True)
class Fingerprint:
    lines: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode()).hexdigest()

    def differences(self, other: Fingerprint) -> list[str]:
        """What `other` has that this lacks (+) and lacks that this has (-)."""
        mine, theirs = set(self.lines), set(other.lines)
        return [f"- {line}" for line in sorted(mine - theirs)] + [f"+ {line}" for line in sorted(theirs - mine)]


def take_fingerprint(conn: psycopg.Connection) -> Fingerprint:
    lines: list[str] = []
    with conn.transaction():
        # One snapshot for all queries, so the parts agree with each other.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for query in _QUERIES.values():
            rows = conn.execute(f"WITH s AS ({_USER_SCHEMAS}) {query}").fetchall()
            lines.extend(" ".join(row[0].split()) for row in rows)
    return Fingerprint(tuple(sorted(lines)))
