"""What a run tells its caller while it works.

The library never prints. It calls these methods; the CLI renders them, a Python
caller may subclass or ignore them.
"""

from __future__ import annotations


class Progress:
    def phase_started(self, phase, pending: list) -> None: ...

    def step_started(self, migration, action: str) -> None: ...

    def step_finished(self, migration, action: str, duration_ms: int) -> None: ...

    def checks_finished(self, phase, when: str, results: list) -> None: ...

    def retrying(self, migration, attempt: int, wait_seconds: float, reason: str) -> None: ...

    def note(self, text: str) -> None: ...
