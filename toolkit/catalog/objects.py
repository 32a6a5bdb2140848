"""Catalog queries for everything that is not a table's: schemas, extensions, types, routines, operators, casts,
collations, conversions, text search, publications, subscriptions, foreign data wrappers, event triggers,
languages, default privileges, comments, security labels.

Same shape as relations.py: one row per object, its name and the attributes pg_dump writes for it. Objects
with no schema (casts, languages, event triggers, ...) count from FirstNormalObjectId (16384): those below it
are PostgreSQL's own, which pg_dump leaves out too.
"""

from __future__ import annotations

from .relations import NOT_FROM_EXTENSION, owned

_USER = "{oid} >= 16384 AND " + NOT_FROM_EXTENSION
_ROUTINE = "format('%%s.%%s(%%s)', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid))"
# An auto-made array type, and a table's or view's row type, come and go with their owner: not objects here.
_OWN_TYPE = """NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')"""

OBJECTS = {
    "schema": f"""
        SELECT s.nspname, json_build_object({owned('n.nspowner', 'n.nspacl', 'n')})
        FROM s JOIN pg_namespace n ON n.oid = s.oid
        WHERE s.nspname <> ALL (%(bookkeeping_schemas)s)""",
    "extension": """
        SELECT e.extname, json_build_object('version', e.extversion, 'schema', e.extnamespace::regnamespace::text)
        FROM pg_extension e""",
    "type": f"""
        SELECT format('%%s.%%s', s.nspname, t.typname),
               json_build_object('kind', t.typtype,
                   'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
                              WHERE e.enumtypid = t.oid),
                   'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                   'not_null', CASE WHEN t.typtype = 'd' THEN t.typnotnull END,
                   'default', t.typdefault,
                   'collation', CASE WHEN t.typtype = 'd' AND t.typcollation <> (SELECT typcollation FROM pg_type
                                     WHERE oid = t.typbasetype) THEN t.typcollation::regcollation::text END,
                   'checks', (SELECT json_agg(json_build_array(k.conname, pg_get_constraintdef(k.oid), k.convalidated)
                                              ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid),
                   'range', (SELECT json_build_object('subtype', r.rngsubtype::regtype::text,
                                 'collation', nullif(r.rngcollation, 0)::regcollation::text,
                                 'opclass', r.rngsubopc::regclass::text, 'canonical', r.rngcanonical::regproc::text,
                                 'subdiff', r.rngsubdiff::regproc::text,
                                 'multirange', r.rngmultitypid::regtype::text)
                             FROM pg_range r WHERE r.rngtypid = t.oid),
                   'base_type', CASE WHEN t.typtype = 'b' THEN json_build_object(
                                 'input', t.typinput::regproc::text, 'output', t.typoutput::regproc::text,
                                 'receive', t.typreceive::regproc::text, 'send', t.typsend::regproc::text,
                                 'modin', t.typmodin::regproc::text, 'modout', t.typmodout::regproc::text,
                                 'analyze', t.typanalyze::regproc::text, 'subscript', t.typsubscript::regproc::text,
                                 'length', t.typlen, 'by_value', t.typbyval, 'align', t.typalign,
                                 'storage', t.typstorage, 'category', t.typcategory, 'preferred', t.typispreferred,
                                 'delimiter', t.typdelim, 'element', nullif(t.typelem, 0)::regtype::text,
                                 'collatable', t.typcollation <> 0) END,
                   {owned('t.typowner', 't.typacl', 'T')})
        FROM pg_type t JOIN s ON s.oid = t.typnamespace
        WHERE t.typtype IN ('b', 'c', 'd', 'e', 'p', 'r') AND t.typtype <> 'm' AND {_OWN_TYPE}
          AND {NOT_FROM_EXTENSION.format(oid='t.oid')}""",
    "function": f"""
        SELECT {_ROUTINE}, json_build_object('definition', pg_get_functiondef(p.oid), {owned('p.proowner', 'p.proacl', 'f')})
        FROM pg_proc p JOIN s ON s.oid = p.pronamespace
        WHERE p.prokind IN ('f', 'p', 'w') AND {NOT_FROM_EXTENSION.format(oid='p.oid')}""",
    "aggregate": f"""
        SELECT {_ROUTINE},
               json_build_object('aggregate', to_jsonb(g) - 'aggfnoid' - 'aggtransfn' - 'aggfinalfn' - 'aggcombinefn'
                                 - 'aggserialfn' - 'aggdeserialfn' - 'aggmtransfn' - 'aggminvtransfn' - 'aggmfinalfn'
                                 - 'aggsortop' - 'aggtranstype' - 'aggmtranstype',
                   'functions', json_build_array(g.aggtransfn::regproc::text, g.aggfinalfn::regproc::text,
                                g.aggcombinefn::regproc::text, g.aggserialfn::regproc::text,
                                g.aggdeserialfn::regproc::text, g.aggmtransfn::regproc::text,
                                g.aggminvtransfn::regproc::text, g.aggmfinalfn::regproc::text),
                   'state_type', g.aggtranstype::regtype::text, 'moving_state_type', g.aggmtranstype::regtype::text,
                   'sort_operator', nullif(g.aggsortop, 0)::regoperator::text,
                   'result', format_type(p.prorettype, NULL), 'parallel', p.proparallel, 'strict', p.proisstrict,
                   {owned('p.proowner', 'p.proacl', 'f')})
        FROM pg_proc p JOIN pg_aggregate g ON g.aggfnoid = p.oid JOIN s ON s.oid = p.pronamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='p.oid')}""",
    "operator": f"""
        SELECT format('%%s.%%s(%%s, %%s)', s.nspname, o.oprname, o.oprleft::regtype, o.oprright::regtype),
               json_build_object('function', o.oprcode::regproc::text, 'result', o.oprresult::regtype::text,
                   'commutator', nullif(o.oprcom, 0)::regoperator::text,
                   'negator', nullif(o.oprnegate, 0)::regoperator::text,
                   'restrict', nullif(o.oprrest, 0)::regproc::text, 'join', nullif(o.oprjoin, 0)::regproc::text,
                   'merges', o.oprcanmerge, 'hashes', o.oprcanhash, {owned('o.oprowner')})
        FROM pg_operator o JOIN s ON s.oid = o.oprnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='o.oid')}""",
    "operator family": f"""
        SELECT format('%%s.%%s using %%s', s.nspname, f.opfname, m.amname),
               json_build_object(
                   'operators', (SELECT json_agg(json_build_array(a.amopstrategy, a.amopopr::regoperator::text,
                                 a.amoplefttype::regtype::text, a.amoprighttype::regtype::text, a.amoppurpose,
                                 nullif(a.amopsortfamily, 0)::text) ORDER BY 1, 2, 3, 4)
                                 FROM pg_amop a WHERE a.amopfamily = f.oid),
                   'functions', (SELECT json_agg(json_build_array(a.amprocnum, a.amproc::regprocedure::text,
                                 a.amproclefttype::regtype::text, a.amprocrighttype::regtype::text) ORDER BY 1, 2, 3, 4)
                                 FROM pg_amproc a WHERE a.amprocfamily = f.oid),
                   {owned('f.opfowner')})
        FROM pg_opfamily f JOIN pg_am m ON m.oid = f.opfmethod JOIN s ON s.oid = f.opfnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='f.oid')}""",
    "operator class": f"""
        SELECT format('%%s.%%s using %%s', s.nspname, c.opcname, m.amname),
               json_build_object('family', (SELECT format('%%s.%%s', opfnamespace::regnamespace, opfname)
                                            FROM pg_opfamily WHERE oid = c.opcfamily),
                   'type', c.opcintype::regtype::text, 'default', c.opcdefault,
                   'storage', nullif(c.opckeytype, 0)::regtype::text, {owned('c.opcowner')})
        FROM pg_opclass c JOIN pg_am m ON m.oid = c.opcmethod JOIN s ON s.oid = c.opcnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "cast": f"""
        SELECT format('%%s AS %%s', c.castsource::regtype, c.casttarget::regtype),
               json_build_object('function', nullif(c.castfunc, 0)::regprocedure::text, 'context', c.castcontext,
                                 'method', c.castmethod)
        FROM pg_cast c WHERE {_USER.format(oid='c.oid')}""",
    "collation": f"""
        SELECT format('%%s.%%s', s.nspname, c.collname),
               json_build_object('collation', to_jsonb(c) - 'oid' - 'collname' - 'collnamespace' - 'collowner'
                                              - 'collversion', {owned('c.collowner')})
        FROM pg_collation c JOIN s ON s.oid = c.collnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "conversion": f"""
        SELECT format('%%s.%%s', s.nspname, c.conname),
               json_build_object('from', pg_encoding_to_char(c.conforencoding),
                                 'to', pg_encoding_to_char(c.contoencoding), 'function', c.conproc::regproc::text,
                                 'default', c.condefault, {owned('c.conowner')})
        FROM pg_conversion c JOIN s ON s.oid = c.connamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "text search configuration": f"""
        SELECT format('%%s.%%s', s.nspname, c.cfgname),
               json_build_object('parser', (SELECT format('%%s.%%s', prsnamespace::regnamespace, prsname) FROM pg_ts_parser
                              WHERE oid = c.cfgparser),
                   'mapping', (SELECT json_agg(json_build_array(m.maptokentype, m.mapseqno, m.mapdict::regdictionary::text)
                                               ORDER BY 1, 2) FROM pg_ts_config_map m WHERE m.mapcfg = c.oid),
                   {owned('c.cfgowner')})
        FROM pg_ts_config c JOIN s ON s.oid = c.cfgnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='c.oid')}""",
    "text search dictionary": f"""
        SELECT format('%%s.%%s', s.nspname, d.dictname),
               json_build_object('template', (SELECT format('%%s.%%s', tmplnamespace::regnamespace, tmplname)
                                              FROM pg_ts_template WHERE oid = d.dicttemplate),
                                 'options', d.dictinitoption, {owned('d.dictowner')})
        FROM pg_ts_dict d JOIN s ON s.oid = d.dictnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='d.oid')}""",
    "text search parser": f"""
        SELECT format('%%s.%%s', s.nspname, p.prsname),
               json_build_object('functions', json_build_array(p.prsstart::regproc::text, p.prstoken::regproc::text,
                                 p.prsend::regproc::text, p.prsheadline::regproc::text, p.prslextype::regproc::text))
        FROM pg_ts_parser p JOIN s ON s.oid = p.prsnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='p.oid')}""",
    "text search template": f"""
        SELECT format('%%s.%%s', s.nspname, t.tmplname),
               json_build_object('init', t.tmplinit::regproc::text, 'lexize', t.tmpllexize::regproc::text)
        FROM pg_ts_template t JOIN s ON s.oid = t.tmplnamespace
        WHERE {NOT_FROM_EXTENSION.format(oid='t.oid')}""",
    "publication": f"""
        SELECT p.pubname,
               json_build_object('publication', to_jsonb(p) - 'oid' - 'pubname' - 'pubowner',
                   'tables', (SELECT json_agg(json_build_array(r.prrelid::regclass::text, pg_get_expr(r.prqual, r.prrelid),
                                  (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                                   WHERE a.attrelid = r.prrelid AND a.attnum = ANY (r.prattrs)))
                                  ORDER BY 1) FROM pg_publication_rel r WHERE r.prpubid = p.oid),
                   'schemas', (SELECT json_agg(n.pnnspid::regnamespace::text ORDER BY 1)
                               FROM pg_publication_namespace n WHERE n.pnpubid = p.oid),
                   {owned('p.pubowner')})
        FROM pg_publication p""",
    # the connection string (subconninfo) may hold a password, and only a superuser may read it: not compared
    "subscription": f"""
        SELECT b.subname, json_build_object('enabled', b.subenabled, 'publications', b.subpublications,
                                            'slot', b.subslotname, {owned('b.subowner')})
        FROM pg_subscription b WHERE b.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())""",
    "foreign data wrapper": f"""
        SELECT w.fdwname, json_build_object('handler', nullif(w.fdwhandler, 0)::regproc::text,
                                            'validator', nullif(w.fdwvalidator, 0)::regproc::text,
                                            'options', w.fdwoptions, {owned('w.fdwowner', 'w.fdwacl', 'F')})
        FROM pg_foreign_data_wrapper w WHERE {_USER.format(oid='w.oid')}""",
    "server": f"""
        SELECT v.srvname, json_build_object('wrapper', (SELECT fdwname FROM pg_foreign_data_wrapper
                                                       WHERE oid = v.srvfdw),
                                            'type', v.srvtype, 'version', v.srvversion, 'options', v.srvoptions,
                                            {owned('v.srvowner', 'v.srvacl', 'S')})
        FROM pg_foreign_server v WHERE {_USER.format(oid='v.oid')}""",
    # which role maps to which server; the options (a password, often) are not compared
    "user mapping": """
        SELECT format('for %%s on %%s', u.usename, u.srvname), json_build_object('exists', true)
        FROM pg_user_mappings u""",
    "event trigger": f"""
        SELECT e.evtname, json_build_object('event', e.evtevent, 'function', e.evtfoid::regproc::text,
                                            'tags', e.evttags, 'enabled', e.evtenabled, {owned('e.evtowner')})
        FROM pg_event_trigger e WHERE {_USER.format(oid='e.oid')}""",
    "language": f"""
        SELECT l.lanname, json_build_object('trusted', l.lanpltrusted, 'handler', l.lanplcallfoid::regproc::text,
                                            'inline', nullif(l.laninline, 0)::regproc::text,
                                            'validator', nullif(l.lanvalidator, 0)::regproc::text,
                                            {owned('l.lanowner', 'l.lanacl', 'l')})
        FROM pg_language l WHERE {_USER.format(oid='l.oid')}""",
    "transform": f"""
        SELECT format('for %%s language %%s', t.trftype::regtype, (SELECT lanname FROM pg_language
                                                                    WHERE oid = t.trflang)),
               json_build_object('from_sql', nullif(t.trffromsql, 0)::regprocedure::text,
                                 'to_sql', nullif(t.trftosql, 0)::regprocedure::text)
        FROM pg_transform t WHERE {_USER.format(oid='t.oid')}""",
    "access method": f"""
        SELECT a.amname, json_build_object('type', a.amtype, 'handler', a.amhandler::regproc::text)
        FROM pg_am a WHERE {_USER.format(oid='a.oid')}""",
    "default privileges": """
        SELECT format('for %%s%%s on %%s', d.defaclrole::regrole,
                      CASE WHEN d.defaclnamespace <> 0 THEN ' in schema ' || d.defaclnamespace::regnamespace END,
                      CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                           WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE d.defaclobjtype::text END),
               json_build_object('acl', d.defaclacl::text)
        FROM pg_default_acl d WHERE %(privileges)s""",
    "comment": """
        SELECT format('on %%s', CASE WHEN d.classoid = 'pg_class'::regclass AND d.objsubid > 0
                                     THEN format('column %%s.%%s', d.objoid::regclass, a.attname)
                                     ELSE pg_describe_object(d.classoid, d.objoid, 0) END),
               json_build_object('text', d.description)
        FROM pg_description d
        LEFT JOIN pg_attribute a ON d.classoid = 'pg_class'::regclass AND a.attrelid = d.objoid
             AND a.attnum = d.objsubid
        -- below 16384 (FirstNormalObjectId) are the built-in objects' comments: passed over before
        -- pg_identify_object runs on each (it was most of a fingerprint's time)
        WHERE d.objoid >= 16384
          AND coalesce((pg_identify_object(d.classoid, d.objoid, 0)).schema IN (SELECT nspname FROM s), true)
          AND d.objoid <> ALL (%(extension_members)s::oid[])
          AND NOT (d.classoid = 'pg_class'::regclass AND d.objoid = ANY (%(excluded)s::oid[]))""",
    "security label": """
        SELECT format('%%s on %%s', l.provider, pg_describe_object(l.classoid, l.objoid, l.objsubid)),
               json_build_object('label', l.label)
        FROM pg_seclabel l WHERE l.objoid >= 16384""",
}
# Said wherever a comparison is reported: what pg_dump writes and the inspection does not compare. Connection
# strings and mapping options hold passwords; tablespaces, roles and database settings are the cluster's.
NOT_COMPARED = ("subscription connection strings, user mapping options, tablespace locations, roles, "
                "database-level settings")
