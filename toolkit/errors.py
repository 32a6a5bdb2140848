"""Every error the toolkit raises on purpose.

Each carries the data a caller needs; the message is one line a DBA can act on.
Exit codes are assigned in one place, the CLI (``toolkit.cli.EXIT_CODES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ToolkitError(Exception):
    """Base of every error meant for the user (never a bug)."""

    # Lines printed under the message, e.g. the server's DETAIL, HINT and CONTEXT for a failed statement.
    notes: tuple[str, ...] = ()
    # What the command finished before it stopped (the phases an apply did apply), shown before the error.
    completed: tuple = ()


class BadInput(ToolkitError):
    """The files, the arguments or the request are wrong; nothing was changed."""


class PlanError(BadInput):
    """A file in migrations/, rollbacks/ or validation/ is unusable."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None, rule: str = "plan"):
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.rule = rule  # the lint rule that reports it
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {problem}")


class ChecksumMismatch(BadInput):
    def __init__(self, migrations: list[str]):
        self.migrations = migrations
        names = ", ".join(migrations)
        super().__init__(
            f"applied migration(s) changed on disk since they were applied: {names}; "
            "restore the applied text or write a new migration"
        )


class Irreversible(ToolkitError):
    """A rollback would need a migration whose rollback says it cannot be written; nothing was changed."""

    def __init__(self, phase: int, migration: str, reason: str):
        self.phase = phase
        self.migration = migration
        self.reason = reason
        super().__init__(f"phase {phase} cannot be rolled back: {migration} is irreversible ({reason}); "
                         "nothing was changed")


class AdoptRefused(ToolkitError):
    """adopt found the database is not what the migrations build, or another tool's history says something
    is failed or missing: nothing was recorded."""

    def __init__(self, message: str, differences: list[str] | None = None):
        self.differences = differences or []
        super().__init__(message)


class PreCheckFailed(ToolkitError):
    """A pre-validation check failed: the phase was not started."""

    def __init__(self, phase: int, failures: list):
        self.phase = phase
        self.failures = failures
        names = ", ".join(f.check.name for f in failures)
        super().__init__(f"phase {phase}: pre-validation failed ({names}); nothing was changed")


@dataclass
class RollbackCause:
    """Why a phase was rolled back automatically."""

    kind: str  # "step", "check" or "slowdown"
    message: str
    failures: list = field(default_factory=list)
    notes: tuple[str, ...] = ()  # the failed statement's DETAIL, HINT, CONTEXT


class RolledBack(ToolkitError):
    """The phase failed and was rolled back; the schema is as it was before."""

    def __init__(self, phase: int, cause: RollbackCause, result=None):
        self.phase = phase
        self.cause = cause
        self.result = result
        self.notes = cause.notes
        super().__init__(
            f"phase {phase} rolled back: {cause.message}; schema restored to its state before the phase"
        )


class HumanNeeded(ToolkitError):
    """A rollback failed or did not restore the schema. Someone must look."""

    def __init__(self, message: str, differences: list[str] | None = None, result=None, notes=()):
        self.differences = differences or []
        self.result = result
        self.notes = tuple(notes)
        super().__init__(message)


def describe_holder(holder: dict | None) -> str:
    if not holder:
        return "a session that ended while we looked"
    client = holder.get("client_addr") or "local socket"
    return (f"application '{holder['application_name']}' of {holder['usename']} from {client}, "
            f"server pid {holder['pid']}, connected since {holder['backend_start']}")


class LockHeld(ToolkitError):
    def __init__(self, waited: float, holder: dict | None):
        self.holder = holder
        super().__init__(f"another toolkit run holds the runner lock (waited {waited:g}s): {describe_holder(holder)}")


class CannotConnect(ToolkitError):
    """The server cannot be reached or refused the login."""


class ConnectionLost(CannotConnect):
    """The connection died mid-run (server restart, pg_terminate_backend, network)."""

    def __init__(self, where: str, reason: str):
        self.where = where
        super().__init__(
            f"lost the database connection at {where} ({reason}); the open transaction was undone by the "
            "server, committed steps are recorded: `toolkit status` shows where it stopped, "
            "`toolkit apply` (or `rollback`) resumes"
        )


class StepFailed(ToolkitError):
    """A statement of a migration or rollback script failed."""

    def __init__(self, script_path: Path, line: int, sqlstate: str | None, message: str, notes=()):
        self.path = Path(script_path)
        self.line = line
        self.sqlstate = sqlstate
        self.reason = message
        self.notes = tuple(notes)  # "DETAIL: ...", "HINT: ...", "CONTEXT: ...": what psql would print under it
        code = f" [{sqlstate}]" if sqlstate else ""
        super().__init__(f"{script_path}:{line}: {message}{code}")


class FleetStopped(ToolkitError):
    """A rollout stopped: a target failed (past --max-failures); the ledger says which and why."""
