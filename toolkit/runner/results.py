"""What the commands return: plain data, JSON-ready (the CLI renders it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog.inspect import NOT_COMPARED
from .checks import CheckResult


@dataclass
class StepResult:
    migration: str
    action: str
    duration_ms: int


@dataclass
class PhaseResult:
    phase: int
    action: str
    steps: list[StepResult] = field(default_factory=list)
    pre_checks: list[CheckResult] = field(default_factory=list)
    post_checks: list[CheckResult] = field(default_factory=list)
    key_queries: dict = field(default_factory=dict)  # {"before": {...}, "after": {...}} Measurements
    proof: str | None = None  # a rollback's: what its restored schema was proven against, or why it was not


@dataclass
class PlannedStatement:
    line: int
    mode: str  # "transaction" or "autocommit"
    text: str
    # table locks readers or writers would wait for, e.g. "AccessExclusiveLock on users"
    stalling_locks: list[str] = field(default_factory=list)


@dataclass
class PlannedStep:
    migration: str
    action: str
    path: str
    statements: list[PlannedStatement]


@dataclass
class PlannedPhase:
    phase: int
    pre_checks: list[str]
    steps: list[PlannedStep]
    post_checks: list[str]


@dataclass
class MigrationStatus:
    migration: str
    phase: int
    state: str  # applied, pending, failed, running, interrupted, rollback_running, rollback_interrupted,
    # missing_file
    applied_at: str | None = None
    duration_ms: int | None = None
    checksum: str | None = None  # ok, changed; None when not applied


@dataclass
class PhaseStatus:
    phase: int
    state: str  # applied, pending, partial
    migrations: list[MigrationStatus]


@dataclass
class Status:
    database: str
    phases: list[PhaseStatus]
    unknown: list[MigrationStatus]  # applied, but no longer on disk


@dataclass
class Verification:
    database: str
    empty: str  # fingerprint digests
    applied: str
    rolled_back: str
    reapplied: str | None  # None when the rollback already failed to restore the empty schema
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


@dataclass
class Drift:
    """`toolkit diff`: the database against what the migrations build through `phases`."""

    database: str
    phases: list[int]
    differences: list  # catalog.diff.Difference
    foreign_histories: dict[str, str] = field(default_factory=dict)  # another tool's table -> the tool

    @property
    def equal(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        return [d.describe() for d in self.differences]

    def as_json(self) -> dict:
        return {"database": self.database, "phases": self.phases, "equal": self.equal,
                "differences": [dict(d.as_json(), said=d.describe()) for d in self.differences],
                "other_tools_histories": self.foreign_histories, "not_compared": NOT_COMPARED}
