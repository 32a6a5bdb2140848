"""Feed it anything: each bad input gets one line naming what and where, its documented
exit code, no traceback, and leaves the database as it was."""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psycopg
import pytest
from click.testing import CliRunner

from toolkit import api
from toolkit.cli import (BAD_INPUT, CANNOT_CONNECT, FINDINGS, LOCK_HELD, OK, PRE_CHECK_FAILED, STEP_ROLLED_BACK,
                         cli)
from toolkit.runner.runlock import LOCK_KEY

VALID = {
    "migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n",
    "rollbacks/0001_a.sql": "DROP TABLE a;\n",
    "migrations/0101_b.sql": "CREATE TABLE b (id bigint PRIMARY KEY);\n",
    "rollbacks/0101_b.sql": "DROP TABLE b;\n",
    "validation/01_pre.sql": "-- check: nothing_wrong\nSELECT 0;\n",
}
BROKEN_FUNCTION = ("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RETRUN NULL;\nEND\n$$;\n")


@dataclass
class Case:
    args: tuple
    code: int
    says: str
    files: dict = field(default_factory=dict)  # added/replaced; None removes
    setup: Callable | None = None  # setup(root, target, sql)
    dsn: Callable | None = None  # dsn(target) -> the DSN to pass instead


def applied_phase_0(root, target, sql):
    run(target, root, "apply", "--phase", "0")


def applied_all(root, target, sql):
    run(target, root, "apply")


def edit_applied(root, target, sql):
    applied_phase_0(root, target, sql)
    (root / "migrations" / "0001_a.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY, extra int);\n")


def non_utf8(root, target, sql):
    (root / "migrations" / "0102_c.sql").write_bytes(b"-- caf\xe9\nCREATE TABLE c (id bigint PRIMARY KEY);\n")
    (root / "rollbacks" / "0102_c.sql").write_text("DROP TABLE c;\n")


def symlink_loop(root, target, sql):
    (root / "migrations" / "0102_c.sql").symlink_to(root / "migrations" / "0102_c.sql")
    (root / "rollbacks" / "0102_c.sql").write_text("DROP TABLE c;\n")


def no_migrations_folder(root, target, sql):
    shutil.rmtree(root / "migrations")


def with_port(port):
    return lambda t: f"host=127.0.0.1 port={port} user=u password=secret-pw dbname=x connect_timeout=3"


def with_database(name):
    return lambda t: t.with_database(name).dsn


