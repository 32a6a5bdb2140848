"""Backfill of seed 001's users.csv: COPY to staging, set-based merge, rejects with line numbers."""

import csv
import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from platform_data.cli import cli as platform_cli
from toolkit.cli import BAD_INPUT, OK, cli

SAMPLES = Path(__file__).resolve().parent / "samples"
REPO = SAMPLES.parent.parent
USERS = "SELECT email, display_name, created_at::date, last_seen_at, is_internal, plan_override FROM users ORDER BY 1"
IDENTITIES = ("SELECT u.email, a.provider, a.provider_account_id FROM auth_accounts AS a "
              "JOIN users AS u ON u.id = a.user_id ORDER BY 2, 3")


def run(db, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(REPO)})


def run_platform(db, *args):
    return CliRunner().invoke(platform_cli, list(args), env={"DATABASE_URL": db.dsn})


@pytest.fixture
def phase_0(db):
    assert run(db, "apply", "--phase", "0").exit_code == OK


def imported(db, path, *args):
    result = run_platform(db, "import", "users-csv", str(path), "--json", *args)
    assert result.exit_code == OK, result.output
    return json.loads(result.stdout)


def test_sample_file_round_trips_with_lowercase_emails_and_identities(db, sql, phase_0):
    summary = imported(db, SAMPLES / "users.csv")
    assert (summary["read"], summary["inserted"], summary["rejected"], summary["identities_added"]) == (5, 4, 0, 5)
    emails = [r[0] for r in sql(USERS)]
    assert emails == ["ada@example.com", "grace@example.com", "linus@example.com", None]
    assert ("linus@example.com", "github", "torvalds") in sql(IDENTITIES)
    assert ("apple", "000123.abc") in [r[1:] for r in sql(IDENTITIES) if r[0] is None]


def test_mixed_case_duplicate_emails_merge_into_one_user(db, sql, phase_0):
    imported(db, SAMPLES / "users.csv")
    [(name, created, seen, plan)] = sql("SELECT display_name, created_at::date::text, last_seen_at::text, "
                                        "plan_override FROM users WHERE email = 'ada@example.com'")
    assert (name, created, plan) == ("Ada Lovelace", "2022-12-01", "pro")  # earliest creation, first name
    assert seen.startswith("2025-11-01 09:00:00")  # latest activity
    assert [r[1:] for r in sql(IDENTITIES) if r[0] == "ada@example.com"] == [("github", "ada"), ("google", "1001")]


def test_second_import_of_the_same_file_changes_nothing(db, sql, phase_0):
    imported(db, SAMPLES / "users.csv")
    users, identities = sql(USERS), sql(IDENTITIES)
    again = imported(db, SAMPLES / "users.csv")
    assert (again["inserted"], again["merged"], again["identities_added"], again["skipped"]) == (0, 0, 0, 5)
    assert sql(USERS) == users and sql(IDENTITIES) == identities


def test_provider_identity_links_a_row_to_its_user_even_with_another_email(db, sql, phase_0):
    imported(db, SAMPLES / "users.csv")
    path = SAMPLES.parent / "samples" / "users.csv"
    moved = path.parent / "moved.csv"
    try:
        moved.write_text(path.read_text().splitlines()[0] + "\nada.new@example.com,,,,false,,google:1001\n")
        summary = imported(db, moved)
    finally:
        moved.unlink()
    assert summary["inserted"] == 0
    assert sql("SELECT count(*) FROM users WHERE email LIKE 'ada%'") == [(1,)]


def test_bad_rows_land_in_the_rejects_file_with_line_numbers_and_the_rest_imports(db, sql, phase_0, tmp_path):
    rejects = tmp_path / "rejects.csv"
    summary = imported(db, SAMPLES / "users_bad.csv", "--rejects", str(rejects))
    assert (summary["read"], summary["inserted"], summary["rejected"]) == (6, 2, 4)
    with rejects.open() as f:
        rows = {int(r["line"]): r["reason"] for r in csv.DictReader(f)}
    assert rows[3].startswith("2 fields")  # malformed line (unclosed quote)
    assert rows[4] == "bad created_at '2024-13-45' (ISO 8601 expected)"
    assert rows[5] == "bad uuid 'not-a-uuid'"
    assert rows[6].startswith("10 fields")
    assert sql("SELECT id::text FROM users WHERE email = 'fine@example.com'") == \
        [("0196a0c0-1111-7000-8000-000000000001",)]


def test_dry_run_reports_and_changes_nothing(db, sql, phase_0):
    summary = imported(db, SAMPLES / "users.csv", "--dry-run")
    assert summary["inserted"] == 4 and summary["dry_run"]
    assert sql("SELECT count(*) FROM users") == [(0,)]


def test_import_before_phase_0_is_refused_with_one_line(db):
    result = run_platform(db, "import", "users-csv", str(SAMPLES / "users.csv"))
    assert result.exit_code == BAD_INPUT
    assert result.stderr == "toolkit: error: users.csv goes into users (phase 0): apply phase 0 first\n"


def test_append_only_table_refuses_an_update(db, sql):
    assert run(db, "apply", "--phase", "0").exit_code == OK
    assert run(db, "apply", "--phase", "1").exit_code == OK
    sql("INSERT INTO tool_runs (anonymous_user_id, tool_id) VALUES ('anon-1', 'valuation')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="UPDATE on public.tool_runs is not allowed"):
        sql("UPDATE tool_runs SET tool_id = 'forecast'")
    assert sql("SELECT tool_id FROM tool_runs") == [("valuation",)]
