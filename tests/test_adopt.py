"""`toolkit diff` and `toolkit adopt` on databases built by other means, against a real server.

yoyo and alembic are installed here and build their databases for real. Prisma cannot run here (its engines
are downloaded at run time), so its test creates `_prisma_migrations` with the DDL Prisma itself uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.cli import ADOPT_REFUSED, BAD_INPUT, FINDINGS, OK
from toolkit.plan.sql import parse_statements

REPO = Path(__file__).resolve().parent.parent

SHOP = {
    "migrations/0001_accounts.sql": """
        CREATE TYPE account_status AS ENUM ('active', 'closed');
        CREATE TABLE accounts (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            email text NOT NULL,
            status account_status NOT NULL DEFAULT 'active',
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX accounts_email_idx ON accounts (email);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();
        ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
        """,
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\nDROP FUNCTION touch();\nDROP TYPE account_status;\n",
    "migrations/0101_orders.sql": """
        CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL);
        ALTER TABLE orders ADD CONSTRAINT orders_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
        CREATE TABLE order_events (k int NOT NULL, v int NOT NULL) PARTITION BY RANGE (k);
        CREATE TABLE order_events_1 PARTITION OF order_events FOR VALUES FROM (0) TO (100);
        """,
    "rollbacks/0101_orders.sql": "DROP TABLE order_events;\nDROP TABLE orders;\n",
}


def build_by_hand(sql, root: Path, upto_phase: int) -> None:
    """What another tool would have done: the migrations' SQL, run statement by statement, no toolkit."""
    for path in sorted((root / "migrations").glob("*.sql")):
        if int(path.name[:2]) <= upto_phase:
            for statement in parse_statements(path.read_text(), path):
                sql(statement.text)


@pytest.fixture
def shop(project):
    return project(SHOP)


def test_diff_of_a_database_built_by_the_migrations_is_empty(toolkit, shop):
    assert toolkit("apply", project=shop).exit_code == OK
    result = toolkit("diff", project=shop)
    assert result.exit_code == OK
    assert result.stdout.splitlines()[-1].endswith("against what phases 0-1 build: no difference")


