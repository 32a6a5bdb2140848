"""The fleet: one phase across many databases, a wave at a time, canary first, with a ledger to resume from.
Targets are real databases on real servers: the suite's, and a second server of another major."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import REPO, one, until
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from toolkit import api
from toolkit.cli import BAD_INPUT, CANNOT_CONNECT, FLEET_STOPPED, OK, cli
from toolkit.connection import Target
from toolkit.fleet import load_targets
from toolkit.local_server import LocalServer, embedded_bindir

SMALL = {  # a project whose phase 1 takes a moment, so a runner can be caught in the middle of a wave
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n"
                                    "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) AS g;\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, account_id bigint, body text);\n",
    "rollbacks/0101_notes.sql": "DROP TABLE notes;\n",
    "migrations/0102_settle.sql": "SELECT pg_sleep(0.4);\n",
    "rollbacks/0102_settle.sql": "SELECT 1;\n",
    "validation/01_post.sql": "-- check: notes_table_present\nSELECT 1 WHERE to_regclass('notes') IS NULL;\n",
}


def _split(target: Target) -> tuple[str, str | None]:
    """(the DSN without its password, the password): a targets file never holds a password."""
    params = conninfo_to_dict(target.dsn)
    password = params.pop("password", None)
    return make_conninfo(**params), password


def _other_bindir(server_version: int) -> Path:
    """A second major for the fleet: PostgreSQL 18 from the wheel beside Debian's 15, or Debian's 15 beside 18."""
    debian = Path("/usr/lib/postgresql/15/bin")
    if server_version // 10000 != 15:
        if (debian / "initdb").exists():
            return debian
        pytest.skip("needs a second major: Debian's postgresql-15 is not installed (.ci/run installs it)")
    return embedded_bindir()


@pytest.fixture(scope="module")
def second_server(server_version):
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the fleet tests start a second server: they need local binaries, not TEST_DATABASE_URL")
    home = Path(tempfile.mkdtemp(prefix="toolkit-fleet-pg-"))
    local = LocalServer(home, bindir=_other_bindir(server_version), durable=False).start()
    yield local.target()
    local.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def tenants(monkeypatch):
    """tenants(server, count, root, password_env) -> [(name, dsn without password)], each a copy of one database
    with phase 0 applied (CREATE DATABASE ... TEMPLATE), dropped after the test."""
    made: list[tuple[Target, str]] = []

    def make(server: Target, count: int, root: Path, password_env: str):
        tag = uuid.uuid4().hex[:8]
        template = f"fleet_{tag}_template"
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        made.append((server, template))
        api.apply(server.with_database(template), 0, settings=api.Settings(project=root))
        names = []
        with server.connect() as conn:
            for number in range(count):
                name = f"fleet_{tag}_{number:02d}"
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                made.append((server, name))
                names.append((name, _split(server.with_database(name))[0]))
        monkeypatch.setenv(password_env, _split(server)[1] or "")
        return names

    yield make
    for server, name in made:
        with server.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def targets_file(path: Path, waves: list[list[tuple[str, str]]], password_env: dict[str, str]) -> Path:
    """waves: [[(name, dsn), ...], ...] -> a targets file with each wave named wave1, wave2, ..."""
    lines = []
    for number, members in enumerate(waves, 1):
        for name, dsn in members:
            lines += ["[[target]]", f'name = "{name}"', f"dsn = {json.dumps(dsn)}", f'wave = "wave{number}"',
                      f'password_env = "{password_env[name]}"', ""]
    path.write_text("\n".join(lines))
    return path


def fleet(ledger: Target, root: Path, *args):
    return CliRunner().invoke(cli, ["fleet", *args], env={"TOOLKIT_LEDGER_DSN": ledger.dsn,
                                                          "TOOLKIT_PROJECT": str(root)})


def ledger_rows(ledger: Target, rollout: int | None = None):
    with psycopg.connect(ledger.dsn, autocommit=True) as conn:
        rollout = rollout or conn.execute("SELECT max(id) FROM toolkit_fleet.rollouts").fetchone()[0]
        return conn.execute("SELECT target, wave, state, started_at, finished_at, runner, first_error "
                            "FROM toolkit_fleet.rollout_targets WHERE rollout_id = %s ORDER BY position",
                            (rollout,)).fetchall()


def assert_each_wave_started_after_the_one_before_finished(rows):
    by_wave: dict[int, list] = {}
    for row in rows:
        by_wave.setdefault(row[1], []).append(row)
    waves = sorted(by_wave)
    for earlier, later in zip(waves, waves[1:]):
        started = [r[3] for r in by_wave[later] if r[3] is not None]
        if started:
            assert min(started) >= max(r[4] for r in by_wave[earlier]), (earlier, later)


def reach(dsn: str, password_env: str) -> Target:
    """The test's own way in to a target: its DSN with the password the environment variable holds."""
    return Target(f"{dsn} password={os.environ[password_env]}")


