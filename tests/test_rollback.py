"""Rollback on real SQL: manual rollbacks prove what they restored, irreversible migrations are refused before
anything runs, `--to N` and `--all`, and a failed statement keeps the server's DETAIL, HINT and CONTEXT."""

from toolkit import api
from toolkit.catalog.fingerprint import FORMAT
from toolkit.cli import BAD_INPUT, HUMAN_NEEDED, IRREVERSIBLE, OK, STEP_ROLLED_BACK

ACCOUNTS = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, legacy boolean,"
                                    " note text);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
}


def phases(*extra: dict) -> dict:
    files = dict(ACCOUNTS)
    for more in extra:
        files.update(more)
    return files


DROP_LEGACY = {"migrations/0101_drop_legacy.sql": "ALTER TABLE accounts DROP COLUMN legacy;\n"}


def test_a_rollback_that_can_only_re_add_a_column_at_the_end_is_said_not_failed(toolkit, project, sql):
    # ALTER TABLE cannot put a column back in its place: no rollback can restore the order, so it is said, kept in
    # history, and not a failure.
    root = project(phases(DROP_LEGACY, {"rollbacks/0101_drop_legacy.sql":
                                        "ALTER TABLE accounts ADD COLUMN legacy boolean;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == OK, result.output
    assert "phase 1: the schema is as before it was applied except what no rollback can restore" in result.stderr
    assert "column accounts.legacy: position 4 after its rollback, 3 before it was applied" in result.stderr
    assert sql("SELECT count(*) FROM toolkit.history WHERE detail LIKE 'restored except what no rollback%'") == [(1,)]


def test_a_function_recreated_with_other_whitespace_is_said_not_failed(toolkit, project):
    body = "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT {} $$;\n"
    root = project(phases({"migrations/0002_answer.sql": body.format(1), "rollbacks/0002_answer.sql":
                           "DROP FUNCTION answer();\n",
                           "migrations/0101_answer.sql": body.format(2), "rollbacks/0101_answer.sql":
                           body.format(1).replace("SELECT 1", "SELECT\n      1")}))
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == OK, result.output
    assert "function answer(): definition" in result.stderr


def test_manual_rollback_that_restores_a_different_schema_needs_a_human(toolkit, project):
    root = project(phases(DROP_LEGACY, {"rollbacks/0101_drop_legacy.sql":
                                        "ALTER TABLE accounts ADD COLUMN legacy text;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == HUMAN_NEEDED
    assert "column accounts.legacy: type text after its rollback, boolean before it was applied" in result.stderr


def test_with_strict_a_column_out_of_its_place_needs_a_human(toolkit, project):
    root = project(phases(DROP_LEGACY, {"rollbacks/0101_drop_legacy.sql":
                                        "ALTER TABLE accounts ADD COLUMN legacy boolean;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--phase", "1", "--strict", project=root)
    assert result.exit_code == HUMAN_NEEDED
    assert "phase 1 was rolled back, but the schema differs from before it was applied" in result.stderr
    assert "column accounts.legacy: position 4 after its rollback, 3 before it was applied" in result.stderr
    assert "column accounts.note: position 3 after its rollback, 4 before it was applied" in result.stderr


def test_manual_rollback_that_restores_the_schema_passes_and_forgets_the_fingerprint(toolkit, project, sql):
    root = project(phases({"migrations/0101_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
                           "rollbacks/0101_tags.sql": "DROP TABLE tags;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    assert sql("SELECT phase FROM toolkit.phase_fingerprints ORDER BY phase") == [(0,), (1,)]
    assert toolkit("rollback", "--phase", "1", project=root).exit_code == OK
    assert sql("SELECT phase FROM toolkit.phase_fingerprints ORDER BY phase") == [(0,)]


def test_a_phase_applied_without_a_kept_fingerprint_rolls_back_and_says_it_was_not_compared(toolkit, project, sql):
    root = project(phases({"migrations/0101_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
                           "rollbacks/0101_tags.sql": "DROP TABLE tags;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    sql("DELETE FROM toolkit.phase_fingerprints WHERE phase = 1")  # as an older toolkit left it
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == OK
    assert "phase 1: no fingerprint was kept when it was applied" in result.stderr


def test_a_fingerprint_kept_by_an_older_toolkit_is_not_compared_and_it_says_so(toolkit, project, sql):
    root = project(phases({"migrations/0101_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
                           "rollbacks/0101_tags.sql": "DROP TABLE tags;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    sql("UPDATE toolkit.phase_fingerprints SET lines = array_remove(lines, %s)", (FORMAT,))  # as 0.1 kept it
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == OK
    assert "phase 1: the fingerprint kept when it was applied is an older toolkit's" in result.stderr


def test_rollback_of_an_irreversible_migration_is_refused_before_anything_runs(toolkit, project, sql, db):
    root = project(phases(DROP_LEGACY, {
        "rollbacks/0101_drop_legacy.sql": "-- toolkit:irreversible the legacy flags are gone; restore from backup\n",
        "migrations/0102_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
        "rollbacks/0102_tags.sql": "DROP TABLE tags;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    schema, events = api.fingerprint(db), sql("SELECT count(*) FROM toolkit.history")
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == IRREVERSIBLE
    assert result.stderr == ("toolkit: error: phase 1 cannot be rolled back: 0101_drop_legacy is irreversible "
                             "(the legacy flags are gone; restore from backup); nothing was changed\n")
    assert api.fingerprint(db) == schema and sql("SELECT count(*) FROM toolkit.history") == events


def test_an_automatic_rollback_that_meets_an_irreversible_migration_needs_a_human(toolkit, project):
    root = project(phases(DROP_LEGACY, {
        "rollbacks/0101_drop_legacy.sql": "-- toolkit:irreversible the flags are gone\n",
        "migrations/0102_broken.sql": "ALTER TABLE no_such_table ADD COLUMN x int;\n",
        "rollbacks/0102_broken.sql": "SELECT 1;\n"}))
    result = toolkit("apply", project=root)
    assert result.exit_code == HUMAN_NEEDED
    assert "0101_drop_legacy cannot be rolled back: irreversible (the flags are gone)" in result.stderr
    assert "phase 1 now has applied: 0101_drop_legacy" in result.stderr


def three_phases() -> dict:
    files = dict(ACCOUNTS)
    for n in (1, 2):
        files[f"migrations/0{n}01_t{n}.sql"] = f"CREATE TABLE t{n} (id bigint PRIMARY KEY);\n"
        files[f"rollbacks/0{n}01_t{n}.sql"] = f"DROP TABLE t{n};\n"
    return files


def test_rollback_to_n_rolls_back_every_applied_phase_above_it_newest_first(toolkit, project, sql):
    root = project(three_phases())
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--to", "0", project=root)
    assert result.exit_code == OK
    assert sql("SELECT migration FROM toolkit.history WHERE action = 'rollback' ORDER BY id") == [
        ("0201_t2",), ("0101_t1",)]
    assert sql("SELECT migration FROM toolkit.applied_migrations") == [("0001_accounts",)]


def test_rollback_all_leaves_the_empty_schema(toolkit, project, db):
    root = project(three_phases())
    empty = api.fingerprint(db)
    assert toolkit("apply", project=root).exit_code == OK
    assert toolkit("rollback", "--all", project=root).exit_code == OK
    assert api.fingerprint(db) == empty


def test_rollback_needs_exactly_one_of_phase_to_and_all(toolkit, project):
    root = project(three_phases())
    assert toolkit("apply", project=root).exit_code == OK
    for args in ((), ("--phase", "2", "--all"), ("--to", "0", "--all")):
        result = toolkit("rollback", *args, project=root)
        assert result.exit_code == BAD_INPUT, args
        assert "say what to roll back: one of --phase N, --to N or --all" in result.stderr


def test_a_failed_statement_keeps_the_servers_detail_and_hint(toolkit, project, sql):
    root = project(phases({
        "migrations/0101_view.sql": "CREATE VIEW account_emails AS SELECT id, email FROM accounts;\n",
        "rollbacks/0101_view.sql": "DROP VIEW account_emails;\n",
        "migrations/0201_drop_email.sql": "ALTER TABLE accounts DROP COLUMN email;\n",
        "rollbacks/0201_drop_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"}))
    result = toolkit("apply", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    lines = result.stderr.splitlines()
    assert "cannot drop column email of table accounts because other objects depend on it" in lines[-3]
    assert lines[-2:] == ["  DETAIL: view account_emails depends on column email of table accounts",
                          "  HINT: Use DROP ... CASCADE to drop the dependent objects too."]
    detail = sql("SELECT detail FROM toolkit.history WHERE outcome = 'failed'")[0][0]
    assert "DETAIL: view account_emails depends on column email" in detail


def test_a_function_error_keeps_the_context_line(toolkit, project):
    root = project(phases({
        "migrations/0101_fail.sql": "DO $$ BEGIN PERFORM 1 / 0; END $$;\n", "rollbacks/0101_fail.sql": "SELECT 1;\n"}))
    result = toolkit("apply", project=root)
    assert result.exit_code == STEP_ROLLED_BACK
    assert "  CONTEXT: SQL statement \"SELECT 1 / 0\" PL/pgSQL function inline_code_block line 1 at PERFORM" \
        in result.stderr


def test_analyze_keeps_its_file_in_one_transaction_with_its_history_row(toolkit, project, sql):
    root = project(phases({"migrations/0101_filled.sql": "INSERT INTO accounts (id) VALUES (1);\nANALYZE accounts;\n",
                           "rollbacks/0101_filled.sql": "DELETE FROM accounts WHERE id = 1;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    # a non-transactional file writes a 'started' row first; a transactional one only its 'ok' row
    assert sql("SELECT outcome FROM toolkit.history WHERE migration = '0101_filled'") == [("ok",)]


def test_several_concurrent_builds_in_one_file_are_built_and_dropped(toolkit, project, sql):
    root = project(phases({
        "migrations/0101_indexes.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
                                       "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_note_idx ON accounts (note);\n",
        "rollbacks/0101_indexes.sql": "DROP INDEX CONCURRENTLY IF EXISTS accounts_note_idx;\n"
                                      "DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;\n"}))
    assert toolkit("apply", project=root).exit_code == OK
    built = "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " \
            "WHERE c.relname LIKE 'accounts_%_idx' ORDER BY 1"
    assert sql(built) == [("accounts_email_idx", True), ("accounts_note_idx", True)]
    assert toolkit("rollback", "--phase", "1", project=root).exit_code == OK
    assert sql(built) == []


def test_rollback_to_0_where_the_phases_start_at_1_rolls_back_everything(toolkit, project, sql):
    root = project({"migrations/0101_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
                    "rollbacks/0101_tags.sql": "DROP TABLE tags;\n",
                    "migrations/0201_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
                    "rollbacks/0201_notes.sql": "DROP TABLE notes;\n"})
    assert toolkit("apply", project=root).exit_code == OK
    result = toolkit("rollback", "--to", "0", project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM toolkit.applied_migrations") == [(0,)]


ORDERS = {"migrations/0101_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n"
                                        "CREATE TABLE carts (id bigint PRIMARY KEY);\n",
          "rollbacks/0101_orders.sql": "DROP TABLE carts;\nDROP TABLE orders;\n"}


def _orders_with_rows(toolkit, project, sql):
    root = project(phases(ORDERS))
    assert toolkit("apply", project=root).exit_code == OK
    sql("INSERT INTO orders SELECT g, 'x' FROM generate_series(1, 500) AS g")
    sql("ANALYZE orders")
    return root


def _on_a_terminal(db, root, *args, answer: str | None = None) -> tuple[int, str]:
    """`toolkit ARGS` as a person runs it: stdin and stderr a terminal (a pty), answering `answer` when asked."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    env = {**os.environ, "DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root)}
    terminal, its_end = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "toolkit", *args], stdin=its_end, stderr=its_end,
                             stdout=subprocess.PIPE, env=env)
    os.close(its_end)
    seen, answered, ends = b"", False, time.monotonic() + 60
    while time.monotonic() < ends:
        if select.select([terminal], [], [], 0.1)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the child closed its end
                break
            seen += chunk
            if answer is not None and not answered and b"roll back?" in seen:
                os.write(terminal, answer.encode() + b"\n")
                answered = True
        elif child.poll() is not None:
            break
    stdout = child.communicate(timeout=60)[0]
    os.close(terminal)
    return child.returncode, seen.decode(errors="replace") + stdout.decode()


def test_a_rollbacks_last_line_says_what_the_restored_schema_was_proven_against(toolkit, project, sql):
    root = _orders_with_rows(toolkit, project, sql)
    result = toolkit("rollback", "--phase", "1", project=root)
    assert result.exit_code == OK, result.output
    assert result.stdout.strip().splitlines()[-1].endswith(
        "schema matches its fingerprint from before phase 1 was applied")


def test_rows_at_stake_lists_the_tables_a_rollback_would_drop_that_hold_rows_with_an_estimate(
        toolkit, project, sql, db):
    root = _orders_with_rows(toolkit, project, sql)
    stake = api.rows_at_stake(db, 1, settings=api.Settings(project=root))
    assert [str(table) for table in stake] == ["orders (about 500 rows)"]  # carts is empty: nothing to lose
    assert api.rows_at_stake(db, 1, level="feature", settings=api.Settings(project=root)) == []
    assert sql("SELECT count(*) FROM orders") == [(500,)]  # asking changed nothing


def test_on_a_terminal_a_rollback_that_would_drop_rows_asks_and_no_leaves_everything(toolkit, project, sql, db):
    root = _orders_with_rows(toolkit, project, sql)
    code, seen = _on_a_terminal(db, root, "rollback", "--phase", "1", answer="n")
    assert "this rollback drops or empties 1 table(s) holding rows: orders (about 500 rows)" in seen
    assert code == BAD_INPUT and "rollback not confirmed: nothing was done" in seen
    assert sql("SELECT count(*) FROM orders") == [(500,)]


def test_on_a_terminal_yes_rolls_back(toolkit, project, sql, db):
    root = _orders_with_rows(toolkit, project, sql)
    code, seen = _on_a_terminal(db, root, "rollback", "--phase", "1", answer="y")
    assert code == OK, seen
    assert sql("SELECT to_regclass('orders') IS NULL") == [(True,)]


def test_with_yes_or_without_a_terminal_nothing_is_asked(toolkit, project, sql, db):
    root = _orders_with_rows(toolkit, project, sql)
    code, seen = _on_a_terminal(db, root, "rollback", "--phase", "1", "--yes")
    assert code == OK, seen
    assert "roll back?" not in seen
    assert toolkit("apply", project=root).exit_code == OK
    sql("INSERT INTO orders VALUES (1, 'x')")
    result = toolkit("rollback", "--phase", "1", project=root)  # the test runner's stdin is no terminal
    assert result.exit_code == OK, result.output
    assert "roll back?" not in result.output
