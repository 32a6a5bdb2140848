"""Batches that watch the database: after every batch of a `-- toolkit:batch` step, read what the server
shows and decide the next batch's size and pause.

Collecting is kept apart from deciding (after gh-ost's throttler): `read_signals` is one cheap query, and
`decide` is a pure function of its readings, tested without a database. The first rule that fires names
itself, in a fixed order:

1. a standby replays more than `max_replica_lag` seconds behind: wait until it catches up (in every mode:
   a batch the standby cannot keep up with is a standby that stops being one);
2. (adaptive) more client sessions wait on locks, WAL or I/O than before the step began: halve the batch,
   double the pause;
3. (adaptive) autovacuum is working on the batch's table: keep size and pause (no growth while it works);
4. (adaptive) the batch took longer than 1.5x the target: shrink it in proportion, by half at most;
5. (adaptive) the batch took less than the target and was full: grow it by a quarter, halve the pause.
Between rules 4 and 5 lies a dead band (1x-1.5x the target) where nothing changes, so it does not flap.

Rules 3 and 4 were harsher (halve on autovacuum; shrink in full proportion; grow only under 0.75x the target)
until the live-load benchmark showed them ratcheting: when a batch's time is not its size (measured: a stale
plan made every batch of a backfill scan what was already written, 190-250 ms for 150 rows as for 10,000), each
slow batch cut the size, none was fast enough to grow it again, and the backfill crawled at a few hundred rows a
batch for half a minute with no client waiting more for it. Client harm is rule 2's to judge (bench/README.md,
2026-12-06).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    min_size: int = 100
    max_size: int = 50_000
    target_seconds: float = 0.2  # how long a batch may hold its locks and WAL burst
    max_pause: float = 2.0
    max_replica_lag: float = 1.0  # seconds; 0: standbys are not watched
    waiting_slack: int = 1  # client sessions waiting beyond the step's baseline before it slows down


@dataclass(frozen=True)
class Signals:
    batch_seconds: float
    rows: int  # rows the batch touched
    replica_lag: float | None = None  # the worst standby's replay lag, seconds (None: no standby seen)
    standby: str = ""  # which one
    waiting_clients: int = 0  # client sessions waiting on locks, WAL or I/O now
    baseline_waiting: int = 0  # ... before the step's first batch
    autovacuum: bool = False  # autovacuum is working on the batch's table


@dataclass(frozen=True)
class Decision:
    size: int
    pause: float
    reason: str | None = None  # why it slowed, shrank or waits; None when it keeps or grows
    wait_for_standbys: bool = False


def decide(size: int, pause: float, signals: Signals, limits: Limits = Limits(), adaptive: bool = False) -> Decision:
    lag = signals.replica_lag
    if limits.max_replica_lag and lag is not None and lag > limits.max_replica_lag:
        smaller = max(limits.min_size, size // 2) if adaptive else size
        return Decision(smaller, pause, f"paused: standby {signals.standby} replay lag {lag:.1f} s > "
                                        f"{limits.max_replica_lag:g} s", wait_for_standbys=True)
    if not adaptive:
        return Decision(size, pause)
    slower = min(limits.max_pause, max(2 * pause, 0.05))
    if signals.waiting_clients > signals.baseline_waiting + limits.waiting_slack:
        return Decision(max(limits.min_size, size // 2), slower,
                        f"slowed: {signals.waiting_clients} client sessions waiting (locks, WAL, I/O), "
                        f"{signals.baseline_waiting} before the step")
    if signals.autovacuum:
        return Decision(size, pause)
    if signals.batch_seconds > 1.5 * limits.target_seconds:
        shrunk = max(limits.min_size, round(size * max(0.5, limits.target_seconds / signals.batch_seconds)))
        return Decision(shrunk, pause, f"smaller: the last batch took {signals.batch_seconds * 1000:.0f} ms, "
                                       f"more than {limits.target_seconds * 1000:.0f} ms")
    if signals.batch_seconds < limits.target_seconds and signals.rows >= size:
        return Decision(min(limits.max_size, size + max(limits.min_size, size // 4)), pause / 2)
    return Decision(size, pause)


# Each streaming standby: who it is, its replay lag in seconds while it is behind (0 once it has replayed
# everything flushed: replay_lag keeps its last value a while after, which is not lag any more), and the WAL
# bytes it has still to replay. A role without pg_monitor sees NULLs. The benchmark's watch reads the same.
STANDBYS = """
SELECT r.application_name || coalesce(' at ' || host(r.client_addr), '') AS standby,
       CASE WHEN pg_wal_lsn_diff(pg_current_wal_flush_lsn(), r.replay_lsn) > 0
            THEN extract(epoch FROM r.replay_lag) ELSE 0 END AS lag_seconds,
       pg_wal_lsn_diff(pg_current_wal_flush_lsn(), r.replay_lsn) AS bytes_behind
FROM pg_stat_replication AS r
"""

_SIGNALS = f"""
WITH standbys AS ({STANDBYS})
SELECT
    (SELECT max(lag_seconds) FROM standbys),
    (SELECT standby FROM standbys ORDER BY lag_seconds DESC NULLS LAST LIMIT 1),
    (SELECT count(*) FROM pg_stat_activity AS a
     WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND a.state = 'active'
       AND a.wait_event_type IN ('LWLock', 'Lock', 'IO')),
    (SELECT count(*) > 0 FROM pg_stat_progress_vacuum AS v WHERE v.relid = to_regclass(%s::text))
"""


def read_signals(conn, table: str, batch_seconds: float, rows: int, baseline_waiting: int) -> Signals:
    """One query. A role without pg_monitor sees standbys' lag as NULL: then they are not watched."""
    lag, standby, waiting, vacuum = conn.execute(_SIGNALS, (table or None,)).fetchone()
    return Signals(batch_seconds, rows, None if lag is None else float(lag), standby or "", waiting,
                   baseline_waiting, bool(vacuum))


def waiting_clients(conn) -> int:
    return read_signals(conn, "", 0.0, 0, 0).waiting_clients
