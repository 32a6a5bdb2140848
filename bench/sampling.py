"""A thread that looks at the server at a fixed interval, on a connection of its own, while a run goes on."""

from __future__ import annotations

import threading
import time

import psycopg

from toolkit.connection import Target


class Sampler:
    """Subclasses say how often (`every`, seconds) and what one look keeps (`look(conn, at)`)."""

    every = 0.05
    application_name = "bench sampler"

    def __init__(self, target: Target, started: float):
        self.target, self.started = target, started
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)

    def look(self, conn: psycopg.Connection, at: float) -> None:
        raise NotImplementedError

    def _watch(self) -> None:
        with psycopg.connect(self.target.dsn, autocommit=True, application_name=self.application_name) as conn:
            while not self.stop_event.wait(self.every):
                self.look(conn, round(time.monotonic() - self.started, 3))
