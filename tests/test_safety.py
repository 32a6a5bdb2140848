"""Safety on a live database: concurrent builds, invalid indexes, the runner lock,
lock timeouts and checksums."""

import threading
import time

import psycopg
import pytest

from toolkit import api
from toolkit.cli import BAD_INPUT, LOCK_HELD, OK, STEP_ROLLED_BACK
from toolkit.runner.runlock import LOCK_KEY

TABLE = {
    "migrations/0001_items.sql": "CREATE TABLE items (id bigint, code text);\n",
    "rollbacks/0001_items.sql": "DROP TABLE items;\n",
}
UNIQUE_CODE = {
    "migrations/0101_uq_items_code.sql": "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_items_code ON items (code);\n",
    "rollbacks/0101_uq_items_code.sql": "DROP INDEX CONCURRENTLY IF EXISTS uq_items_code;\n",
}


def index_validity(sql, name):
    return sql("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
               (name,))


def test_concurrent_index_build_runs_outside_a_transaction(toolkit, sql, project):
    root = project({**TABLE, **UNIQUE_CODE})
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("apply", "--phase", "1", project=root)
    # Inside a transaction block PostgreSQL refuses CREATE INDEX CONCURRENTLY outright.
    assert result.exit_code == OK, result.output
    assert "autocommit, statement by statement" in result.stderr
    assert index_validity(sql, "uq_items_code") == [(True,)]
    events = sql("SELECT outcome FROM toolkit.history WHERE migration = '0101_uq_items_code' ORDER BY id")
    assert events == [("started",), ("ok",)]


def test_invalid_index_left_by_a_failed_build_is_rebuilt_on_rerun(toolkit, sql, project):
    root = project({**TABLE, **UNIQUE_CODE})
    toolkit("apply", "--phase", "0", project=root)
    sql("INSERT INTO items VALUES (1, 'a'), (2, 'a')")
    # A build that fails half way (duplicates) leaves an INVALID index behind.
    with pytest.raises(psycopg.errors.UniqueViolation):
        sql("CREATE UNIQUE INDEX CONCURRENTLY uq_items_code ON items (code)")
    assert index_validity(sql, "uq_items_code") == [(False,)]
    sql("DELETE FROM items WHERE id = 2")

    result = toolkit("apply", "--phase", "1", project=root)

    assert result.exit_code == OK, result.output
    assert "uq_items_code is INVALID" in result.stderr
    assert index_validity(sql, "uq_items_code") == [(True,)]


def test_failed_concurrent_build_is_rolled_back_without_leaving_an_invalid_index(toolkit, db, sql, project):
    root = project({**TABLE, **UNIQUE_CODE})
    toolkit("apply", "--phase", "0", project=root)
    sql("INSERT INTO items VALUES (1, 'a'), (2, 'a')")
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    assert index_validity(sql, "uq_items_code") == []
    assert api.fingerprint(db) == before


def test_second_runner_is_refused_while_the_first_holds_the_lock(toolkit, db):
    with psycopg.connect(db.dsn, autocommit=True, application_name="first-runner") as first:
        first.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        pid = first.info.backend_pid
        result = toolkit("apply", "--phase", "0", "--lock-wait", "0.5")
    assert result.exit_code == LOCK_HELD
    assert "application 'first-runner' of " in result.stderr and f"server pid {pid}, connected since" in result.stderr
    assert api.status(db).phases[0].state == "pending"


def test_lock_is_released_so_the_next_runner_proceeds(toolkit):
    assert toolkit("apply", "--phase", "0", "--lock-wait", "0").exit_code == OK
    assert toolkit("apply", "--phase", "1", "--lock-wait", "0").exit_code == OK


def test_ddl_waiting_behind_a_long_transaction_times_out_and_retries(toolkit, db, project):
    root = project({**TABLE,
                    "migrations/0101_add_note.sql": "ALTER TABLE items ADD COLUMN note text;\n",
                    "rollbacks/0101_add_note.sql": "ALTER TABLE items DROP COLUMN note;\n"})
    toolkit("apply", "--phase", "0", project=root)
    blocker = psycopg.connect(db.dsn)
    blocker.execute("SELECT * FROM items")  # holds ACCESS SHARE until the transaction ends
    release = threading.Timer(1.0, blocker.rollback)
    release.start()
    try:
        result = toolkit("apply", "--phase", "1", "--lock-timeout", "0.2", "--lock-retries", "6", project=root)
    finally:
        release.join()
        blocker.close()
    assert result.exit_code == OK, result.output
    assert "canceling statement due to lock timeout; retry 1" in result.stderr


