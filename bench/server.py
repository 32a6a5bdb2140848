"""The server a benchmark runs against: the given one, or a local one it starts and stops."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from toolkit.connection import Target
from toolkit.local_server import LocalServer, find_bindir


@contextmanager
def bench_server(dsn: str | None):
    """Yields (maintenance-database Target, PostgreSQL bin folder)."""
    if dsn:
        yield Target(dsn), find_bindir()
        return
    home = Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    local = LocalServer(home, bindir=find_bindir()).start()
    try:
        yield local.target(), local.bindir
    finally:
        local.stop()
        shutil.rmtree(home, ignore_errors=True)
