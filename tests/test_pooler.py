"""A connection pooler between the toolkit and PostgreSQL: PgBouncer from Debian's package (.ci/run installs it),
started here on a free loopback port in front of the suite's server, as many teams' DATABASE_URL points at.

In transaction mode a pooler hands each transaction to whichever server process is free, so the runner lock (a
session advisory lock) and the session's timeouts would not hold: the runner refuses it before anything runs.
In session mode a client keeps its server process: everything works, the runner lock included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from toolkit.cli import BAD_INPUT, LOCK_HELD, OK, cli
from toolkit.connection import Target
from toolkit.local_server import _server_os_user, free_port
from toolkit.runner.runlock import LOCK_KEY

PROJECT = {"migrations/0001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n", "rollbacks/0001_a.sql": "DROP TABLE a;\n"}


def _pgbouncer() -> str:
    found = shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer",) if Path(p).exists()), None)
    if found is None:
        if os.environ.get("TOOLKIT_TEST_REQUIRE_TOOLS"):
            pytest.fail("pgbouncer is not installed (.ci/run installs Debian's package)")
        pytest.skip("pgbouncer is not installed here (Debian's package; .ci/run installs it)")
    return found


@pytest.fixture
def pooled(db):
    """pooled(mode) -> a Target for the test's database through a PgBouncer in that pool mode."""
    program = _pgbouncer()
    started = []

    def start(mode: str) -> Target:
        params = db.params
        home = Path(tempfile.mkdtemp(prefix="toolkit-pgbouncer-"))
        port = free_port()
        password = params.get("password", "")
        (home / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={params['host']} port={params['port']} user={params['user']} password={password}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = any\n"
            f"pool_mode = {mode}\ndefault_pool_size = 4\nmax_client_conn = 50\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {home / 'pgbouncer.log'}\npidfile = {home / 'pgbouncer.pid'}\n")
        user = _server_os_user()  # PgBouncer, like PostgreSQL, will not run as root
        kwargs = {}
        if user is not None:
            for path in (home, *home.iterdir()):
                os.chown(path, user.pw_uid, user.pw_gid)
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        process = subprocess.Popen([program, str(home / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd="/", **kwargs)
        started.append((process, home))
        target = Target(f"host=127.0.0.1 port={port} dbname={params['dbname']} user={params['user']}")
        ends = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(target.dsn, connect_timeout=2):
                    return target
            except psycopg.OperationalError:
                if time.monotonic() > ends or process.poll() is not None:
                    log = (home / "pgbouncer.log").read_text() if (home / "pgbouncer.log").exists() else ""
                    raise AssertionError(f"pgbouncer did not start: {log[-800:]}")
                time.sleep(0.05)

    yield start
    for process, home in started:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def _toolkit(target: Target, root: Path, *args: str):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root)})


def test_a_transaction_pooler_is_refused_in_one_line_before_anything_runs(pooled, project, sql):
    through = pooled("transaction")
    result = _toolkit(through, project(PROJECT), "apply")
    assert result.exit_code == BAD_INPUT, result.output
    [line] = result.stderr.strip().splitlines()
    assert "goes through a connection pooler in transaction mode" in line and "nothing was changed" in line
    assert sql("SELECT to_regnamespace('toolkit') IS NULL, to_regclass('a') IS NULL") == [(True, True)]


def test_through_a_session_pooler_phases_apply_and_the_runner_lock_holds(pooled, project, sql):
    through = pooled("session")
    root = project(PROJECT)
    with psycopg.connect(through.dsn, autocommit=True) as other_runner:
        other_runner.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        held = _toolkit(through, root, "apply", "--lock-wait", "0.3")
        assert held.exit_code == LOCK_HELD, held.output
    applied = _toolkit(through, root, "apply")
    assert applied.exit_code == OK, applied.output
    assert sql("SELECT migration FROM toolkit.applied_migrations") == [("0001_a",)]