def test_ddl_gives_up_after_bounded_retries_and_rolls_back(toolkit, db, project):
    root = project({**TABLE,
                    "migrations/0101_add_note.sql": "ALTER TABLE items ADD COLUMN note text;\n",
                    "rollbacks/0101_add_note.sql": "ALTER TABLE items DROP COLUMN note;\n"})
    toolkit("apply", "--phase", "0", project=root)
    with psycopg.connect(db.dsn) as blocker:
        blocker.execute("SELECT * FROM items")
        result = toolkit("apply", "--phase", "1", "--lock-timeout", "0.1", "--lock-retries", "2",
                         "--long-transaction-wait", "0.2", project=root)  # the retries, not the wait, are the point
    assert result.exit_code == STEP_ROLLED_BACK
    assert result.stderr.count("retry") == 2
    assert "lock timeout [55P03]" in result.stderr


def test_edited_applied_migration_is_refused_before_anything_runs(toolkit, db, project):
    root = project({**TABLE, "migrations/0101_t.sql": "CREATE TABLE t (id int);\n",
                    "rollbacks/0101_t.sql": "DROP TABLE t;\n"})
    toolkit("apply", "--phase", "0", project=root)
    (root / "migrations" / "0001_items.sql").write_text("CREATE TABLE items (id bigint, code text, extra int);\n")
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == BAD_INPUT
    assert "changed on disk since they were applied: 0001_items" in result.stderr
    assert api.fingerprint(db) == before
    status = toolkit("status", "--json", project=root)
    assert '"checksum": "changed"' in status.stdout


def test_a_deadlock_victim_step_is_retried(toolkit, project):
    # The first attempt is chosen as a deadlock victim; a sequence survives the rollback,
    # so the second attempt passes, as a real retry after a deadlock would.
    root = project({**TABLE,
                    "migrations/0002_attempts.sql": "CREATE SEQUENCE attempts;\n",
                    "rollbacks/0002_attempts.sql": "DROP SEQUENCE attempts;\n",
                    "migrations/0101_add_note.sql":
                        "DO $$ BEGIN IF nextval('attempts') = 1 THEN RAISE EXCEPTION 'deadlock detected' "
                        "USING ERRCODE = 'deadlock_detected'; END IF; END $$;\n"
                        "ALTER TABLE items ADD COLUMN note text;\n",
                    "rollbacks/0101_add_note.sql": "ALTER TABLE items DROP COLUMN note;\n"})
    toolkit("apply", "--phase", "0", project=root)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == OK, result.output
    assert "0101_add_note: deadlock detected; retry 1" in result.stderr


PARENT_AND_CHILD = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
                                    "CREATE TABLE plans (account_id bigint);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE plans;\nDROP TABLE accounts;\n",
    "migrations/0101_fk_plans_account.sql": "ALTER TABLE plans ADD CONSTRAINT fk_plans_account "
                                            "FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\n",
    "rollbacks/0101_fk_plans_account.sql": "ALTER TABLE plans DROP CONSTRAINT fk_plans_account;\n",
}


def test_new_foreign_key_locks_the_referenced_table_first_so_a_parent_then_child_writer_goes_through(
        toolkit, db, project):
    # An application writes the parent row, then the child. ADD FOREIGN KEY locks the child table, then
    # the parent: taken in that order it would hold the child while waiting for the parent, the writer
    # would wait for the child, and one of the two would be cancelled (lock timeout or deadlock).
    root = project(PARENT_AND_CHILD)
    toolkit("apply", "--phase", "0", project=root)
    results = []
    with psycopg.connect(db.dsn, options="-c lock_timeout=10s") as app, psycopg.connect(db.dsn) as watcher:
        app.execute("INSERT INTO accounts VALUES (1)")
        applying = threading.Thread(target=lambda: results.append(
            toolkit("apply", "--phase", "1", "--lock-timeout", "5", project=root)))
        applying.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        while applying.is_alive() and not watcher.execute(waiting).fetchone()[0]:
            pass  # until the migration waits for the application's transaction
        app.execute("INSERT INTO plans VALUES (1)")
        app.commit()
        applying.join()
    assert results[0].exit_code == OK, results[0].output
    assert "retry" not in results[0].stderr


