"""The server a benchmark runs against: the given one, or a local one it starts and stops."""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from toolkit.connection import Target
from toolkit.local_server import LocalServer, find_bindir

# PostgreSQL's shipped defaults (128 MB shared_buffers, 1 GB max_wal_size) suit a laptop, not a database
# server: a million-row table and its indexes would not fit, and checkpoints would come every few seconds.
# The local server a benchmark starts is sized like a modest production server instead (a quarter of this
# machine's memory would be 6 GB; 1 GB is well below that). fsync stays on.
PRODUCTION_LIKE = {"shared_buffers": "1GB", "max_wal_size": "4GB", "checkpoint_completion_target": "0.9"}


@contextmanager
def bench_server(dsn: str | None, standby: bool = False, synchronous: bool = False, settings: dict | None = None):
    """Yields (maintenance-database Target, PostgreSQL bin folder, standby Targets). A server it starts gets a
    hot standby streaming from it on this machine (pg_basebackup -R) when asked, as a production primary has;
    a given server keeps whatever standbys it has, and their lag is measured the same way
    (pg_stat_replication). `synchronous`: the standby is made synchronous (synchronous_standby_names, with
    synchronous_commit left at its default, on), so every commit waits until the standby has flushed its WAL:
    replica lag becomes the clients' latency."""
    if dsn:
        yield Target(dsn), find_bindir(), ()
        return
    home = Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    home.chmod(0o711)  # run as root, the servers run as another user, who must reach their folders in here
    local = LocalServer(home / "primary", bindir=find_bindir(),
                        settings={**PRODUCTION_LIKE, **(settings or {})}).start()
    replica = None
    try:
        if standby:
            replica = local.standby(home / "standby")
            if synchronous:
                make_synchronous(local.target())
        yield local.target(), local.bindir, (replica.target(),) if replica else ()
    finally:
        if replica is not None:
            replica.stop()
        local.stop()
        shutil.rmtree(home, ignore_errors=True)


def make_synchronous(primary: Target) -> None:
    """Any streaming standby confirms each commit, and the benchmark waits until the one it started does."""
    with primary.connect() as conn:
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
        conn.execute("SELECT pg_reload_conf()")
        ends = time.monotonic() + 60
        while not conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0]:
            if time.monotonic() > ends:
                raise RuntimeError("the standby did not become synchronous within 60 s")
            time.sleep(0.2)
