"""`toolkit convert`: another tool's folder in this layout, run for real.

Each folder in tests/samples/convert/ is written from its tool's documentation: five migrations, one of
them a concurrent index build, one the tool was told to run outside a transaction, one whose down part is
empty (irreversible). yoyo-migrations is installed here, so its test also applies the folder with yoyo and
compares the schemas. The other six tools are not Python packages this suite can install (diesel and goose
and golang-migrate are Go/Rust binaries, Flyway is Java, Sqitch is Perl, dbmate a Go binary on npm): their
readers are checked against their documented layouts only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from conftest import yoyo_url

from toolkit import api
from toolkit.cli import BAD_INPUT, FINDINGS, IRREVERSIBLE, OK
from toolkit.convert import TOOLS, convert
from toolkit.errors import BadInput
from toolkit.plan import load_plan

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "samples" / "convert"

# tool: (source ids in order, ids run outside a transaction, what is listed as not converted)
EXPECTED = {
    "diesel": (["20230110120000", "20230201090000", "20240305100000", "20240401080000", "20240620150000"],
               {"20230201090000", "20240401080000"}, []),
    "goose": (["20230110120000", "20230201090000", "20240305100000", "20240401080000", "20240620150000"],
              {"20230201090000", "20240401080000"}, ["20240701000000_seed_reports.go"]),
    "golang-migrate": (["000001", "000002", "000003", "000004", "000005"], set(), []),
    "dbmate": (["20230110120000", "20230201090000", "20240305100000", "20240401080000", "20240620150000"],
               {"20230201090000", "20240401080000"}, []),
    "yoyo": (["0001.create-accounts", "0002.accounts-status-index", "0003.drop-legacy-flag", "0004.account-notes",
              "0005.create-orders"], {"0002.accounts-status-index", "0004.account-notes"}, ["post-apply.sql"]),
    "flyway": (["1", "1.1", "2", "3", "10"], {"1.1", "3"}, ["sql/R__active_accounts_view.sql"]),
    "sqitch": (["create_accounts", "accounts_status_index", "drop_legacy_flag", "account_notes", "create_orders"],
               set(), []),
}
IRREVERSIBLE_STEP = 2  # the third migration of every sample drops a column and has no way back


def test_every_tool_has_a_sample_and_an_expectation():
    assert set(EXPECTED) == set(TOOLS) == {p.name for p in SAMPLES.iterdir()}


@pytest.fixture
def converted(tmp_path):
    def run(tool: str, grouping: str = "count:2"):
        return convert(tool, SAMPLES / tool, tmp_path / tool, grouping), tmp_path / tool
    return run


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_convert_maps_every_source_migration_in_order_with_its_transaction_mode(converted, tool):
    ids, outside, unmapped = EXPECTED[tool]
    conversion, root = converted(tool)
    assert [m.source_id for m in conversion.migrations] == ids
    assert {m.source_id for m in conversion.migrations if not m.transactional} == outside
    assert [u["path"] for u in conversion.unmapped] == unmapped
    assert conversion.problems == []
    plan = load_plan(root)
    assert [p.number for p in plan.phases] == [1, 2, 3]
    scripts = {m.name: m.apply_script for m in plan.migrations}
    by_id = {m.source_id: m.migration for m in conversion.migrations}
    assert {i for i in ids if not scripts[by_id[i]].transactional} == outside | {ids[1]}  # 2nd: CONCURRENTLY


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_the_irreversible_step_is_marked_with_a_reason(converted, tool):
    conversion, root = converted(tool)
    marked = [m for m in conversion.migrations if m.irreversible]
    assert [m.source_id for m in marked] == [EXPECTED[tool][0][IRREVERSIBLE_STEP]]
    assert load_plan(root).migrations[IRREVERSIBLE_STEP].irreversible == marked[0].irreversible


@pytest.mark.parametrize("tool", ["diesel", "golang-migrate", "yoyo", "flyway"])
def test_whole_file_sources_keep_their_sql_byte_for_byte(converted, tool):
    conversion, root = converted(tool)
    for mapped in conversion.migrations:
        source = SAMPLES / tool / mapped.source_files[0]
        if source.suffix == ".sql":
            written = (root / "migrations" / f"{mapped.migration}.sql").read_bytes()
            assert written.endswith(source.read_bytes()) and written.startswith(b"-- converted by toolkit from ")


def test_goose_parts_are_cut_at_the_annotations_and_keep_statement_markers(converted):
    conversion, root = converted("goose")
    first = (root / "migrations" / f"{conversion.migrations[0].migration}.sql").read_text()
    source = (SAMPLES / "goose" / "20230110120000_create_accounts.sql").read_text()
    up = source[:source.index("-- +goose Down")]
    assert first.endswith(up) and "-- +goose StatementBegin" in first
    rollback = (root / "rollbacks" / f"{conversion.migrations[0].migration}.sql").read_text()
    assert rollback.endswith(source[source.index("-- +goose Down"):])


def test_sqitch_verify_scripts_become_post_checks_that_pass_when_they_run(converted):
    conversion, root = converted("sqitch")
    plan = load_plan(root)
    checks = [c for p in plan.phases for c in p.post_checks if c.passes_if_it_runs]
    assert [c.name for c in checks] == ["verify_create_accounts_1", "verify_create_accounts_2",
                                        "verify_accounts_status_index", "verify_account_notes",
                                        "verify_create_orders"]
    assert conversion.migrations[0].checks == ["verify_create_accounts_1", "verify_create_accounts_2"]


def test_convert_json_maps_each_source_id_to_its_migration(converted):
    conversion, root = converted("dbmate")
    manifest = json.loads((root / "convert.json").read_text())
    assert manifest["tool"] == "dbmate"
    assert [(m["source_id"], m["migration"], m["phase"]) for m in manifest["migrations"]] == [
        ("20230110120000", "0101_create_accounts", 1), ("20230201090000", "0102_accounts_status_index", 1),
        ("20240305100000", "0201_drop_legacy_flag", 2), ("20240401080000", "0202_account_notes", 2),
        ("20240620150000", "0301_create_orders", 3)]


def test_diesel_orders_by_the_version_without_dashes_as_diesel_does(tmp_path):
    """diesel's version is the folder name before '_' with the dashes removed; both spellings in one history
    sort by it (with the dashes, '-' sorts before the digits and b would come before a, which it references)."""
    source = tmp_path / "source" / "migrations"
    for folder, up in (("20170102000000_a", "CREATE TABLE a (id int PRIMARY KEY);\n"),
                       ("2017-08-31-000000_b", "CREATE TABLE b (a_id int REFERENCES a (id));\n")):
        (source / folder).mkdir(parents=True)
        (source / folder / "up.sql").write_text(up)
        (source / folder / "down.sql").write_text(f"DROP TABLE {folder[-1]};\n")
    conversion = convert("diesel", tmp_path / "source", tmp_path / "project", "single")
    assert [(m.source_id, m.migration) for m in conversion.migrations] == [("20170102000000", "0101_a"),
                                                                          ("20170831000000", "0102_b")]


def test_adopt_from_diesel_finds_dash_named_folders_by_the_version_diesel_records(toolkit, sql, tmp_path):
    source = tmp_path / "source" / "migrations" / "2017-08-31-000000_orders"
    source.mkdir(parents=True)
    (source / "up.sql").write_text("CREATE TABLE orders (id int PRIMARY KEY);\n")
    (source / "down.sql").write_text("DROP TABLE orders;\n")
    convert("diesel", tmp_path / "source", tmp_path / "project", "single")
    sql("CREATE TABLE orders (id int PRIMARY KEY)")
    sql("CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp NOT NULL "
        "DEFAULT CURRENT_TIMESTAMP)")
    sql("INSERT INTO __diesel_schema_migrations (version) VALUES ('20170831000000')")
    result = toolkit("adopt", "--from", "diesel", project=tmp_path / "project")
    assert result.exit_code == OK, result.output
    assert toolkit("apply", project=tmp_path / "project").exit_code == OK
    assert sql("SELECT migration FROM toolkit.applied_migrations") == [("0101_orders",)]


def test_phases_by_year_follow_the_timestamp_versions(converted):
    conversion, _ = converted("diesel", "year")
    assert [(m.source_id[:4], m.phase) for m in conversion.migrations] == [
        ("2023", 1), ("2023", 1), ("2024", 2), ("2024", 2), ("2024", 2)]


def test_phases_by_year_are_refused_for_sequential_versions(converted):
    with pytest.raises(BadInput, match="--phases year needs timestamp versions"):
        converted("golang-migrate", "year")


@pytest.mark.parametrize("grouping", ["count:0", "count:100", "weekly"])
def test_an_unknown_grouping_is_bad_input(converted, grouping):
    with pytest.raises(BadInput, match="use single, count:N"):
        converted("diesel", grouping)


def test_convert_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="must be an empty or new folder"):
        convert("diesel", SAMPLES / "diesel", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_source_sql_the_runner_refuses_is_listed_with_its_line(tmp_path, toolkit):
    source = tmp_path / "src"
    shutil.copytree(SAMPLES / "golang-migrate", source)
    (source / "000006_broken.up.sql").write_text("CREATE TABLE t (id bigint);\nCREATE TABLEE u ();\n")
    result = toolkit("convert", "--from", "golang-migrate", str(source), "--into", str(tmp_path / "out"))
    assert result.exit_code == FINDINGS
    assert "needs attention (the source's SQL as written): " in result.stdout
    assert "0106_broken.sql:4: SQL syntax error" in result.stdout


def test_unknown_tool_gets_one_line(toolkit, tmp_path):
    result = toolkit("convert", "--from", "liquibase", str(SAMPLES / "diesel"), "--into", str(tmp_path / "x"))
    assert result.exit_code == BAD_INPUT
    assert result.stderr == ("toolkit: error: --from 'liquibase': the toolkit reads diesel, goose, golang-migrate, "
                             "dbmate, yoyo, flyway, sqitch\n")


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_converted_folder_applies_rolls_back_down_to_the_irreversible_phase_and_applies_again(
        tool, converted, toolkit, db):
    _, root = converted(tool)
    assert toolkit("apply", project=root).exit_code == OK
    status = api.status(db, settings=api.Settings(project=root))
    assert {p.state for p in status.phases} == {"applied"}
    applied = api.fingerprint(db)

    everything = toolkit("rollback", "--all", project=root)
    assert everything.exit_code == IRREVERSIBLE
    assert "0201_drop_legacy_flag is irreversible" in everything.stderr
    assert api.fingerprint(db) == applied  # refused before anything ran

    assert toolkit("rollback", "--to", "2", project=root).exit_code == OK
    assert toolkit("rollback", "--phase", "2", project=root).exit_code == IRREVERSIBLE
    assert toolkit("apply", project=root).exit_code == OK
    assert api.fingerprint(db) == applied
    checked = toolkit("verify", "--dsn", db.dsn, project=root)  # what it can: the phases after the irreversible one
    assert checked.exit_code == OK, checked.output
    assert "verify: phase 2 holds an irreversible step (0201_drop_legacy_flag" in checked.stderr
    assert toolkit("lint", "--project", str(root)).exit_code in (OK, FINDINGS)


def test_a_converted_folder_without_irreversible_steps_rolls_back_entirely_and_verifies(
        tmp_path, toolkit, db):
    source = tmp_path / "src"
    shutil.copytree(SAMPLES / "golang-migrate", source)
    (source / "000003_drop_legacy_flag.up.sql").write_text("ALTER TABLE accounts ADD COLUMN legacy_note text;\n")
    (source / "000003_drop_legacy_flag.down.sql").write_text("ALTER TABLE accounts DROP COLUMN legacy_note;\n")
    convert("golang-migrate", source, tmp_path / "out", "count:2")
    root = tmp_path / "out"
    empty = api.fingerprint(db)
    assert toolkit("apply", project=root).exit_code == OK
    assert toolkit("rollback", "--all", project=root).exit_code == OK
    assert api.fingerprint(db) == empty
    assert toolkit("apply", project=root).exit_code == OK
    assert toolkit("verify", "--dsn", db.dsn, project=root).exit_code == OK


# The tools' own bookkeeping, left out of the comparison: yoyo's _yoyo_* tables, Sqitch's registry schema,
# dbmate's schema_migrations.
_THEIR_BOOKKEEPING = ("yoyo", "sqitch", "schema_migrations")


def _schema_without_bookkeeping(target) -> list[str]:
    return [line for line in api.fingerprint(target).lines if not any(word in line for word in _THEIR_BOOKKEEPING)]


def _apply_with_yoyo(target, folder: Path) -> None:
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(target))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(folder))))
    backend.connection.close()


def _apply_with_sqitch(target, folder: Path) -> None:
    p = target.params
    subprocess.run([_tool("sqitch"), "deploy", "--verify", f"db:pg://{p['user']}@{p['host']}:{p['port']}/{p['dbname']}"],
                   cwd=folder, env={**os.environ, "PGPASSWORD": p.get("password") or ""}, check=True,
                   capture_output=True)


def _apply_with_dbmate(target, folder: Path) -> None:
    p = target.params
    password = f":{quote(p['password'], safe='')}" if p.get("password") else ""
    url = f"postgres://{p['user']}{password}@{p['host']}:{p['port']}/{p['dbname']}?sslmode=disable"
    subprocess.run([_tool("dbmate"), "--no-dump-schema", "--url", url, "up"], cwd=folder, check=True,
                   capture_output=True)


def _tool(name: str) -> str:
    """The tool's program: on PATH, or dbmate where `make test` puts it (npm, .venv/tools). CI installs both
    and sets TOOLKIT_TEST_REQUIRE_TOOLS, so there a missing tool fails instead of skipping."""
    found = shutil.which(name) or shutil.which(name, path=str(REPO / ".venv" / "tools" / "node_modules" / ".bin"))
    if found:
        return found
    if os.environ.get("TOOLKIT_TEST_REQUIRE_TOOLS"):
        pytest.fail(f"{name} is not installed, and this run requires it")
    pytest.skip(f"{name} cannot run here: not installed (Sqitch: apt-get install sqitch libdbd-pg-perl; "
                "dbmate: npm, which `make test` uses when present)")


THEIR_OWN = {"yoyo": _apply_with_yoyo, "sqitch": _apply_with_sqitch, "dbmate": _apply_with_dbmate}


@pytest.mark.parametrize("tool", sorted(THEIR_OWN))
def test_the_tool_itself_and_the_toolkit_build_the_same_schema_from_one_folder(tool, converted, toolkit, db, server):
    """The source tool applies its own folder for real; the toolkit applies the conversion."""
    _, root = converted(tool)
    assert toolkit("apply", project=root).exit_code == OK
    theirs = server.with_database(f"{db.params['dbname']}_{tool}")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{theirs.params["dbname"]}"')
    try:
        THEIR_OWN[tool](theirs, SAMPLES / tool)
        assert _schema_without_bookkeeping(theirs) == _schema_without_bookkeeping(db)
    finally:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{theirs.params["dbname"]}" WITH (FORCE)')
