"""Backfill of seed 000's JSON store: old ids mapped to merged users, append-only tables only grow."""

import csv
import json
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import sql_on

from platform_data.cli import cli as platform_cli
from toolkit.cli import BAD_INPUT, OK, cli

REPO = Path(__file__).resolve().parent.parent
STORE = REPO / "tests" / "samples" / "store"
ADA, GRACE, ADA_AGAIN, APPLE = (f"0196a0c0-0000-7000-8000-00000000000{n}" for n in (1, 2, 3, 4))
TABLES = ("users", "auth_accounts", "sessions", "user_subscriptions", "tool_runs", "template_downloads", "donations",
          "audit_logs", "cpd_state")


def run(target, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(REPO)})


def run_platform(target, *args):
    return CliRunner().invoke(platform_cli, list(args), env={"DATABASE_URL": target.dsn})


@pytest.fixture(scope="module")
def platform(server):
    """A template database with phases 0-5 applied (the store's tables all exist by phase 5)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    for phase in range(6):
        assert run(server.with_database(name), "apply", "--phase", str(phase)).exit_code == OK
    yield name
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def target(platform, clone_of):
    return clone_of(platform)


@pytest.fixture
def query(target):
    with sql_on(target) as run_sql:
        yield run_sql


@pytest.fixture
def store(tmp_path):
    """A copy of the sample store to edit."""
    return Path(shutil.copytree(STORE, tmp_path / "data"))


def imported(target, directory, *args):
    result = run_platform(target, "import", "json-store", str(directory), "--json", *args)
    assert result.exit_code == OK, result.output
    return json.loads(result.stdout)


def by_file(summary):
    return {f["file"]: (f["read"], f["inserted"], f["merged"], f["skipped"], f["rejected"]) for f in summary["files"]}


def snapshot(query):
    return {table: query(f"SELECT * FROM {table} ORDER BY 1") for table in TABLES}


def rejected(path):
    with open(path, newline="") as f:
        return {(r["file"], int(r["line"])): r["reason"] for r in csv.DictReader(f)}


def test_sample_store_round_trips_into_every_table(target, query, tmp_path):
    summary = imported(target, STORE, "--rejects", str(tmp_path / "rejects.csv"))
    assert by_file(summary) == {
        "auth/users.json": (5, 3, 0, 1, 1),  # two spellings of ada are one user; one bad uuid
        "auth/accounts.json": (4, 3, 0, 0, 1),  # one refers to no user
        "auth/sessions.json": (2, 1, 0, 1, 0),  # the expired session is skipped
        "billing/user_plan.json": (2, 2, 0, 0, 0),
        "billing/tool_runs.json": (4, 3, 0, 0, 1),  # 30 February
        "billing/template_downloads.json": (1, 1, 0, 0, 0),
        "billing/donations.json": (2, 2, 0, 0, 0),
        "audit/cpd_audit_log.json": (2, 2, 0, 0, 0),
        "cpd/state.json": (3, 2, 0, 1, 0),  # ada's two spellings have one state: the newer
    }
    assert summary["totals"]["inserted"] == 19 and summary["not_imported"] == []
    assert query("SELECT email, display_name, image IS NOT NULL, created_at::date::text, plan_override FROM users "
                 "ORDER BY 1") == [
        ("ada@example.com", "Ada Lovelace", True, "2022-12-01", None),
        ("grace@example.com", "Grace Hopper", False, "2023-02-10", "pro"),
        (None, "Apple User", False, "2024-03-01", None)]
    assert query("SELECT p.tier, s.source FROM user_subscriptions AS s JOIN subscription_plans AS p "
                 "ON p.id = s.plan_id ORDER BY 1") == [("free", "json_store:default"), ("pro", "json_store:stripe")]
    assert query("SELECT donations.amount::text, currency FROM donations ORDER BY 1") == [("10.00", "EUR"),
                                                                                         ("5.00", "USD")]


def test_a_merged_users_cpd_state_is_the_newest_of_its_records(target, query):
    imported(target, STORE)
    assert query("SELECT state->>'hours', updated_at::date::text FROM cpd_state WHERE user_id = %s", [ADA]) == [
        ("15", "2024-10-01")]


def test_a_store_cpd_state_replaces_the_databases_only_when_newer(target, query, store):
    imported(target, STORE)
    states = json.loads((store / "cpd/state.json").read_text())
    states[1]["state_json"], states[1]["updated_at"] = {"hours": 20}, "2025-01-01T00:00:00Z"  # ada, newer
    states[2]["state_json"], states[2]["updated_at"] = {"hours": 1}, "2024-01-01T00:00:00Z"  # grace, older
    (store / "cpd/state.json").write_text(json.dumps(states))
    assert by_file(imported(target, store))["cpd/state.json"][1:3] == (0, 1)
    assert query("SELECT user_id::text, state->>'hours' FROM cpd_state ORDER BY 1") == [(ADA, "20"), (GRACE, "3")]


def test_mixed_case_duplicate_emails_merge_into_one_user_with_both_identities(target, query):
    imported(target, STORE)
    assert query("SELECT id::text FROM users WHERE email = 'ada@example.com'") == [(ADA,)]
    assert query("SELECT provider, provider_account_id, access_token FROM auth_accounts WHERE user_id = %s "
                 "ORDER BY 1", [ADA]) == [("github", "ada", "gho_x"), ("google", "1001", "ya29.old")]


def test_references_to_a_merged_store_user_follow_it(target, query):
    imported(target, STORE)
    # run-3 belongs to the second spelling of ada's email, whose id was not kept.
    assert query("SELECT user_id::text FROM tool_runs WHERE occurred_at::date = '2024-06-03'") == [(ADA,)]
    assert query("SELECT count(*) FROM users WHERE id = %s", [ADA_AGAIN]) == [(0,)]


def test_a_store_user_merges_into_an_existing_user_by_email_and_takes_its_records_along(target, query):
    existing = query("INSERT INTO users (email, display_name) VALUES ('grace@example.com', 'G. Hopper') "
                     "RETURNING id::text")[0][0]
    summary = imported(target, STORE)
    assert by_file(summary)["auth/users.json"][1:3] == (2, 1)  # inserted ada and apple, merged grace
    assert query("SELECT display_name, plan_override FROM users WHERE id = %s", [existing]) == [("G. Hopper", "pro")]
    assert query("SELECT user_id::text FROM template_downloads") == [(existing,)]


def test_second_import_of_the_same_store_changes_nothing(target, query):
    imported(target, STORE)
    before = snapshot(query)
    again = imported(target, STORE)
    assert again["totals"]["inserted"] == again["totals"]["merged"] == 0
    assert snapshot(query) == before


def test_a_corrected_append_only_record_becomes_a_new_row_and_the_original_stays(target, query, store):
    imported(target, store)
    runs = json.loads((store / "billing/tool_runs.json").read_text())
    runs[0]["tool_id"] = "valuation-v2"  # corrected in place in the store
    (store / "billing/tool_runs.json").write_text(json.dumps(runs, indent=2))
    assert by_file(imported(target, store))["billing/tool_runs.json"][1] == 1
    assert query("SELECT tool_id FROM tool_runs WHERE occurred_at::date = '2024-06-01' ORDER BY 1") == [
        ("valuation",), ("valuation-v2",)]
    assert by_file(imported(target, store))["billing/tool_runs.json"][1] == 0


def test_bad_records_land_in_the_rejects_file_with_their_lines_and_the_rest_imports(target, query, store, tmp_path):
    (store / "billing/tool_runs.json").unlink()
    (store / "billing/tool_runs.jsonl").write_text(
        '{"id": "a", "anonymous_user_id": "anon-1", "tool_id": "t", "timestamp": "2024-01-01T00:00:00Z"}\n'
        '{"id": "b", "anonymous_user_id": "anon-1", "tool_id": "t", "timestamp": \n'
        '{"id": "c", "anonymous_user_id": "anon-1", "tool_id": "t", "timestamp": "2024-01-01T00:00:00Z"}\n'
        '{"id": "d", "tool_id": "t", "timestamp": "2024-01-01T00:00:00Z"}\n')
    rejects = tmp_path / "rejects.csv"
    summary = imported(target, store, "--rejects", str(rejects))
    reasons = rejected(rejects)
    assert reasons[("auth/users.json", 14)] == "bad uuid 'not-a-uuid'"
    assert reasons[("auth/accounts.json", 9)] == \
        "user_id 0196a0c0-0000-7000-8000-00000000ffff is neither in auth/users.json nor in users"
    assert reasons[("billing/tool_runs.jsonl", 2)].startswith("not JSON")
    assert reasons[("billing/tool_runs.jsonl", 4)] == "neither user_id nor anonymous_user_id: whose record is it?"
    assert by_file(summary)["billing/tool_runs.jsonl"] == (4, 2, 0, 0, 2)
    assert summary["totals"]["rejected"] == len(reasons) == 4


def test_a_bad_date_is_rejected_with_its_line(target, tmp_path):
    rejects = tmp_path / "rejects.csv"
    imported(target, STORE, "--rejects", str(rejects))
    assert rejected(rejects)[("billing/tool_runs.json", 9)] == "bad timestamp '2024-02-30T09:00:00Z' (ISO 8601 expected)"


def test_other_values_under_a_recorded_stripe_event_are_rejected_not_a_second_donation(target, query, store, tmp_path):
    imported(target, store)
    donations = json.loads((store / "billing/donations.json").read_text())
    donations[0]["amount"] = 12.5
    (store / "billing/donations.json").write_text(json.dumps(donations, indent=2))
    rejects = tmp_path / "rejects.csv"
    imported(target, store, "--rejects", str(rejects))
    assert rejected(rejects)[("billing/donations.json", 2)].startswith("stripe_event_id evt_1 is already recorded")
    assert query("SELECT amount::text FROM donations WHERE stripe_event_id = 'evt_1'") == [("10.00",)]


def test_a_store_plan_never_replaces_a_current_subscription(target, query, tmp_path):
    query(f"INSERT INTO users (id, email) VALUES ('{GRACE}', 'grace@example.com')")
    query(f"INSERT INTO user_subscriptions (user_id, plan_id) SELECT '{GRACE}', id FROM subscription_plans "
          "WHERE tier = 'starter'")
    rejects = tmp_path / "rejects.csv"
    imported(target, STORE, "--rejects", str(rejects))
    assert "already has a current subscription" in rejected(rejects)[("billing/user_plan.json", 2)]
    assert query("SELECT p.tier FROM user_subscriptions AS s JOIN subscription_plans AS p ON p.id = s.plan_id "
                 "WHERE s.user_id = %s", [GRACE]) == [("starter",)]


def test_sessions_keep_only_the_token_hash(target, query):
    imported(target, STORE)
    assert query("SELECT refresh_token_hash = encode(sha256('live-token-1'), 'hex') FROM sessions") == [(True,)]


def test_dry_run_reports_and_changes_nothing(target, query):
    before = snapshot(query)
    summary = imported(target, STORE, "--dry-run")
    assert summary["dry_run"] and summary["totals"]["inserted"] == 19
    assert snapshot(query) == before


def test_a_table_whose_phase_is_not_applied_is_refused_naming_file_and_phase(db, sql):
    assert run(db, "apply", "--phase", "0").exit_code == OK
    result = run_platform(db, "import", "json-store", str(STORE))
    assert result.exit_code == BAD_INPUT
    assert result.stderr == ("toolkit: error: billing/user_plan.json goes into user_subscriptions (phase 1): "
                             "apply phase 1 first\n")
    assert sql("SELECT count(*) FROM users") == [(0,)]


def test_a_file_that_is_not_json_is_refused_with_its_line_and_nothing_changes(target, query, store):
    (store / "billing/donations.json").write_text('[\n  {"id": "don-1",\n   "amount": 10,,\n  }\n]\n')
    result = run_platform(target, "import", "json-store", str(store))
    assert result.exit_code == BAD_INPUT
    assert result.stderr.startswith("toolkit: error: billing/donations.json:3:")
    assert query("SELECT count(*) FROM users") == [(0,)]
