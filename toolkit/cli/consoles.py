"""The two consoles every command writes to: results on stdout, progress and errors on stderr."""

from __future__ import annotations

import functools
import os
import sys


@functools.lru_cache(maxsize=None)
def _consoles():
    from rich.console import Console

    class Quiet(Console):
        def on_broken_pipe(self) -> None:
            """`toolkit status | head -2`: the reader has what it wanted. Nothing more is written, and the exit
            is 0, as for cat or psql (rich's own handler exits 1)."""
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    # Piped output (CI logs, make) gets room for the tables, not rich's default 80 columns.
    width = None if sys.stdout.isatty() else 160
    return (Quiet(highlight=False, soft_wrap=True, width=width),
            Quiet(stderr=True, highlight=False, soft_wrap=True, width=width))


def out():
    return _consoles()[0]


def err():
    return _consoles()[1]
