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


def test_transaction_control_inside_a_migration_is_refused(project):
    message = refusal({"migrations/0001_a.sql": "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
                       "rollbacks/0001_a.sql": DROP}, project)
    assert "0001_a.sql:2: BEGIN/COMMIT/ROLLBACK is not allowed inside a file" in message


@pytest.mark.parametrize("begin, commit", [("BEGIN", "COMMIT"), ("START TRANSACTION", "END")])
def test_begin_and_commit_around_the_whole_file_are_the_toolkits_transaction(project, begin, commit):
    plan = load_plan(project({"migrations/0001_a.sql": f"{begin};\nCREATE TABLE a (id int);\n{commit};\n",
                              "rollbacks/0001_a.sql": DROP}))
    script = plan.migrations[0].apply_script
    assert [s.kind for s in script.statements] == ["CreateStmt"] and script.transactional


def test_analyze_runs_in_the_migrations_transaction_and_vacuum_does_not(project):
    plan = load_plan(project({"migrations/0001_a.sql": TABLE + "ANALYZE a;\n", "rollbacks/0001_a.sql": DROP,
                              "migrations/0002_v.sql": "VACUUM a;\n", "rollbacks/0002_v.sql": "SELECT 1;\n"}))
    analyzed, vacuumed = plan.migrations
    assert analyzed.apply_script.transactional
    assert not vacuumed.apply_script.transactional


def test_several_idempotent_concurrent_statements_may_share_a_file(project):
    plan = load_plan(project({
        "migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
        "migrations/0002_i.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);\n"
                                 "CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON a (id);\n",
        "rollbacks/0002_i.sql": "DROP INDEX CONCURRENTLY IF EXISTS j;\nDROP INDEX CONCURRENTLY IF EXISTS i;\n"}))
    built = plan.migrations[1].apply_script
    assert not built.transactional and [s.builds_index.name for s in built.statements] == ["i", "j"]


def test_statements_that_say_they_may_run_again_may_share_a_file_with_a_concurrent_one(project):
    plan = load_plan(project({
        "migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
        "migrations/0002_i.sql": "ALTER TABLE a ADD COLUMN IF NOT EXISTS code text;\n"
                                 "CREATE OR REPLACE VIEW a_codes AS SELECT id, code FROM a;\n"
                                 "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_code ON a (code);\n"
                                 "COMMENT ON INDEX a_code IS 'lookups by code';\n",
        "rollbacks/0002_i.sql": "DROP INDEX CONCURRENTLY IF EXISTS a_code;\nDROP VIEW IF EXISTS a_codes;\n"
                                "ALTER TABLE a DROP COLUMN IF EXISTS code;\n"}))
    assert [m.apply_script.transactional for m in plan.migrations] == [True, False]
    assert not plan.migrations[1].rollback_script.transactional


def test_a_concurrent_statement_beside_one_not_safe_to_rerun_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "migrations/0002_i.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);\n"
                                                "CREATE TABLE b (id bigint);\n",
                       "rollbacks/0002_i.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;\n"}, project)
    assert "0002_i.sql:2: a CONCURRENTLY statement shares its file with CreateStmt" in message


def test_no_transaction_directive_makes_a_file_autocommit(project):
    plan = load_plan(project({"migrations/0001_a.sql": "-- toolkit:no-transaction\n" + TABLE,
                              "rollbacks/0001_a.sql": DROP}))
    assert not plan.migrations[0].apply_script.transactional


def test_no_transaction_directive_below_the_first_statement_is_refused(project):
    message = refusal({"migrations/0001_a.sql": TABLE + "-- toolkit:no-transaction\nSELECT 1;\n",
                       "rollbacks/0001_a.sql": DROP}, project)
    assert "0001_a.sql:3: toolkit:no-transaction is about the whole file" in message


def test_irreversible_rollback_carries_its_reason(project):
    plan = load_plan(project({"migrations/0001_a.sql": TABLE,
                              "rollbacks/0001_a.sql": "-- toolkit:irreversible the old rows are gone\n"}))
    assert plan.migrations[0].irreversible == "the old rows are gone"


