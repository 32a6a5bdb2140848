"""Faults, round two: what an independent harness found, and faults tried for the first time. Real servers;
the tests that stop or starve a server start their own (a small local cluster), so the suite's stays up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import database, one, until

from toolkit import api
from toolkit.cli import BAD_INPUT, CANNOT_CONNECT, OK, cli
from toolkit.runner.runlock import LOCK_KEY


def run(target, root, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root)})


def test_a_nul_byte_in_a_migration_is_bad_input_naming_file_and_line(project, db, sql):
    root = project({"migrations/0001_a.sql": "", "rollbacks/0001_a.sql": "DROP TABLE nul_a;\n"})
    (root / "migrations" / "0001_a.sql").write_bytes(
        b"CREATE TABLE nul_a (id bigint);\n\x00\nCREATE TABLE nul_b (id bigint);\n")
    result = run(db, root, "apply")
    assert result.exit_code == BAD_INPUT
    assert result.stderr.endswith("migrations/0001_a.sql:2: holds a NUL byte: PostgreSQL would run only what comes "
                                  "before it\n")
    assert sql("SELECT to_regclass('nul_a') IS NULL") == [(True,)]


def test_a_read_only_database_is_bad_input_and_says_so(project, db, sql):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    sql(f'ALTER DATABASE "{db.params["dbname"]}" SET default_transaction_read_only = on')
    result = run(db, root, "apply")
    assert result.exit_code == BAD_INPUT
    assert result.stderr == ("toolkit: error: the database is read-only (default_transaction_read_only is on, or "
                             "it is a standby): nothing was changed\n")


def test_a_dsn_with_a_port_that_is_not_a_number_is_malformed_input(project):
    result = CliRunner().invoke(cli, ["status"], env={"DATABASE_URL": "postgresql://u@127.0.0.1:notaport/x"})
    assert result.exit_code == BAD_INPUT and result.stderr.startswith("toolkit: error: malformed DSN:")


def test_a_dsn_setting_psycopg_refuses_is_malformed_input_not_a_lost_connection(project):
    result = CliRunner().invoke(cli, ["status"], env={"DATABASE_URL": "host=127.0.0.1 connect_timeout=bogus dbname=x"})
    assert result.exit_code == BAD_INPUT and result.stderr.startswith("toolkit: error: malformed DSN:")


def test_traceback_prints_the_traceback_and_keeps_the_documented_exit_code(project):
    from toolkit.local_server import free_port

    dsn = f"host=127.0.0.1 port={free_port()} dbname=x connect_timeout=2"
    result = CliRunner().invoke(cli, ["--traceback", "status"], env={"DATABASE_URL": dsn})
    assert result.exit_code == CANNOT_CONNECT
    assert "Traceback (most recent call last)" in result.stderr and "toolkit: error: cannot connect" in result.stderr


@pytest.mark.parametrize("args", [("apply", "--phase", "abc"), ("apply", "--batch-size", "0"), ("nosuch",)])
def test_a_usage_error_is_one_line(args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("toolkit: error: ")


def test_a_second_runner_says_at_once_that_it_waits_and_for_whom(project, db):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    holder = psycopg.connect(db.dsn, autocommit=True, application_name="nightly-deploy")
    holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    threading.Timer(1.5, holder.close).start()
    result = run(db, root, "apply", "--lock-wait", "30")
    assert result.exit_code == OK
    lines = result.stderr.splitlines()
    assert lines[0].startswith("  waiting up to 30s for another toolkit run (application 'nightly-deploy' of ")
    assert "the other run finished: going on from what it left" in lines[1]


RESUMABLE = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n"
                                    "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 3000) AS g;\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_profiles.sql": "CREATE TABLE profiles (account_id bigint PRIMARY KEY, bio text);\n",
    "rollbacks/0101_profiles.sql": "DROP TABLE profiles;\n",
    "migrations/0102_backfill.sql":
        "-- toolkit:batch\nINSERT INTO profiles (account_id, bio)\nSELECT a.id, 'hello' FROM accounts AS a\n"
        "WHERE NOT EXISTS (SELECT 1 FROM profiles AS p WHERE p.account_id = a.id)\nORDER BY a.id\n"
        "LIMIT current_setting('toolkit.batch_size')::integer;\n",
    "rollbacks/0102_backfill.sql": "DELETE FROM profiles;\n",
    "migrations/0103_idx_profiles_bio.sql":
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_profiles_bio ON profiles (bio, account_id);\n",
    "rollbacks/0103_idx_profiles_bio.sql": "DROP INDEX CONCURRENTLY IF EXISTS idx_profiles_bio;\n",
    "validation/keys.sql": "-- key: profile_lookup\nSELECT bio FROM profiles WHERE account_id = 42;\n",
}


def test_a_resumed_phase_says_it_does_not_compare_its_key_queries(project, db, sql):
    root = project(RESUMABLE)
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    killed = subprocess.run([sys.executable, "-m", "toolkit", "apply", "--phase", "1", "--batch-size", "500",
                             "--fixed-batches"],
                            env={**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root),
                                 "TOOLKIT_DEBUG_KILL_AT": "12"}, capture_output=True)
    assert killed.returncode < 0, killed.stderr
    assert api.status(db, settings=api.Settings(project=root)).phases[1].state == "partial"
    rerun = run(db, root, "apply", "--phase", "1", "--batch-size", "500", "--fixed-batches")
    assert rerun.exit_code == OK, rerun.output
    assert "phase 1 is resumed: its key queries are not compared" in rerun.stderr
    assert sql("SELECT count(*) FROM profiles") == [(3000,)]


# Phase 1 with an index whose build takes half a second over 3000 rows (its expression sleeps 1 ms on every
# sixth), so a crash lands inside the build whatever the disk: a plain build over 200,000 rows took 0.1 s on a
# RAM disk, less than the crash took to land.
SLOW_BUILD = {
    **RESUMABLE,
    "migrations/0001_accounts.sql": RESUMABLE["migrations/0001_accounts.sql"] + (
        "CREATE FUNCTION slow_bio(bio text, id bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS\n"
        "$$ BEGIN IF id % 6 = 0 THEN PERFORM pg_sleep(0.001); END IF; RETURN bio; END $$;\n"),
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\nDROP FUNCTION slow_bio(text, bigint);\n",
    "migrations/0103_idx_profiles_bio.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_profiles_bio\n"
                                            "    ON profiles (slow_bio(bio, account_id), account_id);\n",
}


def _runner(target, root, *args):
    return subprocess.Popen([sys.executable, "-m", "toolkit", *args],
                            env={**os.environ, "DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["batch", "index_build"])
def test_the_server_dying_mid_phase_then_a_rerun_converges_to_the_uninterrupted_run(moment, project, own_server):
    local = own_server()
    root = project(SLOW_BUILD if moment == "index_build" else RESUMABLE)
    reference, target = database(local, "reference"), database(local, "target")
    for t in (reference, target):
        assert run(t, root, "apply", "--phase", "0").exit_code == OK
    batches = ["--batch-size", "100", "--fixed-batches", "--batch-pause", "0.05"] if moment == "batch" else \
        ["--batch-size", "5000", "--fixed-batches", "--batch-pause", "0"]
    unpaused = batches[:2] + ["--batch-pause", "0"]  # the pause only gives the crash a moment to land in
    assert run(reference, root, "apply", "--phase", "1", *unpaused).exit_code == OK
    expected, rows = api.fingerprint(reference), one(reference, "SELECT count(*) FROM profiles")

    runner = _runner(target, root, "apply", "--phase", "1", *batches)
    if moment == "batch":
        until(target, "SELECT count(*) > 200 FROM profiles")
    else:
        # past its first transaction, which commits the index INVALID until the build and validation are done
        until(target, "SELECT count(*) > 0 FROM pg_stat_progress_create_index WHERE phase LIKE 'building index%'")
    local.crash()
    runner.communicate(timeout=60)
    assert runner.returncode == CANNOT_CONNECT
    local.start()
    target = local.target("target")  # the restarted server listens on a new port
    if moment == "index_build":  # the build was cut off: PostgreSQL left its index INVALID
        assert one(target, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 1
    rerun = run(target, root, "apply", "--phase", "1", *unpaused)
    assert rerun.exit_code == OK, rerun.output
    assert api.fingerprint(target) == expected
    assert one(target, "SELECT count(*) FROM profiles") == rows
    assert one(target, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0


def test_no_connection_slot_left_is_one_line_exit_9_and_nothing_changed(project, own_server):
    local = own_server(max_connections=6, superuser_reserved_connections=0)
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    target = local.target()
    others = []
    try:
        while True:  # every slot taken by other clients
            others.append(psycopg.connect(target.dsn, autocommit=True))
    except psycopg.OperationalError:
        pass
    try:
        result = run(target, root, "apply")
    finally:
        for conn in others[1:]:
            conn.close()
    assert result.exit_code == CANNOT_CONNECT
    assert result.stderr.count("\n") == 1 and "too many clients" in result.stderr
    assert others[0].execute("SELECT to_regclass('a') IS NULL").fetchone() == (True,)
    others[0].close()


HOSTILE = 'we;ird "name" $$ x'


def test_hostile_names_run_exactly_what_the_file_says_and_are_quoted_in_messages(project, db, sql):
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    root = project({
        "migrations/0001_t.sql": f"CREATE TABLE {quoted} (id bigint PRIMARY KEY, {quoted} text);\n"
                                 f"COMMENT ON TABLE {quoted} IS 'a; DROP TABLE x; --';\n",
        "rollbacks/0001_t.sql": f"DROP TABLE {quoted};\n",
        "migrations/0002_i.sql": f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "i;$$" ON {quoted} ({quoted});\n',
        "rollbacks/0002_i.sql": 'DROP INDEX CONCURRENTLY IF EXISTS "i;$$";\n',
        "migrations/0003_fill.sql": f"-- toolkit:batch\nINSERT INTO {quoted} (id, {quoted})\n"
                                    f"SELECT g, 'v' FROM generate_series(1, 50) AS g\n"
                                    f"WHERE NOT EXISTS (SELECT 1 FROM {quoted} AS t WHERE t.id = g)\n"
                                    "LIMIT current_setting('toolkit.batch_size')::integer;\n",
        "rollbacks/0003_fill.sql": f"DELETE FROM {quoted};\n",
        "migrations/0004_fail.sql": f"ALTER TABLE {quoted} ADD CONSTRAINT \"c'; --\" CHECK (id < 0);\n",
        "rollbacks/0004_fail.sql": "SELECT 1;\n"})
    empty = api.fingerprint(db)
    result = run(db, root, "apply", "--batch-size", "10")
    assert result.exit_code == 4  # the last step fails on the rows: the phase is rolled back
    assert 'check constraint "c\'; --" of relation "we;ird "name" $$ x" is violated' in result.stderr
    assert api.fingerprint(db) == empty
    (root / "migrations" / "0004_fail.sql").write_text(f"COMMENT ON COLUMN {quoted}.{quoted} IS '$$';\n")
    assert run(db, root, "apply", "--batch-size", "10").exit_code == OK
    assert sql(f"SELECT count(*) FROM {quoted}") == [(50,)]
    assert sql("SELECT count(*) FROM pg_tables WHERE tablename = 'x'") == [(0,)]
    assert run(db, root, "rollback", "--all").exit_code == OK
    assert api.fingerprint(db) == empty


@pytest.fixture
def small_disk(own_server):
    """(server, tablespace name): a tablespace on a 3 MB tmpfs of this test's own (mounting needs root)."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is made with a small tmpfs, which only root may mount")
    local = own_server()
    folder = Path(tempfile.mkdtemp(prefix="toolkit-full-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        if local.os_user is not None:
            os.chown(folder, local.os_user.pw_uid, local.os_user.pw_gid)
        with local.target().connect() as conn:
            conn.execute(f"CREATE TABLESPACE small LOCATION '{folder}'")
        yield local, "small"
    finally:
        local.stop()
        subprocess.run(["umount", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


FULL = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, pad text);\n"
                                    "INSERT INTO accounts SELECT g, repeat(md5(g::text), 8) "
                                    "FROM generate_series(1, 20000) AS g;\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
}


@pytest.mark.slow
def test_a_disk_that_fills_mid_backfill_rolls_the_phase_back_naming_the_step(project, small_disk):
    local, tablespace = small_disk
    root = project({**FULL,
                    "migrations/0101_copies.sql": f"CREATE TABLE copies (id bigint PRIMARY KEY USING INDEX TABLESPACE "
                                                  f"{tablespace}, pad text) TABLESPACE {tablespace};\n",
                    "rollbacks/0101_copies.sql": "DROP TABLE copies;\n",
                    "migrations/0102_fill.sql": "-- toolkit:batch\nINSERT INTO copies SELECT a.id, a.pad FROM accounts a\n"
                                                "WHERE NOT EXISTS (SELECT 1 FROM copies c WHERE c.id = a.id)\n"
                                                "ORDER BY a.id LIMIT current_setting('toolkit.batch_size')::integer;\n",
                    "rollbacks/0102_fill.sql": "DELETE FROM copies;\n"})
    target = database(local, "full")
    assert run(target, root, "apply", "--phase", "0").exit_code == OK
    before = api.fingerprint(target)
    result = run(target, root, "apply", "--phase", "1", "--batch-pause", "0")
    assert result.exit_code == 4, result.output
    assert "0102_fill failed" in result.stderr and "No space left on device" in result.stderr
    assert api.fingerprint(target) == before
    assert one(target, "SELECT count(*) FROM toolkit.applied_migrations WHERE phase = 1") == 0


@pytest.mark.slow
def test_a_disk_that_fills_mid_index_build_rolls_back_and_leaves_no_invalid_index(project, small_disk):
    local, tablespace = small_disk
    root = project({**FULL,
                    "migrations/0101_idx_accounts_pad.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_accounts_pad "
                                                            f"ON accounts (pad) TABLESPACE {tablespace};\n",
                    "rollbacks/0101_idx_accounts_pad.sql": "DROP INDEX CONCURRENTLY IF EXISTS idx_accounts_pad;\n"})
    target = database(local, "full")
    assert run(target, root, "apply", "--phase", "0").exit_code == OK
    before = api.fingerprint(target)
    result = run(target, root, "apply", "--phase", "1")
    assert result.exit_code == 4, result.output
    assert "0101_idx_accounts_pad failed" in result.stderr and "No space left on device" in result.stderr
    assert api.fingerprint(target) == before
    assert one(target, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0


def test_a_connection_lost_during_checks_names_where_the_run_was(project, db, sql):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n",
                    "validation/00_post.sql": "-- check: slow\nSELECT count(*) FROM pg_sleep(30);\n"})
    runner = _runner(db, root, "apply")
    until(db, "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
               "AND application_name = 'toolkit apply'")
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'toolkit apply'")
    _, stderr = runner.communicate(timeout=30)
    assert runner.returncode == CANNOT_CONNECT
    [error] = [line for line in stderr.splitlines() if line.startswith("toolkit: error:")]
    assert "lost the database connection at phase 0's post-checks (" in error and "00_post.sql)" in error


def test_a_key_query_cancelled_by_the_roles_statement_timeout_names_that_setting(project, db, sql):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n",
                    "validation/keys.sql": "-- key: slow_report\nSELECT pg_sleep(0.5);\n"})
    sql(f'ALTER DATABASE "{db.params["dbname"]}" SET statement_timeout = \'200ms\'')
    result = run(db, root, "apply")
    assert result.exit_code == BAD_INPUT
    assert "key query slow_report" in result.stderr and "was cancelled by statement_timeout = 200ms, set for this " \
           "role or database, not by the toolkit" in result.stderr
    assert sql("SELECT to_regclass('a') IS NULL") == [(True,)]


