"""Drift made into SQL against a real server: `toolkit diff --sql` (run by psql, it makes the database what the
migrations build) and `toolkit new NAME --from-diff` (the database's drift as new steps, whose rollbacks
`verify` proves)."""

from __future__ import annotations

import subprocess

import pytest

from toolkit.cli import BAD_INPUT, FINDINGS, OK
from toolkit.local_server import find_bindir

from test_adopt import DRIFT, SHOP, build_by_hand

# Every drift case of test_adopt the statements can undo, done to one database at once.
WRITABLE = ["extra_column", "missing_index", "other_type", "not_valid_constraint", "row_security_off",
            "function_body", "missing_trigger", "comment_on_table", "comment_on_column", "rule_discarding_inserts",
            "sequence_cache", "table_fillfactor", "replica_identity", "history_name_in_another_schema",
            "history_name_with_other_columns", "table_in_the_toolkit_schema"]
# ... and those no statement can: ALTER TABLE cannot move a column, re-key a partitioned table or reorder labels.
NOT_WRITABLE = {"column_position": "column accounts.email: position",
                "partition_key": "table order_events: partition key", "enum_order": "type account_status: labels"}


def drift(sql, cases) -> None:
    for case in cases:
        change = DRIFT[case][0]
        for statement in change if isinstance(change, list) else change.split("; "):
            sql(statement)


def psql(db, script: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(find_bindir() / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", db.dsn],
                          input=script, capture_output=True, text=True, check=False)


@pytest.fixture
def shop(project):
    return project(SHOP)


@pytest.fixture
def drifted(toolkit, shop, sql):
    build_by_hand(sql, shop, 1)
    drift(sql, WRITABLE)
    return shop


def test_diff_sql_run_by_psql_makes_the_database_what_the_migrations_build(toolkit, drifted, db):
    script = toolkit("diff", "--phase", "1", "--sql", project=drifted)
    assert script.exit_code == FINDINGS
    assert "Not written" not in script.stdout
    ran = psql(db, script.stdout)
    assert ran.returncode == 0, ran.stderr + script.stdout
    after = toolkit("diff", "--phase", "1", project=drifted)
    assert after.exit_code == OK, after.stdout + script.stdout


def test_diff_sql_builds_and_drops_indexes_concurrently_and_validates_apart(toolkit, drifted):
    script = toolkit("diff", "--phase", "1", "--sql", project=drifted).stdout
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON public.accounts" in script
    assert "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_account_fkey;" in script
    parts = script.split("\n-- ")
    building = next(i for i, part in enumerate(parts) if part.startswith("2 of 3: outside a transaction"))
    validating = next(i for i, part in enumerate(parts) if part.startswith("3 of 3: in one transaction, after"))
    assert building < validating


def test_what_no_statement_can_change_is_said_not_written(toolkit, shop, sql, db):
    build_by_hand(sql, shop, 1)
    drift(sql, NOT_WRITABLE)
    script = toolkit("diff", "--phase", "1", "--sql", project=shop)
    assert script.exit_code == FINDINGS
    unwritten = script.stdout.split("-- Not written (a human decides):")[1]
    for said in NOT_WRITABLE.values():
        assert said in unwritten
    assert psql(db, script.stdout).returncode == 0  # what it could write (the index the column took along) runs
    remaining = toolkit("diff", "--phase", "1", project=shop).stdout
    assert "index accounts_email_idx" not in remaining and "position" in remaining


def test_a_database_without_drift_gives_no_statement(toolkit, shop):
    assert toolkit("apply", project=shop).exit_code == OK
    script = toolkit("diff", "--sql", project=shop)
    assert script.exit_code == OK
    assert "ALTER" not in script.stdout and "CREATE" not in script.stdout


def test_reverse_without_sql_is_bad_input(toolkit, shop):
    result = toolkit("diff", "--phase", "1", "--reverse", project=shop)
    assert result.exit_code == BAD_INPUT
    assert result.stderr.strip() == "toolkit: error: --reverse goes with --sql"


def test_new_from_diff_writes_the_drift_as_steps_that_diff_adopt_and_verify_accept(toolkit, drifted, sql):
    written = toolkit("new", "hotfix", "--from-diff", "--compare-phase", "1", project=drifted)
    assert written.exit_code == OK, written.output
    migrations = sorted(p.name for p in (drifted / "migrations").glob("01*.sql"))
    assert migrations == ["0101_orders.sql", "0102_hotfix_drop_indexes.sql", "0103_hotfix.sql"]
    assert "DROP INDEX CONCURRENTLY IF EXISTS public.accounts_email_idx" in \
        (drifted / "migrations" / "0102_hotfix_drop_indexes.sql").read_text()
    assert toolkit("diff", "--phase", "1", project=drifted).exit_code == OK  # the migrations now build the database
    adopted = toolkit("adopt", "--phase", "1", project=drifted)
    assert adopted.exit_code == OK, adopted.output
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(4,)]
    verified = toolkit("verify", project=drifted)  # every rollback written restores its fingerprint
    assert verified.exit_code == OK, verified.output


LOCK_SAFE = {
    "migrations/0001_accounts.sql": """
        CREATE TABLE accounts (id bigint NOT NULL, email text, parent_id bigint);
        ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
        """,
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "validation/00_pre.sql": "-- check: nothing\nSELECT 0;\n",
    "validation/00_post.sql": "-- check: nothing\nSELECT 0;\n",
}
HOTFIX = [  # what a DBA did by hand in production
    "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)",
    "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key",
    "ALTER TABLE accounts ADD CONSTRAINT accounts_parent_fkey FOREIGN KEY (parent_id) REFERENCES accounts (id)",
    "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL",
    "CREATE TABLE account_notes (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), "
    "note text NOT NULL)",
    "CREATE INDEX account_notes_account_idx ON account_notes (account_id)",
]


def test_new_from_diff_writes_lock_safe_lint_clean_steps(toolkit, project, sql):
    root = project(LOCK_SAFE)
    assert toolkit("apply", project=root).exit_code == OK
    for statement in HOTFIX:
        sql(statement)
    assert toolkit("new", "hotfix", "--from-diff", "--phase", "1", project=root).exit_code == OK
    main, indexes, validate = (" ".join((root / "migrations" / f"{name}.sql").read_text().split())
                               for name in ("0101_hotfix", "0102_hotfix_indexes", "0103_hotfix_validate"))
    print(main, indexes, validate, sep="\n\n")
    assert "FOREIGN KEY (parent_id) REFERENCES accounts ( id ) NOT VALID" in main
    assert "CHECK (email IS NOT NULL) NOT VALID" in main
    assert "CREATE TABLE public.account_notes" in main and "CREATE INDEX account_notes_account_idx" in main
    assert "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key" in indexes
    assert "UNIQUE USING INDEX accounts_email_key" in validate
    assert "VALIDATE CONSTRAINT accounts_parent_fkey" in validate
    assert validate.index("VALIDATE CONSTRAINT accounts_email_is_not_null") < validate.index("SET NOT NULL")
    linted = toolkit("lint", project=root)
    assert linted.exit_code == OK, linted.output
    assert toolkit("diff", "--phase", "1", project=root).exit_code == OK
    assert toolkit("verify", project=root).exit_code == OK
