"""Budgets a rehearsal is held to (flags, or `[rehearse]` in toolkit.toml), and each one broken as a finding at
the migration's file and line, in the formats lint prints (human, json, github, gitlab, sarif)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..lint.rules import Finding
from ..plan.lock_modes import MODES, clients_blocked

# Modes that block writes (SHARE and stronger, short of ACCESS EXCLUSIVE, which blocks reads too)
WRITE_BLOCKING = tuple(mode for mode in MODES if clients_blocked(mode) == "writes")


@dataclass(frozen=True)
class Budgets:
    access_exclusive_seconds: float | None = None  # the longest ACCESS EXCLUSIVE a statement holds
    share_seconds: float | None = None  # the longest write-blocking lock (SHARE ... EXCLUSIVE) it holds
    rewrite_rows: int | None = None  # no table (or index) holding more rows than this rewritten
    phase_wal_mb: float | None = None  # WAL one phase's apply makes
    phase_seconds: float | None = None  # one phase's apply, statement time summed

    @property
    def any(self) -> bool:
        return any(value is not None for value in vars(self).values())


def over_budget(rehearsal, budgets: Budgets) -> list[Finding]:
    found = []
    for phase in rehearsal.phases:
        for s in phase.statements:
            where = (_relative(s.path), s.line)
            said = f"{s.action} of {Path(s.path).name}" + (f", batch {s.batch}" if s.batch else "")
            hold = s.longest(("AccessExclusiveLock",))
            if budgets.access_exclusive_seconds is not None and hold and \
                    hold.held_seconds > budgets.access_exclusive_seconds:
                found.append(Finding(*where, 1, "budget-access-exclusive",
                                     f"{said} held ACCESS EXCLUSIVE on {hold.relation} for {hold.held_seconds:g} s, "
                                     f"budget {budgets.access_exclusive_seconds:g} s"))
            hold = s.longest(WRITE_BLOCKING)
            if budgets.share_seconds is not None and hold and hold.held_seconds > budgets.share_seconds:
                found.append(Finding(*where, 1, "budget-share",
                                     f"{said} held {hold.mode} on {hold.relation} for {hold.held_seconds:g} s "
                                     f"(writes wait), budget {budgets.share_seconds:g} s"))
            for relation, rows in s.rewritten:
                if budgets.rewrite_rows is not None and rows > budgets.rewrite_rows:
                    found.append(Finding(*where, 1, "budget-rewrite",
                                         f"{said} rewrote {relation} ({rows:,} rows), budget: no rewrite over "
                                         f"{budgets.rewrite_rows:,} rows"))
        first = next((s for s in phase.statements if s.action == "apply"), None)
        if first is None:
            continue
        where = (_relative(first.path), 1)
        wal_mb = phase.wal_bytes("apply") / 1024 / 1024
        if budgets.phase_wal_mb is not None and wal_mb > budgets.phase_wal_mb:
            found.append(Finding(*where, 1, "budget-phase-wal", f"phase {phase.phase} made {wal_mb:.1f} MB of WAL, "
                                                                f"budget {budgets.phase_wal_mb:g} MB"))
        if budgets.phase_seconds is not None and phase.seconds("apply") > budgets.phase_seconds:
            found.append(Finding(*where, 1, "budget-phase-seconds",
                                 f"phase {phase.phase} took {phase.seconds('apply'):g} s, budget "
                                 f"{budgets.phase_seconds:g} s"))
    return found


def _relative(path: str) -> str:
    """migrations/0101_x.sql, as lint names files."""
    parts = Path(path).parts
    return str(Path(*parts[-2:])) if len(parts) >= 2 else path
