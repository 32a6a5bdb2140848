"""How a rollout looks while it runs: a live table on a terminal (one row per running target, totals),
one line per finished target otherwise (CI logs, pipes)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from .ledger import TargetRow
from .rollout import Watcher


class LiveTable(Watcher):
    def __init__(self, console, total: int, live: bool):
        self.console, self.total, self.live = console, total, live
        self.lock = threading.Lock()
        self.running: dict[str, tuple[str, float, str]] = {}  # name -> (wave, started, what it does now)
        self.finished: Counter = Counter()
        self.display = None

    def __enter__(self):
        if self.live:
            from rich.live import Live

            self.display = Live(self._table(), console=self.console, refresh_per_second=4, transient=False)
            self.display.__enter__()
        return self

    def __exit__(self, *exc):
        if self.display is not None:
            self.display.update(self._table())
            self.display.__exit__(*exc)

    def target_started(self, row: TargetRow) -> None:
        with self.lock:
            self.running[row.target.name] = (row.target.wave, time.monotonic(), "starting")
        self._refresh()

    def target_progress(self, name: str, text: str) -> None:
        with self.lock:
            if name in self.running:
                wave, started, _ = self.running[name]
                self.running[name] = (wave, started, text)
        self._refresh()

    def target_finished(self, row: TargetRow, state: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.running.pop(row.target.name, None)
            self.finished[state] += 1
        line = f"{row.target.name} (wave {row.target.wave}): {state} in {seconds:.1f} s" + (f": {error}" if error
                                                                                              else "")
        if self.display is not None:
            self.display.console.print(line, markup=False, highlight=False)
        else:
            self.console.print(line, markup=False, highlight=False)
        self._refresh()

    def _refresh(self) -> None:
        if self.display is not None:
            self.display.update(self._table())

    def _table(self):
        from rich.table import Table

        with self.lock:
            running = sorted(self.running.items())
            finished = dict(self.finished)
        table = Table(title=None, box=None, pad_edge=False)
        for column in ("target", "wave", "seconds", "now"):
            table.add_column(column)
        now = time.monotonic()
        for name, (wave, started, text) in running:
            table.add_row(name, wave, f"{now - started:.0f}", text)
        done = sum(finished.values())
        totals = ", ".join(f"{state} {n}" for state, n in sorted(finished.items())) or "none finished yet"
        table.caption = f"{len(running)} running, {done} of {self.total} finished: {totals}"
        return table
