"""Test-only fault injection: prove that a runner killed anywhere leaves a state
the toolkit understands.

With TOOLKIT_DEBUG_KILL_AT=N in the environment, the process kills itself with
SIGKILL at the N-th statement boundary (before a statement is sent, after a
commit). Unset, as in every normal run, `boundary` returns at once and does nothing.
"""

from __future__ import annotations

import os
import signal

_KILL_AT = int(os.environ.get("TOOLKIT_DEBUG_KILL_AT") or 0)
_passed = 0


def boundary() -> None:
    global _passed
    if not _KILL_AT:
        return
    _passed += 1
    if _passed == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