DRIFT = {  # what is done to the database -> what diff says
    "extra_column": ("ALTER TABLE accounts ADD COLUMN x int", "column accounts.x: in the database, not in the migrations"),
    "missing_index": ("DROP INDEX accounts_email_idx",
                      "index accounts_email_idx: in the migrations, missing from the database"),
    "invalid_index": ("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'accounts_email_idx'::regclass",
                      "index accounts_email_idx: INVALID in the database"),
    "other_type": ("ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)",
                   "column accounts.email: type character varying(200) in the database, text in the migrations"),
    "not_valid_constraint": (
        "ALTER TABLE orders DROP CONSTRAINT orders_account_fkey; ALTER TABLE orders ADD CONSTRAINT orders_account_fkey "
        "FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID",
        "constraint orders.orders_account_fkey: NOT VALID in the database, validated in the migrations"),
    "enum_order": ("ALTER TYPE account_status RENAME VALUE 'active' TO 'tmp'; "
                   "ALTER TYPE account_status RENAME VALUE 'closed' TO 'active'; "
                   "ALTER TYPE account_status RENAME VALUE 'tmp' TO 'closed'",
                   "type account_status: labels (closed, active) in the database, (active, closed) in the migrations"),
    "row_security_off": ("ALTER TABLE accounts DISABLE ROW LEVEL SECURITY",
                         "table accounts: row security off in the database, on in the migrations"),
    "function_body": (["CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RETURN NEW; END; $$"], "function touch(): definition CREATE OR REPLACE FUNCTION"),
    "column_position": ("ALTER TABLE accounts DROP COLUMN email; ALTER TABLE accounts ADD COLUMN email text NOT NULL",
                        "column accounts.email: position 4 in the database, 2 in the migrations"),
    "missing_trigger": ("DROP TRIGGER accounts_touch ON accounts",
                        "trigger accounts.accounts_touch: in the migrations, missing from the database"),
    "comment_on_table": ("COMMENT ON TABLE accounts IS 'made by hand'",
                         "comment on table accounts: in the database, not in the migrations"),
    "comment_on_column": ("COMMENT ON COLUMN accounts.email IS 'made by hand'",
                          "comment on column accounts.email: in the database, not in the migrations"),
    # kinds an independent probe found invisible before the inspection covered what pg_dump writes
    "partition_key": ("DROP TABLE order_events; CREATE TABLE order_events (k int NOT NULL, v int NOT NULL) PARTITION BY "
                      "RANGE (v); CREATE TABLE order_events_1 PARTITION OF order_events FOR VALUES FROM (0) TO (100)",
                      "table order_events: partition key RANGE (v) in the database, RANGE (k) in the migrations"),
    "rule_discarding_inserts": ("CREATE RULE r1 AS ON INSERT TO orders DO INSTEAD NOTHING",
                                "rule orders.r1: in the database, not in the migrations"),
    "sequence_cache": ("ALTER SEQUENCE accounts_id_seq CACHE 20",
                       "sequence accounts_id_seq: cache 20 in the database, 1 in the migrations"),
    "table_fillfactor": ("ALTER TABLE accounts SET (fillfactor = 70)",
                         "table accounts: options (WITH) (fillfactor=70) in the database, none in the migrations"),
    "replica_identity": ("ALTER TABLE accounts REPLICA IDENTITY FULL",
                         "table accounts: replica identity full in the database, none in the migrations"),
    "history_name_in_another_schema": ("CREATE SCHEMA legacy; CREATE TABLE legacy.schema_migrations (anything int)",
                                       "table legacy.schema_migrations: in the database, not in the migrations"),
    "history_name_with_other_columns": ("CREATE TABLE alembic_version (version_num text, extra int)",
                                        "table alembic_version: in the database, not in the migrations"),
    "table_in_the_toolkit_schema": ("CREATE SCHEMA IF NOT EXISTS toolkit; CREATE TABLE toolkit.extra (id int)",
                                    "table toolkit.extra: in the database, not in the migrations"),
}


@pytest.mark.parametrize("case", sorted(DRIFT))
def test_drift_is_named_by_diff_and_refuses_adopt(case, toolkit, shop, sql):
    change, said = DRIFT[case]
    build_by_hand(sql, shop, 1)
    for statement in change if isinstance(change, list) else change.split("; "):
        sql(statement)
    result = toolkit("diff", "--phase", "1", project=shop)
    assert result.exit_code == FINDINGS
    assert any(line.startswith(said) for line in result.stdout.splitlines()), result.stdout
    refused = toolkit("adopt", "--phase", "1", project=shop)
    assert refused.exit_code == ADOPT_REFUSED
    assert "nothing was recorded" in refused.stderr and any(said in line for line in refused.stderr.splitlines())
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(0,)]


def test_adopt_records_phases_a_database_has_then_diff_is_empty_and_a_second_adopt_changes_nothing(
        toolkit, shop, sql):
    build_by_hand(sql, shop, 1)
    assert toolkit("diff", "--phase", "1", project=shop).exit_code == OK
    result = toolkit("adopt", "--phase", "1", project=shop)
    assert result.exit_code == OK and "adopted 2 migration(s) of phases 0-1" in result.stdout
    assert sql("SELECT action, outcome FROM toolkit.history ORDER BY id") == [("adopt", "ok"), ("adopt", "ok")]
    status = json.loads(toolkit("status", "--json", project=shop).stdout)
    assert [m["state"] for p in status["phases"] for m in p["migrations"]] == ["adopted", "adopted"]
    assert toolkit("diff", project=shop).exit_code == OK
    again = toolkit("adopt", "--phase", "1", project=shop)
    assert again.exit_code == OK and "nothing to adopt" in again.stdout
    assert sql("SELECT count(*) FROM toolkit.history") == [(2,)]


