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


def _rehearsal(toolkit, root, db, server, *args):
    result = toolkit("rehearse", "--template", db.params["dbname"], "--format", "json", *args, project=root,
                     dsn=server.dsn)
    assert result.exit_code == OK, result.output
    return json.loads(result.stdout)


def test_synthetic_rows_satisfy_every_constraint_of_the_platforms_phases(toolkit, db, server):
    from conftest import REPO

    report = _rehearsal(toolkit, REPO, db, server, "--rows", "300")
    assert [p["phase"] for p in report["phases"]] == list(range(8))
    filled = [f for p in report["phases"] for f in p["filled"]]
    assert [f for f in filled if f["note"]] == []
    assert {"users", "businesses"} <= {f["table"] for f in filled}
    assert {f["rows"] for f in filled} == {300}
    backfill = [s for s in report["phases"][2]["statements"] if s["action"] == "apply" and "0201_" in s["path"]]
    assert sum(s["rows"].get("inserted", 0) for s in backfill) == 300  # its table left for it: a subscription each


def test_synthetic_rows_go_only_into_empty_tables_the_phase_names(toolkit, production, db, server):
    report = _rehearsal(toolkit, production, db, server, "--phase", "1", "--rows", "50")
    assert report["phases"][0]["filled"] == []  # accounts has its 20,000 rows


def test_foreign_keys_take_their_parents_rows_and_a_one_to_one_key_stays_unique(toolkit, project, db, server):
    root = project({
        "migrations/0001_a.sql": """
            CREATE TYPE tier AS ENUM ('free', 'pro');
            CREATE TABLE owners (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tier tier NOT NULL,
                                 code text NOT NULL UNIQUE CONSTRAINT owners_code_check CHECK (code ~ '^[A-Z]{3}$'),
                                 state text NOT NULL CONSTRAINT owners_state_check CHECK (state IN ('on', 'off')),
                                 starts_at timestamptz NOT NULL, ends_at timestamptz,
                                 CONSTRAINT owners_period_check CHECK (ends_at > starts_at));
            CREATE TABLE profiles (owner_id bigint PRIMARY KEY REFERENCES owners (id), score numeric(4, 1) NOT NULL
                                   CONSTRAINT profiles_score_check CHECK (score BETWEEN 0 AND 100));
            """,
        "rollbacks/0001_a.sql": "DROP TABLE profiles;\nDROP TABLE owners;\nDROP TYPE tier;\n",
        "migrations/0101_b.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS profiles_score_idx ON profiles (score);\n",
        "rollbacks/0101_b.sql": "DROP INDEX CONCURRENTLY IF EXISTS profiles_score_idx;\n",
    })
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    report = _rehearsal(toolkit, root, db, server, "--phase", "1", "--rows", "500")
    assert [(f["table"], f["rows"], f["note"]) for f in report["phases"][0]["filled"]] == [
        ("owners", 500, None), ("profiles", 500, None)]  # the parent first, though only profiles is named


def test_a_table_whose_checks_no_value_satisfies_is_left_empty_and_said(toolkit, project, db, server):
    root = project({
        "migrations/0001_a.sql": "CREATE TABLE odd (v text NOT NULL "
                                 "CONSTRAINT odd_v_check CHECK (v ~ '^[0-9]+-[a-z]+$'));\n",
        "rollbacks/0001_a.sql": "DROP TABLE odd;\n",
        "migrations/0101_b.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS odd_v_idx ON odd (v);\n",
        "rollbacks/0101_b.sql": "DROP INDEX CONCURRENTLY IF EXISTS odd_v_idx;\n",
    })
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    [filled] = _rehearsal(toolkit, root, db, server, "--phase", "1", "--rows", "10")["phases"][0]["filled"]
    assert filled["rows"] == 0 and "odd_v_check" in filled["note"]


def test_the_text_report_lists_what_blocked_clients_in_time_order(toolkit, production, db, server):
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", project=production,
                     dsn=server.dsn)
    assert result.exit_code == OK, result.output
    blocked = [line.split() for line in result.stdout.splitlines() if "blocked" in line and " on " in line]
    assert any(line[4:9] == ["reads", "and", "writes", "blocked", "ACCESS"] and "accounts" in line
               for line in blocked), result.stdout


def test_the_docs_site_draws_each_rehearsed_phases_lock_timeline(toolkit, production, db, server, tmp_path):
    report = tmp_path / "rehearsal.json"
    report.write_text(json.dumps(_rehearsal(toolkit, production, db, server, "--phase", "1")))
    assert toolkit("apply", "--phase", "1", project=production).exit_code == OK
    assert toolkit("docs", "--out", str(tmp_path / "site"), "--rehearsal", str(report),
                   project=production).exit_code == OK
    svg = (tmp_path / "site" / "phase-1-locks.svg").read_text()
    assert "AccessExclusiveLock on accounts" in svg and "fill='#d9534f'" in svg  # red: reads and writes blocked
    assert "0101_score_type.sql:1" in svg and "0103_backfill.sql:2" in svg
    assert "Locks held, measured" in (tmp_path / "site" / "phase-1.html").read_text()
    assert not (tmp_path / "site" / "phase-0-locks.svg").exists()


def test_docs_with_a_file_that_is_no_rehearsal_is_one_line(toolkit, production, tmp_path):
    (tmp_path / "r.json").write_text("[1, 2]")
    result = toolkit("docs", "--out", str(tmp_path / "site"), "--rehearsal", str(tmp_path / "r.json"),
                     project=production)
    assert result.exit_code == BAD_INPUT and result.stderr.count("\n") == 1


