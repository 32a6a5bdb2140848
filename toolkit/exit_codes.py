"""The documented exit codes (README, "Exit codes"), and which one an error means. The CLI exits with them;
the fleet records them per target, so a ledger row says what `toolkit apply` on that target would have said."""

from __future__ import annotations

from .errors import (
    AdoptRefused,
    BadInput,
    CannotConnect,
    FleetStopped,
    HumanNeeded,
    Irreversible,
    LockHeld,
    PreCheckFailed,
    RolledBack,
    StepFailed,
)

OK, FINDINGS, BAD_INPUT, PRE_CHECK_FAILED, STEP_ROLLED_BACK, CHECK_ROLLED_BACK, SLOWDOWN_ROLLED_BACK, \
    HUMAN_NEEDED, LOCK_HELD, CANNOT_CONNECT, IRREVERSIBLE, ADOPT_REFUSED, FLEET_STOPPED = range(13)
INTERRUPTED = 130  # Ctrl-C (SIGINT), as shells report it: 128 + the signal's number

_ROLLBACK_EXIT = {"step": STEP_ROLLED_BACK, "check": CHECK_ROLLED_BACK, "slowdown": SLOWDOWN_ROLLED_BACK}
_BY_KIND = ((Irreversible, IRREVERSIBLE), (AdoptRefused, ADOPT_REFUSED), (BadInput, BAD_INPUT),
            (PreCheckFailed, PRE_CHECK_FAILED), (HumanNeeded, HUMAN_NEEDED), (StepFailed, HUMAN_NEEDED),
            (LockHeld, LOCK_HELD), (CannotConnect, CANNOT_CONNECT), (FleetStopped, FLEET_STOPPED))


def exit_code(error: Exception) -> int:
    if isinstance(error, RolledBack):
        return _ROLLBACK_EXIT[error.cause.kind]
    for kind, code in _BY_KIND:
        if isinstance(error, kind):
            return code
    return HUMAN_NEEDED
