"""Kill it anywhere: a runner killed at any statement boundary, or whose backend is
terminated, leaves a state `status` tells truthfully and a rerun finishes exactly."""

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from click.testing import CliRunner

from toolkit import api
from toolkit.cli import CANNOT_CONNECT, LOCK_HELD, OK, cli

PROJECT = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n"
                                    "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 30) AS g;\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_profiles.sql": "CREATE TABLE profiles (account_id bigint PRIMARY KEY, bio text);\n"
                                    "CREATE TABLE profile_notes (id bigint PRIMARY KEY, note text);\n",
    "rollbacks/0101_profiles.sql": "DROP TABLE profile_notes;\nDROP TABLE profiles;\n",
    "migrations/0102_idx_accounts_name.sql":
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_accounts_name ON accounts (name);\n",
    "rollbacks/0102_idx_accounts_name.sql": "DROP INDEX CONCURRENTLY IF EXISTS idx_accounts_name;\n",
    "migrations/0103_backfill_profiles.sql":
        "-- toolkit:batch\nINSERT INTO profiles (account_id, bio)\nSELECT a.id, 'hello' FROM accounts AS a\n"
        "WHERE NOT EXISTS (SELECT 1 FROM profiles AS p WHERE p.account_id = a.id)\nORDER BY a.id\n"
        "LIMIT current_setting('toolkit.batch_size')::integer;\n",
    "rollbacks/0103_backfill_profiles.sql":
        "-- toolkit:batch\nDELETE FROM profiles WHERE account_id IN (\n"
        "    SELECT account_id FROM profiles ORDER BY account_id LIMIT current_setting('toolkit.batch_size')::integer\n);\n",
    "migrations/0104_flag.sql": "ALTER TABLE accounts ADD COLUMN flagged boolean NOT NULL DEFAULT false;\n",
    "rollbacks/0104_flag.sql": "ALTER TABLE accounts DROP COLUMN flagged;\n",
    "validation/01_post.sql": "-- check: accounts_without_profile\nSELECT count(*) FROM accounts AS a\n"
                              "WHERE NOT EXISTS (SELECT 1 FROM profiles AS p WHERE p.account_id = a.id);\n",
}

# Batches of 10 so the backfill has boundaries between batches; no pause between them, which only
# gives live traffic room and would be most of each killed run's time here.
PHASE_1 = ("--phase", "1", "--batch-size", "10", "--fixed-batches", "--batch-pause", "0")


class Reader:
    """Reads on one database through one connection: the walks read a dozen times per kill, and a connection
    is 10 ms. Autocommit and idle between reads, so it holds no lock and no snapshot a rerun could wait for."""

    def __init__(self, target):
        self.conn = psycopg.connect(target.dsn, autocommit=True)

    def one(self, query):
        row = self.conn.execute(query).fetchone()
        return row[0] if row else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()


def has_table(read: Reader, name):
    return read.one(f"SELECT to_regclass('{name}') IS NOT NULL")


def rows_in(read: Reader, table):
    return read.one(f"SELECT count(*) FROM {table}") if has_table(read, table) else 0


EFFECTS = {  # migration -> is its change in the database?
    "0101_profiles": lambda read: has_table(read, "profile_notes"),
    "0102_idx_accounts_name": lambda read: has_table(read, "idx_accounts_name"),
    "0103_backfill_profiles": lambda read: rows_in(read, "profiles") == 30,
    "0104_flag": lambda read: read.one("SELECT count(*) = 1 FROM information_schema.columns "
                                       "WHERE column_name = 'flagged'"),
}
TRANSACTIONAL = {"0101_profiles", "0104_flag"}


def one(target, query):
    with Reader(target) as read:
        return read.one(query)


def cli_run(target, root, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root)})


@pytest.fixture(scope="module")
def kill_at():
    """kill_at(target, root, boundary, *args) -> exit code of a toolkit run killed at that statement boundary,
    forked from a process that has imported the toolkit already (tests/prewarmed.py)."""
    from prewarmed import PrewarmedRunner

    forker = PrewarmedRunner()

    def run(target, root, boundary, *args):
        return forker.run(list(args), {"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root),
                                       "TOOLKIT_DEBUG_KILL_AT": str(boundary)})

    yield run
    forker.close()


