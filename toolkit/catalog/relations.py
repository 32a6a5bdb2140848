"""Catalog queries for tables and what hangs off them: columns, constraints, indexes, sequences, views, rules,
triggers, policies, extended statistics.

Each query returns one row per object: its name (schema-qualified, with the table for what belongs to one) and
a JSON object of the attributes pg_dump would write for it. Every query runs inside `WITH s AS (the schemas
compared)`; `%(excluded)s` holds the bookkeeping tables left out (toolkit/catalog/bookkeeping.py) and
`%(privileges)s` says whether owners and grants count.
"""

from __future__ import annotations

# objects an extension created are the extension's, compared through its version (pg_dump leaves them out too);
# %(extension_members)s is read once per inspection (a lookup in pg_depend per query cost 1-2 ms each, 40 times)
NOT_FROM_EXTENSION = "{oid} <> ALL (%(extension_members)s::oid[])"
OWNER = "'owner', CASE WHEN %(privileges)s THEN {owner}::regrole::text END"
# Grants as pg_dump sees them: a REVOKE can turn "the defaults" (NULL) into the same defaults written out, which
# grants nothing new, so grants equal to the object's defaults count as none.
ACL = "'acl', CASE WHEN %(privileges)s THEN nullif({acl}, acldefault('{kind}', {owner}))::text END"


def owned(owner: str, acl: str | None = None, kind: str = "r") -> str:
    """The owner and grants attributes, read only when privileges count. kind: acldefault's object type."""
    return OWNER.format(owner=owner) + (", " + ACL.format(acl=acl, kind=kind, owner=owner) if acl else "")


_KEPT = "c.oid <> ALL (%(excluded)s::oid[])"

