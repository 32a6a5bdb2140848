"""`toolkit repair`: shows what a human must resolve; its actions are explicit and logged."""

import json
import os
import signal
import subprocess
import sys

import psycopg
from click.testing import CliRunner

from toolkit.cli import BAD_INPUT, HUMAN_NEEDED, OK, cli
from toolkit.runner.runlock import LOCK_KEY

PROJECT = {
    "migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY, name text);\n",
    "rollbacks/0001_a.sql": "DROP TABLE a;\n",
    "migrations/0101_idx_a_name.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a_name ON a (name);\n",
    "rollbacks/0101_idx_a_name.sql": "DROP INDEX CONCURRENTLY IF EXISTS idx_a_name;\n",
    "migrations/0102_b.sql": "CREATE TABLE b (id bigint PRIMARY KEY);\n",
    "rollbacks/0102_b.sql": "DROP TABLE b;\n",
}


def run(db, root, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root)})


def test_nothing_to_repair_exits_0(project, db):
    root = project(PROJECT)
    run(db, root, "apply")
    result = run(db, root, "repair")
    assert result.exit_code == OK and result.stdout.strip() == "nothing needs a human"


def test_interrupted_concurrent_step_is_shown_and_can_be_marked_applied(project, db, sql):
    root = project(PROJECT)
    run(db, root, "apply", "--phase", "0")
    # Killed right after the index was built, before it was recorded.
    killed = subprocess.run([sys.executable, "-m", "toolkit", "apply", "--phase", "1"],
                            env={**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root),
                                 "TOOLKIT_DEBUG_KILL_AT": "2"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    report = run(db, root, "repair", "--json")
    assert report.exit_code == OK  # a rerun resumes it: listed, but nothing for a human
    [problem] = json.loads(report.stdout)["problems"]
    assert (problem["kind"], problem["subject"], problem["needs_human"]) == ("interrupted", "0101_idx_a_name", False)
    assert problem["detail"].endswith("; a rerun resumes it")
    assert any("--mark-applied 0101_idx_a_name" in way for way in problem["ways_out"])

    fixed = run(db, root, "repair", "--mark-applied", "0101_idx_a_name")
    assert fixed.exit_code == OK
    assert "done: mark_applied 0101_idx_a_name" in fixed.stdout
    assert sql("SELECT action, outcome, detail FROM toolkit.history WHERE action = 'repair'") == \
        [("repair", "ok", "repair mark_applied by hand")]
    assert run(db, root, "apply").exit_code == OK  # 0102 follows; 0101 is not run again


def test_an_action_on_a_migration_that_does_not_need_it_is_refused(project, db, sql):
    root = project(PROJECT)
    run(db, root, "apply")
    result = run(db, root, "repair", "--mark-rolled-back", "0102_b")
    assert result.exit_code == BAD_INPUT
    assert "0102_b is not in a state that needs it" in result.stderr
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(3,)]


def test_failed_rollback_is_shown_and_can_be_marked_rolled_back_after_a_human_fix(project, db, sql):
    root = project({**PROJECT, "rollbacks/0102_b.sql": "DROP TABLE b_typo;\n"})
    run(db, root, "apply")
    assert run(db, root, "rollback", "--phase", "1").exit_code == HUMAN_NEEDED
    [problem] = json.loads(run(db, root, "repair", "--json").stdout)["problems"]
    assert (problem["kind"], problem["subject"]) == ("failed_rollback", "0102_b")
    sql("DROP TABLE b")  # the human undoes it by hand
    assert run(db, root, "repair", "--mark-rolled-back", "0102_b").exit_code == OK
    assert run(db, root, "status", "--json").exit_code == OK
    assert sql("SELECT migration FROM toolkit.applied_migrations ORDER BY 1") == \
        [("0001_a",), ("0101_idx_a_name",)]


def test_a_comment_edit_can_be_accepted_explicitly(project, db):
    root = project(PROJECT)
    run(db, root, "apply", "--phase", "0")
    (root / "migrations" / "0001_a.sql").write_text("-- a: accounts\nCREATE TABLE a (id bigint PRIMARY KEY, name text);\n")
    assert run(db, root, "apply").exit_code == BAD_INPUT
    assert run(db, root, "repair", "--accept-checksum", "0001_a").exit_code == OK
    assert run(db, root, "apply").exit_code == OK


def test_invalid_index_is_reported(project, db, sql):
    root = project(PROJECT)
    run(db, root, "apply", "--phase", "0")
    sql("INSERT INTO a VALUES (1, 'x'), (2, 'x')")
    try:
        sql("CREATE UNIQUE INDEX CONCURRENTLY uq_a_name ON a (name)")
    except Exception:
        pass
    problems = json.loads(run(db, root, "repair", "--json").stdout)["problems"]
    assert [(p["kind"], p["subject"]) for p in problems] == [("invalid_index", "public.uq_a_name")]


def test_a_step_another_runner_is_working_on_is_running_not_interrupted(project, db):
    root = project(PROJECT)
    run(db, root, "apply", "--phase", "0")
    killed = subprocess.run([sys.executable, "-m", "toolkit", "apply", "--phase", "1"],
                            env={**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root),
                                 "TOOLKIT_DEBUG_KILL_AT": "2"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL  # its 'started' row stays, as a runner's mid-step does
    with psycopg.connect(db.dsn, autocommit=True, application_name="toolkit apply") as runner:
        runner.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))  # a runner holds the lock: it is on it now
        status = json.loads(run(db, root, "status", "--json").stdout)
        phase_1 = next(p for p in status["phases"] if p["phase"] == 1)
        assert phase_1["state"] == "running"
        assert phase_1["migrations"][0]["state"] == "running"
        report = run(db, root, "repair", "--json")
        assert report.exit_code == OK
        [problem] = json.loads(report.stdout)["problems"]
        assert (problem["kind"], problem["needs_human"]) == ("running", False)
        assert "running now (application 'toolkit apply'" in problem["detail"]
    status = json.loads(run(db, root, "status", "--json").stdout)
    assert next(p for p in status["phases"] if p["phase"] == 1)["migrations"][0]["state"] == "interrupted"


NAMED_ONLY = {**PROJECT, "migrations/0101_idx_a_name.sql": "CREATE INDEX CONCURRENTLY idx_a_name ON a (name);\n",
              "rollbacks/0101_idx_a_name.sql": "DROP INDEX CONCURRENTLY idx_a_name;\n"}


def test_a_concurrent_build_without_if_not_exists_killed_before_its_progress_row_completes_on_rerun(project, db,
                                                                                                    sql):
    root = project(NAMED_ONLY)  # as real histories write it: the plan takes it, the rerun looks the index up
    run(db, root, "apply", "--phase", "0")
    killed = subprocess.run([sys.executable, "-m", "toolkit", "apply", "--phase", "1"],
                            env={**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root),
                                 "TOOLKIT_DEBUG_KILL_AT": "2"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL  # the index is built, its progress row not written
    assert sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_a_name'::regclass") == [(True,)]
    again = run(db, root, "apply")
    assert again.exit_code == OK, again.output
    assert "idx_a_name is built and valid: the run that stopped finished this statement" in again.stderr
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(3,)]
    back = run(db, root, "rollback", "--phase", "1")
    assert back.exit_code == OK, back.output
    assert sql("SELECT to_regclass('idx_a_name') IS NULL") == [(True,)]