@pytest.mark.slow
def test_a_standby_promoted_mid_phase_has_a_truthful_status_and_apply_resumes_there(project, own_server):
    primary = own_server()
    root = project(RESUMABLE)
    target = database(primary, "app")
    assert run(target, root, "apply", "--phase", "0").exit_code == OK
    standby = primary.standby(Path(tempfile.mkdtemp(prefix="toolkit-standby-pg-")))  # the server user reaches it
    try:
        runner = _runner(target, root, "apply", "--phase", "1", "--batch-size", "100", "--fixed-batches",
                         "--batch-pause", "0.05")
        until(standby.target("app"), "SELECT count(*) > 500 FROM profiles")  # replicated as it went
        primary.crash()  # the primary is lost mid-backfill
        runner.communicate(timeout=60)
        assert runner.returncode == CANNOT_CONNECT  # pointed at the old primary: stops, one line, exit 9
        standby.promote()
        promoted = standby.target("app")
        status = api.status(promoted, settings=api.Settings(project=root))
        states = {m.migration: m.state for m in status.phases[1].migrations}
        assert status.phases[1].state == "partial"
        assert states["0101_profiles"] == "applied" and states["0102_backfill"] == "interrupted"
        assert 0 < one(promoted, "SELECT count(*) FROM profiles") < 3000  # what the status says it is
        rerun = run(promoted, root, "apply", "--phase", "1", "--batch-size", "100", "--fixed-batches",
                    "--batch-pause", "0")
        assert rerun.exit_code == OK, rerun.output
        assert one(promoted, "SELECT count(*) FROM profiles") == 3000
        assert one(promoted, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
    finally:
        standby.stop()
        shutil.rmtree(standby.home, ignore_errors=True)


def test_a_tiny_statement_timeout_on_the_database_does_not_cancel_the_runners_own_queries(project, db, sql):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    sql(f'ALTER DATABASE "{db.params["dbname"]}" SET statement_timeout = \'1ms\'')
    result = run(db, root, "apply")
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(1,)]


def test_ctrl_c_cancels_the_running_statement_says_how_to_resume_and_exits_130(project, db, sql):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint);\nSELECT pg_sleep(30);\n",
                    "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    # a suite started in the background (CI's `&`) inherits SIGINT ignored, and Python then keeps it so: the
    # child gets Ctrl-C as a terminal would deliver it
    child = subprocess.Popen([sys.executable, "-m", "toolkit", "apply"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root)},
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    until(db, "SELECT count(*) > 0 FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'")
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("toolkit: interrupted (Ctrl-C)") and "Traceback" not in err
    assert sql("SELECT to_regclass('a') IS NULL") == [(True,)]  # its transaction was rolled back
    assert sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'") \
        == [(0,)]
