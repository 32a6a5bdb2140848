"""The key-query slowdown trigger (exit 6): it fires on a real slowdown and not on a busy machine."""

import multiprocessing
import time

from click.testing import CliRunner

from toolkit import api
from toolkit.cli import BAD_INPUT, OK, SLOWDOWN_ROLLED_BACK, cli

PROJECT = {
    "migrations/0001_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL, payload text);\n"
                                 "INSERT INTO items SELECT g, 'c' || g, repeat('x', 200) "
                                 "FROM generate_series(1, 20000) AS g;\n"
                                 "CREATE INDEX idx_items_code ON items (code);\nANALYZE items;\n",
    "rollbacks/0001_items.sql": "DROP TABLE items;\n",
    "validation/keys.sql": "-- key: item_by_code\nSELECT id, payload FROM items WHERE code = 'c12345';\n",
}


def run(db, root, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db.dsn, "TOOLKIT_PROJECT": str(root)})


def phase_1_rolled_back_for_slowdown(db, root):
    """Apply phase 0, then phase 1: it must exit 6 and leave the schema as phase 0 left it."""
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    before = api.fingerprint(db)
    result = run(db, root, "apply", "--phase", "1")
    assert result.exit_code == SLOWDOWN_ROLLED_BACK, result.output
    assert api.fingerprint(db) == before
    return result


def test_dropping_the_index_a_key_query_needs_is_rolled_back_with_exit_6(project, db):
    root = project({**PROJECT, "migrations/0101_drop_idx.sql": "DROP INDEX idx_items_code;\n",
                    "rollbacks/0101_drop_idx.sql": "CREATE INDEX idx_items_code ON items (code);\n"})
    result = phase_1_rolled_back_for_slowdown(db, root)
    error = result.stderr.splitlines()[-1]
    assert "key query item_by_code slower:" in error and "buffers (allowed +20%)" in error


def _burn(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_an_unrelated_migration_on_a_busy_machine_is_not_rolled_back(project, db):
    root = project({**PROJECT, "migrations/0101_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
                    "rollbacks/0101_notes.sql": "DROP TABLE notes;\n"})
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    hogs = [multiprocessing.Process(target=_burn, args=(20,)) for _ in range(multiprocessing.cpu_count() * 2)]
    try:
        for hog in hogs:
            hog.start()
        result = run(db, root, "apply", "--phase", "1")
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()
    assert result.exit_code == OK, result.output
    assert "key queries after (median ms/buffers): item_by_code" in result.stderr


def test_a_looser_limit_per_query_is_honoured(project, db):
    root = project({**PROJECT, "validation/keys.sql": "-- key: item_by_code\n-- max-slowdown: 100000%\n"
                                                       "SELECT id, payload FROM items WHERE code = 'c12345';\n",
                    "migrations/0101_drop_idx.sql": "DROP INDEX idx_items_code;\n",
                    "rollbacks/0101_drop_idx.sql": "CREATE INDEX idx_items_code ON items (code);\n"})
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    assert run(db, root, "apply", "--phase", "1").exit_code == OK


def test_a_migration_that_breaks_a_key_query_is_rolled_back_with_exit_6(project, db):
    root = project({**PROJECT, "migrations/0101_drop_payload.sql": "ALTER TABLE items DROP COLUMN payload;\n",
                    "rollbacks/0101_drop_payload.sql": "ALTER TABLE items ADD COLUMN payload text;\n"})
    result = phase_1_rolled_back_for_slowdown(db, root)
    assert 'key query item_by_code no longer runs: column "payload" does not exist' in result.stderr


def notes_phase_with_key(key_query: str) -> dict:
    """PROJECT with one more key query, and a phase 1 that creates a table `notes`."""
    return {**PROJECT, "validation/keys.sql": PROJECT["validation/keys.sql"] + key_query,
            "migrations/0101_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
            "rollbacks/0101_notes.sql": "DROP TABLE notes;\n"}


def test_a_key_query_waiting_for_its_table_is_measured_from_the_phase_that_creates_it(project, db):
    root = project(notes_phase_with_key("-- key: note_by_id\nSELECT id FROM notes WHERE id = 1;\n"))
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    result = run(db, root, "apply", "--phase", "1")
    assert result.exit_code == OK, result.output
    assert "key queries note_by_id: measured from the phase that creates their tables (not there yet)" \
        in result.stderr
    assert "not runnable" not in result.stderr  # a table still to come is not an error


def test_a_run_says_once_that_key_queries_wait_for_their_tables(project, db):
    root = project(notes_phase_with_key("-- key: note_by_id\nSELECT id FROM notes WHERE id = 1;\n"))
    result = run(db, root, "apply")  # phases 0 and 1: before and after phase 0, before phase 1
    assert result.exit_code == OK, result.output
    assert result.stderr.count("measured from the phase that creates their tables") == 1


def test_a_key_query_with_a_mistake_is_refused_by_file_and_line_before_anything_changes(project, db):
    root = project(notes_phase_with_key("\n-- key: broken\nSELECT id FROM items WHERE id = 1 / 0;\n"))
    assert run(db, root, "apply", "--phase", "0").exit_code == OK
    before = api.fingerprint(db)
    result = run(db, root, "apply", "--phase", "1")
    assert result.exit_code == BAD_INPUT, result.output
    assert result.stderr.splitlines()[-1].endswith("keys.sql:5: key query broken cannot run: division by zero")
    assert api.fingerprint(db) == before
