"""The local server the demo, `make verify` and the benchmark start: settings reach it as given."""

import shutil
import tempfile
from pathlib import Path

from toolkit.local_server import LocalServer, find_bindir


def test_local_server_gets_a_setting_with_spaces_and_shell_characters_whole():
    home = Path(tempfile.mkdtemp(prefix="toolkit-test-local-"))
    prefix = "%m [%p] %a | "  # unquoted, the shell behind pg_ctl would split it and pipe the server's output
    local = LocalServer(home, bindir=find_bindir(), durable=False, settings={"log_line_prefix": prefix}).start()
    try:
        with local.target().connect() as conn:
            assert conn.execute("SHOW log_line_prefix").fetchone()[0] == prefix
    finally:
        local.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_local_start_with_standby_streams_to_a_second_server_and_stop_stops_both():
    from click.testing import CliRunner

    from toolkit.cli import OK, cli

    home = Path(tempfile.mkdtemp(prefix="toolkit-test-local-"))
    try:
        started = CliRunner().invoke(cli, ["local", "start", "--system", "--home", str(home), "--database", "app",
                                           "--standby"])
        assert started.exit_code == OK, started.output
        assert "standby of it, streaming: postgresql://postgres@127.0.0.1:" in started.stdout
        with LocalServer(home).target().connect() as conn:
            assert conn.execute("SELECT state FROM pg_stat_replication").fetchall() == [("streaming",)]
        with LocalServer(home / "standby").target("app").connect() as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        assert CliRunner().invoke(cli, ["local", "stop", "--home", str(home)]).exit_code == OK
        assert not LocalServer(home).is_running() and not LocalServer(home / "standby").is_running()
    finally:
        for folder in (home / "standby", home):
            LocalServer(folder).stop()
        shutil.rmtree(home, ignore_errors=True)
