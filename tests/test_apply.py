"""Apply, automatic rollback and manual rollback, against a real server."""

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from toolkit import api, load_plan
from toolkit.cli import BAD_INPUT, CHECK_ROLLED_BACK, HUMAN_NEEDED, OK, PRE_CHECK_FAILED, STEP_ROLLED_BACK
from toolkit.runner.history import LAYOUTS

PHASE_0 = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "validation/00_post.sql": "-- check: accounts_exist\nSELECT to_regclass('accounts') IS NULL;\n",
}


def three_step_phase_1(middle: str, post_check: str = "SELECT 0", rollback_of_first: str = "DROP TABLE t1;") -> dict:
    return {
        **PHASE_0,
        "migrations/0101_t1.sql": "CREATE TABLE t1 (id bigint);\n",
        "rollbacks/0101_t1.sql": rollback_of_first + "\n",
        "migrations/0102_t2.sql": middle + "\n",
        "rollbacks/0102_t2.sql": "DROP TABLE t2;\n",
        "migrations/0103_t3.sql": "CREATE TABLE t3 (id bigint);\n",
        "rollbacks/0103_t3.sql": "DROP TABLE t3;\n",
        "validation/01_pre.sql": "-- check: accounts_have_names\nSELECT count(*) FROM accounts WHERE name IS NULL;\n",
        "validation/01_post.sql": f"-- check: everything_fine\n{post_check};\n",
    }


def test_phases_0_and_1_apply_on_an_empty_database(toolkit, sql):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    result = toolkit("apply", "--phase", "1")
    assert result.exit_code == OK, result.output
    tables = {r[0] for r in sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"users", "businesses", "health_metrics", "subscription_plans", "user_subscriptions",
            "credits", "credit_ledger", "webhook_events", "donations"} <= tables
    assert sql("SELECT count(*) FROM subscription_plans WHERE name = 'Free'") == [(1,)]


def test_phase_1_is_refused_before_phase_0(toolkit, db):
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1")
    assert result.exit_code == BAD_INPUT
    assert "phase 1 cannot be applied: earlier phase(s) 0 pending" in result.stderr
    assert api.fingerprint(db) == before


def test_every_phase_applied_then_rolled_back_leaves_the_empty_fingerprint(toolkit, db):
    empty = api.fingerprint(db)
    for args in (("apply", "--phase", "0"), ("apply", "--phase", "1"),
                 ("rollback", "--phase", "1"), ("rollback", "--phase", "0")):
        assert toolkit(*args).exit_code == OK, args
    assert api.fingerprint(db) == empty


def test_apply_without_phase_applies_every_pending_phase(toolkit, sql):
    result = toolkit("apply", "--json")
    assert result.exit_code == OK
    assert [p["phase"] for p in json.loads(result.stdout)] == [p.number for p in load_plan(Path(__file__).resolve().parent.parent).phases]
    assert toolkit("apply").stdout.strip() == "nothing to do: up to date"


def test_failing_pre_check_changes_nothing(toolkit, db, sql, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);"))
    toolkit("apply", "--phase", "0", project=root)
    sql("INSERT INTO accounts VALUES (1, NULL)")
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == PRE_CHECK_FAILED
    assert "accounts_have_names" in result.stderr
    assert api.fingerprint(db) == before


def test_failing_step_in_the_middle_rolls_the_phase_back(toolkit, db, sql, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);\nSELECT 1 / 0;"))
    toolkit("apply", "--phase", "0", project=root)
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    assert "0102_t2 failed" in result.stderr and "0102_t2.sql:2: division by zero" in result.stderr
    assert api.fingerprint(db) == before
    assert sql("SELECT migration FROM toolkit.applied_migrations ORDER BY 1") == [("0001_accounts",)]