ADD_NOTE = {**TABLE,
            "migrations/0101_add_note.sql": "ALTER TABLE items ADD COLUMN note text;\n",
            "rollbacks/0101_add_note.sql": "ALTER TABLE items DROP COLUMN note;\n"}


def test_ddl_waits_for_a_long_transaction_outside_the_lock_queue_so_other_queries_are_not_held_up(
        toolkit, db, project):
    # Queued behind the reader, ALTER TABLE would make every later query on items wait behind it.
    root = project(ADD_NOTE)
    toolkit("apply", "--phase", "0", project=root)
    results = []
    with psycopg.connect(db.dsn) as reader, psycopg.connect(db.dsn, autocommit=True) as watcher:
        reader.execute("SELECT * FROM items")  # a long report: ACCESS SHARE until it ends
        time.sleep(0.3)  # older than the lock timeout below
        applying = threading.Thread(target=lambda: results.append(
            toolkit("apply", "--phase", "1", "--lock-timeout", "0.2", project=root)))
        applying.start()
        queued = []
        ends = time.monotonic() + 1.5
        while time.monotonic() < ends:
            queued += watcher.execute("SELECT mode FROM pg_locks WHERE NOT granted").fetchall()
        reader.rollback()
        applying.join()
    assert queued == []
    assert results[0].exit_code == OK, results[0].output
    assert "waiting, outside the lock queue, for pid" in results[0].stderr
    assert "retry" not in results[0].stderr


