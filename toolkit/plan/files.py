"""Reading the project's files: only regular files, of a bounded size, as UTF-8 text.

A migration symlinked to /dev/zero would fill memory, a FIFO block the reader forever; a file larger than
TOOLKIT_MAX_FILE_MB megabytes (default 256) is refused. Every refusal names the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import PlanError


def check_readable(path: Path) -> int:
    """Refuses (OSError) what read_bounded would refuse, without reading it; returns the size limit."""
    limit = int(os.environ.get("TOOLKIT_MAX_FILE_MB") or 256) * 1024 * 1024
    found = path.stat()
    if not stat.S_ISREG(found.st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket is not read)", str(path))
    if found.st_size > limit:
        raise OSError(errno.EFBIG, f"{found.st_size:,} bytes, more than the {limit // 2**20} MB a file may hold "
                                   "(TOOLKIT_MAX_FILE_MB)", str(path))
    return limit


def read_bounded(path: Path) -> bytes:
    """A file's bytes, if it is a regular file (a FIFO would block forever, a device such as /dev/zero never end,
    both through a symlink too) of at most TOOLKIT_MAX_FILE_MB megabytes (default 256); else an OSError whose
    strerror says why."""
    limit = check_readable(path)
    with path.open("rb") as file:
        raw = file.read(limit + 1)  # one that grows while it is read is still bounded
    if len(raw) > limit:
        raise OSError(errno.EFBIG, f"more than the {limit // 2**20} MB a file may hold (TOOLKIT_MAX_FILE_MB)",
                      str(path))
    return raw


def read_sql_file(path: Path) -> str:
    """The file's text, or a PlanError naming the file."""
    try:
        raw = read_bounded(path)
    except OSError as exc:
        raise PlanError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlanError(path, "not valid UTF-8", line) from exc
    if "\0" in text:  # PostgreSQL stops reading a query string at a NUL: the rest would silently never run
        raise PlanError(path, "holds a NUL byte: PostgreSQL would run only what comes before it",
                        text.count("\n", 0, text.index("\0")) + 1)
    return text.removeprefix("\ufeff").replace("\r\n", "\n")