def test_phases_that_applied_before_a_later_one_failed_are_said_before_the_error(toolkit, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);\nSELECT 1 / 0;"))
    result = toolkit("apply", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    assert result.stdout.startswith("phase 0 applied: 1 migration(s) in ")
    as_json = toolkit("apply", "--json", project=root)
    assert as_json.exit_code == STEP_ROLLED_BACK and json.loads(as_json.stdout)["completed"] == []  # 0 is in


def test_failing_post_check_rolls_the_phase_back(toolkit, db, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);", post_check="SELECT 42 AS answer"))
    toolkit("apply", "--phase", "0", project=root)
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == CHECK_ROLLED_BACK
    assert "check everything_fine (" in result.stderr and "validation/01_post.sql:2) returned 42" in result.stderr
    assert api.fingerprint(db) == before


def test_broken_rollback_script_needs_a_human(toolkit, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);", post_check="SELECT 1",
                                      rollback_of_first="DROP TABLE no_such_table;"))
    toolkit("apply", "--phase", "0", project=root)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == HUMAN_NEEDED
    assert "rollback of 0101_t1 failed" in result.stderr
    assert "phase 1 now has applied: 0101_t1" in result.stderr


def test_rollback_that_does_not_restore_the_schema_needs_a_human(toolkit, project):
    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);", post_check="SELECT 1",
                                      rollback_of_first="ALTER TABLE t1 RENAME TO t1_kept;"))
    toolkit("apply", "--phase", "0", project=root)
    result = toolkit("apply", "--phase", "1", project=root)
    assert result.exit_code == HUMAN_NEEDED
    assert "schema differs from before the phase" in result.stderr
    assert "table t1_kept: after the rollback, not before the phase" in result.stderr


def test_manual_rollback_of_a_phase_with_a_later_phase_applied_is_refused(toolkit):
    toolkit("apply")
    result = toolkit("rollback", "--phase", "0")
    assert result.exit_code == BAD_INPUT
    assert "later phase(s) 1, 2, 3, 4, 5, 6, 7 are applied" in result.stderr


def test_rollback_of_a_phase_that_is_not_applied_is_refused(toolkit):
    result = toolkit("rollback", "--phase", "1")
    assert result.exit_code == BAD_INPUT
    assert "phase 1 is not applied" in result.stderr


def test_dry_run_prints_each_statement_mode_and_runs_nothing(toolkit, db):
    toolkit("apply", "--phase", "0")
    before = api.fingerprint(db)
    result = toolkit("apply", "--phase", "1", "--dry-run", "--json")
    assert result.exit_code == OK
    planned = json.loads(result.stdout)[0]
    modes = {s["migration"]: s["statements"][0]["mode"] for s in planned["steps"]}
    assert modes["0101_subscription_plans"] == "transaction"
    assert modes["0113_idx_user_subscriptions_user_id"] == "autocommit"
    assert api.fingerprint(db) == before


def test_history_records_every_apply_rollback_and_check(toolkit, sql):
    toolkit("apply", "--phase", "0")
    toolkit("rollback", "--phase", "0")
    actions = sql("SELECT action, outcome, count(*) FROM toolkit.history GROUP BY 1, 2 ORDER BY 1, 2")
    assert ("apply", "ok", 8) in actions and ("rollback", "ok", 8) in actions
    assert ("check", "ok", 4) in actions
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(0,)]


@pytest.mark.slow
def test_verify_applies_rolls_back_and_reapplies_to_identical_schemas(server):
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["verify", "--json"], env={"DATABASE_URL": server.dsn, "TOOLKIT_PROJECT": "."})
    assert result.exit_code == OK, result.output
    report = json.loads(result.stdout)
    assert report["rolled_back"] == report["empty"] and report["reapplied"] == report["applied"]
    assert report["differences"] == []
    with server.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (report["database"],)).fetchone() == (0,)


def test_verify_reports_a_rollback_that_leaves_something_behind(server, project):
    from click.testing import CliRunner

    from toolkit.cli import FINDINGS, cli

    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
                    "rollbacks/0001_a.sql": "DROP TABLE a;\n"})
    result = CliRunner().invoke(cli, ["verify"], env={"DATABASE_URL": server.dsn, "TOOLKIT_PROJECT": str(root)})
    assert result.exit_code == FINDINGS
    assert "table b: after rolling every phase back, not on the empty database" in result.stdout


def test_the_history_records_its_layout_version(toolkit, sql):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    assert sql("SELECT max(version), bool_and(installed_by LIKE 'toolkit %') FROM toolkit.layout") \
        == [(len(LAYOUTS), True)]


