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
