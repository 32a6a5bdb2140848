"""The benchmarks run end to end: the live-load smoke run reports every field; the import bench imports."""

import json
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from bench import import_users, live_load, lockwatch, serverwatch, stalls
from bench.workload import Load, Run, Sample, Workload
from toolkit import api
from platform_data.sample_data import load_sample_data

REPO = Path(__file__).resolve().parent.parent


RUN_FIELDS = {"rounds", "baseline", "during_migration", "longest_wait_ms", "failed_transactions", "failed_by_kind",
              "failed_by_cause", "reports", "p99_ms_by_kind", "migration_seconds", "phases",
              "max_within_2x_baseline_p99", "p99_within_2x_baseline_p99", "max_within_2x_baseline_max",
              "ratio_to_baseline", "runner_said", "lock_waits", "clients_busy", "standby_lag", "worst_moments",
              "stalls", "stalls_by_cause", "after_migration", "error"}


def databases(server) -> set[str]:
    with server.connect() as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.slow
def test_bench_smoke_run_writes_json_with_every_field_for_each_round_and_pooled(own_server, tmp_path):
    primary = own_server()
    standby = primary.standby(Path(tempfile.mkdtemp(prefix="toolkit-bench-standby-")))
    server = primary.target()
    try:
        before = databases(server)
        live_load.main(["--smoke", "--users", "1000", "--baseline", "0.5", "--settle", "0.3", "--rate", "40",
                        "--report-every", "0.2", "--rounds", "2", "--sides", "adaptive,naive", "--dsn", server.dsn,
                        "--out", str(tmp_path)])
    finally:
        standby.stop()
        shutil.rmtree(standby.home, ignore_errors=True)
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert set(report) == {"measured", "machine", "scale", "runs", "rounds", "verdict"}
    assert set(report["measured"]) == {"commit", "uncommitted_changes", "date"}
    assert set(report["runs"]) == {"adaptive", "naive"}
    assert [r["order"] for r in report["rounds"]] == [["adaptive", "naive"], ["naive", "adaptive"]]
    sides = [report["runs"][side] for side in ("adaptive", "naive")]
    sides += [r[side] for r in report["rounds"] for side in ("adaptive", "naive")]
    for run in sides:
        assert set(run) == RUN_FIELDS
        for period in ("baseline", "during_migration"):
            assert set(run[period]) == {"count", "failed", "p50_ms", "p99_ms", "max_ms"} and run[period]["count"] > 0
        assert set(run["lock_waits"]) == {"migration_waits", "client_wait_seconds_seen", "most_clients_waiting"}
        assert set(run["clients_busy"]) == {"baseline", "during_migration"}
        lag = run["standby_lag"]["during_migration"]  # the standby streamed through every run and was watched
        assert lag["standbys"] == 1 and lag["looks"] > 0 and lag["replay_lag_max_s"] >= lag["replay_lag_p99_s"] >= 0
        worst = run["worst_moments"][0]
        assert worst["latency_ms"] == round(run["longest_wait_ms"], 1)
        assert set(worst) == {"round", "at_s", "latency_ms", "kind", "phase", "clients_busy_seen"}
        assert run["reports"]["baseline"]["count"] > 0  # the analytics reader ran alongside the clients
        ratio = run["ratio_to_baseline"]
        assert ratio["p50"] == round(run["during_migration"]["p50_ms"] / run["baseline"]["p50_ms"], 2)
    for side in ("adaptive", "naive"):
        pooled, each = report["runs"][side], [r[side] for r in report["rounds"]]
        assert pooled["rounds"] == 2
        assert pooled["failed_transactions"] == sum(r["failed_transactions"] for r in each)
        assert pooled["during_migration"]["count"] == sum(r["during_migration"]["count"] for r in each)
        assert pooled["longest_wait_ms"] == max(r["longest_wait_ms"] for r in each)
    assert set(report["verdict"]) == {"adaptive", "rounds_with_failures"}
    adaptive, naive = report["runs"]["adaptive"], report["runs"]["naive"]
    assert report["verdict"]["adaptive"]["migration_time_vs_naive"] == \
        round(adaptive["migration_seconds"] / naive["migration_seconds"], 2)
    # The toolkit must get through; naive SQL may legitimately fail part way (e.g. a deadlock with a
    # client, which it has no retry for), and then says so in its error.
    for sides_of_round in report["rounds"]:
        assert sides_of_round["adaptive"]["error"] is None
        assert [p["phase"] for p in sides_of_round["adaptive"]["phases"]] == [1, 2, 3, 4, 5, 6, 7]
        naive = sides_of_round["naive"]
        assert naive["error"] is None or naive["error"].startswith("phase ")
    assert (tmp_path / "smoke.png").stat().st_size > 10_000
    assert databases(server) == before  # the seed and every round's copies are dropped


