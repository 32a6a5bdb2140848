"""What the server, the disk and the migration were doing, four times a second: so that a client's stall is
explained from measurements, not guessed.

Each look records, on one connection of its own: the WAL written so far (the insert position, exact at every
look) with the full-page images, records and syncs `pg_stat_wal` / `pg_stat_io` count (those are flushed by
each backend about once a second, so they are read as rates over a second or more); the checkpoints completed
and whether the checkpointer is writing one now (its wait event); what the migration's own sessions and the
autovacuum workers are running; how many WAL bytes the standbys still have to replay; and, for a server on this
machine, the disk's counters from /proc/diskstats (bytes written, milliseconds busy). `bench.stalls` reads these
ticks around each slow client request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from toolkit.connection import Target

from .sampling import Sampler

EVERY = 0.25  # seconds between looks

CLIENTS = ("bench client", "bench report")


@dataclass(frozen=True)
class Tick:
    at: float  # seconds since the run started
    wal_bytes: int  # the WAL insert position, in bytes
    wal_fpi: int
    wal_records: int
    wal_syncs: int
    checkpoints: int  # completed since the server started
    checkpointing: bool  # the checkpointer is writing a checkpoint's buffers now
    migration: str  # what each migration session (neither a bench client nor a watcher) is doing
    autovacuum: str  # what each autovacuum worker is running, in the migrated database or any other
    standby_bytes_behind: int | None
    disk_bytes_written: int | None  # this machine's disk under the server, cumulative (None: not known)
    disk_busy_ms: int | None
    dirty_mb: float | None  # the kernel's page cache not yet on disk (Dirty + Writeback in /proc/meminfo)
    written_by: dict  # bytes each kind of PostgreSQL process on this machine caused to be written, so far


def _look_sql(version: int) -> str:
    # PostgreSQL 17 moved the checkpoint counters to pg_stat_checkpointer; 18 moved WAL syncs to pg_stat_io.
    checkpoints = ("(SELECT num_done FROM pg_stat_checkpointer)" if version >= 180000 else
                   "(SELECT num_timed + num_requested FROM pg_stat_checkpointer)" if version >= 170000 else
                   "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)")
    syncs = ("(SELECT coalesce(sum(fsyncs), 0)::bigint FROM pg_stat_io WHERE object = 'wal')" if version >= 180000
             else "w.wal_sync")
    return f"""
SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint, w.wal_fpi, w.wal_records, {syncs},
       {checkpoints},
       coalesce((SELECT wait_event = 'CheckpointWriteDelay' OR wait_event LIKE 'DataFile%%'
                 FROM pg_stat_activity WHERE backend_type = 'checkpointer'), false),
       coalesce((SELECT string_agg(a.application_name || ' ' || a.state
                                   || coalesce(' (' || a.wait_event_type || ':' || a.wait_event || ')', '') || ': '
                                   || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80), ' | ' ORDER BY a.pid)
                 FROM pg_stat_activity AS a
                 WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                   AND a.pid <> pg_backend_pid() AND a.application_name NOT LIKE 'bench %%'), ''),
       coalesce((SELECT string_agg(left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80)
                                   || coalesce(' (' || a.wait_event_type || ':' || a.wait_event || ')', ''),
                                   ' | ' ORDER BY a.pid)
                 FROM pg_stat_activity AS a WHERE a.backend_type = 'autovacuum worker'), ''),
       (SELECT max(pg_wal_lsn_diff(pg_current_wal_flush_lsn(), r.replay_lsn))::bigint FROM pg_stat_replication AS r)