def test_a_long_transaction_that_does_not_end_is_waited_for_only_as_long_as_allowed(toolkit, db, project):
    root = project(ADD_NOTE)
    toolkit("apply", "--phase", "0", project=root)
    with psycopg.connect(db.dsn) as idle:
        idle.execute("SELECT * FROM items")  # then idle in transaction, never ending
        time.sleep(0.2)
        result = toolkit("apply", "--phase", "1", "--lock-timeout", "0.1", "--lock-retries", "1",
                         "--long-transaction-wait", "0.5", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    assert "idle in transaction" in result.stderr
    assert "lock timeout [55P03]" in result.stderr


def test_a_step_whose_lock_does_not_conflict_with_readers_does_not_wait_for_them(toolkit, db, project):
    root = project({**PARENT_AND_CHILD,
                    "migrations/0201_validate_fk_plans_account.sql":
                        "ALTER TABLE plans VALIDATE CONSTRAINT fk_plans_account;\n",
                    "rollbacks/0201_validate_fk_plans_account.sql": "SELECT 1;\n"})
    toolkit("apply", "--phase", "0", project=root)
    toolkit("apply", "--phase", "1", project=root)
    with psycopg.connect(db.dsn) as reader:
        reader.execute("SELECT * FROM plans")
        time.sleep(0.3)
        # VALIDATE takes SHARE UPDATE EXCLUSIVE, which readers and writers do not conflict with.
        result = toolkit("apply", "--phase", "2", "--long-transaction-wait", "60", project=root)
    assert result.exit_code == OK, result.output
    assert "waiting" not in result.stderr


def test_autovacuum_in_the_way_is_cancelled_as_postgresql_would_cancel_it(toolkit, db, sql, project,
                                                                          autovacuum_on):
    # PostgreSQL cancels an autovacuum only for a lock request that has waited deadlock_timeout (1 s);
    # a step asking with a 0.2 s lock_timeout never waits that long, so it would never get the table.
    root = project(ADD_NOTE)
    toolkit("apply", "--phase", "0", project=root)
    autovacuum_on(db, "items")
    result = toolkit("apply", "--phase", "1", "--lock-timeout", "0.2", "--lock-retries", "2",
                     "--long-transaction-wait", "2", project=root)
    assert result.exit_code == OK, result.output
    assert "cancelled autovacuum" in result.stderr
    assert sql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") == [(1,)]


def test_a_parallel_query_in_the_way_is_named_once_not_once_per_worker(toolkit, db, sql, project, server_version):
    root = project(ADD_NOTE)
    toolkit("apply", "--phase", "0", project=root)
    sql("INSERT INTO items SELECT g, 'x' FROM generate_series(1, 15) AS g")
    force = "debug_parallel_query" if server_version >= 160000 else "force_parallel_mode"
    with psycopg.connect(db.dsn, autocommit=True) as reader:
        for setting in (f"{force} = on", "parallel_setup_cost = 0", "parallel_tuple_cost = 0"):
            reader.execute(f"SET {setting}")
        # a worker scans items, sleeping 0.1 s a row, while its leader waits for it: both hold the table
        report = threading.Thread(target=reader.execute, args=("SELECT count(pg_sleep(0.1)) FROM items",))
        report.start()
        time.sleep(0.4)
        workers = sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'")
        result = toolkit("apply", "--phase", "1", "--lock-timeout", "0.2", project=root)
        report.join()
    assert workers == [(1,)]
    assert result.exit_code == OK, result.output
    assert result.stderr.count("waiting, outside the lock queue") == 1


TWO_TABLES_ONE_STEP = {
    "migrations/0001_items.sql": "CREATE TABLE items (id bigint);\nCREATE TABLE plans (id bigint);\n",
    "rollbacks/0001_items.sql": "DROP TABLE plans;\nDROP TABLE items;\n",
    "migrations/0101_notes.sql": "ALTER TABLE items ADD COLUMN note text;\nALTER TABLE plans ADD COLUMN note text;\n",
    "rollbacks/0101_notes.sql": "ALTER TABLE plans DROP COLUMN note;\nALTER TABLE items DROP COLUMN note;\n",
}


def test_a_steps_statements_share_one_lock_timeout_so_a_table_it_holds_is_not_held_for_twice_that(
        toolkit, db, project):
    # lock_timeout 1 s. The runner waits 0.6 s for items, then holds it (everyone on items queued) while it
    # waits for plans. With a lock_timeout per lock it would wait 1 s more and get plans at 0.7 s; sharing one
    # 1 s budget, it gives up after 0.4 s, so items was never held up for more than the lock_timeout.
    root = project(TWO_TABLES_ONE_STEP)
    toolkit("apply", "--phase", "0", project=root)
    results = []

    def waiting_for(watcher, table):
        query = ("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass "
                 "AND mode = 'AccessExclusiveLock'")
        while results == [] and watcher.execute(query, (table,)).fetchone() == (0,):
            time.sleep(0.01)

    with psycopg.connect(db.dsn) as items_reader, psycopg.connect(db.dsn) as plans_reader, \
            psycopg.connect(db.dsn, autocommit=True) as watcher:
        items_reader.execute("SELECT * FROM items")
        plans_reader.execute("SELECT * FROM plans")
        applying = threading.Thread(target=lambda: results.append(toolkit(
            "apply", "--phase", "1", "--lock-timeout", "1", "--lock-retries", "0", "--long-transaction-wait", "0",
            project=root)))
        applying.start()
        waiting_for(watcher, "items")
        time.sleep(0.6)
        items_reader.rollback()
        waiting_for(watcher, "plans")
        time.sleep(0.7)
        plans_reader.rollback()
        applying.join()
    assert results[0].exit_code == STEP_ROLLED_BACK, results[0].output
    assert "0101_notes.sql:2" in results[0].stderr and "lock timeout [55P03]" in results[0].stderr


def test_a_rollback_dropping_a_table_that_is_already_gone_with_if_exists_still_succeeds(toolkit, sql, project):
    root = project({**TABLE, "rollbacks/0001_items.sql": "DROP TABLE IF EXISTS items;\nDROP TABLE IF EXISTS gone;\n"})
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("rollback", "--phase", "0", project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT to_regclass('items')") == [(None,)]


def test_a_migration_renaming_an_index_runs_though_lock_table_cannot_lock_an_index(toolkit, sql, project):
    root = project({**TABLE,
                    "migrations/0101_idx_items_code.sql": "CREATE INDEX idx_items_code ON items (code);\n"
                                                          "ALTER INDEX idx_items_code RENAME TO idx_items_by_code;\n",
                    "rollbacks/0101_idx_items_code.sql": "DROP INDEX idx_items_by_code;\n"})
    toolkit("apply", "--phase", "0", project=root)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT to_regclass('idx_items_by_code') IS NOT NULL") == [(True,)]