def test_adopt_accepts_exactly_the_differences_the_dba_reviewed(toolkit, shop, sql, tmp_path):
    build_by_hand(sql, shop, 1)
    sql("ALTER TABLE accounts ADD COLUMN legacy_code text")
    reviewed = tmp_path / "reviewed.json"
    reviewed.write_text(toolkit("diff", "--phase", "1", "--json", project=shop).stdout)
    sql("CREATE INDEX accounts_status_idx ON accounts (status)")  # drift nobody reviewed
    refused = toolkit("adopt", "--phase", "1", "--accept", str(reviewed), project=shop)
    assert refused.exit_code == ADOPT_REFUSED and "index accounts_status_idx" in refused.stderr
    assert "legacy_code" not in refused.stderr
    sql("DROP INDEX accounts_status_idx")
    assert toolkit("adopt", "--phase", "1", "--accept", str(reviewed), project=shop).exit_code == OK
    assert sql("SELECT detail FROM toolkit.history WHERE detail LIKE 'accepted%'") == [
        ("accepted difference: column accounts.legacy_code: in the database, not in the migrations",)]


def test_other_tools_history_tables_are_named_and_not_drift(toolkit, shop, sql):
    assert toolkit("apply", project=shop).exit_code == OK
    sql("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
    sql("CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL,"
        " tstamp timestamp DEFAULT now())")
    result = toolkit("diff", project=shop)
    assert result.exit_code == OK
    assert "alembic_version: another tool's history (alembic), not compared" in result.stdout
    assert "goose_db_version: another tool's history (goose), not compared" in result.stdout


def test_diff_without_history_or_phase_is_bad_input(toolkit, shop):
    result = toolkit("diff", project=shop)
    assert result.exit_code == BAD_INPUT and "say which phases to compare with --phase N" in result.stderr


# Seed 004's production schema: VARCHAR ids defaulting to gen_random_uuid(), TIMESTAMP without time zone.
SEED_004_USERS = """
CREATE TABLE users (
    id VARCHAR(255) PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""


def test_seed_004s_prisma_built_users_table_is_named_difference_by_difference(toolkit, sql):
    sql(SEED_004_USERS)
    result = toolkit("diff", "--phase", "0")
    assert result.exit_code == FINDINGS
    lines = result.stdout.splitlines()
    assert "column users.id: type character varying(255) in the database, uuid in the migrations" in lines
    assert "column users.created_at: type timestamp without time zone in the database, timestamp with time zone " \
           "in the migrations" in lines
    assert toolkit("adopt", "--phase", "0").exit_code == ADOPT_REFUSED


def yoyo_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A yoyo project holding phase 0's SQL, one yoyo migration per file, and the map of its ids."""
    folder, mapping = tmp_path / "yoyo", {}
    folder.mkdir()
    previous = None
    for path in sorted((REPO / "migrations").glob("00*.sql")):
        yoyo_id = f"{path.stem[:4]}.{path.stem[5:].replace('_', '-')}"
        depends = f"-- depends: {previous}\n" if previous else ""
        (folder / f"{yoyo_id}.sql").write_text(depends + path.read_text())
        mapping[yoyo_id] = path.stem
        previous = yoyo_id
    (tmp_path / "yoyo-map.json").write_text(json.dumps(mapping))
    return folder, tmp_path / "yoyo-map.json"


@pytest.mark.slow
def test_a_database_yoyo_built_is_adopted_then_taken_through_every_phase(toolkit, db, tmp_path):
    from conftest import yoyo_url
    from yoyo import get_backend, read_migrations

    folder, mapping = yoyo_folder(tmp_path)
    backend = get_backend(yoyo_url(db))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(folder))))
    backend.connection.close()
    adopted = toolkit("adopt", "--from", "yoyo", "--map", str(mapping))
    assert adopted.exit_code == OK, adopted.output
    assert "yoyo's history (_yoyo_migration): 8 applied" in adopted.stdout
    assert toolkit("apply").exit_code == OK
    assert toolkit("diff").exit_code == OK
    assert toolkit("verify").exit_code == OK