FROM pg_stat_wal AS w
"""


def disk_of(folder: Path | None) -> str | None:
    """The /proc/diskstats name of the block device holding `folder` (None: not a local disk we can read)."""
    if folder is None or not Path("/proc/diskstats").exists():
        return None
    device = os.stat(folder).st_dev
    for line in Path("/proc/diskstats").read_text().splitlines():
        fields = line.split()
        if (int(fields[0]), int(fields[1])) == (os.major(device), os.minor(device)):
            return fields[2]
    return None


def _data_folder(conn) -> Path | None:
    """The server's data directory when it is on this machine (a server the benchmark started, or a given one
    here); a role that may not read it, or a server elsewhere: None, and no disk figures."""
    try:
        folder = Path(conn.execute("SHOW data_directory").fetchone()[0])
    except Exception:  # noqa: BLE001 - any refusal means the same: no disk figures
        return None
    return folder if folder.exists() else None


def disk_counters(name: str | None) -> tuple[int | None, int | None]:
    """(bytes written, milliseconds the device was busy) so far: fields 10 and 13 of /proc/diskstats."""
    if name is None:
        return None, None
    for line in Path("/proc/diskstats").read_text().splitlines():
        fields = line.split()
        if fields[2] == name:
            return int(fields[9]) * 512, int(fields[12])
    return None, None


def dirty_mb() -> float | None:
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    except OSError:
        return None
    return round(sum(int(fields[name].split()[0]) for name in ("Dirty", "Writeback")) / 1024, 1)


KINDS = ("checkpointer", "background writer", "walwriter", "autovacuum worker", "autovacuum launcher", "walsender",
         "walreceiver", "startup", "archiver", "logical replication", "stats")


def _title(pid: str) -> str:
    return (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()


def postgres_processes(folder: Path | None) -> dict[str, str]:
    """pid: kind, for every PostgreSQL process on this machine: its title's kind ("checkpointer", "walwriter",
    "autovacuum worker", "backend", ...), prefixed "other server" for another server's (a standby)."""
    found: dict[str, str] = {}
    postmasters: dict[str, bool] = {}  # pid: is it the watched server's
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = _title(entry.name)
            if not title.startswith("postgres: "):
                continue
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if parent not in postmasters:
                postmasters[parent] = folder is not None and str(folder) in _title(parent)
        except (OSError, IndexError):
            continue  # gone, or not ours to read
        words = title.split()
        kind = " ".join(words[1:3]) if words[1] in ("background", "autovacuum", "logical") else words[1]
        kind = {"logical replication": "logical replication"}.get(kind, kind)
        kind = kind if kind in KINDS else "backend"
        found[entry.name] = kind if postmasters[parent] else f"other server {kind}"
    return found


def written_by(processes: dict[str, str]) -> dict:
    """Bytes written so far by each kind of process (/proc/PID/io write_bytes: counted when the process dirties the
    page cache, so the kernel's later writeback is charged to whoever caused it). A process that ended takes its
    count with it, so a kind's total can drop; readers never take a negative rate."""
    totals: dict[str, int] = {}
    for pid, kind in processes.items():
        try:
            io = (Path("/proc") / pid / "io").read_text()
        except OSError:
            continue
        written = int(next(line for line in io.splitlines() if line.startswith("write_bytes")).split()[1])
        totals[kind] = totals.get(kind, 0) + written
    return totals


class ServerWatch(Sampler):
    every = EVERY
    application_name = "bench serverwatch"

    def __init__(self, target: Target, started: float):
        super().__init__(target, started)
        self.ticks: list[Tick] = []
        self.sql: str | None = None
        self.disk: str | None = None
        self.folder: Path | None = None
        self.processes: dict[str, str] = {}
        self.found_at = -1e9

    def look(self, conn, at: float) -> None:
        if self.sql is None:
            self.folder = _data_folder(conn)
            self.sql, self.disk = _look_sql(conn.info.server_version), disk_of(self.folder)
        if at - self.found_at >= 2.0:  # the whole of /proc every 2 s; each look reads only the known processes
            self.processes, self.found_at = postgres_processes(self.folder), at
        row = conn.execute(self.sql).fetchone()
        self.ticks.append(Tick(at, *row[:5], bool(row[5]), row[6], row[7], row[8], *disk_counters(self.disk),
                               dirty_mb(), written_by(self.processes)))