RELATIONS = {
    "table": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('kind', c.relkind, 'persistence', c.relpersistence,
                   'row_security', c.relrowsecurity, 'forced_row_security', c.relforcerowsecurity,
                   'partition_of', (SELECT i.inhparent::regclass::text FROM pg_inherits i
                                    WHERE i.inhrelid = c.oid AND c.relispartition),
                   'partition_bound', pg_get_expr(c.relpartbound, c.oid),
                   'partition_key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                   'inherits', (SELECT json_agg(i.inhparent::regclass::text ORDER BY i.inhseqno) FROM pg_inherits i
                                WHERE i.inhrelid = c.oid AND NOT c.relispartition),
                   'options', c.reloptions, 'toast_options', (SELECT t.reloptions FROM pg_class t
                                                               WHERE t.oid = c.reltoastrelid),
                   'replica_identity', CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'n' THEN 'nothing'
                                                           WHEN 'i' THEN 'index' END,
                   'replica_identity_index', (SELECT x.indexrelid::regclass::text FROM pg_index x
                                              WHERE x.indrelid = c.oid AND x.indisreplident),
                   'clustered_on', (SELECT x.indexrelid::regclass::text FROM pg_index x
                                    WHERE x.indrelid = c.oid AND x.indisclustered),
                   'access_method', (SELECT amname FROM pg_am WHERE oid = c.relam),
                   'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace),
                   'of_type', CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END,
                   'server', (SELECT v.srvname FROM pg_foreign_table f JOIN pg_foreign_server v ON v.oid = f.ftserver
                              WHERE f.ftrelid = c.oid),
                   'foreign_options', (SELECT f.ftoptions FROM pg_foreign_table f WHERE f.ftrelid = c.oid),
                   {owned('c.relowner', 'c.relacl')})
        FROM pg_class c JOIN s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND {_KEPT} AND {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "column": f"""
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, a.attname),
               json_build_object('type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                   'default', pg_get_expr(d.adbin, d.adrelid), 'identity', nullif(a.attidentity, ''),
                   'generated', nullif(a.attgenerated, ''),
                   'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
                   'position', rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                   'statistics', nullif(a.attstattarget, -1),
                   'storage', CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'plain'
                              WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END END,
                   'compression', CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END,
                   'options', a.attoptions, 'fdw_options', a.attfdwoptions,
                   'inherited_only', CASE WHEN NOT a.attislocal THEN true END,
                   'acl', CASE WHEN %(privileges)s THEN nullif(a.attacl, '{{}}')::text END)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN s ON s.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c')
          AND {_KEPT} AND {NOT_FROM_EXTENSION.format(oid='c.oid')}
          AND (c.relkind <> 'c' OR {NOT_FROM_EXTENSION.format(oid='c.reltype')})""",
    "constraint": f"""
        SELECT format('%%s.%%s.%%s', s.nspname, coalesce(c.relname, t.typname), k.conname),
               json_build_object('definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated,
                                 'deferrable', k.condeferrable, 'deferred', k.condeferred,
                                 'inherited_only', CASE WHEN NOT k.conislocal THEN true END)
        FROM pg_constraint k
        JOIN s ON s.oid = k.connamespace
        LEFT JOIN pg_class c ON c.oid = k.conrelid
        LEFT JOIN pg_type t ON t.oid = k.contypid
        WHERE k.contypid = 0 AND k.conrelid <> ALL (%(excluded)s::oid[])
          AND {NOT_FROM_EXTENSION.format(oid='k.conrelid')}""",
    "index": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('definition', pg_get_indexdef(i.indexrelid), 'valid', i.indisvalid,
                   'partition_of', (SELECT h.inhparent::regclass::text FROM pg_inherits h WHERE h.inhrelid = c.oid),
                   'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace),
                   'statistics', (SELECT json_agg(json_build_array(a.attnum, a.attstattarget) ORDER BY a.attnum)
                                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attstattarget > 0))
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN s ON s.oid = c.relnamespace
        WHERE i.indrelid <> ALL (%(excluded)s::oid[]) AND {NOT_FROM_EXTENSION.format(oid='i.indrelid')}""",
    "sequence": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('type', format_type(q.seqtypid, NULL), 'start', q.seqstart,
                   'increment', q.seqincrement, 'min', q.seqmin, 'max', q.seqmax, 'cycle', q.seqcycle,
                   'cache', q.seqcache, 'persistence', c.relpersistence,
                   'owned_by', (SELECT format('%%s.%%s', d.refobjid::regclass, a.attname)
                                FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid
                                 AND a.attnum = d.refobjsubid
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')),
                   {owned('c.relowner', 'c.relacl', 's')})
        FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN s ON s.oid = c.relnamespace
        WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')
                          AND d.refobjid = ANY (%(excluded)s::oid[]))
          AND {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "view": f"""
        SELECT format('%%s.%%s', s.nspname, c.relname),
               json_build_object('kind', CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
                   'definition', pg_get_viewdef(c.oid), 'options', c.reloptions,
                   'access_method', (SELECT amname FROM pg_am WHERE oid = c.relam),
                   'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace),
                   {owned('c.relowner', 'c.relacl')})
        FROM pg_class c JOIN s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "rule": """
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, r.rulename),
               json_build_object('definition', pg_get_ruledef(r.oid), 'enabled', r.ev_enabled)
        FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN s ON s.oid = c.relnamespace
        WHERE r.rulename <> '_RETURN' OR c.relkind NOT IN ('v', 'm')""",
    "trigger": """
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, g.tgname),
               json_build_object('definition', pg_get_triggerdef(g.oid), 'enabled', g.tgenabled)
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN s ON s.oid = c.relnamespace
        WHERE NOT g.tgisinternal""",
    "policy": """
        SELECT format('%%s.%%s.%%s', s.nspname, c.relname, p.polname),
               json_build_object('command', p.polcmd, 'permissive', p.polpermissive,
                                 'roles', (SELECT json_agg(CASE r WHEN 0 THEN 'public' ELSE r::regrole::text END
                                                           ORDER BY 1) FROM unnest(p.polroles) AS r),
                                 'using', pg_get_expr(p.polqual, p.polrelid),
                                 'check', pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN s ON s.oid = c.relnamespace""",
    "statistics": f"""
        SELECT format('%%s.%%s', s.nspname, x.stxname),
               json_build_object('definition', pg_get_statisticsobjdef(x.oid),
                                 'target', nullif(x.stxstattarget, -1), {owned('x.stxowner')})
        FROM pg_statistic_ext x JOIN s ON s.oid = x.stxnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='x.oid')}""",
}