def test_locks_on_tables_the_phase_itself_creates_break_no_budget(toolkit, project, db, server):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n",
                    "rollbacks/0001_a.sql": "DROP TABLE a;\n",
                    "migrations/0101_b.sql": "CREATE TABLE b (id bigint PRIMARY KEY);\n"
                                             "INSERT INTO b SELECT generate_series(1, 50000);\n",
                    "rollbacks/0101_b.sql": "DROP TABLE b;\n"})
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", "--max-access-exclusive", "0",
                     "--format", "json", project=root, dsn=server.dsn)
    assert result.exit_code in (OK, FINDINGS), result.output
    report = json.loads(result.stdout)  # b's ACCESS EXCLUSIVE, held while it fills, blocks nobody
    assert [f for f in report["budgets_broken"] if f["path"].startswith("migrations/")] == []  # (the DROP may)
    create = next(s for s in report["phases"][0]["statements"] if s["action"] == "apply")
    assert any(lock["relation"] == "b" and lock["new_relation"] for lock in create["locks"])


VOLATILE_DEFAULT = {"migrations/0101_token.sql": "ALTER TABLE accounts ADD COLUMN token uuid "
                                                  "DEFAULT gen_random_uuid();\n",
                    "rollbacks/0101_token.sql": "ALTER TABLE accounts DROP COLUMN token;\n"}
LOCK_SAFE = {"migrations/0101_token.sql": "ALTER TABLE accounts ADD COLUMN token uuid;\n",
             "rollbacks/0101_token.sql": "ALTER TABLE accounts DROP COLUMN token;\n",
             "migrations/0102_token_backfill.sql": """
                 -- toolkit:batch
                 UPDATE accounts SET token = gen_random_uuid()
                 WHERE id IN (SELECT id FROM accounts WHERE token IS NULL ORDER BY id
                              LIMIT current_setting('toolkit.batch_size')::integer);
                 """,
             "rollbacks/0102_token_backfill.sql": "UPDATE accounts SET token = NULL;\n"}


def _phase_0_and(project, toolkit, phase_1: dict):
    root = project({name: text for name, text in PROJECT.items() if name.endswith("0001_accounts.sql")} | phase_1)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    return root


def test_a_column_with_a_volatile_default_rewrites_its_table_under_access_exclusive_and_breaks_the_budget(
        toolkit, project, db, server):
    root = _phase_0_and(project, toolkit, VOLATILE_DEFAULT)
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", "--max-rewrite-rows", "1000",
                     "--format", "json", project=root, dsn=server.dsn)
    assert result.exit_code == FINDINGS, result.output
    report = json.loads(result.stdout)
    [add] = [s for s in report["phases"][0]["statements"] if s["action"] == "apply"]
    assert "accounts" in [relation for relation, _rows in add["rewritten"]]  # and its indexes
    assert any(lock["relation"] == "accounts" and lock["mode"] == "AccessExclusiveLock" and lock["held_seconds"] > 0
               for lock in add["locks"])
    assert [(f["path"], f["line"], f["rule"]) for f in report["budgets_broken"]] == [
        ("migrations/0101_token.sql", 1, "budget-rewrite")]


def test_the_same_column_added_lock_safely_and_backfilled_in_batches_passes_the_budget(toolkit, project, db, server):
    root = _phase_0_and(project, toolkit, LOCK_SAFE)
    result = toolkit("rehearse", "--template", db.params["dbname"], "--phase", "1", "--max-rewrite-rows", "1000",
                     "--format", "json", project=root, dsn=server.dsn)
    assert result.exit_code == OK, result.output
    batches = [s for s in json.loads(result.stdout)["phases"][0]["statements"]
               if s["action"] == "apply" and s["batch"]]
    assert len(batches) > 1 and all(s["wal_bytes"] > 0 and s["rewritten"] == [] for s in batches)  # WAL per batch


def test_a_lock_the_runner_waited_for_names_the_session_that_held_it(db):
    """The profiler alone, on a real server: the runner's connection asks for a lock another session holds for
    0.4 s; the sampler (every 10 ms) sees it ungranted and names the holder by its application_name."""
    import threading
    from types import SimpleNamespace

    from toolkit.rehearse.profile import Profiler

    with sql_on(db) as sql:
        sql("CREATE TABLE held (id int)")
    holder = psycopg.connect(db.dsn, autocommit=True, application_name="a dba's psql")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE held IN ACCESS SHARE MODE")
    threading.Timer(0.4, holder.execute, ["COMMIT"]).start()
    profiler = Profiler(db.dsn)
    try:
        with psycopg.connect(db.dsn, autocommit=True) as runner:
            statement = SimpleNamespace(line=1, text="LOCK TABLE held IN ACCESS EXCLUSIVE MODE", batched=False)
            script = SimpleNamespace(path="migrations/0101_lock.sql")
            with runner.transaction():
                profiler.statement_started(script, statement, runner)
                runner.execute(statement.text)
                profiler.statement_finished(script, statement, 0.4, runner)
    finally:
        profiler.close()
        holder.close()
    [lock] = [lock for lock in profiler.statements[0].locks if lock.mode == "AccessExclusiveLock"]
    assert lock.waited_seconds > 0.1 and lock.waited_for.startswith("a dba's psql (pid ")
