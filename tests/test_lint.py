"""`toolkit lint`: every rule fires on its bad case and stays quiet on its good one. No database."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import FINDINGS, OK, cli
from toolkit.lint import lint
from toolkit.lint.rules import RULES

REPO = Path(__file__).resolve().parent.parent

BASE = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "validation/00_pre.sql": "-- check: nothing_yet\nSELECT 0;\n",
    "validation/00_post.sql": "-- check: accounts_exist\nSELECT to_regclass('accounts') IS NULL;\n",
}
# The statements under test are phase 1's: accounts exists by then (phase 0 created it).
PHASE_1_CHECKS = {
    "validation/01_pre.sql": "-- check: nothing_yet\nSELECT 0;\n",
    "validation/01_post.sql": "-- check: nothing_wrong\nSELECT 0;\n",
}


def rules_found(project, sql: str, *, rollback: bool = False, pg_major: int = 15) -> list[str]:
    files = {**BASE, **PHASE_1_CHECKS}
    if rollback:
        files.update({"migrations/0102_change.sql": "SELECT 1;\n", "rollbacks/0102_change.sql": sql})
    else:
        files.update({"migrations/0102_change.sql": sql, "rollbacks/0102_change.sql": "SELECT 1;\n"})
    report = lint(project(files), pg_major=pg_major, style=False)
    return [f.rule for f in report.findings]


CASES = {
    # rule: (bad SQL, good SQL)
    "index-not-concurrent": ("CREATE INDEX i ON accounts (name);",
                             "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (name);"),
    "constraint-without-not-valid": ("ALTER TABLE accounts ADD CONSTRAINT c CHECK (id > 0);",
                                     "ALTER TABLE accounts ADD CONSTRAINT c CHECK (id > 0) NOT VALID;"),
    "add-column-not-null-without-default": ("ALTER TABLE accounts ADD COLUMN n integer NOT NULL;",
                                            "ALTER TABLE accounts ADD COLUMN n integer NOT NULL DEFAULT 0;"),
    "volatile-default": ("ALTER TABLE accounts ADD COLUMN u uuid DEFAULT gen_random_uuid();",
                         "ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT now();"),
    "alter-column-type": ("ALTER TABLE accounts ALTER COLUMN id TYPE numeric;",
                          "ALTER TABLE accounts ALTER COLUMN name SET DEFAULT 'x';"),
    "set-not-null-without-check": (
        "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;",
        "ALTER TABLE accounts ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT name_nn;\n"
        "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;"),
    "rename": ("ALTER TABLE accounts RENAME COLUMN name TO full_name;",
               "COMMENT ON COLUMN accounts.name IS 'display name';"),
    "drop-in-migration": ("ALTER TABLE accounts DROP COLUMN name;", "ALTER TABLE accounts ADD COLUMN note text;"),
    "timestamp-without-time-zone": ("CREATE TABLE t (id bigint PRIMARY KEY, at timestamp);",
                                    "CREATE TABLE t (id bigint PRIMARY KEY, at timestamptz);"),
    "json-not-jsonb": ("CREATE TABLE t (id bigint PRIMARY KEY, doc json);",
                       "CREATE TABLE t (id bigint PRIMARY KEY, doc jsonb);"),
    "varchar-or-char": ("CREATE TABLE t (id bigint PRIMARY KEY, code varchar(10));",
                        "CREATE TABLE t (id bigint PRIMARY KEY, code text CHECK (length(code) <= 10));"),
    "int4-primary-key": ("CREATE TABLE t (id serial, PRIMARY KEY (id));",
                         "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    "not-in-subquery": ("CREATE VIEW v AS SELECT id FROM accounts WHERE name NOT IN (SELECT name FROM accounts);",
                        "CREATE VIEW v AS SELECT a.id FROM accounts AS a\n"
                        "WHERE NOT EXISTS (SELECT 1 FROM accounts AS b WHERE b.id = a.id);"),
    "concurrent-not-alone": ("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (name);\n"
                             "UPDATE accounts SET name = name || 'x';",
                             "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (name);"),
    "constraint-builds-index": ("ALTER TABLE accounts ADD CONSTRAINT accounts_name_key UNIQUE (name);",
                                "ALTER TABLE accounts ADD CONSTRAINT accounts_name_key UNIQUE USING INDEX "
                                "accounts_name_key;"),
    "reindex-not-concurrent": ("REINDEX TABLE accounts;", "REINDEX TABLE CONCURRENTLY accounts;"),
    "detach-partition-not-concurrent": ("ALTER TABLE accounts DETACH PARTITION accounts_2023;",
                                        # an interrupted concurrent detach needs DETACH ... FINALIZE, not a rerun:
                                        # the file says it knows
                                        "-- toolkit:allow not-idempotent-autocommit because a stopped detach is "
                                        "finished by hand with FINALIZE\n"
                                        "ALTER TABLE accounts DETACH PARTITION accounts_2023 CONCURRENTLY;"),
    "truncate-cascade": ("TRUNCATE accounts CASCADE;", "TRUNCATE accounts;"),
    "table-rewrite": ("VACUUM FULL accounts;", "VACUUM accounts;"),
    "identifier-too-long": ("CREATE TABLE t (id bigint PRIMARY KEY, " + "x" * 64 + " text);",
                            "CREATE TABLE t (id bigint PRIMARY KEY, " + "x" * 63 + " text);"),
    "not-idempotent-autocommit": ("VACUUM accounts;\nCREATE TABLE t (id bigint PRIMARY KEY);",
                                  "VACUUM accounts;\nCREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY);"),
    "plpgsql-syntax": ("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                       "    RETRUN NULL;\nEND\n$$;",
                       "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                       "    RETURN NULL;\nEND\n$$;"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_its_bad_case(project, rule):
    assert rule in rules_found(project, CASES[rule][0] + "\n")


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_is_quiet_on_its_good_case(project, rule):
    assert rules_found(project, CASES[rule][1] + "\n") == []


def test_every_safety_rule_has_a_case():
    from toolkit.lint.rules import SAFETY

    assert {r.id for r in SAFETY} == set(CASES)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE t (id bigint PRIMARY KEY, name text);\nCREATE INDEX i ON t (name);",
    "CREATE TABLE t (id bigint PRIMARY KEY, a_id bigint);\n"
    "ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a_id) REFERENCES accounts (id);",
    "CREATE TABLE t (id bigint PRIMARY KEY);\nALTER TABLE t ADD COLUMN u uuid NOT NULL DEFAULT gen_random_uuid();",
], ids=["index", "foreign_key", "volatile_default"])
def test_a_table_created_earlier_in_the_same_migration_is_not_existing(project, sql):
    assert rules_found(project, sql + "\n") == []


def test_constant_default_rewrites_only_before_postgresql_11(project):
    sql = "ALTER TABLE accounts ADD COLUMN n integer NOT NULL DEFAULT 0;\n"
    assert rules_found(project, sql, pg_major=15) == []
    assert rules_found(project, sql, pg_major=10) == ["volatile-default"]


def test_drop_table_is_fine_in_a_rollback(project):
    assert rules_found(project, "DROP TABLE accounts;\n", rollback=True) == []
    assert rules_found(project, "DROP TABLE accounts;\n") == ["drop-in-migration"]


def test_broken_plpgsql_body_is_reported_with_its_line(project):
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_f.sql": CASES["plpgsql-syntax"][0] + "\n",
                    "rollbacks/0102_f.sql": "DROP FUNCTION f();\n"})
    [finding] = lint(root, style=False).findings
    assert (finding.path, finding.line, finding.rule) == ("migrations/0102_f.sql", 1, "plpgsql-syntax")
    assert 'syntax error at or near "RETRUN" (line 3)' in finding.message


def test_plpgsql_error_without_a_token_points_at_the_function(project):
    body = "CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN NULL\nEND\n$$;\n"
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_g.sql": "-- g\n" + body, "rollbacks/0102_g.sql": "SELECT 1;\n"})
    [finding] = lint(root, style=False).findings
    assert (finding.line, finding.rule) == (2, "plpgsql-syntax") and "end of input" in finding.message


def test_not_in_subquery_in_a_check_is_found(project):
    root = project({**BASE, "validation/00_post.sql":
                    "-- check: orphans\nSELECT count(*) FROM accounts WHERE id NOT IN (SELECT name::bigint FROM accounts);\n"})
    assert [(f.path, f.line, f.rule) for f in lint(root, style=False).findings] == \
        [("validation/00_post.sql", 2, "not-in-subquery")]


def test_suppression_silences_exactly_one_finding_and_is_reported(project):
    sql = ("-- toolkit:allow index-not-concurrent because accounts is empty until phase 2\n"
           "CREATE INDEX i1 ON accounts (name);\n"
           "CREATE INDEX i2 ON accounts (id, name);\n")
    report = lint(project({**BASE, **PHASE_1_CHECKS, "migrations/0102_i.sql": sql, "rollbacks/0102_i.sql": "SELECT 1;\n"}),
                  style=False)
    assert [(f.line, f.rule) for f in report.findings] == [(3, "index-not-concurrent")]
    assert [(f.line, f.suppressed) for f in report.suppressed] == [(2, "because accounts is empty until phase 2")]


def test_unused_suppression_is_a_finding(project):
    sql = "-- toolkit:allow rename because we must\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts (name);\n"
    assert rules_found(project, sql) == ["unused-suppression"]


def test_suppression_without_reason_is_a_finding(project):
    sql = "-- toolkit:allow index-not-concurrent\nCREATE INDEX i ON accounts (name);\n"
    assert sorted(rules_found(project, sql)) == ["index-not-concurrent", "suppression-without-reason"]


def test_structure_problems_are_all_reported(project):
    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n",
                    "migrations/0002_b.sql": "CREATE TABLE b (id bigint PRIMARY KEY);\n",
                    "rollbacks/0002_b.sql": "DROP TABLE b;\n",
                    "rollbacks/0003_c.sql": "DROP TABLE c;\n"})
    found = [(f.path, f.rule) for f in lint(root, style=False).findings]
    assert ("migrations/0001_a.sql", "plan") in found and ("rollbacks/0003_c.sql", "plan") in found
    assert ("validation/00_pre.sql", "phase-without-pre-checks") in found
    assert ("validation/00_post.sql", "phase-without-post-checks") in found


def test_check_that_writes_is_a_structure_finding(project):
    root = project({**BASE, "validation/00_post.sql": "-- check: sneaky\nDELETE FROM accounts;\n"})
    [finding] = [f for f in lint(root, style=False).findings if f.rule == "plan"]
    assert finding.path == "validation/00_post.sql" and finding.line == 2


def test_style_findings_come_from_sqlfluff(project):
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_x.sql": "create table t (id bigint primary key, NAME text);\n",
                    "rollbacks/0102_x.sql": "DROP TABLE t;\n"})
    shutil.copy(REPO / ".sqlfluff", root / ".sqlfluff")
    rules = {f.rule for f in lint(root).findings if f.path == "migrations/0102_x.sql"}
    assert "CP02" in rules  # NAME: identifiers capitalised inconsistently


def test_repository_lints_clean():
    report = lint(REPO)
    assert [f.human() for f in report.findings] == []


def test_json_output_has_file_line_column_rule_message(project):
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_i.sql": "CREATE INDEX i ON accounts (name);\n",
                    "rollbacks/0102_i.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;\n"})
    result = CliRunner().invoke(cli, ["lint", "--project", str(root), "--no-style", "--format", "json"])
    assert result.exit_code == FINDINGS
    [finding] = json.loads(result.stdout)["findings"]
    assert finding == {"file": "migrations/0102_i.sql", "line": 1, "column": 1, "rule": "index-not-concurrent",
                       "message": RULES["index-not-concurrent"].message + ": CREATE INDEX on accounts"}


def test_human_output_is_file_line_col_rule_message(project):
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_i.sql": "-- a table\nCREATE TABLE t (id bigint PRIMARY KEY, doc json);\n",
                    "rollbacks/0102_i.sql": "DROP TABLE t;\n"})
    result = CliRunner().invoke(cli, ["lint", "--project", str(root), "--no-style"])
    assert result.exit_code == FINDINGS
    assert result.stdout.splitlines()[0] == "migrations/0102_i.sql:2:44: json-not-jsonb json instead of jsonb: doc"


def test_clean_project_exits_0_and_bad_usage_exits_2(project):
    assert CliRunner().invoke(cli, ["lint", "--project", str(project(BASE)), "--no-style"]).exit_code == OK
    assert CliRunner().invoke(cli, ["lint", "--pg-major", "3"]).exit_code == 2


def test_every_rule_is_documented_in_docs_lint():
    from toolkit.lint.rules import rules_markdown

    page = (REPO / "docs" / "lint.md").read_text()
    assert rules_markdown() in page
    assert [r for r in RULES if f"`{r}`" not in page] == []


def test_ci_lint_fails_when_a_migration_indexes_an_existing_table_without_concurrently(tmp_path):
    for folder in ("migrations", "rollbacks", "validation"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copy(REPO / ".sqlfluff", tmp_path / ".sqlfluff")
    (tmp_path / "migrations" / "0713_idx_users_name.sql").write_text(
        "-- 0713_idx_users_name: users by name.\nCREATE INDEX idx_users_name ON users (display_name);\n")
    (tmp_path / "rollbacks" / "0713_idx_users_name.sql").write_text(
        "-- Undoes 0713_idx_users_name.\nDROP INDEX CONCURRENTLY IF EXISTS idx_users_name;\n")
    result = CliRunner().invoke(cli, ["lint", "--project", str(tmp_path)])
    assert result.exit_code == FINDINGS
    assert "migrations/0713_idx_users_name.sql:2:1: index-not-concurrent" in result.stdout


@pytest.mark.parametrize("sql", ["ALTER TABLE accounts ADD COLUMN code text UNIQUE;",
                                 "ALTER TABLE accounts ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
                                 "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey2 PRIMARY KEY (id);"],
                         ids=["add_column_unique", "add_column_primary_key", "add_primary_key"])
def test_index_backed_constraints_on_an_existing_table_are_found(project, sql):
    assert "constraint-builds-index" in rules_found(project, sql + "\n")


def test_a_refused_file_reports_every_plan_problem_and_still_gets_the_other_rules(project):
    sql = ("CREATE INDEX CONCURRENTLY ON accounts (name);\nCREATE INDEX CONCURRENTLY ON accounts (id);\n"
           "CREATE INDEX CONCURRENTLY ON accounts (name, id);\nALTER TABLE accounts ADD COLUMN code varchar(3);\n")
    root = project({**BASE, **PHASE_1_CHECKS, "migrations/0102_i.sql": sql, "rollbacks/0102_i.sql": "SELECT 1;\n"})
    found = [(f.line, f.rule) for f in lint(root, style=False).findings if f.path == "migrations/0102_i.sql"]
    assert [(line, rule) for line, rule in found if rule == "plan"] == [(1, "plan"), (2, "plan"), (3, "plan")]
    assert (4, "varchar-or-char") in found and (4, "concurrent-not-alone") in found


def test_not_in_over_a_primary_key_or_not_null_column_is_not_flagged(project):
    for column in ("id", "email"):
        sql = (f"CREATE TABLE members (id bigint PRIMARY KEY, email text NOT NULL);\n"
               f"CREATE VIEW v AS SELECT a.id FROM accounts AS a WHERE a.id NOT IN (SELECT {column} FROM members);")
        assert rules_found(project, sql + "\n") == [], column


def test_not_in_over_a_column_an_earlier_phase_made_not_null_is_not_flagged(project):
    files = {**BASE, **PHASE_1_CHECKS,
             "migrations/0002_name_required.sql": "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n",
             "rollbacks/0002_name_required.sql": "ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL;\n",
             "migrations/0102_v.sql": "CREATE VIEW v AS SELECT 1 AS one WHERE 'x' NOT IN (SELECT name FROM accounts);\n",
             "rollbacks/0102_v.sql": "DROP VIEW v;\n"}
    found = {f.rule for f in lint(project(files), style=False).findings if f.path == "migrations/0102_v.sql"}
    assert "not-in-subquery" not in found


def test_a_not_null_column_on_a_table_the_same_phase_created_is_flagged_unless_the_phase_counts_whole(project):
    files = {**BASE, **PHASE_1_CHECKS,
             "migrations/0101_t.sql": "CREATE TABLE t (id bigint PRIMARY KEY);\n",
             "rollbacks/0101_t.sql": "DROP TABLE t;\n",
             "migrations/0102_c.sql": "ALTER TABLE t ADD COLUMN c text NOT NULL;\n",
             "rollbacks/0102_c.sql": "ALTER TABLE t DROP COLUMN c;\n"}
    root = project(files)
    assert [f.rule for f in lint(root, style=False).findings] != []
    assert [f.rule for f in lint(root, style=False, new_tables="phase").findings] == []


def test_a_not_null_column_on_a_table_the_same_file_emptied_is_not_flagged(project):
    assert rules_found(project, "DELETE FROM accounts;\nALTER TABLE accounts ADD COLUMN c text NOT NULL;\n") == []


def test_detach_partition_concurrently_runs_outside_a_transaction(project):
    from toolkit.plan import load_plan

    root = project({**BASE, **PHASE_1_CHECKS,
                    "migrations/0102_d.sql": "ALTER TABLE accounts DETACH PARTITION accounts_2023 CONCURRENTLY;\n",
                    "rollbacks/0102_d.sql": "SELECT 1;\n"})
    assert not load_plan(root).phase(1).migrations[0].apply_script.transactional


@pytest.mark.parametrize("sql, what", [("DROP SCHEMA archive CASCADE;", "DROP SCHEMA"),
                                       ("DROP DATABASE old_reports;", "DROP DATABASE")])
def test_dropping_a_schema_or_a_database_in_a_migration_is_found(project, sql, what):
    assert "drop-in-migration" in rules_found(project, sql + "\n")


ORDERS_THEN_INDEX = {  # #30's reproduction: 0101 creates orders, 0102 indexes it, in one phase
    "migrations/0101_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, customer text);\n",
    "rollbacks/0101_create_orders.sql": "DROP TABLE orders;\n",
    "migrations/0102_idx.sql": "CREATE INDEX idx_orders_customer ON orders (customer);\n",
    "rollbacks/0102_idx.sql": "DROP INDEX CONCURRENTLY idx_orders_customer;\n",
}


def _index_findings(report) -> list[str]:
    return [f"{f.path}:{f.rule}" for f in report.findings if f.rule == "index-not-concurrent"]


def test_a_table_an_earlier_migration_of_the_phase_created_is_existing_by_default(project):
    # in a converted history a phase holds years of migrations: that table has had rows for a long time
    report = lint(project({**BASE, **PHASE_1_CHECKS, **ORDERS_THEN_INDEX}), style=False)
    assert _index_findings(report) == ["migrations/0102_idx.sql:index-not-concurrent"]


def test_with_new_tables_phase_a_table_created_anywhere_in_its_phase_is_new(project):
    report = lint(project({**BASE, **PHASE_1_CHECKS, **ORDERS_THEN_INDEX}), style=False, new_tables="phase")
    assert _index_findings(report) == []


def test_with_the_history_of_a_database_a_phase_it_has_none_of_counts_whole(project):
    root = project({**BASE, **PHASE_1_CHECKS, **ORDERS_THEN_INDEX})
    assert _index_findings(lint(root, style=False, applied={"0001_accounts"})) == []  # phase 1 will run whole
    assert _index_findings(lint(root, style=False, applied={"0001_accounts", "0101_create_orders"})) == \
        ["migrations/0102_idx.sql:index-not-concurrent"]  # orders is there already, and may hold rows


def test_lint_new_tables_is_an_option_and_toolkit_toml_can_set_it(project):
    root = project({**BASE, **PHASE_1_CHECKS, **ORDERS_THEN_INDEX})
    assert CliRunner().invoke(cli, ["lint", "--no-style", "--project", str(root)]).exit_code == FINDINGS
    (root / "toolkit.toml").write_text('[lint]\nnew-tables = "phase"\n')
    result = CliRunner().invoke(cli, ["lint", "--no-style", "--project", str(root)])
    assert result.exit_code == OK, result.output


def test_set_not_null_after_a_check_added_not_valid_in_an_earlier_migration_and_validated_is_not_flagged(project):
    files = {**BASE, **PHASE_1_CHECKS,
             "migrations/0101_check.sql": "ALTER TABLE accounts ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) "
                                          "NOT VALID;\n",
             "rollbacks/0101_check.sql": "ALTER TABLE accounts DROP CONSTRAINT name_nn;\n",
             "migrations/0102_set.sql": "ALTER TABLE accounts VALIDATE CONSTRAINT name_nn;\n"
                                        "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n",
             "rollbacks/0102_set.sql": "ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL;\n"}
    assert [f.rule for f in lint(project(files), style=False).findings] == []
    files["migrations/0102_set.sql"] = "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n"  # never validated
    assert [f.rule for f in lint(project(files), style=False).findings] == ["set-not-null-without-check"]


def test_rows_of_a_data_dump_share_one_tree_and_each_finding_keeps_its_own_line(project):
    from toolkit.plan.sql import parse_statements

    column = "c" * 70  # longer than PostgreSQL's 63 bytes: identifier-too-long on every row
    rows = "".join(f"INSERT INTO accounts (id, {column}) VALUES ({n}, 'row {n}');\n" for n in range(1, 4))
    statements = parse_statements(rows, Path("rows.sql"))
    assert [s.shared_node for s in statements] == [False, True, True]
    assert statements[1].node is statements[0].node and statements[2].text.endswith("VALUES (3, 'row 3')")
    files = {**BASE, **PHASE_1_CHECKS, "migrations/0102_rows.sql": rows, "rollbacks/0102_rows.sql": "SELECT 1;\n"}
    found = [(f.line, f.rule) for f in lint(project(files), style=False).findings if f.path.endswith("0102_rows.sql")]
    assert found == [(1, "identifier-too-long"), (2, "identifier-too-long"), (3, "identifier-too-long")]