def test_a_history_from_before_layout_versions_is_adopted_and_kept(toolkit, sql):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    sql("DROP TABLE toolkit.layout")  # as a database looked before the layout was versioned
    assert toolkit("apply", "--phase", "1").exit_code == OK
    assert sql("SELECT count(*) FROM toolkit.applied_migrations WHERE phase = 0")[0][0] > 0
    assert sql("SELECT max(version) FROM toolkit.layout") == [(len(LAYOUTS),)]


def test_a_history_written_by_a_newer_toolkit_is_refused_and_left_alone(toolkit, sql):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    sql("INSERT INTO toolkit.layout (version, installed_by) VALUES (%s, 'toolkit 9.9')", [len(LAYOUTS) + 1])
    result = toolkit("apply", "--phase", "1")
    assert result.exit_code == BAD_INPUT
    assert result.stderr.splitlines()[-1].endswith(
        f"has layout {len(LAYOUTS) + 1}, newer than this toolkit ({version('pgphase')}) knows ({len(LAYOUTS)}): "
        "upgrade toolkit before running it here")
    assert sql("SELECT count(*) FROM toolkit.applied_migrations WHERE phase = 1") == [(0,)]


def test_dry_run_names_the_locks_that_would_stall_applications(toolkit):
    for phase in ("0", "1", "2", "3", "4"):
        toolkit("apply", "--phase", phase)
    result = toolkit("apply", "--phase", "5", "--dry-run", "--json")
    statements = {s["migration"]: s["statements"] for s in json.loads(result.stdout)[0]["steps"]}
    assert statements["0529_subscription_row_security"][0]["stalling_locks"] == [
        "AccessExclusiveLock on user_subscriptions"]
    assert statements["0514_validate_fk_user_subscriptions"][0]["stalling_locks"] == []
    assert "stalls applications while held: AccessExclusiveLock on user_subscriptions" in toolkit(
        "apply", "--phase", "5", "--dry-run").stdout


def test_a_broken_rollback_file_refuses_only_the_phase_it_would_roll_back(toolkit, db, project):
    root = project({**three_step_phase_1("CREATE TABLE t2 (id bigint);"),
                    "rollbacks/0102_t2.sql": "DROP TABLEE t2;\n"})
    earlier = toolkit("apply", "--phase", "0", project=root)
    assert earlier.exit_code == OK, earlier.output
    assert "warning: " in earlier.stderr and "rollbacks/0102_t2.sql:1: SQL syntax error" in earlier.stderr
    before = api.fingerprint(db)
    refused = toolkit("apply", "--phase", "1", project=root)
    assert refused.exit_code == BAD_INPUT
    [line] = refused.stderr.strip().splitlines()
    assert "rollbacks/0102_t2.sql:1: SQL syntax error" in line and "phase 1 is not applied" in line
    assert api.fingerprint(db) == before
    assert toolkit("rollback", "--phase", "0", project=root).exit_code == OK


def test_history_says_who_applied_each_step_and_log_shows_it(toolkit, sql, project):
    import getpass
    import socket

    root = project(three_step_phase_1("CREATE TABLE t2 (id bigint);"))
    assert toolkit("apply", project=root).exit_code == OK
    role = sql("SELECT current_user")[0][0]
    assert sql("SELECT DISTINCT applied_by FROM toolkit.applied_migrations") == [(role,)]
    rows = json.loads(toolkit("history", "--json", project=root).stdout)
    applied = [r for r in rows if r["action"] == "apply" and r["outcome"] == "ok" and r["migration"]]
    assert [r["migration"] for r in applied] == ["0103_t3", "0102_t2", "0101_t1", "0001_accounts"]  # newest first
    assert {(r["db_role"], r["os_user"], r["client_host"]) for r in applied} == {
        (role, getpass.getuser(), socket.gethostname())}
    assert all(r["toolkit_version"] for r in applied)
    assert {(r["session_role"], r["application_name"]) for r in applied} == {(role, "toolkit apply")}
    one = json.loads(toolkit("history", "--json", "--migration", "0102_t2", project=root).stdout)
    assert {r["migration"] for r in one} == {"0102_t2"}
    assert len(json.loads(toolkit("history", "--json", "--limit", "2", project=root).stdout)) == 2
    assert json.loads(toolkit("history", "--json", "--since", "2999-01-01", project=root).stdout) == []
    text = toolkit("history", project=root)
    assert text.exit_code == OK and f"{role} ({getpass.getuser()}@{socket.gethostname()}, toolkit " in text.stdout