def runner(target, root, *args, **env):
    return subprocess.Popen([sys.executable, "-m", "toolkit", *args],
                            env={**os.environ, "DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def root(project):
    return project(PROJECT)


@pytest.fixture
def template(db, root):
    """The scratch database with phase 0 applied, used as a template (no connections left)."""
    assert cli_run(db, root, "apply", "--phase", "0").exit_code == OK
    return db.params["dbname"]


def assert_status_tells_the_truth(target, root, read: Reader):
    status = api.status(target, settings=api.Settings(project=root))
    for m in status.phases[1].migrations:
        done = EFFECTS[m.migration](read)
        if m.state == "rollback_interrupted":
            assert m.migration not in TRANSACTIONAL
        elif m.state == "applied":
            assert done, f"{m.migration} recorded as applied without its change"
        elif m.migration in TRANSACTIONAL:
            assert not done, f"{m.migration} changed the database without its history row"
        elif done or (m.migration == "0103_backfill_profiles" and rows_in(read, "profiles")):
            assert m.state == "interrupted", f"{m.migration} half done but shown as {m.state}"


@pytest.mark.slow
def test_apply_killed_at_every_boundary_converges_to_an_uninterrupted_run(clone_of, template, root, kill_at):
    reference = clone_of(template)
    assert cli_run(reference, root, "apply", *PHASE_1).exit_code == OK
    expected = api.fingerprint(reference)
    for boundary in range(1, 200):
        target = clone_of(template)
        returncode = kill_at(target, root, boundary, "apply", *PHASE_1)
        if returncode == 0:
            break  # past the last boundary: the run completed
        assert returncode == -signal.SIGKILL
        with Reader(target) as read:
            assert_status_tells_the_truth(target, root, read)
            rerun = cli_run(target, root, "apply", *PHASE_1)
            assert rerun.exit_code == OK, (boundary, rerun.output)
            assert api.fingerprint(target) == expected, boundary
            assert read.one("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
            assert read.one("SELECT count(*) FROM profiles") == 30
            assert read.one("SELECT count(*) FROM toolkit.applied_migrations") == 5
    assert boundary > 10, "the harness should have killed the run many times"


@pytest.mark.slow
def test_rollback_killed_at_every_boundary_converges_to_the_state_before_the_phase(clone_of, template, root,
                                                                                   kill_at):
    before = api.fingerprint(clone_of(template))
    applied = clone_of(template)
    assert cli_run(applied, root, "apply", *PHASE_1).exit_code == OK
    applied_name = applied.params["dbname"]
    for boundary in range(1, 200):
        target = clone_of(applied_name)
        returncode = kill_at(target, root, boundary, "rollback", *PHASE_1)
        if returncode == 0:
            break
        assert returncode == -signal.SIGKILL
        with Reader(target) as read:
            assert_status_tells_the_truth(target, root, read)
            rerun = cli_run(target, root, "rollback", *PHASE_1)
            finished_before_the_kill = rerun.exit_code == 2 and "phase 1 is not applied" in rerun.stderr
            assert rerun.exit_code == OK or finished_before_the_kill, (boundary, rerun.output)
            assert api.fingerprint(target) == before, boundary
            assert read.one("SELECT count(*) FROM toolkit.applied_migrations") == 1
    assert boundary > 10


def wait_for(target, query, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = one(target, query)
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {query}")


PHASE_0 = {k: v for k, v in PROJECT.items() if "/00" in k}
SLOW_PHASE = {
    "migrations/0101_t.sql": "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    "rollbacks/0101_t.sql": "DROP TABLE t;\n",
    "migrations/0102_slow.sql": "CREATE TABLE slow (id bigint PRIMARY KEY);\nSELECT pg_sleep(2);\n",
    "rollbacks/0102_slow.sql": "DROP TABLE slow;\n",
}
RUNNER_PID = "SELECT pid FROM pg_stat_activity WHERE application_name = 'toolkit apply' AND query LIKE '%pg_sleep%'"


def test_terminated_backend_gets_exit_9_one_line_and_a_rerun_finishes(project, db):
    root = project({**PHASE_0, **SLOW_PHASE})
    assert cli_run(db, root, "apply", "--phase", "0").exit_code == OK
    run = runner(db, root, "apply", "--phase", "1")
    pid = wait_for(db, RUNNER_PID)
    one(db, f"SELECT pg_terminate_backend({pid})")
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == CANNOT_CONNECT
    error = [line for line in stderr.splitlines() if line.startswith("toolkit: error:")]
    assert len(error) == 1 and "lost the database connection at" in error[0] and "0102_slow.sql:2" in error[0]
    assert "Traceback" not in stderr
    states = {m.migration: m.state for m in api.status(db, settings=api.Settings(project=root)).phases[1].migrations}
    assert states["0101_t"] == "applied" and states["0102_slow"] == "pending"
    assert one(db, "SELECT to_regclass('slow') IS NULL")
    assert cli_run(db, root, "apply", "--phase", "1").exit_code == OK


def test_two_runners_at_once_one_proceeds_the_other_names_it(project, db):
    root = project({**PHASE_0, **SLOW_PHASE})
    assert cli_run(db, root, "apply", "--phase", "0").exit_code == OK
    first = runner(db, root, "apply", "--phase", "1")
    pid = wait_for(db, RUNNER_PID)
    second = cli_run(db, root, "apply", "--phase", "1", "--lock-wait", "0.3")
    assert second.exit_code == LOCK_HELD
    assert "application 'toolkit apply' of " in second.stderr and f"server pid {pid}," in second.stderr
    first.communicate(timeout=30)
    assert first.returncode == OK


def test_a_killed_runners_lock_is_released_by_the_server(project, db):
    root = project({**PHASE_0, **SLOW_PHASE, "migrations/0102_slow.sql":
                    "CREATE TABLE slow (id bigint PRIMARY KEY);\nSELECT pg_sleep(30);\n"})
    assert cli_run(db, root, "apply", "--phase", "0").exit_code == OK
    first = runner(db, root, "apply", "--phase", "1")
    wait_for(db, RUNNER_PID)
    first.kill()
    first.communicate()
    started = time.monotonic()
    # The 30 s statement is still running server side; client_connection_check_interval
    # makes the server notice the dead client and free the lock within seconds.
    after = cli_run(db, root, "status")
    assert after.exit_code == OK
    blocked = cli_run(db, root, "rollback", "--phase", "1", "--lock-wait", "10")
    assert blocked.exit_code == OK, blocked.output
    assert time.monotonic() - started < 10


INDEXES = {
    "migrations/0001_accounts.sql": PROJECT["migrations/0001_accounts.sql"],
    "rollbacks/0001_accounts.sql": PROJECT["rollbacks/0001_accounts.sql"],
    "migrations/0101_indexes.sql": "".join(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_{n}_idx ON accounts ({column});\n"
        for n, column in enumerate(("name", "id, name", "name, id"), start=1)),
    "rollbacks/0101_indexes.sql": "".join(f"DROP INDEX CONCURRENTLY IF EXISTS accounts_{n}_idx;\n" for n in (3, 2, 1)),
}


@pytest.mark.slow
def test_a_file_of_several_concurrent_builds_killed_anywhere_resumes_at_the_first_not_done(clone_of, project, db,
                                                                                           kill_at):
    root = project(INDEXES)
    assert cli_run(db, root, "apply", "--phase", "0").exit_code == OK
    template = db.params["dbname"]
    reference = clone_of(template)
    assert cli_run(reference, root, "apply", "--phase", "1").exit_code == OK
    expected = api.fingerprint(reference)
    resumed = set()
    for boundary in range(1, 60):
        target = clone_of(template)
        if kill_at(target, root, boundary, "apply", "--phase", "1") == 0:
            break
        rerun = cli_run(target, root, "apply", "--phase", "1")
        assert rerun.exit_code == OK, (boundary, rerun.output)
        assert api.fingerprint(target) == expected, boundary
        resumed |= {line.split("resuming at statement ")[1].split()[0] for line in rerun.stderr.splitlines()
                    if "resuming at statement" in line}
    assert resumed == {"2", "3"}, "some kill should have come after the first and after the second build"
