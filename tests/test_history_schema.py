"""A project names the schema its history lives in (toolkit.toml `history-schema`, Flyway's `schemas`, Sqitch's
registry), against a real server: every command reads and writes that schema, and the catalog leaves it out."""

from __future__ import annotations

import pytest

from toolkit.cli import BAD_INPUT, OK

from test_adopt import SHOP


@pytest.fixture
def shop(project):
    root = project(SHOP)
    (root / "toolkit.toml").write_text('history-schema = "schema_history"\n')
    return root


def test_apply_keeps_the_history_in_the_schema_the_project_names_and_makes_no_toolkit_schema(toolkit, shop, sql):
    assert toolkit("apply", project=shop).exit_code == OK
    assert sql("SELECT count(*) FROM schema_history.applied_migrations") == [(2,)]
    assert sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'toolkit'") == [(0,)]


def test_status_history_and_rollback_read_the_named_schema(toolkit, shop):
    assert toolkit("apply", project=shop).exit_code == OK
    status = toolkit("status", "--json", project=shop)
    assert status.exit_code == OK and status.stdout.count('"applied"') >= 2
    history = toolkit("history", "--json", project=shop)
    assert history.exit_code == OK and '"0101_orders"' in history.stdout
    rollback = toolkit("rollback", "--phase", "1", "--yes", project=shop)
    assert rollback.exit_code == OK, rollback.output
    assert '"0101_orders"' not in toolkit("status", "--json", project=shop).stdout.split('"applied"')[0]


def test_a_renamed_history_is_no_difference_to_diff(toolkit, shop):
    assert toolkit("apply", project=shop).exit_code == OK
    result = toolkit("diff", project=shop)
    assert result.exit_code == OK, result.output
    assert result.stdout.splitlines()[-1].endswith("no difference")


def test_a_schema_only_named_like_a_history_is_compared(toolkit, shop, sql):
    assert toolkit("apply", project=shop).exit_code == OK
    sql("CREATE SCHEMA audit; CREATE TABLE audit.layout (version int)")
    result = toolkit("diff", project=shop)
    assert "audit.layout" in result.stdout


def test_the_command_line_names_another_history_than_the_file(toolkit, shop, sql):
    assert toolkit("apply", "--phase", "0", "--history-schema", "ops_history", project=shop).exit_code == OK
    assert sql("SELECT count(*) FROM ops_history.applied_migrations") == [(1,)]
    assert sql("SELECT to_regclass('schema_history.applied_migrations') IS NULL") == [(True,)]


@pytest.mark.parametrize("name", ["Toolkit History", "pg_toolkit", "x;drop"])
def test_a_history_schema_that_is_not_a_plain_name_is_one_line_and_changes_nothing(toolkit, shop, sql, name):
    (shop / "toolkit.toml").write_text(f'history-schema = "{name}"\n')
    result = toolkit("apply", project=shop)
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and "history schema" in result.stderr and "Traceback" not in result.output
    assert sql("SELECT count(*) FROM pg_class WHERE relname = 'accounts'") == [(0,)]


def test_config_says_where_the_history_schema_comes_from(toolkit, shop):
    result = toolkit("config", "apply", project=shop)
    assert result.exit_code == OK
    assert ["apply", "--history-schema", "schema_history", str(shop / "toolkit.toml")] in [
        line.split() for line in result.stdout.splitlines()]


@pytest.mark.parametrize("command", ["fleet apply", "fleet rollback", "fleet resume", "fleet status"])
def test_the_fleet_commands_take_the_projects_history_schema_too(toolkit, shop, command):
    result = toolkit("config", *command.split(), project=shop)
    assert result.exit_code == OK
    assert [*command.split(), "--history-schema", "schema_history", str(shop / "toolkit.toml")] in [
        line.split() for line in result.stdout.splitlines()]