@pytest.mark.slow
def test_a_database_alembic_built_is_adopted_at_its_head_revision(toolkit, db, tmp_path, sql):
    """`alembic upgrade head` runs a revision executing phase 0's SQL; alembic records only its head."""
    from alembic import command
    from alembic.config import Config

    p = db.params
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(
        "from alembic import context\nfrom sqlalchemy import create_engine\n"
        "engine = create_engine(context.config.get_main_option('sqlalchemy.url'))\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection)\n"
        "    with context.begin_transaction():\n        context.run_migrations()\n")
    files = sorted(str(path) for path in (REPO / "migrations").glob("00*.sql"))
    (tmp_path / "versions" / "a1b2c3_baseline.py").write_text(
        "from pathlib import Path\nfrom alembic import op\nrevision = 'a1b2c3'\ndown_revision = None\n"
        f"FILES = {files!r}\n"
        "def upgrade():\n    for name in FILES:\n        op.execute(Path(name).read_text())\n")
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    password = f":{p['password']}" if p.get("password") else ""
    config.set_main_option("sqlalchemy.url",
                           f"postgresql+psycopg://{p['user']}{password}@{p['host']}:{p['port']}/{p['dbname']}")
    command.upgrade(config, "head")
    assert sql("SELECT version_num FROM alembic_version") == [("a1b2c3",)]
    (tmp_path / "map.json").write_text(json.dumps({"a1b2c3": "0008_health_metrics"}))
    adopted = toolkit("adopt", "--from", "alembic", "--map", str(tmp_path / "map.json"))
    assert adopted.exit_code == OK, adopted.output
    assert sql("SELECT count(*) FROM toolkit.applied_migrations WHERE phase = 0")[0][0] == 8
    assert sql("SELECT version_num FROM alembic_version") == [("a1b2c3",)]  # read, never written
    assert toolkit("apply").exit_code == OK  # phases 1-7 on the database alembic built
    assert toolkit("diff").exit_code == OK


PRISMA_TABLE = """CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)"""  # the DDL Prisma's migrate engine runs (Prisma itself cannot run here: it downloads its engines)


def test_a_prisma_migration_that_never_finished_refuses_adopt_with_its_name(toolkit, shop, sql):
    build_by_hand(sql, shop, 1)
    sql(PRISMA_TABLE)
    sql("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES "
        "('1', 'c1', now(), '20240101000000_init', 1), ('2', 'c2', NULL, '20240201000000_orders', 0)")
    result = toolkit("adopt", "--from", "prisma", "--phase", "1", project=shop)
    assert result.exit_code == ADOPT_REFUSED
    assert "20240201000000_orders: started, never finished" in result.stderr
    assert sql("SELECT count(*) FROM _prisma_migrations") == [(2,)]
    assert sql("SELECT to_regclass('toolkit.applied_migrations') IS NULL") == [(True,)]


def test_a_dirty_golang_migrate_version_refuses_adopt(toolkit, shop, sql):
    build_by_hand(sql, shop, 1)
    sql("CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)")
    sql("INSERT INTO schema_migrations VALUES (2, true)")
    result = toolkit("adopt", "--from", "golang-migrate", "--phase", "1", project=shop)
    assert result.exit_code == ADOPT_REFUSED and "2: dirty" in result.stderr


def test_a_foreign_history_that_ends_inside_a_phase_is_refused(toolkit, shop, sql, tmp_path):
    build_by_hand(sql, shop, 0)
    sql("CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp NOT NULL "
        "DEFAULT CURRENT_TIMESTAMP)")
    sql("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000')")
    (tmp_path / "map.json").write_text(json.dumps({"20240101000000": "0101_orders"}))
    result = toolkit("adopt", "--from", "diesel", "--map", str(tmp_path / "map.json"), project=shop)
    assert result.exit_code == ADOPT_REFUSED
    assert "covers phase 1 only in part: 0001_accounts is not in it" in result.stderr