def applied_phases(target: Target, root: Path) -> list[int]:
    status = api.status(target, settings=api.Settings(project=root))
    return [p.phase for p in status.phases if p.state == "applied"]


# ---- the targets file -------------------------------------------------------------------------------------------

def test_a_dsn_with_a_password_is_refused_naming_the_file_and_the_target(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text('[[target]]\nname = "a"\ndsn = "host=db1 dbname=a"\n\n'
                    '[[target]]\nname = "b"\ndsn = "postgresql://app:secret@db1/b"\n')
    result = CliRunner().invoke(cli, ["fleet", "apply", "--targets", str(path), "--ledger-dsn", "host=nowhere"])
    assert result.exit_code == BAD_INPUT
    assert result.stderr.strip().splitlines() == [
        f"toolkit: error: {path}: target b: the DSN holds a password; put it in ~/.pgpass, a libpq service file, "
        "or an environment variable named by password_env"]
    assert "secret" not in result.output


@pytest.mark.parametrize("text, says", [
    ('[[target]]\nname = "a"\n', "target a: needs a dsn"),
    ('[[target]]\nname = "a"\ndsn = "dbname=a"\n[[target]]\nname = "a"\ndsn = "dbname=b"\n',
     "two targets are called a"),
    ('[[target]]\nname = "a"\ndsn = "dbname=a"\nweight = 3\n', "target a: unknown key(s) weight"),
    ('[[target]\nname = "a"\n', "not valid TOML"),
    ('name = "a"\n', "no [[target]] entries"),
])
def test_a_targets_file_mistake_is_one_line_naming_it(tmp_path, text, says):
    path = tmp_path / "targets.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["fleet", "status", "--targets", str(path), "--ledger-dsn", "host=nowhere"])
    assert result.exit_code == BAD_INPUT
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"toolkit: error: {path}: ") and says in line


def test_waves_run_in_the_order_the_file_names_them_and_canary_moves_targets_first(tmp_path):
    path = targets_file(tmp_path / "t.toml", [[("a", "dbname=a")], [("b", "dbname=b"), ("c", "dbname=c")]],
                        {"a": "P", "b": "P", "c": "P"})
    fleet_ = load_targets(path)
    assert fleet_.waves == ("wave1", "wave2")
    moved = fleet_.with_canaries(["c"])
    assert moved.waves == ("canary", "wave1", "wave2")
    assert [moved.wave_of(t) for t in moved.targets] == [1, 2, 0]


@pytest.mark.parametrize("options, says", [
    (("--join", "1", "--targets", "{file}"), "a rollout already in the ledger keeps its targets: leave out --targets"),
    (("--join", "1", "--canary", "a"), "--canary picks the first wave from --targets or --targets-query"),
    ((), "give the targets: --targets FILE or --targets-query SQL"),
    (("--targets", "{file}", "--targets-query", "SELECT 1"), "give the targets one way"),
])
def test_a_rollout_the_options_do_not_name_is_refused_in_one_line_before_the_ledger_changes(db, tmp_path, options,
                                                                                            says):
    path = targets_file(tmp_path / "t.toml", [[("a", "dbname=a")]], {"a": "P"})
    result = fleet(db, REPO, "apply", *(o.format(file=path) for o in options))
    assert result.exit_code == BAD_INPUT, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("toolkit: error: ") and says in line
    assert one(db, "SELECT to_regnamespace('toolkit_fleet') IS NULL")


def test_a_targets_query_that_is_not_one_select_is_refused_before_it_runs(db, sql):
    sql("CREATE TABLE tenants (name text, dsn text)")
    result = fleet(db, REPO, "apply", "--targets-query", "SELECT name, dsn FROM tenants; DROP TABLE tenants")
    assert result.exit_code == BAD_INPUT and result.stderr.count("\n") == 1
    assert "--targets-query must be one SELECT" in result.stderr
    assert one(db, "SELECT to_regclass('tenants') IS NOT NULL")


