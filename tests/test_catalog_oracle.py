"""pg_dump as the oracle of the inspection behind rollback proofs, diff, adopt and verify (differential testing).

On a copy of the platform built through phase 7, plus a probe schema with one object of each kind to change,
each drift statement is applied and two things are asked: does `pg_dump --schema-only` (normalised) change, and
does the toolkit's fingerprint? They must agree: a change pg_dump sees and the fingerprint does not is a
rollback "proven" wrong; the reverse is a false alarm. Runs on whichever major the suite's server is (CI: 15
and 18), with that server's own pg_dump.
"""

from __future__ import annotations

import random
import subprocess

import psycopg
import pytest

from toolkit.catalog.fingerprint import take_fingerprint
from toolkit.local_server import find_bindir

PROBE = """
CREATE SCHEMA probe;
CREATE TABLE probe.parted (k int NOT NULL, v int NOT NULL, note text) PARTITION BY RANGE (k);
CREATE TABLE probe.parted_1 PARTITION OF probe.parted FOR VALUES FROM (0) TO (100);
CREATE TABLE probe.parent (id int);
CREATE TABLE probe.child (id int, note text);
CREATE TABLE probe.items (id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT items_pkey PRIMARY KEY,
                          code text NOT NULL, qty int DEFAULT 0, payload jsonb, tag text);
CREATE TABLE probe.lines (item_id bigint CONSTRAINT lines_item_fk REFERENCES probe.items (id), n int);
CREATE SEQUENCE probe.counter OWNED BY probe.items.qty;
CREATE INDEX items_code_idx ON probe.items (code);
CREATE INDEX items_lower_idx ON probe.items ((lower(code)));
CREATE VIEW probe.items_view AS SELECT id, code FROM probe.items;
CREATE MATERIALIZED VIEW probe.items_mv AS SELECT code FROM probe.items;
CREATE FUNCTION probe.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION probe.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER items_touch BEFORE UPDATE ON probe.items FOR EACH ROW EXECUTE FUNCTION probe.touch();
CREATE TYPE probe.mood AS ENUM ('sad', 'happy');
CREATE TYPE probe.pair AS (a int, b int);
CREATE DOMAIN probe.positive AS int CHECK (VALUE > 0);
CREATE STATISTICS probe.items_base_stats ON code, tag FROM probe.items;
CREATE TEXT SEARCH CONFIGURATION probe.english_copy (COPY = english);
CREATE FOREIGN DATA WRAPPER probe_fdw;
CREATE SERVER probe_server FOREIGN DATA WRAPPER probe_fdw;
"""

