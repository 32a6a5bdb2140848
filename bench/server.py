"""The server a benchmark runs against: the given one, or a local one it starts and stops."""

from __future__ import annotations

import shutil
import sys
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


VM = Path("/proc/sys/vm")
WRITEBACK = ("dirty_background_bytes", "dirty_background_ratio", "dirty_bytes", "dirty_ratio",
             "dirty_expire_centisecs", "dirty_writeback_centisecs")


def kernel_writeback() -> dict[str, int]:
    """This machine's page-cache writeback settings (Linux), as the results record them."""
    return {name: int((VM / name).read_text()) for name in WRITEBACK if (VM / name).exists()}


@contextmanager
def dirty_background(limit_bytes: int | None):
    """Sets vm.dirty_background_bytes for the benchmark's duration and puts the machine's setting back after.
    Measured why (bench/README.md, 2026-12-06): with Linux's default (10% of memory, here 2.3 GB, written once
    30 s old) the pages a backfill's table extension dirties pile up to ~900 MB and go to disk in one burst, and
    every commit's WAL flush waits behind it for 100-350 ms. Database servers are commonly tuned to write
    continuously instead; this is that tuning, on a machine the benchmark may change (root)."""
    if limit_bytes is None:
        yield
        return
    before = kernel_writeback()
    try:
        (VM / "dirty_background_bytes").write_text(str(limit_bytes))
    except OSError as exc:  # not root, or no such file: the machine's own setting, which the results record
        print(f"bench: vm.dirty_background_bytes left as it is ({exc}); the results record the setting",
              file=sys.stderr)
        yield
        return
    try:
        yield
    finally:  # one of the two is always 0: writing the one that was set restores both
        if before.get("dirty_background_bytes"):
            (VM / "dirty_background_bytes").write_text(str(before["dirty_background_bytes"]))
        else:
            (VM / "dirty_background_ratio").write_text(str(before["dirty_background_ratio"]))