def test_a_targets_query_runs_read_only(db, sql):
    sql("CREATE TABLE tenants (name text, dsn text)")
    result = fleet(db, REPO, "apply", "--targets-query",
                   "WITH gone AS (DELETE FROM tenants RETURNING name, dsn) SELECT name, dsn FROM gone")
    assert result.exit_code == BAD_INPUT and "read-only transaction" in result.stderr


def test_a_target_name_with_control_characters_is_printed_escaped_never_raw(db, server, tenants, project, tmp_path):
    root = project(SMALL)
    (name, dsn), = tenants(server, 1, root, "FLEET_PW_HERE")
    forged = "a\ntoolkit: rollout 1 completed\x1b[2J"
    path = tmp_path / "targets.toml"
    path.write_text(f"[[target]]\nname = {json.dumps(forged)}\ndsn = {json.dumps(dsn)}\n"
                    'password_env = "FLEET_PW_HERE"\n')
    result = fleet(db, root, "apply", "--targets", str(path))
    assert result.exit_code == OK, result.output
    escaped = "a\\ntoolkit: rollout 1 completed\\x1b[2J"
    assert escaped in result.output and "\x1b" not in result.output
    assert not any(line.startswith("toolkit: rollout 1 completed") for line in result.output.splitlines())
    assert [row[0] for row in ledger_rows(db)] == [escaped]


# ---- rollouts on real servers -----------------------------------------------------------------------------------

def test_phases_1_to_7_roll_out_in_three_waves_over_two_majors(db, server, second_server, tenants, tmp_path):
    here = tenants(server, 6, REPO, "FLEET_PW_HERE")
    there = tenants(second_server, 6, REPO, "FLEET_PW_THERE")
    passwords = {name: "FLEET_PW_HERE" for name, _ in here} | {name: "FLEET_PW_THERE" for name, _ in there}
    waves = [[here[0], there[0]], here[1:3] + there[1:3], here[3:] + there[3:]]
    path = targets_file(tmp_path / "targets.toml", waves, passwords)

    result = fleet(db, REPO, "apply", "--targets", str(path), "--parallel", "4", "--json")

    assert result.exit_code == OK, result.output
    report = json.loads(result.stdout)
    assert report["rollout"]["state"] == "completed" and report["rollout"]["passed"] == 12
    rows = ledger_rows(db)
    assert {row[2] for row in rows} == {"applied"}
    assert_each_wave_started_after_the_one_before_finished(rows)
    for name, dsn in here + there:
        assert applied_phases(reach(dsn, passwords[name]), REPO) == list(range(8)), name
    status = fleet(db, REPO, "status", "--json")
    assert status.exit_code == OK, status.output
    targets = json.loads(status.stdout)["targets"]
    assert {t["name"]: (t["applied_phases"], t["behind"]) for t in targets} == \
        {name: (list(range(8)), False) for name, _ in here + there}