# One statement (or a few that make one change) per kind of change: the probe's 26 invisible kinds first.
DRIFTS = {
    "partition key": "DROP TABLE probe.parted; CREATE TABLE probe.parted (k int NOT NULL, v int NOT NULL, note text) "
                     "PARTITION BY RANGE (v); CREATE TABLE probe.parted_1 PARTITION OF probe.parted "
                     "FOR VALUES FROM (0) TO (100)",
    "rule": "CREATE RULE r1 AS ON INSERT TO probe.child DO INSTEAD NOTHING",
    "view security_barrier": "ALTER VIEW probe.items_view SET (security_barrier = true)",
    "view check_option": "ALTER VIEW probe.items_view SET (check_option = local)",
    "view security_invoker": "ALTER VIEW probe.items_view SET (security_invoker = true)",
    "sequence owned by none": "ALTER SEQUENCE probe.counter OWNED BY NONE",
    "sequence owned by another column": "ALTER SEQUENCE probe.counter OWNED BY probe.items.id",
    "sequence cache": "ALTER SEQUENCE probe.counter CACHE 20",
    "sequence unlogged": "ALTER SEQUENCE probe.counter SET UNLOGGED",
    "table fillfactor": "ALTER TABLE probe.items SET (fillfactor = 70)",
    "table autovacuum_enabled": "ALTER TABLE probe.items SET (autovacuum_enabled = false)",
    "toast reloption": "ALTER TABLE probe.items SET (toast.autovacuum_enabled = false)",
    "column statistics target": "ALTER TABLE probe.items ALTER COLUMN code SET STATISTICS 500",
    "column storage": "ALTER TABLE probe.items ALTER COLUMN payload SET STORAGE EXTERNAL",
    "column compression": "ALTER TABLE probe.items ALTER COLUMN payload SET COMPRESSION pglz",
    "column n_distinct": "ALTER TABLE probe.items ALTER COLUMN code SET (n_distinct = 100)",
    "replica identity full": "ALTER TABLE probe.items REPLICA IDENTITY FULL",
    "replica identity index": "CREATE UNIQUE INDEX items_code_key ON probe.items (code); "
                              "ALTER TABLE probe.items REPLICA IDENTITY USING INDEX items_code_key",
    "plain inheritance": "ALTER TABLE probe.child INHERIT probe.parent",
    "extended statistics": "CREATE STATISTICS probe.items_stats ON code, qty FROM probe.items",
    "statistics target of statistics": "ALTER STATISTICS probe.items_base_stats SET STATISTICS 50",
    "aggregate": "CREATE AGGREGATE probe.total(int) (SFUNC = int4pl, STYPE = int)",
    "operator": "CREATE OPERATOR probe.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = probe.add)",
    "cast": "CREATE CAST (probe.mood AS int) WITH INOUT",
    "history-named table elsewhere": "CREATE TABLE probe.schema_migrations (version text, anything int)",
    "history-named table, other columns": "CREATE TABLE public.alembic_version (version_num text, extra int)",
    "table in the toolkit schema": "CREATE TABLE toolkit.extra (id int)",
    "table in a sqitch schema": "CREATE SCHEMA sqitch; CREATE TABLE sqitch.notes (id int)",
    # kinds seen before, kept seen
    "column type": "ALTER TABLE probe.items ALTER COLUMN qty TYPE bigint",
    "column not null": "ALTER TABLE probe.items ALTER COLUMN tag SET NOT NULL",
    "column default": "ALTER TABLE probe.items ALTER COLUMN qty SET DEFAULT 5",
    "column collation": "ALTER TABLE probe.items ALTER COLUMN tag TYPE text COLLATE \"C\"",
    "column added": "ALTER TABLE probe.items ADD COLUMN extra int",
    "column dropped": "ALTER TABLE probe.items DROP COLUMN tag",
    "column renamed": "ALTER TABLE probe.items RENAME COLUMN tag TO label",
    "generated column": "ALTER TABLE probe.items ADD COLUMN twice int GENERATED ALWAYS AS (qty * 2) STORED",
    "identity kind": "ALTER TABLE probe.items ALTER COLUMN id SET GENERATED BY DEFAULT",
    "identity increment": "ALTER TABLE probe.items ALTER COLUMN id SET INCREMENT BY 2",
    "index added": "CREATE INDEX items_qty_idx ON probe.items (qty)",
    "index dropped": "DROP INDEX probe.items_code_idx",
    "index statistics": "ALTER INDEX probe.items_lower_idx ALTER COLUMN 1 SET STATISTICS 100",
    "index reloption": "ALTER INDEX probe.items_code_idx SET (fillfactor = 50)",
    "clustered on": "ALTER TABLE probe.items CLUSTER ON items_code_idx",
    "check constraint": "ALTER TABLE probe.items ADD CONSTRAINT items_qty_check CHECK (qty >= 0)",
    "constraint not valid": "ALTER TABLE probe.items ADD CONSTRAINT items_qty_small CHECK (qty < 10) NOT VALID",
    "exclusion constraint": "ALTER TABLE probe.items ADD CONSTRAINT items_code_excl EXCLUDE USING btree (code WITH =)",
    "constraint deferrable": "ALTER TABLE probe.lines ALTER CONSTRAINT lines_item_fk DEFERRABLE INITIALLY DEFERRED",
    "partition detached": "ALTER TABLE probe.parted DETACH PARTITION probe.parted_1",
    "partition bound": "ALTER TABLE probe.parted DETACH PARTITION probe.parted_1; ALTER TABLE probe.parted "
                       "ATTACH PARTITION probe.parted_1 FOR VALUES FROM (0) TO (50)",
    "unlogged table": "ALTER TABLE probe.child SET UNLOGGED",
    "row security": "ALTER TABLE probe.items ENABLE ROW LEVEL SECURITY",
    "forced row security": "ALTER TABLE probe.items FORCE ROW LEVEL SECURITY",
    "policy": "CREATE POLICY items_all ON probe.items USING (true)",
    "trigger added": "CREATE TRIGGER items_touch_2 BEFORE INSERT ON probe.items FOR EACH ROW "
                     "EXECUTE FUNCTION probe.touch()",
    "trigger disabled": "ALTER TABLE probe.items DISABLE TRIGGER items_touch",
    "view definition": "CREATE OR REPLACE VIEW probe.items_view AS SELECT id, code FROM probe.items WHERE id > 0",
    "view rule": "CREATE RULE items_view_insert AS ON INSERT TO probe.items_view DO INSTEAD NOTHING",
    "materialized view index": "CREATE INDEX items_mv_code_idx ON probe.items_mv (code)",
    "materialized view reloption": "ALTER MATERIALIZED VIEW probe.items_mv SET (fillfactor = 50)",
    "function body": "CREATE OR REPLACE FUNCTION probe.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE "
                     "AS 'SELECT a + b + 0'",
    "function volatility": "ALTER FUNCTION probe.add(int, int) VOLATILE",
    "function security definer": "ALTER FUNCTION probe.add(int, int) SECURITY DEFINER",
    "function setting": "ALTER FUNCTION probe.add(int, int) SET search_path = pg_catalog",
    "procedure": "CREATE PROCEDURE probe.noop() LANGUAGE sql AS ''",
    "enum label": "ALTER TYPE probe.mood ADD VALUE 'meh'",
    "domain check": "ALTER DOMAIN probe.positive ADD CONSTRAINT positive_small CHECK (VALUE < 1000)",
    "domain not null": "ALTER DOMAIN probe.positive SET NOT NULL",
    "composite type attribute": "ALTER TYPE probe.pair ADD ATTRIBUTE c int",
    "range type": "CREATE TYPE probe.floatrange AS RANGE (subtype = float8)",
    "schema": "CREATE SCHEMA extra",
    "extension": "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "collation": "CREATE COLLATION probe.c_copy FROM \"C\"",
    "conversion": "CREATE CONVERSION probe.latin1_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8",
    "text search configuration": "CREATE TEXT SEARCH CONFIGURATION probe.simple_copy (COPY = simple)",
    "text search mapping": "ALTER TEXT SEARCH CONFIGURATION probe.english_copy DROP MAPPING FOR email",
    "text search dictionary": "CREATE TEXT SEARCH DICTIONARY probe.simple_dict (TEMPLATE = simple)",
    "operator family": "CREATE OPERATOR FAMILY probe.fam USING btree",
    "operator class": "CREATE OPERATOR CLASS probe.int4_hash2 FOR TYPE int4 USING hash AS OPERATOR 1 =, "
                      "FUNCTION 1 hashint4(int4)",
    "publication": "CREATE PUBLICATION probe_items FOR TABLE probe.items",
    "publication of all tables": "CREATE PUBLICATION probe_all FOR ALL TABLES",
    "foreign data wrapper": "CREATE FOREIGN DATA WRAPPER probe_fdw_2",
    "server": "CREATE SERVER probe_server_2 FOREIGN DATA WRAPPER probe_fdw",
    "server option": "ALTER SERVER probe_server OPTIONS (ADD host 'elsewhere')",
    "user mapping": "CREATE USER MAPPING FOR CURRENT_USER SERVER probe_server",
    "foreign table": "CREATE FOREIGN TABLE probe.remote (id int) SERVER probe_server",
    "event trigger": "CREATE FUNCTION probe.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'; "
                     "CREATE EVENT TRIGGER probe_ddl ON ddl_command_start EXECUTE FUNCTION probe.on_ddl()",
    "language": "CREATE TRUSTED LANGUAGE plpgsql_copy HANDLER plpgsql_call_handler",
    "access method": "CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler",
    "table access method": "CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler; "
                           "ALTER TABLE probe.child SET ACCESS METHOD heap_copy",
    "grant": "GRANT SELECT ON probe.items TO PUBLIC",
    "column grant": "GRANT SELECT (code) ON probe.items TO PUBLIC",
    "function grant revoked": "REVOKE EXECUTE ON FUNCTION probe.add(int, int) FROM PUBLIC",
    "default privileges": "ALTER DEFAULT PRIVILEGES IN SCHEMA probe GRANT SELECT ON TABLES TO PUBLIC",
    "owner": "ALTER TABLE probe.child OWNER TO pg_database_owner",
    "comment on table": "COMMENT ON TABLE probe.items IS 'things'",
    "comment on column": "COMMENT ON COLUMN probe.items.code IS 'the code'",
    "comment on function": "COMMENT ON FUNCTION probe.add(int, int) IS 'sums'",
    "table dropped": "DROP TABLE probe.lines",
    "platform table column": "ALTER TABLE users ADD COLUMN nickname text",
}