def test_import_bench_imports_its_generated_file_merging_every_tenth_row(server):
    summary = import_users.main(["--rows", "500", "--dsn", server.dsn])
    # every tenth row repeats the previous row's email in another case: one user, both rows' identities
    assert (summary.read, summary.inserted, summary.skipped, summary.rejected) == (500, 451, 49, 0)
    assert summary.identities_added == 550  # 500 google ids, and a github id on every tenth row


@pytest.fixture
def workload(db):
    """The benchmark's clients on a small phase-0 database, with a 300 ms request deadline."""
    api.apply(db, 0, settings=api.Settings(project=REPO))
    load_sample_data(db, users=50)
    load = Workload(db, Load(rate=10, clients=1, deadline_ms=300), Run("test"),
                    started=time.monotonic())
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        yield load, conn


def test_bench_client_request_blocked_past_its_deadline_is_cancelled_not_committed_late(workload, db):
    load, conn = workload
    before = conn.execute("SELECT max(last_seen_at) FROM users").fetchone()[0]
    locked = threading.Event()

    def hold_lock_for_three_seconds():
        with psycopg.connect(db.dsn) as holder:
            holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            locked.set()
            time.sleep(3)

    holder = threading.Thread(target=hold_lock_for_three_seconds)
    holder.start()
    locked.wait()
    failure = load._request(conn, "touch_user", random.Random(1), deadline=time.monotonic() + 0.3)
    holder.join()
    assert failure == "deadline"
    # cancelled at its deadline, the UPDATE never ran; left waiting, it would have committed after the lock
    assert conn.execute("SELECT max(last_seen_at) FROM users").fetchone()[0] == before


def test_bench_client_request_whose_deadline_passed_before_it_started_is_failed_without_running(workload):
    load, conn = workload
    before = conn.execute("SELECT max(last_seen_at) FROM users").fetchone()[0]
    failure = load._request(conn, "touch_user", random.Random(1), deadline=time.monotonic() - 0.001)
    assert failure == "deadline"
    assert conn.execute("SELECT max(last_seen_at) FROM users").fetchone()[0] == before


def test_lock_watch_sees_a_migration_statement_queued_behind_a_reader_and_a_client_queued_behind_it(db):
    api.apply(db, 0, settings=api.Settings(project=REPO))
    started = time.monotonic()
    watch = lockwatch.LockWatch(db, started)
    with psycopg.connect(db.dsn, application_name="bench report") as reader, \
            psycopg.connect(db.dsn, autocommit=True, application_name="psql") as migration, \
            psycopg.connect(db.dsn, autocommit=True, application_name="bench client") as client:
        reader.execute("SELECT count(*) FROM users")  # holds ACCESS SHARE until it ends
        watch.start()
        alter = threading.Thread(target=migration.execute, args=("ALTER TABLE users ADD COLUMN note text",))
        alter.start()
        time.sleep(0.3)
        select = threading.Thread(target=client.execute, args=("SELECT count(*) FROM users",))
        select.start()
        time.sleep(0.5)
        reader.rollback()
        alter.join()
        select.join()
        watch.stop()
    summary = lockwatch.summarize([(watch.waits, 0, time.monotonic() - started)])
    first = summary["migration_waits"][0]
    assert (first["table"], first["mode"]) == ("users", "AccessExclusiveLock")
    assert first["statement"].startswith("ALTER TABLE users ADD COLUMN note")
    assert first["behind"].startswith("bench report: SELECT count(*) FROM users")
    assert first["seconds_seen"] > 0
    assert summary["most_clients_waiting"]["count"] == 1
    assert summary["most_clients_waiting"]["behind"] == ["psql: ALTER TABLE users ADD COLUMN note text"]
    busy = lockwatch.clients_busy([(watch.busy, 0, time.monotonic() - started)])
    assert next(iter(busy)) == "Lock:relation"  # what the one busy client waited for, most of the time


def test_server_watch_sees_wal_written_and_what_the_migration_session_runs(db):
    started = time.monotonic()
    watch = serverwatch.ServerWatch(db, started)
    with psycopg.connect(db.dsn, autocommit=True, application_name="toolkit") as migration:
        watch.start()
        time.sleep(0.35)  # a look before the table is written
        migration.execute("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g")
        migration.execute("SELECT pg_sleep(0.6)")
        watch.stop()
    ticks = watch.ticks
    assert len(ticks) >= 3 and ticks[-1].wal_bytes - ticks[0].wal_bytes > 4_000_000  # the table's rows, logged
    assert any("toolkit active" in t.migration and "pg_sleep(0.6)" in t.migration for t in ticks)
    assert all(t.checkpoints >= 0 and t.wal_syncs >= 0 for t in ticks)


