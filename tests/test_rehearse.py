"""`toolkit rehearse` against a real server: a phase applied and rolled back on a copy, every statement
measured from the server (pg_locks, pg_class, the WAL position), budgets broken at their file and line."""

from __future__ import annotations

import json

import psycopg
import pytest

from conftest import sql_on
from toolkit.cli import BAD_INPUT, FINDINGS, OK

PROJECT = {
    "migrations/0001_accounts.sql": """
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, score integer);
        INSERT INTO accounts SELECT g, 'a' || g || '@example.com', g FROM generate_series(1, 20000) AS g;
        """,
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_score_type.sql": "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;\n",
    "rollbacks/0101_score_type.sql": "ALTER TABLE accounts ALTER COLUMN score TYPE integer;\n",
    "migrations/0102_email_index.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx "
                                       "ON accounts (email);\n",
    "rollbacks/0102_email_index.sql": "DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;\n",
    "migrations/0103_backfill.sql": """
        -- toolkit:batch
        UPDATE accounts SET score = 0
        WHERE id IN (SELECT id FROM accounts WHERE score <> 0 ORDER BY id
                     LIMIT current_setting('toolkit.batch_size')::integer);
        """,
    "rollbacks/0103_backfill.sql": "UPDATE accounts SET score = id;\n",
}


@pytest.fixture
def production(toolkit, project, db):
    """A database at phase 0 with 20,000 rows: the template a rehearsal copies."""
    root = project(PROJECT)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    return root


def test_every_statement_of_the_phase_is_measured_on_a_copy_and_rolled_back(toolkit, production, db, server):
    result = toolkit("rehearse", "--template", db.params["dbname"], "--format", "json", "--phase", "1",
                     project=production, dsn=server.dsn)
    assert result.exit_code == OK, result.output
    phase = json.loads(result.stdout)["phases"][0]
    by_file = {(s["action"], s["path"].rsplit("/", 1)[-1], s["batch"]): s for s in phase["statements"]}
    retype = by_file[("apply", "0101_score_type.sql", None)]
    assert any(lock["mode"] == "AccessExclusiveLock" and lock["relation"] == "accounts" for lock in retype["locks"])
    assert "accounts" in [relation for relation, _rows in retype["rewritten"]]
    assert retype["wal_bytes"] > 500_000  # 20,000 rows written again
    index = by_file[("apply", "0102_email_index.sql", None)]
    assert {lock["mode"] for lock in index["locks"] if lock["relation"] == "accounts"} == {"ShareUpdateExclusiveLock"}
    assert ("apply", "0103_backfill.sql", 1) in by_file  # each batch of a batched step
    assert ("rollback", "0101_score_type.sql", None) in by_file
    with sql_on(db) as sql:  # the source was never touched
        assert sql("SELECT count(*) FROM toolkit.applied_migrations WHERE phase = 1") == [(0,)]
        assert sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                   "WHERE attrelid = 'accounts'::regclass AND attname = 'score'") == [("integer",)]


def test_a_rewrite_over_budget_is_one_finding_at_its_file_and_line_and_exit_1(toolkit, production, db, server):
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", "--max-rewrite-rows", "1000",
                     "--format", "github", project=production, dsn=server.dsn)
    assert result.exit_code == FINDINGS, result.output
    broken = [line for line in result.stdout.splitlines() if "budget-rewrite" in line]
    assert any("migrations/0101_score_type.sql,line=1" in line and "apply of 0101_score_type.sql rewrote accounts "
               "(20,000 rows)" in line for line in broken), broken
    assert any("rollbacks/0101_score_type.sql,line=1" in line for line in broken)  # the rollback rewrites it back


def test_a_concurrent_index_build_breaks_no_write_blocking_budget(toolkit, project, db, server):
    files = {name: text for name, text in PROJECT.items() if not name.endswith(("0101_score_type.sql",
                                                                                  "0103_backfill.sql"))}
    root = project(files)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("rehearse", "--template", db.params["dbname"], "--max-share", "0", "--max-access-exclusive", "0",
                     project=root, dsn=server.dsn)
    assert result.exit_code == OK, result.output


def test_a_template_with_other_sessions_is_refused_in_one_line(toolkit, production, db, server):
    with psycopg.connect(db.dsn):
        result = toolkit("rehearse", "--template", db.params["dbname"], project=production, dsn=server.dsn)
    assert result.exit_code == BAD_INPUT
    assert "other session(s)" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_scratch_database_without_history_is_refused_unless_forced(toolkit, project, db):
    root = project(PROJECT)
    result = toolkit("rehearse", "--scratch-dsn", db.dsn, project=root)
    assert result.exit_code == BAD_INPUT and "has no toolkit history" in result.stderr
    forced = toolkit("rehearse", "--scratch-dsn", db.dsn, "--force", "--phase", "0", project=root)
    assert forced.exit_code == OK, forced.output
    with sql_on(db) as sql:  # applied and rolled back again
        assert sql("SELECT to_regclass('accounts')") == [(None,)]


def test_a_lock_a_one_millisecond_statement_takes_is_still_seen_and_named(toolkit, project, db, server):
    files = {"migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
                                             "CREATE TABLE notes (id bigint PRIMARY KEY, account_id bigint);\n",
             "rollbacks/0001_accounts.sql": "DROP TABLE notes;\nDROP TABLE accounts;\n",
             "migrations/0101_notes_fk.sql": "ALTER TABLE notes ADD CONSTRAINT notes_account_fkey FOREIGN KEY "
                                             "(account_id) REFERENCES accounts (id) NOT VALID;\n",
             "rollbacks/0101_notes_fk.sql": "ALTER TABLE notes DROP CONSTRAINT notes_account_fkey;\n"}
    root = project(files)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", "--format", "json",
                     project=root, dsn=server.dsn)
    assert result.exit_code == OK, result.output
    fk = next(s for s in json.loads(result.stdout)["phases"][0]["statements"] if s["action"] == "apply")
    assert {(lock["relation"], lock["mode"]) for lock in fk["locks"]} >= {
        ("notes", "ShareRowExclusiveLock"), ("accounts", "ShareRowExclusiveLock")}


def test_the_copy_is_dropped_even_when_the_rehearsal_fails(toolkit, project, db, server):
    files = dict(PROJECT, **{"migrations/0101_score_type.sql": "ALTER TABLE accounts ALTER COLUMN nonesuch "
                                                               "TYPE bigint;\n"})
    root = project(files)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", project=root, dsn=server.dsn)
    assert result.exit_code not in (OK, FINDINGS), result.output  # the step failed, as apply would say
    assert "0101_score_type" in result.stderr and "Traceback" not in result.output
    with sql_on(server) as sql:
        assert sql("SELECT datname FROM pg_database WHERE datname LIKE 'toolkit_rehearse_%'") == []