# Statements that change data or statistics, never the schema: neither side may move.
NO_CHANGE = {
    "analyze": "ANALYZE probe.items",
    "vacuum": "VACUUM probe.child",
    "insert": "INSERT INTO probe.items (code) VALUES ('a'), ('b')",
    "nextval": "SELECT nextval('probe.counter')",
    "refresh": "REFRESH MATERIALIZED VIEW probe.items_mv",
    "temporary table": "CREATE TEMP TABLE scratch_rows (id int)",
    "large object": "SELECT lo_create(0)",
    "reindex": "REINDEX INDEX probe.items_code_idx",
}


def dump(target) -> list[str]:
    """pg_dump --schema-only, without its comments, settings and session-random lines."""
    text = subprocess.run([str(find_bindir() / "pg_dump"), "--schema-only", "--dbname", target.dsn],
                          capture_output=True, text=True, check=True).stdout
    return [line for line in text.splitlines() if line.strip() and not line.startswith(
        ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict"))]


def fingerprint(target) -> tuple[str, ...]:
    with target.connect() as conn:
        return take_fingerprint(conn).lines


@pytest.fixture(scope="module")
def probed(templates, server, admin):
    """A template: the platform through phase 7 and the probe schema; with its dump and fingerprint."""
    name = f"tpl_probe_{random.randrange(16**8):08x}"
    admin.create_database(name, templates(8, False))
    target = server.with_database(name)
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute(PROBE)
    yield name, dump(target), fingerprint(target)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_dump_matches_server(server) -> None:
    with server.connect() as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    found = subprocess.run([str(find_bindir() / "pg_dump"), "--version"], capture_output=True, text=True).stdout
    if int(found.split()[2].split(".")[0]) < major:
        pytest.skip(f"no pg_dump of major {major} here (found {found.strip()}): the oracle needs the server's own")


def _changed(clone_of, probed, statement: str) -> tuple[bool, bool]:
    name, dumped, printed = probed
    target = clone_of(name)
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute(statement)
    return dump(target) != dumped, fingerprint(target) != printed


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DRIFTS))
def test_the_fingerprint_sees_every_kind_of_change_pg_dump_sees(kind, server, clone_of, probed):
    _pg_dump_matches_server(server)
    pg_dump_saw, fingerprint_saw = _changed(clone_of, probed, DRIFTS[kind])
    assert pg_dump_saw, f"not a schema change by pg_dump's account: {DRIFTS[kind]}"
    assert fingerprint_saw, f"pg_dump sees it, the fingerprint does not: {DRIFTS[kind]}"