def test_a_client_stall_behind_the_migrations_lock_is_named_a_lock_queue_with_who_held_it(db):
    api.apply(db, 0, settings=api.Settings(project=REPO))
    started = time.monotonic()
    run = Run("adaptive")
    locks, server = lockwatch.LockWatch(db, started), serverwatch.ServerWatch(db, started)
    with psycopg.connect(db.dsn, application_name="psql") as migration, \
            psycopg.connect(db.dsn, autocommit=True, application_name="bench client") as client:
        for watcher in (locks, server):
            watcher.start()
        time.sleep(0.6)  # a few looks before: the server watch's first one reads /proc, slow on a busy machine
        run.migration_start = time.monotonic() - started  # unrounded: rounded up, it passed the request's start
        migration.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        asked = time.monotonic()
        waiting = threading.Thread(target=client.execute, args=("SELECT count(*) FROM users",))
        waiting.start()
        time.sleep(0.8)
        migration.rollback()
        waiting.join()
        latency = (time.monotonic() - asked) * 1000
        time.sleep(0.6)
        run.migration_end = time.monotonic() - started
        for watcher in (locks, server):
            watcher.stop()
    run.samples = [Sample(0.1, 5.0, "user_by_email"), Sample(asked - started, latency, "user_by_email")]
    run.lock_waits, run.clients_busy = locks.waits, locks.busy
    found = stalls.find(run, server.ticks, threshold_ms=10.0)
    assert len(found) == 1 and found[0]["requests"] == 1 and found[0]["worst_ms"] == round(latency, 1)
    assert found[0]["clients_waited_on"] and next(iter(found[0]["clients_waited_on"])) == "Lock:relation"
    assert found[0]["cause"].startswith("a lock queue: clients waited behind psql: LOCK TABLE users")


@pytest.mark.slow
def test_the_sync_standby_configuration_makes_the_benchmarks_standby_confirm_every_commit(own_server):
    from bench.server import make_synchronous

    primary = own_server()
    standby = primary.standby(Path(tempfile.mkdtemp(prefix="toolkit-bench-standby-")))
    try:
        make_synchronous(primary.target())
        with primary.target().connect() as conn:
            assert conn.execute("SELECT sync_state FROM pg_stat_replication").fetchone()[0] == "sync"
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    finally:
        with primary.target().connect() as conn:  # the server is the suite's: as it was
            conn.execute("ALTER SYSTEM RESET synchronous_standby_names")
            conn.execute("SELECT pg_reload_conf()")
        standby.stop()
        shutil.rmtree(standby.home, ignore_errors=True)


def test_stall_causes_are_named_from_what_the_clients_waited_on_with_the_figures():
    figures = {"clients_waited_on": {"IPC:SyncRep": 9, "CPU": 1}, "wal_mb_per_s": 30.0, "wal_fpi_per_s": 10.0,
               "wal_syncs_per_s": 50.0, "checkpoint": "none", "migration_doing": ["a batch (active)"],
               "autovacuum": [], "disk_busy_percent": 40.0, "disk_write_mb_per_s": 80.0, "locks_behind": [],
               "page_cache_dirty_mb_max": 700.0, "written_mb_per_s_by": {"backend": 50.0}}
    assert stalls.cause(figures).startswith("the synchronous standby: commits waited for it to confirm (WAL 30.0 MB/s")
    figures["clients_waited_on"] = {"LWLock:WALWrite": 12, "IO:WALSync": 8, "CPU": 1}
    assert stalls.cause(figures) == (
        "the WAL flush: WAL 30.0 MB/s, 10.0 full-page images/s, 50.0 syncs/s; disk 40% busy, 80.0 MB/s written "
        "(dirtied by backend 50.0 MB/s), 700.0 MB dirty in the page cache; migration: a batch (active)")
    figures["clients_waited_on"] = {}
    assert stalls.cause(figures).startswith("no client seen waiting at a 50 ms look")


def test_the_readmes_benchmark_table_is_made_from_the_committed_results():
    """No figure on the front page that no committed run measured: the table is bench/readme_table.py's of
    bench/results/pg15.json and pg18.json, each naming the commit it measured."""
    from bench import readme_table

    readme = (REPO / "README.md").read_text()
    assert readme_table.readme_block(readme) == readme_table.table()
    for name in readme_table.MAJORS.values():
        measured = json.loads((REPO / "bench" / "results" / name).read_text())["measured"]
        assert measured["commit"] in readme and not measured["uncommitted_changes"]
