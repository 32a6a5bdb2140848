"""The server a benchmark runs against: the given one, or a local one it starts and stops."""

from __future__ import annotations

import shutil
import tempfile
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
def bench_server(dsn: str | None, standby: bool = False):
    """Yields (maintenance-database Target, PostgreSQL bin folder, standby Targets). A server it starts gets a
    hot standby streaming from it on this machine (pg_basebackup -R) when asked, as a production primary has;
    a given server keeps whatever standbys it has, and their lag is measured the same way
    (pg_stat_replication)."""
    if dsn:
        yield Target(dsn), find_bindir(), ()
        return
    home = Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    home.chmod(0o711)  # run as root, the servers run as another user, who must reach their folders in here
    local = LocalServer(home / "primary", bindir=find_bindir(), settings=PRODUCTION_LIKE).start()
    replica = None
    try:
        if standby:
            replica = local.standby(home / "standby")
        yield local.target(), local.bindir, (replica.target(),) if replica else ()
    finally:
        if replica is not None:
            replica.stop()
        local.stop()
        shutil.rmtree(home, ignore_errors=True)