@pytest.mark.parametrize("rollback, problem", [
    ("-- toolkit:irreversible\n", "0001_a.sql:1: toolkit:irreversible needs a reason"),
    ("-- toolkit:irreversible data loss\nDROP TABLE a;\n", "marked toolkit:irreversible holds nothing else"),
], ids=["without_reason", "with_sql"])
def test_irreversible_marker_is_refused_without_a_reason_or_beside_sql(project, rollback, problem):
    assert problem in refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": rollback}, project)


def test_irreversible_marker_in_a_migration_is_refused(project):
    message = refusal({"migrations/0001_a.sql": "-- toolkit:irreversible no\n", "rollbacks/0001_a.sql": DROP},
                      project)
    assert "0001_a.sql: toolkit:irreversible belongs in the rollback" in message


def test_rollback_of_an_applied_irreversible_migration_is_refused_before_anything_runs(project):
    from toolkit.errors import Irreversible

    plan = load_plan(project({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": "-- toolkit:irreversible x\n",
                              "migrations/0101_b.sql": TABLE.replace("a", "b"), "rollbacks/0101_b.sql": "DROP TABLE b;\n"}))
    applied = {"0001_a", "0101_b"}
    with pytest.raises(Irreversible, match="phase 0 cannot be rolled back: 0001_a is irreversible"):
        plan.refuse_irreversible(plan.phases_down_to(applied, None), applied)
    plan.refuse_irreversible(plan.phases_down_to(applied, 0), applied)  # --to 0 leaves phase 0 alone


def test_rollback_to_n_chooses_every_applied_phase_above_n_newest_first(project):
    files = {}
    for n in range(3):
        files[f"migrations/0{n}01_t{n}.sql"] = f"CREATE TABLE t{n} (id bigint);\n"
        files[f"rollbacks/0{n}01_t{n}.sql"] = f"DROP TABLE t{n};\n"
    plan = load_plan(project(files))
    applied = {"0001_t0", "0101_t1", "0201_t2"}
    assert [p.number for p in plan.phases_down_to(applied, 0)] == [2, 1]
    assert [p.number for p in plan.phases_down_to(applied, None)] == [2, 1, 0]
    with pytest.raises(BadInput, match="no phase above phase 2 is applied"):
        plan.phases_down_to(applied, 2)


def test_an_unnamed_concurrent_index_is_refused_a_named_one_runs_as_written(project):
    message = refusal({"migrations/0001_a.sql": "CREATE INDEX CONCURRENTLY ON a (id);\n",
                       "rollbacks/0001_a.sql": "SELECT 1;\n"}, project)
    assert "CREATE INDEX CONCURRENTLY needs an explicit index name" in message
    plan = load_plan(project({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                              "migrations/0002_i.sql": "CREATE INDEX CONCURRENTLY i ON a (id);\n",
                              "rollbacks/0002_i.sql": "DROP INDEX CONCURRENTLY i;\n"}))
    built, dropped = plan.migrations[1].apply_script.statements[0], plan.migrations[1].rollback_script.statements[0]
    assert (built.builds_index.name, dropped.drops_index.name) == ("i", "i")


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


BATCH_WITHOUT_LIMIT = "-- toolkit:batch\nUPDATE a SET id = id + 1 WHERE id < 0;\n"
KEYSET_WITHOUT_RETURNING = (
    "-- toolkit:batch\nUPDATE a SET id = -id WHERE id IN (SELECT id FROM a\n"
    "    WHERE id > coalesce(nullif(current_setting('toolkit.batch_after', true), '')::bigint, 0)\n"
    "    ORDER BY id LIMIT current_setting('toolkit.batch_size')::integer);\n")


@pytest.mark.parametrize("statement, says", [
    (BATCH_WITHOUT_LIMIT, "migrations/0101_b.sql:2: a batched statement must limit itself with "
                          "current_setting('toolkit.batch_size')"),
    (KEYSET_WITHOUT_RETURNING, "migrations/0101_b.sql:2: a batch that reads toolkit.batch_after returns its key: "
                               "an INSERT, UPDATE or DELETE ending in RETURNING key"),
])
def test_a_batch_that_cannot_end_or_resume_is_refused_naming_its_line(project, statement, says):
    message = refusal({"migrations/0001_a.sql": TABLE, "rollbacks/0001_a.sql": DROP,
                       "migrations/0101_b.sql": statement, "rollbacks/0101_b.sql": "SELECT 1;\n"}, project)
    assert says in message
