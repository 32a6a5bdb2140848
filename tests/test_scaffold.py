"""`toolkit init` and `toolkit new`: a team's own project from an empty folder to an applied phase."""

from pathlib import Path

import pytest

from toolkit import load_plan
from toolkit.cli import BAD_INPUT, OK
from toolkit.lint.style import DEFAULT_CONFIG

REPO = Path(__file__).resolve().parent.parent


def test_init_writes_the_layout_with_templates_style_and_hook(toolkit, tmp_path):
    result = toolkit("init", str(tmp_path / "shop"))
    assert result.exit_code == OK
    root = tmp_path / "shop"
    for path in ("migrations", "rollbacks", "validation/templates/pre.sql", "validation/templates/post.sql",
                 ".pre-commit-config.yaml", "README.md"):
        assert (root / path).exists(), path
    assert (root / ".sqlfluff").read_text() == DEFAULT_CONFIG
    assert load_plan(root).phases == ()


def test_init_refuses_a_folder_that_holds_migrations(toolkit, tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0101_a.sql").write_text("SELECT 1;\n")
    result = toolkit("init", str(tmp_path))
    assert result.exit_code == BAD_INPUT
    assert "already holds migrations" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migrations"]


def test_init_keeps_a_teams_own_files_and_appends_to_its_readme(toolkit, tmp_path):
    (tmp_path / ".sqlfluff").write_text("[sqlfluff]\ndialect = postgres\n")
    (tmp_path / "README.md").write_text("# Shop\n")
    assert toolkit("init", str(tmp_path)).exit_code == OK
    assert (tmp_path / ".sqlfluff").read_text() == "[sqlfluff]\ndialect = postgres\n"
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("# Shop\n") and "## Database migrations (toolkit)" in readme


def test_new_numbers_steps_within_the_newest_phase_and_starts_a_phase_with_its_checks(toolkit, tmp_path):
    toolkit("init", str(tmp_path))
    names = []
    for args in (("create_orders",), ("Orders Customer Idx", "--concurrent"), ("backfill", "--batch", "--phase", "2"),
                 ("more",)):
        result = toolkit("new", *args, "--project", str(tmp_path))
        assert result.exit_code == OK, result.output
        names.append(result.stdout.split()[1])
    assert [Path(n).name for n in names] == ["0101_create_orders.sql", "0102_orders_customer_idx.sql",
                                             "0201_backfill.sql", "0202_more.sql"]
    assert sorted(p.name for p in (tmp_path / "validation").glob("*.sql")) == [
        "01_post.sql", "01_pre.sql", "02_post.sql", "02_pre.sql"]
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx_idx" in \
        (tmp_path / "migrations" / "0102_orders_customer_idx.sql").read_text()


def test_a_new_step_is_refused_until_its_author_writes_the_change(toolkit, tmp_path):
    toolkit("init", str(tmp_path))
    toolkit("new", "create_orders", "--project", str(tmp_path))
    result = toolkit("apply", project=tmp_path)
    assert result.exit_code == BAD_INPUT
    assert "0101_create_orders.sql: holds no SQL statement" in result.stderr


def test_new_refuses_a_name_that_gives_no_label_and_a_name_taken(toolkit, tmp_path):
    toolkit("init", str(tmp_path))
    assert "gives no snake_case label" in toolkit("new", "--project", str(tmp_path), "--", "???").stderr
    toolkit("new", "orders", "--project", str(tmp_path))
    result = toolkit("new", "orders", "--project", str(tmp_path))
    assert result.exit_code == BAD_INPUT and "named orders exists already" in result.stderr


def test_init_new_apply_and_lint_on_an_empty_folder(toolkit, tmp_path, sql):
    root = tmp_path / "shop"
    assert toolkit("init", str(root)).exit_code == OK
    toolkit("new", "create_orders", "--project", str(root))
    toolkit("new", "orders_customer_idx", "--concurrent", "--project", str(root))
    with (root / "migrations" / "0101_create_orders.sql").open("a") as f:
        f.write("CREATE TABLE orders (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                "    customer text NOT NULL\n);\n")
    with (root / "rollbacks" / "0101_create_orders.sql").open("a") as f:
        f.write("DROP TABLE orders;\n")
    with (root / "migrations" / "0102_orders_customer_idx.sql").open("a") as f:
        f.write("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer);\n")
    with (root / "rollbacks" / "0102_orders_customer_idx.sql").open("a") as f:
        f.write("DROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx;\n")
    lint = toolkit("lint", "--project", str(root))
    assert lint.exit_code == OK, lint.output
    assert toolkit("apply", project=root).exit_code == OK
    assert sql("SELECT to_regclass('orders_customer_idx') IS NOT NULL") == [(True,)]


def test_the_repositorys_style_is_the_built_in_default():
    assert (REPO / ".sqlfluff").read_text() == DEFAULT_CONFIG


def test_lint_without_a_sqlfluff_file_uses_the_defaults_and_says_so_once(toolkit, tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "rollbacks").mkdir()
    (tmp_path / "migrations" / "0101_a.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY);\n")
    (tmp_path / "rollbacks" / "0101_a.sql").write_text("DROP TABLE a;\n")
    for style in ((), ("--no-style",)):
        result = toolkit("lint", "--project", str(tmp_path), *style)
        assert result.exit_code in (OK, 1) and "Traceback" not in result.output
    assert result.stderr.count("no .sqlfluff") == 0  # --no-style: no style, nothing to say
    result = toolkit("lint", "--project", str(tmp_path))
    assert result.stderr.count("no .sqlfluff in") == 1


def test_a_sqlfluff_file_sqlfluff_cannot_use_is_one_line(toolkit, tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "rollbacks").mkdir()
    (tmp_path / "migrations" / "0101_a.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY);\n")
    (tmp_path / "rollbacks" / "0101_a.sql").write_text("DROP TABLE a;\n")
    (tmp_path / ".sqlfluff").write_text("[sqlfluff]\ndialect = klingon\n")
    result = toolkit("lint", "--project", str(tmp_path))
    assert result.exit_code == BAD_INPUT
    assert result.stderr.startswith(f"toolkit: error: {tmp_path / '.sqlfluff'}: sqlfluff cannot use it")
    assert result.stderr.count("\n") == 1


def test_a_folder_that_cannot_be_written_is_one_line(toolkit, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = toolkit("init", str(tmp_path / "file" / "project"))
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_a_projects_toolkit_toml_sets_the_options_defaults_and_the_command_line_wins(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == OK
    assert (tmp_path / "toolkit.toml").read_text().startswith("# This project's defaults")
    (tmp_path / "toolkit.toml").write_text("lock-timeout = 0.7\n[apply]\nmax-slowdown = 35\n")
    shown = " ".join(CliRunner().invoke(cli, ["apply", "--project", str(tmp_path), "--help"]).stdout.split())
    assert "lock before it retries. [default: 0.7]" in shown and "(exit 6). [default: 35;" in shown
    rollback = " ".join(CliRunner().invoke(cli, ["rollback", "--help"], env={"TOOLKIT_PROJECT": str(tmp_path)})
                        .stdout.split())
    assert "lock before it retries. [default: 0.7]" in rollback and "[default: 35" not in rollback


def test_a_pyproject_tool_toolkit_table_is_read_when_there_is_no_toolkit_toml(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n[tool.toolkit]\nlock-timeout = 0.7\n'
                                             '[tool.toolkit.apply]\nmax-slowdown = 35\n')
    config = CliRunner().invoke(cli, ["config", "--project", str(tmp_path)])
    assert config.exit_code == OK, config.output
    lines = [line.split() for line in config.stdout.splitlines()]
    assert ["apply", "--max-slowdown", "35", str(tmp_path / "pyproject.toml"), "[tool.toolkit]", "[apply]"] in lines
    (tmp_path / "toolkit.toml").write_text("lock-timeout = 0.3\n")  # the project's own file wins
    shown = " ".join(CliRunner().invoke(cli, ["apply", "--project", str(tmp_path), "--help"]).stdout.split())
    assert "lock before it retries. [default: 0.3]" in shown and "[default: 35;" not in shown


def test_a_dsn_in_toolkit_toml_names_the_database(db, tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    params = db.params
    (tmp_path / "migrations").mkdir()
    (tmp_path / "rollbacks").mkdir()
    (tmp_path / "toolkit.toml").write_text(
        f'dsn = "host={params["host"]} port={params["port"]} user={params["user"]} dbname={params["dbname"]}"\n')
    result = CliRunner().invoke(cli, ["status", "--project", str(tmp_path)],
                                env={"DATABASE_URL": None, "PGPASSWORD": params.get("password")})
    assert result.exit_code == OK, result.output
    assert f"/{params['dbname']}" in result.stdout


@pytest.mark.parametrize("text, says", [
    ("lock-timeot = 0.7\n", "'lock-timeot' is no option of any command"),
    ("[rollback]\nmax-slowdown = 3\n", "[rollback] has no option 'max-slowdown'"),
    ('dsn = "host=db password=secret-pw"\n', "the dsn holds a password"),
    ("lock-timeout = \n", "not a TOML file toolkit can read"),
])
def test_a_toolkit_toml_toolkit_cannot_use_is_one_line_naming_it(tmp_path, text, says):
    from click.testing import CliRunner

    from toolkit.cli import cli

    (tmp_path / "toolkit.toml").write_text(text)
    result = CliRunner().invoke(cli, ["status", "--project", str(tmp_path)])
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and says in result.stderr and "secret-pw" not in result.stderr


@pytest.mark.parametrize("kind", ["--batch", "--concurrent"])
def test_a_new_steps_template_uncommented_as_written_passes_lint(tmp_path, kind):
    from click.testing import CliRunner

    from toolkit.cli import cli
    from toolkit.lint import lint

    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == OK
    assert CliRunner().invoke(cli, ["new", "the_step", kind, "--project", str(tmp_path)]).exit_code == OK
    [path] = (tmp_path / "migrations").glob("*_the_step.sql")
    lines, code = [], False
    for line in path.read_text().splitlines():  # the example below the directive, or the last comment block
        code = code or line.startswith(("-- toolkit:", "-- CREATE INDEX"))
        lines.append(line[3:] if code and line.startswith("-- ") and not line.startswith("-- toolkit:") else line)
    path.write_text("\n".join(lines) + "\n")
    findings = [f for f in lint(tmp_path).findings if f.path == f"migrations/{path.name}"]
    assert findings == []


def test_config_lists_what_toolkit_toml_sets_with_the_file_and_section_each_comes_from(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    (tmp_path / "toolkit.toml").write_text("lock-timeout = 0.7\n[rollback]\nlock-wait = 60\n")
    result = CliRunner().invoke(cli, ["config", "--project", str(tmp_path)])
    assert result.exit_code == OK, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["rollback", "--lock-wait", "60", str(tmp_path / "toolkit.toml"), "[rollback]"] in lines
    assert ["apply", "--lock-timeout", "0.7", str(tmp_path / "toolkit.toml")] in lines
    assert not any(line[1] == "--batch-size" for line in lines)  # defaults only when a command is named


def test_config_of_a_command_gives_every_option_its_value_and_source_never_a_password(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    (tmp_path / "toolkit.toml").write_text("[apply]\nmax-slowdown = 35\n")
    result = CliRunner().invoke(cli, ["config", "apply", "--project", str(tmp_path), "--json"],
                                env={"DATABASE_URL": "postgresql://app:s3cret@db.example:5433/shop"})
    assert result.exit_code == OK, result.output
    settings = {s["option"]: (s["value"], s["source"]) for s in __import__("json").loads(result.stdout)}
    assert settings["max-slowdown"] == (35, f"{tmp_path / 'toolkit.toml'} [apply]")
    assert settings["batch-size"] == (2000, "built-in default")
    assert settings["dsn"] == ("postgresql://app@db.example:5433/shop", "$DATABASE_URL")
    assert "s3cret" not in result.stdout
    assert "fixed-batches" not in settings  # one option, one row (--adaptive / --fixed-batches)


def test_config_of_no_such_command_is_one_line(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["config", "aply", "--project", str(tmp_path)])
    assert result.exit_code == BAD_INPUT
    assert result.stderr == "toolkit: error: no command 'aply': see toolkit --help\n"