CASES = {
    "missing_rollback": Case(("apply",), BAD_INPUT, "migrations/0101_b.sql: has no rollback",
                             {"rollbacks/0101_b.sql": None}),
    "orphan_rollback": Case(("apply",), BAD_INPUT, "rollbacks/0102_c.sql: rollback without a migration",
                            {"rollbacks/0102_c.sql": "DROP TABLE c;\n"}),
    "duplicate_number": Case(("apply",), BAD_INPUT, "0101_c.sql: number 0101 is also used by 0101_b.sql",
                             {"migrations/0101_c.sql": "SELECT 1;\n", "rollbacks/0101_c.sql": "SELECT 1;\n"}),
    "number_outside_the_phase_scheme": Case(("apply",), BAD_INPUT, "migrations/101_c.sql: name does not fit",
                                            {"migrations/101_c.sql": "SELECT 1;\n",
                                             "rollbacks/101_c.sql": "SELECT 1;\n"}),
    "empty_file": Case(("apply",), BAD_INPUT, "migrations/0102_c.sql: holds no SQL statement",
                       {"migrations/0102_c.sql": "-- to do\n", "rollbacks/0102_c.sql": "SELECT 1;\n"}),
    "sql_syntax_error": Case(("apply",), BAD_INPUT, "migrations/0102_c.sql:2: SQL syntax error",
                             {"migrations/0102_c.sql": "-- c\nCREATE TABLEE c (id int);\n",
                              "rollbacks/0102_c.sql": "SELECT 1;\n"}),
    "sql_cut_off_mid_statement": Case(("apply",), BAD_INPUT, "migrations/0102_c.sql:2: SQL syntax error: syntax error "
                                                             "at end of input (the file ends in the middle of a "
                                                             "statement",
                                      {"migrations/0102_c.sql": "-- c\nCREATE TABLE c (id int\n",
                                       "rollbacks/0102_c.sql": "SELECT 1;\n"}),
    "broken_plpgsql_body": Case(("apply", "--phase", "1"), STEP_ROLLED_BACK, 'migrations/0102_c.sql:1: syntax error at or near "RETRUN"',
                                {"migrations/0102_c.sql": BROKEN_FUNCTION,
                                 "rollbacks/0102_c.sql": "DROP FUNCTION f();\n"}, setup=applied_phase_0),
    "concurrently_mixed_with_other_statements": Case(
        ("apply",), BAD_INPUT, "0102_c.sql:1: a CONCURRENTLY statement shares its file with CreateStmt, which is not "
                               "safe to run twice",
        {"migrations/0102_c.sql": "CREATE TABLE c (id int);\n"
                                  "CREATE INDEX CONCURRENTLY IF NOT EXISTS c_id ON c (id);\n",
         "rollbacks/0102_c.sql": "DROP TABLE c;\n"}),
    "transaction_control_in_a_migration": Case(("apply",), BAD_INPUT, "0102_c.sql:2: BEGIN/COMMIT/ROLLBACK",
                                               {"migrations/0102_c.sql": "SELECT 1;\nCOMMIT;\nSELECT 2;\n",
                                                "rollbacks/0102_c.sql": "SELECT 1;\n"}),
    "unknown_directive": Case(("apply",), BAD_INPUT, "0102_c.sql:2: unknown directive toolkit:bacth",
                              {"migrations/0102_c.sql": "-- toolkit:bacth\nDELETE FROM a;\n",
                               "rollbacks/0102_c.sql": "SELECT 1;\n"}),
    "edited_applied_migration": Case(("apply",), BAD_INPUT, "changed on disk since they were applied: 0001_a",
                                     setup=edit_applied),
    "unknown_phase": Case(("apply", "--phase", "9"), BAD_INPUT, "phase 9 does not exist"),
    "phase_out_of_order": Case(("apply", "--phase", "1"), BAD_INPUT, "earlier phase(s) 0 pending"),
    "rollback_of_a_phase_not_applied": Case(("rollback", "--phase", "1"), BAD_INPUT, "phase 1 is not applied"),
    "rollback_with_later_phases_applied": Case(("rollback", "--phase", "0"), BAD_INPUT,
                                               "later phase(s) 1 are applied", setup=applied_all),
    "check_file_that_writes": Case(("apply",), BAD_INPUT, "validation/01_post.sql:2: check 'sneaky' must be a query",
                                   {"validation/01_post.sql": "-- check: sneaky\nDELETE FROM a;\n"}),
    "check_returning_several_columns": Case(
        ("apply", "--phase", "1"), PRE_CHECK_FAILED, "pre-validation failed (two_columns)",
        {"validation/01_pre.sql": "-- check: two_columns\nSELECT 0 AS a, 0 AS b;\n"}, setup=applied_phase_0),
    "unreachable_host": Case(("status",), CANNOT_CONNECT, "cannot connect to postgresql://u@/nonexistent/socket",
                             dsn=lambda t: "host=/nonexistent/socket user=u password=secret-pw dbname=x"),
    "wrong_port": Case(("status",), CANNOT_CONNECT, "cannot connect to postgresql://u@127.0.0.1:1/x",
                       dsn=with_port(1)),
    "missing_database": Case(("status",), CANNOT_CONNECT, 'database "no_such_db" does not exist',
                             dsn=with_database("no_such_db")),
    "database_url_unset": Case(("status",), BAD_INPUT, "no database given: pass --dsn, set DATABASE_URL, or libpq's",
                               dsn=lambda t: ""),
    "malformed_dsn": Case(("status",), BAD_INPUT, "malformed DSN", dsn=lambda t: "host=x password=secret-pw oops"),
    "non_utf8_file": Case(("apply",), BAD_INPUT, "migrations/0102_c.sql:1: not valid UTF-8", setup=non_utf8),
    "symlink_loop": Case(("apply",), BAD_INPUT, "migrations/0102_c.sql: is a broken or looping symlink",
                         setup=symlink_loop),
    "missing_migrations_folder": Case(("apply",), BAD_INPUT, "migrations: folder is missing",
                                      setup=no_migrations_folder),
    "statement_timeout_hit": Case(("apply", "--phase", "1", "--statement-timeout", "0.2"), STEP_ROLLED_BACK,
                                  "0102_c.sql:1: canceling statement due to statement timeout [57014]",
                                  {"migrations/0102_c.sql": "SELECT pg_sleep(3);\n",
                                   "rollbacks/0102_c.sql": "SELECT 1;\n"}, setup=applied_phase_0),
    "disk_full_like_server_error": Case(
        ("apply", "--phase", "1"), STEP_ROLLED_BACK, "0102_c.sql:1: could not extend file: No space left on device [53100]",
        {"migrations/0102_c.sql": "DO $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
                                  "USING ERRCODE = 'disk_full'; END $$;\n",
         "rollbacks/0102_c.sql": "SELECT 1;\n"}, setup=applied_phase_0),
    "validate_unknown_phase": Case(("validate", "--phase", "4"), BAD_INPUT, "phase 4 does not exist"),
    "rollback_unknown_level": Case(("rollback", "--phase", "0", "--level", "everything"), BAD_INPUT,
                                   "Invalid value for '--level'"),
}


