"""The plan is built from files alone: no database in these tests."""

from pathlib import Path

import pytest

from toolkit.errors import BadInput, PlanError
from toolkit.plan import load_plan

REPO = Path(__file__).resolve().parent.parent

TABLE = "CREATE TABLE a (id bigint);\n"
DROP = "DROP TABLE a;\n"


def refusal(project_files, project) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan(project(project_files))
    return str(caught.value)


def test_repository_plan_has_phases_0_and_1_with_checks():
    plan = load_plan(REPO)
    assert [p.number for p in plan.phases][:2] == [0, 1]
    for phase in plan.phases[:2]:
        assert phase.pre_checks and phase.post_checks


def test_migration_without_rollback_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE}, project)
    assert "migrations/0001_a.sql: has no rollback" in message


def test_rollback_without_migration_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP, "rollbacks/0002_b.sql": DROP},
                      project)
    assert "rollbacks/0002_b.sql: rollback without a migration" in message


def test_two_files_with_the_same_number_are_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "migrations/0001_b.sql": TABLE, "rollbacks/0001_b.sql": DROP}, project)
    assert "0001_b.sql: number 0001 is also used by 0001_a.sql" in message


@pytest.mark.parametrize("name", ["001_a.sql", "0100_a.sql", "0001-a.sql", "0001_Upper.sql", "0001_.sql"])
def test_number_outside_the_phase_scheme_is_refused(project, name):
    message = refusal({f"migrations/{name}": TABLE, f"rollbacks/{name}": DROP}, project)
    assert f"migrations/{name}: name does not fit PPSS_name.sql" in message


def test_empty_file_is_refused(project):
    message = refusal({"migrations/0001_a.sql": "-- nothing here\n", "rollbacks/0001_a.sql": DROP}, project)
    assert "0001_a.sql: holds no SQL statement" in message


def test_syntax_error_names_file_and_line(project):
    message = refusal({"migrations/0001_a.sql": "CREATE TABLE a (id int);\n\nCREATE TABLEE b ();\n",
                       "rollbacks/0001_a.sql": DROP}, project)
    assert "migrations/0001_a.sql:3: SQL syntax error" in message


def test_transaction_control_in_a_migration_is_refused(project):
    message = refusal({"migrations/0001_a.sql": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
                       "rollbacks/0001_a.sql": DROP}, project)
    assert "0001_a.sql:1: BEGIN/COMMIT/ROLLBACK is not allowed" in message


def test_concurrent_index_without_if_not_exists_is_refused(project):
    message = refusal({"migrations/0001_a.sql": "CREATE INDEX CONCURRENTLY i ON a (id);\n",
                       "rollbacks/0001_a.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;\n"}, project)
    assert "must say IF NOT EXISTS" in message


def test_concurrent_statements_need_autocommit_found_by_parsing(project):
    plan = load_plan(project({
        "migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
        # The comment lies; the parser decides.
        "migrations/0002_i.sql": "-- runs in a transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);\n",
        "rollbacks/0002_i.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;\n",
        "migrations/0003_r.sql": "REINDEX INDEX CONCURRENTLY i;\n", "rollbacks/0003_r.sql": "SELECT 1;\n",
    }))
    table, index, reindex = plan.phase(0).migrations
    assert table.apply_script.transactional
    assert not index.apply_script.transactional and not index.rollback_script.transactional
    assert index.apply_script.statements[0].builds_index.name == "i"
    assert not reindex.apply_script.transactional


def test_check_without_a_name_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "validation/00_post.sql": "SELECT 1;\n"}, project)
    assert "validation/00_post.sql:1: check has no name" in message


def test_check_that_writes_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "validation/00_post.sql": "-- check: sneaky\nDELETE FROM a;\n"}, project)
    assert "validation/00_post.sql:2: check 'sneaky' must be a query that changes nothing" in message


def test_check_for_a_phase_without_migrations_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "validation/03_pre.sql": "-- check: x\nSELECT 0;\n"}, project)
    assert "validation/03_pre.sql: checks for phase 3, which has no migrations" in message


def test_non_utf8_file_is_refused(project, tmp_path):
    root = project({"rollbacks/0001_a.sql": DROP})
    (root / "migrations" / "0001_a.sql").write_bytes(b"-- caf\xe9\nCREATE TABLE a (id int);\n")
    with pytest.raises(PlanError, match=r"0001_a.sql:1: not valid UTF-8"):
        load_plan(root)


def test_bom_and_windows_line_endings_are_accepted(project):
    root = project({"rollbacks/0001_a.sql": DROP})
    (root / "migrations" / "0001_a.sql").write_bytes(b"\xef\xbb\xbf-- a\r\nCREATE TABLE a (id int);\r\n")
    statement = load_plan(root).phase(0).migrations[0].apply_script.statements[0]
    assert statement.text == "CREATE TABLE a (id int)" and statement.line == 2


def phases(project):
    return load_plan(project({
        "migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
        "migrations/0101_b.sql": TABLE, "rollbacks/0101_b.sql": DROP,
        "migrations/0201_c.sql": TABLE, "rollbacks/0201_c.sql": DROP,
    }))


def test_a_phase_is_refused_while_an_earlier_one_is_pending(project):
    with pytest.raises(BadInput, match="phase 1 cannot be applied: earlier phase.s. 0 pending"):
        phases(project).phases_to_apply(set(), 1)


def test_apply_without_a_phase_takes_every_pending_phase_in_order(project):
    assert [p.number for p in phases(project).phases_to_apply({"0001_a"})] == [1, 2]


def test_rollback_of_a_phase_with_later_phases_applied_is_refused(project):
    with pytest.raises(BadInput, match="later phase.s. 1 are applied"):
        phases(project).phases_to_roll_back({"0001_a", "0101_b"}, 0)


def test_rollback_cascade_goes_down_newest_first(project):
    chosen = phases(project).phases_to_roll_back({"0001_a", "0101_b", "0201_c"}, 0, cascade=True)
    assert [p.number for p in chosen] == [2, 1, 0]


def test_unknown_phase_is_refused(project):
    with pytest.raises(BadInput, match="phase 7 does not exist"):
        phases(project).phase(7)