def test_a_failure_in_wave_2_stops_the_rollout_and_resume_after_the_fix_completes_it(db, server, second_server,
                                                                                    tenants, project, tmp_path):
    root = project(SMALL)
    here = tenants(server, 3, root, "FLEET_PW_HERE")
    there = tenants(second_server, 3, root, "FLEET_PW_THERE")
    passwords = {name: "FLEET_PW_HERE" for name, _ in here} | {name: "FLEET_PW_THERE" for name, _ in there}
    broken_name, broken_dsn = there[1]
    with psycopg.connect(reach(broken_dsn, "FLEET_PW_THERE").dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id bigint)")  # in the way of 0101: its step fails there
    path = targets_file(tmp_path / "targets.toml", [[here[0]], [here[1], there[1]], [here[2], there[0], there[2]]],
                        passwords)

    result = fleet(db, root, "apply", "--targets", str(path), "--parallel", "2")

    assert result.exit_code == FLEET_STOPPED, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("toolkit: error: rollout ") and "then toolkit fleet resume --rollout " in last
    states = {row[0]: (row[2], row[6]) for row in ledger_rows(db)}
    assert states[here[0][0]] == ("applied", None)
    assert states[broken_name][0] == "rolled back" and 'relation "notes" already exists' in states[broken_name][1]
    assert [states[name][0] for name, _ in (here[2], there[0], there[2])] == ["pending"] * 3  # wave 3 not started
    assert applied_phases(reach(there[2][1], "FLEET_PW_THERE"), root) == [0]

    with psycopg.connect(reach(broken_dsn, "FLEET_PW_THERE").dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE notes")  # the fix
    resumed = fleet(db, root, "resume")
    assert resumed.exit_code == OK, resumed.output
    assert {row[2] for row in ledger_rows(db)} == {"applied"}
    assert_each_wave_started_after_the_one_before_finished(ledger_rows(db))


def test_a_canary_whose_key_query_slows_past_the_limit_stops_the_rollout_before_wave_2(db, server, tenants,
                                                                                       project, tmp_path):
    root = project({
        "migrations/0001_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL, payload text);\n"
                                     "INSERT INTO items SELECT g, 'c' || g, repeat('x', 200) "
                                     "FROM generate_series(1, 20000) AS g;\n"
                                     "CREATE INDEX idx_items_code ON items (code);\nANALYZE items;\n",
        "rollbacks/0001_items.sql": "DROP TABLE items;\n",
        "validation/keys.sql": "-- key: item_by_code\nSELECT id, payload FROM items WHERE code = 'c12345';\n",
        "migrations/0101_drop_idx.sql": "DROP INDEX idx_items_code;\n",  # the mistake the canary is there for
        "rollbacks/0101_drop_idx.sql": "CREATE INDEX idx_items_code ON items (code);\n"})
    members = tenants(server, 3, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [[members[0]], members[1:]],
                        {name: "FLEET_PW_HERE" for name, _ in members})

    result = fleet(db, root, "apply", "--targets", str(path))

    assert result.exit_code == FLEET_STOPPED, result.output
    states = {row[0]: (row[2], row[6]) for row in ledger_rows(db)}
    assert states[members[0][0]][0] == "rolled back" and "key query item_by_code slower" in states[members[0][0]][1]
    for name, dsn in members[1:]:
        assert states[name] == ("pending", None)
        assert one(reach(dsn, "FLEET_PW_HERE"), "SELECT to_regclass('idx_items_code') IS NOT NULL")


def _runner(ledger: Target, root: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "TOOLKIT_LEDGER_DSN": ledger.dsn, "TOOLKIT_PROJECT": str(root)}
    return subprocess.Popen([sys.executable, "-m", "toolkit", "fleet", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_fleet_runner_killed_mid_wave_leaves_a_ledger_that_resume_completes(db, server, tenants, project,
                                                                              tmp_path):
    root = project(SMALL)
    members = tenants(server, 6, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [members[:1], members[1:]],
                        {name: "FLEET_PW_HERE" for name, _ in members})
    runner = _runner(db, root, "apply", "--targets", str(path), "--parallel", "2")
    until(db, "SELECT count(*) > 0 FROM toolkit_fleet.rollout_targets WHERE wave = 1 AND state = 'running'")
    runner.send_signal(signal.SIGKILL)
    runner.communicate(timeout=30)

    status = fleet(db, root, "status", "--json")
    rows = json.loads(status.stdout)["targets"]
    assert any(t["last_rollout"]["state"].startswith("running (its runner is gone") for t in rows), rows
    resumed = fleet(db, root, "resume", "--parallel", "3")
    assert resumed.exit_code == OK, resumed.output
    assert {row[2] for row in ledger_rows(db)} == {"applied"}
    for name, dsn in members:  # each step ran to the end once: its own history has one applied row per migration
        target = reach(dsn, "FLEET_PW_HERE")
        assert one(target, "SELECT count(*) FROM toolkit.applied_migrations") == 3, name
        assert applied_phases(target, root) == [0, 1]


@pytest.mark.slow
def test_a_ledger_lost_mid_rollout_is_one_line_per_target_and_exit_9_never_a_traceback(server, own_server, tenants,
                                                                                      project, tmp_path):
    root = project(SMALL)
    members = tenants(server, 4, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [members], {name: "FLEET_PW_HERE" for name, _ in members})
    ledger_server = own_server()
    ledger = ledger_server.target()
    runner = _runner(ledger, root, "apply", "--targets", str(path), "--parallel", "2")
    until(ledger, "SELECT count(*) > 0 FROM toolkit_fleet.rollout_targets WHERE state = 'running'")
    ledger_server.crash()
    _, err = runner.communicate(timeout=120)
    assert runner.returncode == CANNOT_CONNECT, err
    assert "Traceback" not in err and "Exception in thread" not in err
    errors = [line for line in err.splitlines() if line.startswith("toolkit: error:")]
    assert len(errors) == 1 and errors[0].startswith("toolkit: error: lost the ledger") and "fleet resume" in errors[0]


def test_three_runners_share_one_rollout_and_the_wave_gate_holds_across_them(db, server, tenants, project,
                                                                             tmp_path):
    root = project(SMALL)
    members = tenants(server, 9, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [members[:3], members[3:6], members[6:]],
                        {name: "FLEET_PW_HERE" for name, _ in members})
    first = _runner(db, root, "apply", "--targets", str(path), "--parallel", "1")
    until(db, "SELECT count(*) > 0 FROM toolkit_fleet.rollouts")
    rollout = one(db, "SELECT max(id) FROM toolkit_fleet.rollouts")
    others = [_runner(db, root, "apply", "--join", str(rollout), "--parallel", "1") for _ in range(2)]
    for process in [first, *others]:
        out, err = process.communicate(timeout=120)
        assert process.returncode == OK, err
    rows = ledger_rows(db, rollout)
    assert {row[2] for row in rows} == {"applied"}
    assert len({row[5] for row in rows}) == 3  # every runner took targets
    assert_each_wave_started_after_the_one_before_finished(rows)
    for name, dsn in members:  # no target ran twice
        assert one(reach(dsn, "FLEET_PW_HERE"),
                   "SELECT count(*) FROM toolkit.history WHERE action = 'apply' AND outcome = 'ok' "
                   "AND migration = '0101_notes'") == 1, name


def test_fleet_rollback_undoes_the_phase_canary_first_and_skips_targets_without_it(db, server, tenants, project,
                                                                                   tmp_path):
    root = project(SMALL)
    members = tenants(server, 3, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [members[:1], members[1:]],
                        {name: "FLEET_PW_HERE" for name, _ in members})
    ahead, behind = members[:2], members[2:]
    partial = targets_file(tmp_path / "first_two.toml", [ahead[:1], ahead[1:]],
                           {name: "FLEET_PW_HERE" for name, _ in members})
    assert fleet(db, root, "apply", "--targets", str(partial)).exit_code == OK

    result = fleet(db, root, "rollback", "--phase", "1", "--targets", str(path), "--json")

    assert result.exit_code == OK, result.output
    states = {t["name"]: t["state"] for t in json.loads(result.stdout)["targets"]}
    assert states == {**{name: "rolled back" for name, _ in ahead}, **{name: "skipped" for name, _ in behind}}
    assert_each_wave_started_after_the_one_before_finished(ledger_rows(db))
    for name, dsn in members:
        assert applied_phases(reach(dsn, "FLEET_PW_HERE"), root) == [0], name


def test_a_rollout_run_from_python_as_docs_fleet_md_shows_applies_every_target_canary_first(db, server, tenants,
                                                                                            project, tmp_path):
    from toolkit import Settings
    from toolkit import fleet as fleet_api

    root = project(SMALL)
    members = tenants(server, 3, root, "FLEET_PW_HERE")
    path = targets_file(tmp_path / "targets.toml", [members], {name: "FLEET_PW_HERE" for name, _ in members})
    targets = fleet_api.load_targets(path).with_canaries([members[2][0]])
    rollout, said = fleet_api.rollout_to_run(db, fleet_api.APPLY, 1, fleet=targets, settings=Settings(project=root))
    finished = fleet_api.work(db, rollout.id, parallel=2, settings=Settings(project=root))
    assert said.startswith(f"rollout {rollout.id} started: apply phase 1 on 3 targets in 2 wave(s): canary, wave1")
    assert finished.state == "completed"
    assert fleet_api.rollout_report(db, rollout.id)["rollout"]["passed"] == 3
    rows = ledger_rows(db, rollout.id)
    assert [row[0] for row in rows if row[1] == 0] == [members[2][0]]  # the canary's wave ran first
    assert_each_wave_started_after_the_one_before_finished(rows)
    for name, dsn in members:
        assert applied_phases(reach(dsn, "FLEET_PW_HERE"), root) == [0, 1], name
