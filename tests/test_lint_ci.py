"""`toolkit lint` as CI meets it: annotation formats, `--changed REV` and `--fix`. No database but the one
`--fix --dsn` reads the history from."""

import json
import subprocess

import pytest
from click.testing import CliRunner

from toolkit.cli import FINDINGS, OK, cli

FILES = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "validation/00_pre.sql": "-- check: nothing_yet\nSELECT 0;\n",
    "validation/00_post.sql": "-- check: nothing_wrong\nSELECT 0;\n",
    "migrations/0101_index.sql": "CREATE INDEX accounts_name_idx ON accounts (name);\n",
    "rollbacks/0101_index.sql": "DROP INDEX CONCURRENTLY IF EXISTS accounts_name_idx;\n",
    "validation/01_pre.sql": "-- check: nothing_yet\nSELECT 0;\n",
    "validation/01_post.sql": "-- check: nothing_wrong\nSELECT 0;\n",
}


def lint(root, *args, **env):
    return CliRunner().invoke(cli, ["lint", "--project", str(root), *args], env=env)


def test_github_format_is_one_workflow_annotation_per_finding(project):
    result = lint(project(FILES), "--no-style", "--format", "github")
    assert result.exit_code == FINDINGS
    assert result.stdout.startswith("::error file=")
    line = result.stdout.splitlines()[0]
    assert line.endswith("migrations/0101_index.sql,line=1,col=1,title=index-not-concurrent::index built or "
                         "dropped without CONCURRENTLY on an existing table: CREATE INDEX on accounts")


def test_gitlab_format_is_a_code_quality_report(project):
    [issue] = json.loads(lint(project(FILES), "--no-style", "--format", "gitlab").stdout)
    assert issue["check_name"] == "index-not-concurrent" and issue["severity"] == "major"
    assert issue["location"]["path"].endswith("migrations/0101_index.sql") and issue["location"]["lines"] == {
        "begin": 1}
    assert len(issue["fingerprint"]) == 64


def test_sarif_format_names_the_rule_and_the_region(project):
    log = json.loads(lint(project(FILES), "--no-style", "--format", "sarif").stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["index-not-concurrent"]
    [result] = run["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert result["ruleId"] == "index-not-concurrent" and region == {"startLine": 1, "startColumn": 1}


def git(root, *args):
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repository(project):
    root = project(FILES)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def test_changed_lints_only_the_files_changed_against_the_revision(repository):
    (repository / "migrations" / "0102_code.sql").write_text("ALTER TABLE accounts ADD COLUMN code varchar(3);\n")
    (repository / "rollbacks" / "0102_code.sql").write_text("ALTER TABLE accounts DROP COLUMN code;\n")
    result = lint(repository, "--no-style", "--changed", "HEAD")
    assert result.exit_code == FINDINGS
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["migrations/0102_code.sql"]


def test_changed_with_nothing_changed_is_clean(repository):
    assert lint(repository, "--no-style", "--changed", "HEAD").exit_code == OK


def test_changed_without_a_revision_means_against_head(repository):
    (repository / "migrations" / "0102_code.sql").write_text("ALTER TABLE accounts ADD COLUMN code varchar(3);\n")
    (repository / "rollbacks" / "0102_code.sql").write_text("ALTER TABLE accounts DROP COLUMN code;\n")
    result = lint(repository, "--no-style", "--changed")
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["migrations/0102_code.sql"]


def test_changed_against_an_unknown_revision_is_one_line(repository):
    result = lint(repository, "--changed", "no-such-rev")
    assert result.exit_code == 2 and result.stderr.startswith("toolkit: error: --changed: git diff")




def test_fix_in_git_leaves_committed_migrations_alone_and_fixes_new_ones(repository):
    (repository / "migrations" / "0102_more.sql").write_text("CREATE table more (id bigint PRIMARY KEY);\n")
    (repository / "rollbacks" / "0102_more.sql").write_text("DROP table more;\n")
    (repository / "rollbacks" / "0001_accounts.sql").write_text("DROP table accounts;\n")
    committed = (repository / "migrations" / "0001_accounts.sql").read_text()
    result = lint(repository, "--fix")  # no --dsn, no --changed: git says what is not committed yet
    assert "left migrations/0001_accounts.sql alone: unchanged since the last commit" in result.stderr
    assert (repository / "migrations" / "0001_accounts.sql").read_text() == committed
    assert (repository / "migrations" / "0102_more.sql").read_text() == "CREATE TABLE more (id bigint PRIMARY KEY);\n"
    assert (repository / "rollbacks" / "0001_accounts.sql").read_text() == "DROP TABLE accounts;\n"


def test_fix_without_git_or_a_database_fixes_a_new_projects_migrations(project):
    root = project({**FILES, "migrations/0102_more.sql": "CREATE table more (id bigint PRIMARY KEY);\n",
                    "rollbacks/0102_more.sql": "DROP TABLE more;\n"})
    result = lint(root, "--fix")  # what `toolkit init` then `toolkit new` leave: nothing says any was applied
    assert "fixed style in migrations/0102_more.sql" in result.stderr and "alone" not in result.stderr
    assert (root / "migrations" / "0102_more.sql").read_text() == "CREATE TABLE more (id bigint PRIMARY KEY);\n"


def test_fix_rewrites_a_migration_changed_against_the_revision(repository):
    (repository / "migrations" / "0102_more.sql").write_text("CREATE table more (id bigint PRIMARY KEY);\n")
    (repository / "rollbacks" / "0102_more.sql").write_text("DROP TABLE more;\n")
    result = lint(repository, "--fix", "--changed", "HEAD")
    assert "fixed style in migrations/0102_more.sql" in result.stderr
    assert (repository / "migrations" / "0102_more.sql").read_text() == "CREATE TABLE more (id bigint PRIMARY KEY);\n"
    assert "left migrations/0001_accounts.sql alone: unchanged since --changed REV" in result.stderr


def test_fix_leaves_a_migration_the_database_applied(project, toolkit, db):
    root = project({k: v for k, v in FILES.items() if "0101" not in k and "/01_" not in k})
    assert toolkit("apply", project=root).exit_code == OK
    (root / "migrations" / "0002_more.sql").write_text("CREATE table more (id bigint PRIMARY KEY);\n")
    (root / "rollbacks" / "0002_more.sql").write_text("DROP TABLE more;\n")
    applied_text = (root / "migrations" / "0001_accounts.sql").read_text()
    result = lint(root, "--fix", "--dsn", db.dsn)
    assert "fixed style in migrations/0002_more.sql" in result.stderr
    assert (root / "migrations" / "0001_accounts.sql").read_text() == applied_text
