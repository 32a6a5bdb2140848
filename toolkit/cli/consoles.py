"""The two consoles every command writes to: results on stdout, progress and errors on stderr."""

from __future__ import annotations

import functools
import sys


@functools.lru_cache(maxsize=None)
def _consoles():
    from rich.console import Console

    # Piped output (CI logs, make) gets room for the tables, not rich's default 80 columns.
    width = None if sys.stdout.isatty() else 160
    return (Console(highlight=False, soft_wrap=True, width=width),
            Console(stderr=True, highlight=False, soft_wrap=True, width=width))


def out():
    return _consoles()[0]


def err():
    return _consoles()[1]