@pytest.mark.parametrize("kind", sorted(NO_CHANGE))
def test_changes_to_data_and_statistics_leave_both_unchanged(kind, server, clone_of, probed):
    _pg_dump_matches_server(server)
    assert _changed(clone_of, probed, NO_CHANGE[kind]) == (False, False)


STORAGES = ["MAIN", "EXTERNAL", "EXTENDED", "PLAIN"]
VIEW_OPTIONS = ["security_barrier", "security_invoker"]
FUNCTION_CHANGES = ["COST 5", "STABLE", "STRICT", "LEAKPROOF", "PARALLEL SAFE", "SECURITY DEFINER"]
SEQUENCE_CHANGES = ["CACHE 7", "INCREMENT BY 3", "NO CYCLE", "CYCLE", "OWNED BY NONE", "OWNED BY probe.items.qty",
                    "MAXVALUE 100000", "RESTART WITH 5"]


def _random_statements(rng: random.Random, count: int):
    """Drift statements over the probe and the platform's tables, some of which fail (and change nothing)."""
    tables = ["probe.items", "probe.child", "probe.parent", "users", "businesses"]
    columns = {"probe.items": ["code", "qty", "payload", "tag"], "probe.child": ["id", "note"], "probe.parent": ["id"],
               "users": ["email", "display_name"], "businesses": ["name"]}
    made: dict[str, list[str]] = {"index": ["probe.items_code_idx"], "view": ["probe.items_view"], "sequence":
                                  ["probe.counter"], "function": [], "table": [], "type": ["probe.mood"]}
    for n in range(count):
        table = rng.choice(tables)
        column = rng.choice(columns[table])
        choices = [
            lambda: f"ALTER TABLE {table} ADD COLUMN c{n} {rng.choice(['int', 'text', 'jsonb', 'numeric(8,2)'])}",
            lambda: f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {rng.choice([-1, 10, 100, 1000])}",
            lambda: f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE {rng.choice(STORAGES)}",
            lambda: f"ALTER TABLE {table} ALTER COLUMN {column} {rng.choice(['SET', 'DROP'])} NOT NULL",
            lambda: f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT",
            lambda: f"ALTER TABLE {table} SET ({rng.choice(['fillfactor', 'parallel_workers'])} = "
                    f"{rng.randrange(10, 101)})",
            lambda: f"ALTER TABLE {table} SET (autovacuum_enabled = {rng.choice(['true', 'false'])})",
            lambda: f"ALTER TABLE {table} RESET ({rng.choice(['fillfactor', 'autovacuum_enabled'])})",
            lambda: f"ALTER TABLE {table} REPLICA IDENTITY {rng.choice(['FULL', 'DEFAULT', 'NOTHING'])}",
            lambda: f"ALTER TABLE {table} {rng.choice(['ENABLE', 'DISABLE', 'FORCE', 'NO FORCE'])} ROW LEVEL SECURITY",
            lambda: made["index"].append(f"probe.i{n}") or
                    f"CREATE INDEX i{n} ON {table} ({column}) WITH (fillfactor = {rng.randrange(50, 101)})",
            lambda: f"DROP INDEX IF EXISTS {rng.choice(made['index'])}",
            lambda: f"ALTER INDEX {rng.choice(made['index'])} SET (fillfactor = {rng.randrange(50, 101)})",
            lambda: f"CREATE VIEW probe.v{n} WITH (security_barrier = {rng.choice(['true', 'false'])}) AS "
                    f"SELECT {column} FROM {table}",
            lambda: f"ALTER VIEW {rng.choice(made['view'])} SET ({rng.choice(VIEW_OPTIONS)} = "
                    f"{rng.choice(['true', 'false'])})",
            lambda: made["function"].append(f"probe.f{n}(int)") or
                    f"CREATE FUNCTION probe.f{n}(x int) RETURNS int LANGUAGE sql "
                    f"{rng.choice(['IMMUTABLE', 'STABLE', 'VOLATILE'])} AS 'SELECT x'",
            lambda: f"ALTER FUNCTION {rng.choice(made['function'] or ['probe.add(int, int)'])} "
                    f"{rng.choice(FUNCTION_CHANGES)}",
            lambda: f"COMMENT ON TABLE {table} IS {rng.choice(['NULL', repr(f'note {n}')])}",
            lambda: f"COMMENT ON COLUMN {table}.{column} IS {rng.choice(['NULL', repr(f'note {n}')])}",
            lambda: made["sequence"].append(f"probe.s{n}") or
                    f"CREATE SEQUENCE probe.s{n} INCREMENT {rng.randrange(1, 5)} CACHE {rng.randrange(1, 30)}",
            lambda: f"ALTER SEQUENCE {rng.choice(made['sequence'])} {rng.choice(SEQUENCE_CHANGES)}",
            lambda: f"CREATE RULE r{n} AS ON {rng.choice(['INSERT', 'UPDATE', 'DELETE'])} TO probe.child "
                    f"DO {rng.choice(['INSTEAD', 'ALSO'])} NOTHING",
            lambda: f"CREATE POLICY p{n} ON {table} FOR {rng.choice(['SELECT', 'ALL', 'INSERT'])} USING (true)",
            lambda: f"GRANT {rng.choice(['SELECT', 'UPDATE', 'ALL'])} ON {table} TO PUBLIC",
            lambda: f"REVOKE {rng.choice(['SELECT', 'UPDATE', 'ALL'])} ON {table} FROM PUBLIC",
            lambda: f"ALTER TYPE {rng.choice(made['type'])} ADD VALUE IF NOT EXISTS 'v{n}'",
            lambda: made["type"].append(f"probe.e{n}") or f"CREATE TYPE probe.e{n} AS ENUM ('a', 'b')",
            lambda: f"CREATE STATISTICS IF NOT EXISTS probe.st{n} ON {column}, {rng.choice(columns[table])} "
                    f"FROM {table}",
            lambda: f"ALTER TABLE probe.child {rng.choice(['INHERIT', 'NO INHERIT'])} probe.parent",
            lambda: f"ALTER TABLE probe.items CLUSTER ON {rng.choice(['items_code_idx', 'items_lower_idx'])}",
            lambda: "ALTER TABLE probe.items SET WITHOUT CLUSTER",
            lambda: made["table"].append(f"probe.t{n}") or
                    f"CREATE {rng.choice(['', 'UNLOGGED'])} TABLE probe.t{n} (id int, {column} text)",
            lambda: f"DROP TABLE IF EXISTS {rng.choice(made['table'] or ['probe.nothing'])}",
            lambda: f"ALTER TABLE {rng.choice(made['table'] or ['probe.child'])} SET "
                    f"{rng.choice(['LOGGED', 'UNLOGGED'])}",
            lambda: "ALTER TABLE probe.parted DETACH PARTITION probe.parted_1",
            lambda: f"ALTER TABLE probe.parted ATTACH PARTITION probe.parted_1 FOR VALUES FROM (0) TO "
                    f"({rng.choice([50, 100])})",
            lambda: f"ANALYZE {table}",
            lambda: f"INSERT INTO probe.items (code) VALUES ('row {n}')",
            lambda: f"SELECT nextval('{rng.choice(made['sequence'])}')",
        ]
        yield rng.choice(choices)()


