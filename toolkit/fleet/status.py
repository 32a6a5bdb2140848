"""Where each target of the fleet is: its applied phases by its own history, whether any applied file changed
since, whether it is behind the rest (version skew), and how the last rollout left it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .. import api
from ..connection import Target
from ..errors import ToolkitError
from ..runner.session import Settings
from .ledger import Ledger, Rollout, TargetRow
from .targets import Fleet, FleetTarget


@dataclass
class TargetStatus:
    name: str
    wave: str
    applied_phases: list[int] = field(default_factory=list)
    partial_phases: list[int] = field(default_factory=list)
    checksums_changed: list[str] = field(default_factory=list)  # applied migrations whose file changed since
    behind: bool = False  # below the highest phase any target of the fleet has
    error: str | None = None  # the target could not be read
    last_rollout: dict | None = None  # its row in the latest rollout: state, runner, times, first error

    @property
    def highest(self) -> int | None:
        return max(self.applied_phases, default=None)


@dataclass
class FleetStatus:
    rollout: dict | None  # the latest rollout, with counts
    targets: list[TargetStatus]

    @property
    def skew(self) -> bool:
        return len({t.highest for t in self.targets if t.error is None}) > 1


def fleet_status(ledger_target: Target, fleet: Fleet | None = None, *, settings: Settings = Settings(),
                 rollout_id: int | None = None, parallel: int = 8) -> FleetStatus:
    """The targets of `fleet`, or of the latest rollout (or `rollout_id`) when no fleet is given."""
    ledger = Ledger(ledger_target)
    try:
        rollout = ledger.rollout(rollout_id)
        rows = {row.target.name: row for row in ledger.targets(rollout)} if rollout else {}
        summary = _rollout_summary(ledger, rollout) if rollout else None
    finally:
        ledger.close()
    members = list(fleet.targets) if fleet else [row.target for row in rows.values()]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:  # a fleet is read at the speed of its slowest
        statuses = list(pool.map(lambda member: _one(member, settings), members))
    top = max((s.highest for s in statuses if s.highest is not None), default=None)
    for status in statuses:
        status.behind = status.error is None and top is not None and (status.highest or -1) < top
        if status.name in rows:
            status.last_rollout = _row(rows[status.name])
    return FleetStatus(summary, statuses)


def rollout_report(ledger_target: Target, rollout_id: int | None = None) -> dict:
    """The rollout as the ledger has it (no target is contacted): its counts and each target's row."""
    ledger = Ledger(ledger_target)
    try:
        rollout = ledger.rollout(rollout_id)
        if rollout is None:
            return {"rollout": None, "targets": []}
        return {"rollout": _rollout_summary(ledger, rollout),
                "targets": [{"name": row.target.name, "wave": row.target.wave, **_row(row)}
                            for row in ledger.targets(rollout)]}
    finally:
        ledger.close()


def _one(member: FleetTarget, settings: Settings) -> TargetStatus:
    status = TargetStatus(member.name, member.wave)
    try:
        found = api.status(member.connection(), settings=settings)
    except ToolkitError as error:
        status.error = member.redact(str(error))
        return status
    status.applied_phases = [p.phase for p in found.phases if p.state == "applied"]
    status.partial_phases = [p.phase for p in found.phases if p.state == "partial"]
    status.checksums_changed = [m.migration for p in found.phases for m in p.migrations if m.checksum == "changed"]
    return status


def _row(row: TargetRow) -> dict:
    return {"state": row.state if row.live else "running (its runner is gone: resume takes it over)",
            "runner": row.runner, "attempts": row.attempts, "started_at": row.started_at,
            "finished_at": row.finished_at, "exit_code": row.exit_code, "first_error": row.first_error,
            "done": row.done}


def _rollout_summary(ledger: Ledger, rollout: Rollout) -> dict:
    counts = ledger.counts(rollout)
    return {"id": rollout.id, "action": rollout.action, "phase": rollout.phase, "state": rollout.state,
            "started_by": rollout.started_by, "started_at": rollout.started_at, "finished_at": rollout.finished_at,
            "max_failures": rollout.max_failures, "pending": counts.pending, "running": counts.running,
            "passed": counts.passed, "failed": counts.failed}