def run(target, root, *args, dsn=None):
    env = {"DATABASE_URL": target.dsn if dsn is None else (dsn or None), "TOOLKIT_PROJECT": str(root)}
    return CliRunner().invoke(cli, list(args), env=env)


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_one_line_its_exit_code_and_changes_nothing(name, project, db, sql):
    case = CASES[name]
    root = project(VALID)
    write(root, case.files)
    if case.setup:
        case.setup(root, db, sql)
    before = api.fingerprint(db)

    result = run(db, root, *case.args, dsn=case.dsn(db) if case.dsn else None)

    errors = [line for line in result.stderr.splitlines() if line.startswith(("toolkit: error:", "Error:"))]
    assert result.exit_code == case.code, result.output
    assert len(errors) == 1 and case.says in errors[0], result.stderr
    lines = result.stderr.rstrip().splitlines()
    # only the server's own DETAIL / HINT / CONTEXT lines may follow the error, indented under it
    assert all(line.startswith("  ") for line in lines[lines.index(errors[0]) + 1:]), result.stderr
    assert "Traceback" not in result.output and "secret-pw" not in result.output
    assert api.fingerprint(db) == before


@pytest.mark.parametrize("raw", [b"\xef\xbb\xbfCREATE TABLE c (id bigint PRIMARY KEY);\n",
                                 b"-- c\r\nCREATE TABLE c (id bigint PRIMARY KEY);\r\n"], ids=["bom", "crlf"])
def test_bom_and_windows_line_endings_are_accepted(raw, project, db, sql):
    root = project(VALID)
    (root / "migrations" / "0102_c.sql").write_bytes(raw)
    (root / "rollbacks" / "0102_c.sql").write_text("DROP TABLE c;\n")
    assert run(db, root, "apply").exit_code == OK
    assert sql("SELECT to_regclass('c') IS NOT NULL") == [(True,)]


def test_lock_wait_exceeded_names_the_holder(project, db):
    root = project(VALID)
    before = api.fingerprint(db)
    with psycopg.connect(db.dsn, autocommit=True, application_name="dba-console") as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        result = run(db, root, "apply", "--lock-wait", "0.2")
    assert result.exit_code == LOCK_HELD
    waiting, error = result.stderr.splitlines()  # it said at once that it waits, then gave up in one line
    assert waiting.startswith("  waiting up to 0.2s for another toolkit run (application 'dba-console'")
    assert error.startswith("toolkit: error: another toolkit run holds the runner lock") and "'dba-console'" in error
    assert api.fingerprint(db) == before


def test_insufficient_privilege_on_a_step_is_rolled_back_with_one_line(project, db, sql):
    root = project({**VALID, "migrations/0102_c.sql": "CREATE ROLE tk_not_allowed;\n",
                    "rollbacks/0102_c.sql": "DROP ROLE tk_not_allowed;\n"})
    sql("CREATE ROLE tk_limited LOGIN PASSWORD 'limited-pw'")
    try:
        sql(f'GRANT CREATE ON DATABASE "{db.params["dbname"]}" TO tk_limited')
        sql("GRANT CREATE ON SCHEMA public TO tk_limited")
        p = db.params
        limited = f"postgresql://tk_limited:limited-pw@{p['host']}:{p['port']}/{p['dbname']}"
        assert run(db, root, "apply", "--phase", "0", dsn=limited).exit_code == OK
        before = api.fingerprint(db)
        result = run(db, root, "apply", "--phase", "1", dsn=limited)
        assert result.exit_code == STEP_ROLLED_BACK
        [error] = [line for line in result.stderr.splitlines() if line.startswith("toolkit: error:")]
        assert "0102_c.sql:1: permission denied" in error  # PostgreSQL 16+ adds a DETAIL line under it
        assert api.fingerprint(db) == before
    finally:
        sql('DROP OWNED BY tk_limited')
        sql("DROP ROLE tk_limited")