@pytest.mark.slow
@pytest.mark.parametrize("run", range(4))
def test_random_drift_sequences_change_the_fingerprint_exactly_when_they_change_pg_dump(run, server, clone_of,
                                                                                        probed):
    """60 random statements a run, applied one after the other: after each, pg_dump and the fingerprint must both
    change or both stay. TOOLKIT_DRIFT_SEED=N replays a run (its seed is in the failure)."""
    _pg_dump_matches_server(server)
    import os

    seed = int(os.environ.get("TOOLKIT_DRIFT_SEED") or random.randrange(10**9)) + run
    name, dumped, printed = probed
    target = clone_of(name)
    disagreements, applied = [], 0
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        for statement in _random_statements(random.Random(seed), 60):
            try:
                conn.execute(statement)
            except psycopg.Error:
                continue  # refused by the server: nothing changed
            applied += 1
            now_dumped, now_printed = dump(target), fingerprint(target)
            if (now_dumped != dumped) != (now_printed != printed):
                side = "pg_dump" if now_dumped != dumped else "the fingerprint"
                disagreements.append(f"only {side} changed after: {statement}")
            dumped, printed = now_dumped, now_printed
    assert applied >= 20, f"seed {seed}: only {applied} statements ran"
    assert disagreements == [], f"seed {seed}"