@pytest.mark.slow
def test_the_platform_after_every_phase_and_sample_data_has_no_drift_until_someone_changes_it(toolkit, platform_cli,
                                                                                            sql):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    assert platform_cli("seed", "--users", "200").exit_code == OK
    assert toolkit("apply").exit_code == OK
    clean = toolkit("diff")
    assert clean.exit_code == OK and clean.stdout.splitlines()[-1].endswith("against what phases 0-7 build: "
                                                                            "no difference")
    sql("ALTER TABLE users ADD COLUMN x int")
    sql("DROP INDEX CONCURRENTLY idx_user_subscriptions_user_id")
    drifted = toolkit("diff")
    assert drifted.exit_code == FINDINGS
    assert drifted.stdout.splitlines()[:2] == [
        "column users.x: in the database, not in the migrations",
        "index idx_user_subscriptions_user_id: in the migrations, missing from the database"]


# A database built by hand, with most kinds a baseline must carry (and undo).
HAND_BUILT = [
    "CREATE SCHEMA billing",
    "CREATE TYPE mood AS ENUM ('ok', 'meh')",
    "CREATE TYPE pair AS (a integer, b text)",
    "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')",
    "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, address email NOT NULL UNIQUE, "
    "mood mood DEFAULT 'ok', \"Nick Name\" text)",
    "CREATE SEQUENCE invoice_numbers",
    "CREATE TABLE billing.invoices (id serial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) "
    "ON DELETE CASCADE, number bigint DEFAULT nextval('invoice_numbers'), total numeric(12, 2))",
    "CREATE INDEX invoices_account_id ON billing.invoices (account_id)",
    "CREATE TABLE events (at timestamptz NOT NULL, what text) PARTITION BY RANGE (at)",
    "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
    "CREATE VIEW big_invoices AS SELECT * FROM billing.invoices WHERE total > 1000",
    "CREATE MATERIALIZED VIEW invoice_totals AS SELECT account_id, sum(total) AS total FROM billing.invoices "
    "GROUP BY account_id",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b'",
    "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch()",
    "COMMENT ON TABLE accounts IS 'who pays'",
    "INSERT INTO accounts (address) VALUES ('a@example.com')",
]


def test_a_baseline_written_from_a_hand_built_database_diffs_empty_adopts_and_verifies(toolkit, project, sql):
    for statement in HAND_BUILT:
        sql(statement)
    root = project({})
    result = toolkit("adopt", "--write-baseline", project=root)
    assert result.exit_code == OK, result.output
    assert "wrote " in result.stdout and "warning" not in result.output
    text = (root / "migrations" / "0001_baseline.sql").read_text()
    assert text.startswith("-- 0001_baseline: the schema of ")
    assert "\\restrict" not in text and "set_config" not in text and "\nSET " not in text
    assert toolkit("diff", "--phase", "0", project=root).exit_code == OK  # the database is what phase 0 builds
    adopted = toolkit("adopt", "--phase", "0", project=root)
    assert adopted.exit_code == OK, adopted.output
    assert sql("SELECT count(*) FROM accounts") == [(1,)]  # recorded, not run
    verified = toolkit("verify", project=root)  # applied, rolled back to nothing, applied again, on a scratch db
    assert verified.exit_code == OK, verified.output


def test_a_baseline_is_refused_where_phase_0_has_a_migration_and_with_adopts_other_options(toolkit, project):
    root = project(SHOP)
    result = toolkit("adopt", "--write-baseline", project=root)
    assert result.exit_code == BAD_INPUT
    assert "phase 0 already has 0001_accounts.sql" in result.stderr and result.stderr.count("\n") == 1
    result = toolkit("adopt", "--write-baseline", "--phase", "0", project=project({}))
    assert result.exit_code == BAD_INPUT
    assert result.stderr == "toolkit: error: --write-baseline writes files and records nothing: not with --phase\n"