def test_unreadable_file_is_refused_with_its_name(project, monkeypatch):
    # Root reads every file, so the read itself is made to fail as it would for anyone else.
    root = project(VALID)
    unreadable = root / "migrations" / "0101_b.sql"
    original = Path.read_bytes

    def read_bytes(path):
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    original_open = Path.open

    def open_(path, *args, **kwargs):
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return original_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    result = CliRunner().invoke(cli, ["apply", "--dry-run"], env={"DATABASE_URL": "host=x",
                                                                   "TOOLKIT_PROJECT": str(root)})
    assert result.exit_code == BAD_INPUT
    assert result.stderr == f"toolkit: error: {unreadable}: cannot read: Permission denied\n"


@pytest.mark.parametrize("text", ["SELECT 1 +", "SELECT (", "CREATE TABLE t (id int", "SELECT 'open"])
@pytest.mark.parametrize("command", [("apply", "--dry-run"), ("lint", "--no-style")], ids=["dry-run", "lint"])
def test_a_migration_cut_off_mid_statement_is_named_with_its_line_never_a_traceback(text, command, project):
    root = project(VALID)
    (root / "migrations" / "0102_c.sql").write_text(f"-- c\n{text}\n")
    (root / "rollbacks" / "0102_c.sql").write_text("SELECT 1;\n")
    result = CliRunner().invoke(cli, list(command), env={"DATABASE_URL": "host=x", "TOOLKIT_PROJECT": str(root)})
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == (BAD_INPUT if command[0] == "apply" else FINDINGS), result.output
    said = [line for line in result.output.splitlines() if "0102_c.sql:2:" in line]
    assert len(said) == 1 and "SQL syntax error" in said[0], result.output


def _special_file(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


@pytest.mark.parametrize("kind", ["fifo", "symlink to /dev/zero"])
def test_a_migration_that_is_not_a_regular_file_is_refused_by_name_without_reading_it(kind, project):
    root = project(VALID)
    _special_file(kind, root / "migrations" / "0102_c.sql")
    (root / "rollbacks" / "0102_c.sql").write_text("SELECT 1;\n")
    result = CliRunner().invoke(cli, ["apply", "--dry-run"], env={"DATABASE_URL": "host=x",
                                                                   "TOOLKIT_PROJECT": str(root)})
    assert result.exit_code == BAD_INPUT
    assert result.stderr == f"toolkit: error: {root / 'migrations' / '0102_c.sql'}: is not a regular file\n"


@pytest.mark.parametrize("kind", ["fifo", "symlink to /dev/zero"])
def test_convert_refuses_a_source_file_that_is_not_a_regular_file(kind, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "000001_a.up.sql").write_text("CREATE TABLE a (id int);\n")
    _special_file(kind, source / "000002_b.up.sql")
    result = CliRunner().invoke(cli, ["convert", "--from", "golang-migrate", str(source), "--into",
                                      str(tmp_path / "project")])
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and "000002_b.up.sql: cannot read: not a regular file" in result.stderr


def test_a_file_over_the_size_limit_is_refused_with_its_size(project, monkeypatch):
    root = project(VALID)
    (root / "migrations" / "0102_c.sql").write_text("SELECT 1;\n" * 200_000)  # 2 MB
    (root / "rollbacks" / "0102_c.sql").write_text("SELECT 1;\n")
    monkeypatch.setenv("TOOLKIT_MAX_FILE_MB", "1")
    result = CliRunner().invoke(cli, ["lint", "--no-style"], env={"TOOLKIT_PROJECT": str(root)})
    assert "2,000,000 bytes, more than the 1 MB a file may hold (TOOLKIT_MAX_FILE_MB)" in result.output
    assert "Traceback" not in result.output


def test_a_statement_the_targets_major_lacks_names_the_targets_version(project, db, sql):
    # MERGE ... RETURNING and JSON_TABLE are PostgreSQL 17; on 15 the server says syntax error
    server = sql("SHOW server_version_num")[0][0]
    if int(server) >= 170000:
        pytest.skip("the suite's server has PostgreSQL 17's grammar: nothing here is too new for it")
    root = project(VALID)
    (root / "migrations" / "0102_c.sql").write_text(
        "CREATE TABLE c AS SELECT * FROM JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (x int PATH '$'));\n")
    (root / "rollbacks" / "0102_c.sql").write_text("DROP TABLE c;\n")
    result = run(db, root, "apply")
    assert result.exit_code == STEP_ROLLED_BACK, result.output
    assert f"the target runs PostgreSQL {int(server) // 10000}." in result.stderr
