"""The batch controller as a pure function of its signals (no database), then with a real standby."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from conftest import database, one, until

from toolkit.runner.throttle import Limits, Signals, decide

LIMITS = Limits(min_size=100, max_size=10_000, target_seconds=0.2, max_pause=2.0, max_replica_lag=1.0)


def test_a_lagging_standby_makes_the_batches_wait_in_every_mode_and_says_which():
    lagging = Signals(batch_seconds=0.05, rows=2000, replica_lag=2.4, standby="walreceiver at 127.0.0.1")
    for adaptive in (False, True):
        decision = decide(2000, 0.05, lagging, LIMITS, adaptive)
        assert decision.wait_for_standbys
        assert decision.reason == "paused: standby walreceiver at 127.0.0.1 replay lag 2.4 s > 1 s"
    assert decide(2000, 0.05, lagging, LIMITS, adaptive=False).size == 2000  # the fixed mode keeps its size


def test_a_standby_within_the_limit_and_no_standby_change_nothing_in_the_fixed_mode():
    for lag in (0.4, None):
        assert decide(2000, 0.05, Signals(0.9, 2000, replica_lag=lag), LIMITS) == decide(2000, 0.05, Signals(0, 0))


def test_watching_standbys_can_be_switched_off():
    off = Limits(max_replica_lag=0)
    assert not decide(2000, 0.05, Signals(0.05, 2000, replica_lag=30.0), off).wait_for_standbys


def test_clients_waiting_beyond_the_baseline_halve_the_batch_and_double_the_pause():
    decision = decide(2000, 0.1, Signals(0.05, 2000, waiting_clients=4, baseline_waiting=1), LIMITS, adaptive=True)
    assert (decision.size, decision.pause) == (1000, 0.2)
    assert decision.reason == "slowed: 4 client sessions waiting (locks, WAL, I/O), 1 before the step"


def test_one_more_waiting_client_than_before_is_within_the_slack():
    decision = decide(2000, 0.1, Signals(0.15, 2000, waiting_clients=2, baseline_waiting=1), LIMITS, adaptive=True)
    assert decision.reason is None


def test_autovacuum_on_the_table_holds_the_batches_where_they_are_instead_of_growing():
    decision = decide(2000, 0.01, Signals(0.05, 2000, autovacuum=True), LIMITS, adaptive=True)
    assert (decision.size, decision.pause, decision.reason) == (2000, 0.01, None)


def test_a_slow_batch_shrinks_the_next_in_proportion():
    decision = decide(4000, 0.05, Signals(0.32, 4000), LIMITS, adaptive=True)
    assert decision.size == 2500 and decision.reason.startswith("smaller: the last batch took 320 ms")


def test_a_very_slow_batch_shrinks_the_next_by_half_at_most_since_its_time_is_not_all_its_size():
    decision = decide(4000, 0.05, Signals(2.0, 4000), LIMITS, adaptive=True)
    assert decision.size == 2000


def test_a_calm_full_batch_grows_the_next_by_a_quarter_and_halves_the_pause():
    assert decide(2000, 0.1, Signals(0.05, 2000), LIMITS, adaptive=True) == decide(2000, 0.1, Signals(0.05, 2000),
                                                                                     LIMITS, True)
    decision = decide(2000, 0.1, Signals(0.05, 2000), LIMITS, adaptive=True)
    assert (decision.size, decision.pause, decision.reason) == (2500, 0.05, None)


def test_a_batch_that_was_not_full_does_not_grow():
    assert decide(2000, 0.1, Signals(0.05, 300), LIMITS, adaptive=True).size == 2000


def test_the_dead_band_between_shrinking_and_growing_keeps_the_size_so_it_does_not_flap():
    for seconds in (0.2, 0.25, 0.29):
        assert decide(2000, 0.1, Signals(seconds, 2000), LIMITS, adaptive=True).size == 2000


def test_sizes_stay_within_their_bounds():
    assert decide(150, 0.0, Signals(5.0, 150), LIMITS, adaptive=True).size == 100
    assert decide(2000, 0.1, Signals(0.19, 2000), LIMITS, adaptive=True).size == 2500  # under the target: grows
    assert decide(9900, 0.0, Signals(0.01, 9900), LIMITS, adaptive=True).size == 10_000
    assert decide(2000, 1.9, Signals(0.05, 2000, waiting_clients=9), LIMITS, adaptive=True).pause == 2.0


BACKFILL = {
    "migrations/0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, pad text);\n"
                                    "INSERT INTO accounts SELECT g, repeat('x', 300) FROM generate_series(1, 20000) AS g;\n",
    "rollbacks/0001_accounts.sql": "DROP TABLE accounts;\n",
    "migrations/0101_copies.sql": "CREATE TABLE copies (id bigint PRIMARY KEY, pad text);\n",
    "rollbacks/0101_copies.sql": "DROP TABLE copies;\n",
    "migrations/0102_fill.sql": "-- toolkit:batch\nINSERT INTO copies SELECT a.id, a.pad FROM accounts AS a\n"
                                "WHERE NOT EXISTS (SELECT 1 FROM copies AS c WHERE c.id = a.id)\n"
                                "ORDER BY a.id LIMIT current_setting('toolkit.batch_size')::integer;\n",
    "rollbacks/0102_fill.sql": "DELETE FROM copies;\n",
}


@pytest.mark.slow
def test_a_standby_whose_replay_is_paused_stops_the_batches_until_it_resumes(project, own_server):
    primary = own_server()
    root = project(BACKFILL)
    target = database(primary, "app")
    run = [sys.executable, "-m", "toolkit", "apply"]
    env = {**os.environ, "DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(root)}
    assert subprocess.run(run + ["--phase", "0"], env=env, capture_output=True).returncode == 0
    standby = primary.standby(Path(tempfile.mkdtemp(prefix="toolkit-standby-pg-")))
    try:
        with psycopg.connect(standby.target("app").dsn, autocommit=True) as replica:
            replica.execute("SELECT pg_wal_replay_pause()")
            runner = subprocess.Popen(run + ["--phase", "1", "--batch-size", "100", "--fixed-batches",
                                             "--batch-pause", "0", "--max-replica-lag", "0.3"], env=env,
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            until(target, "SELECT count(*) > 0 FROM toolkit.history WHERE detail LIKE '%paused: standby%'")
            held = one(target, "SELECT count(*) FROM copies")
            until(target, "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'toolkit apply' "
                           "AND state = 'active' AND query LIKE 'INSERT INTO copies%'")
            assert one(target, "SELECT count(*) FROM copies") == held < 20000  # no batch while the standby waits
            replica.execute("SELECT pg_wal_replay_resume()")
            _, stderr = runner.communicate(timeout=120)
        assert runner.returncode == 0, stderr
        assert "0102_fill: next batches 100 rows, 0 ms apart (paused: standby walreceiver" in stderr
        assert "0102_fill: standbys caught up; batches go on" in stderr
        assert one(target, "SELECT count(*) FROM copies") == 20000
    finally:
        standby.stop()
        shutil.rmtree(standby.home, ignore_errors=True)
