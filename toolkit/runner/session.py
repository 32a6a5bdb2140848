"""Running phases on one locked connection: the apply pipeline and the rollbacks.

`Session.apply_phase` is the pipeline: pre-checks, key-query baseline, migrations,
post-checks, key-query comparison; any failure after the first migration rolls
back what this run applied, newest first, and proves the schema is as before.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ..catalog.fingerprint import Fingerprint, take_fingerprint
from ..catalog.inspect import NOT_COMPARED
from ..connection import Target
from ..errors import (
    BadInput,
    ConnectionLost,
    HumanNeeded,
    PlanError,
    PreCheckFailed,
    RollbackCause,
    RolledBack,
    StepFailed,
)
from ..plan import Migration, Phase
from .batches import Batching
from .checks import CheckResult, require_pgtap, run_checks
from .executor import Executor, Timeouts
from .history import DEFAULT_SCHEMA, History
from .performance import measure, slowdowns, wrong_queries
from .progress import Progress
from .results import PhaseResult, StepResult
from .runlock import refuse_transaction_pooler, runner_lock


@dataclass(frozen=True)
class Settings:
    project: Path = Path(".")
    lock_wait: float = 30.0  # seconds a second runner waits for the first
    timeouts: Timeouts = field(default_factory=Timeouts)
    batching: Batching = field(default_factory=Batching)
    max_slowdown: float = 0.20  # roll back when a key query gets >20% slower
    key_query_runs: int = 5  # EXPLAIN ANALYZE runs per key query; the median counts
    strict_proof: bool = False  # a rollback's proof fails on column order and body whitespace too
    history_schema: str = DEFAULT_SCHEMA  # where the target's history tables live (toolkit.toml history-schema)


class Session:
    """A connection that holds the runner lock, with its history and executor."""

    def __init__(self, conn, progress: Progress, settings: Settings):
        self.conn = conn
        self.progress = progress
        self.settings = settings
        self.history = History(conn, settings.history_schema)
        self.executor = Executor(conn, self.history, settings.timeouts, progress, settings.batching)
        self.where = "the start"  # what the run was doing, for a connection lost outside a statement

    def apply_phase(self, phase: Phase) -> PhaseResult:
        """Pre-checks, key-query baseline, migrations, post-checks, key-query comparison.
        Any failure after the first migration rolls back what this run applied."""
        applied = self.history.applied()
        pending = [m for m in phase.migrations if m.name not in applied]
        result = PhaseResult(phase.number, "apply")
        self.progress.phase_started(phase, pending)
        # resumed: some of its migrations applied, or one interrupted half way (a concurrent build, a batch)
        resuming = len(pending) < len(phase.migrations) or any(
            self.history.statements_done(m, "apply") is not None for m in pending)
        self._pre_validate(phase, resuming, result)
        speed_before = self._measure_key_queries(phase, "before", resuming)
        before = self._schema_before(phase, resuming)
        ran = self._run_migrations(phase, pending, before, result)
        self._post_validate(phase, ran, before, result)
        self._compare_key_queries(phase, speed_before, ran, before, result)
        return result

    def _pre_validate(self, phase: Phase, resuming: bool, result: PhaseResult) -> None:
        require_pgtap(self.conn, phase.pre_checks + phase.post_checks)  # refused before anything runs
        if resuming:
            # After a crash or a data-level rollback the state the pre-checks describe is
            # gone by design; the post-checks still decide.
            self.progress.note(f"phase {phase.number} is partly applied: resuming; pre-checks skipped")
            return
        result.pre_checks = self._checks(phase, "pre", phase.pre_checks)
        failed = [r for r in result.pre_checks if not r.passed]
        if failed:
            raise PreCheckFailed(phase.number, failed)

    def _schema_before(self, phase: Phase, resuming: bool) -> Fingerprint:
        """This run's rollback restores the fingerprint taken now; a later manual rollback of the whole phase
        restores the one kept from before its first migration (a resumed run keeps the first run's)."""
        self.where = f"phase {phase.number}'s fingerprint before it ran"
        before = take_fingerprint(self.conn)
        if not resuming:
            self.history.keep_fingerprint(phase.number, before)
        return before

    def _run_migrations(self, phase: Phase, pending, before: Fingerprint, result: PhaseResult) -> list[Migration]:
        ran: list[Migration] = []
        for migration in pending:
            self.where = f"{migration.apply_script.path} (its history row)"
            ran.append(migration)
            try:
                result.steps.append(StepResult(migration.name, "apply", self.executor.apply(migration)))
            except StepFailed as failure:
                if migration.apply_script.transactional:
                    ran.pop()  # its transaction already undid it
                self._undo(phase, ran, before,
                           RollbackCause("step", f"{migration.name} failed: {failure}", notes=failure.notes), result)
        return ran

    def _post_validate(self, phase: Phase, ran, before: Fingerprint, result: PhaseResult) -> None:
        result.post_checks = self._checks(phase, "post", phase.post_checks)
        failed = [r for r in result.post_checks if not r.passed]
        if failed:
            message = "post-validation failed: " + "; ".join(r.describe() for r in failed)
            self._undo(phase, ran, before, RollbackCause("check", message, failed), result)

    def _measure_key_queries(self, phase: Phase, when: str, resuming: bool = False) -> dict:
        if not phase.key_queries:
            return {}
        self.where = f"phase {phase.number}'s key queries ({when})"
        if resuming:
            # what the tables hold mid-phase is not what they held before it: a "before" taken now would blame
            # the phase for its own first half
            self.progress.note(f"phase {phase.number} is resumed: its key queries are not compared (their speed "
                               "before the phase was not measured on this run)")
            return {}
        measured = measure(self.conn, phase.key_queries, self.settings.key_query_runs)
        self.progress.key_queries_measured(phase, when, measured)
        wrong = wrong_queries(measured, phase.key_queries)
        if wrong and when == "before":  # after the phase, a query that stopped running counts as slower
            query = wrong[0]
            error = measured[query.name].error
            if "statement timeout" in error:  # not the query's fault: a setting of the role or the database
                limit = self.conn.execute("SELECT reset_val || coalesce(unit, '') FROM pg_settings "
                                          "WHERE name = 'statement_timeout'").fetchone()[0]
                raise BadInput(f"key query {query.name} ({query.path}:{query.line}) was cancelled by "
                               f"statement_timeout = {limit}, set for this role or database, not by the toolkit: "
                               "raise it for the role (ALTER ROLE ... SET statement_timeout) to measure key queries")
            raise PlanError(query.path, f"key query {query.name} cannot run: {error}", query.line)
        return measured

    def _compare_key_queries(self, phase: Phase, speed_before: dict, ran, before: Fingerprint, result) -> None:
        if not speed_before:
            return
        result.key_queries = {"before": speed_before, "after": self._measure_key_queries(phase, "after")}
        slower = slowdowns(speed_before, result.key_queries["after"], phase.key_queries, self.settings.max_slowdown)
        if slower:
            message = "; ".join(s.describe() for s in slower)
            self._undo(phase, ran, before, RollbackCause("slowdown", message, slower), result)

    def roll_back_phase(self, phase: Phase, only: tuple[Migration, ...] | None = None) -> PhaseResult:
        applied = self.history.applied()
        chosen = [m for m in phase.migrations if m.name in applied and (only is None or m in only)]
        result = PhaseResult(phase.number, "rollback")
        self.progress.phase_started(phase, chosen)
        for migration in reversed(chosen):
            if migration.name in applied:
                result.steps.append(StepResult(migration.name, "rollback", self._roll_back(phase, migration, result)))
        if only is None:
            self._prove_restored(phase, result)
        return result

    def _prove_restored(self, phase: Phase, result: PhaseResult) -> None:
        """A manual rollback proves what it restored, as the automatic one does: against the fingerprint kept
        when the phase was applied."""
        before = self.history.fingerprint_before(phase.number)
        if before is None or not before.comparable:
            why = "no fingerprint was kept when it was applied (an older toolkit, or adopted)" if before is None \
                else "the fingerprint kept when it was applied is an older toolkit's, which compared fewer kinds"
            self.progress.note(f"phase {phase.number}: {why}: the restored schema is not compared")
            result.proof = f"schema not compared: {why}"
            return
        after = take_fingerprint(self.conn)
        failing, unrestorable = before.compare(after, "before it was applied", "after its rollback",
                                               self.settings.strict_proof)
        if failing:
            raise HumanNeeded(f"phase {phase.number} was rolled back, but the schema differs from before it was "
                              "applied: its rollbacks do not undo exactly what its migrations did",
                              differences=failing + unrestorable, result=result)
        self._say_proven(phase, "before it was applied", unrestorable)
        result.proof = (f"schema matches its fingerprint from before phase {phase.number} was applied"
                        + (f", except {len(unrestorable)} thing(s) no rollback can restore" if unrestorable else ""))
        self.history.forget_fingerprint(phase.number)

    def _undo(self, phase: Phase, ran: list[Migration], before: Fingerprint, cause: RollbackCause, result):
        """Roll back what this run applied, newest first, then prove the schema is as before."""
        self.progress.note(f"phase {phase.number}: {cause.message}; rolling back {len(ran)} migration(s)")
        for migration in reversed(ran):
            self._roll_back(phase, migration, result, cause)
        after = take_fingerprint(self.conn)
        failing, unrestorable = before.compare(after, "before the phase", "after the rollback",
                                               self.settings.strict_proof)
        if failing:
            raise HumanNeeded(
                f"phase {phase.number} was rolled back after: {cause.message}; "
                "but the schema differs from before the phase",
                differences=failing + unrestorable,
                result=result,
            )
        self._say_proven(phase, "before the phase", unrestorable)
        raise RolledBack(phase.number, cause, result)

    def _say_proven(self, phase: Phase, when: str, unrestorable: list[str]) -> None:
        if unrestorable:  # said, kept in history, not a failure (--strict makes them one)
            detail = "restored except what no rollback can restore: " + "; ".join(unrestorable)
            self.history.log("rollback", "ok", phase=phase.number, detail=detail)
            self.progress.note(f"phase {phase.number}: the schema is as {when} except what no rollback can "
                               f"restore (run with --strict to fail on these):")
            for line in unrestorable:
                self.progress.note(f"  {line}")
        self.progress.note(f"phase {phase.number}: the schema is proven as {when} (every kind pg_dump writes; "
                           f"not compared: {NOT_COMPARED})")

    def _roll_back(self, phase: Phase, migration: Migration, result, cause: RollbackCause | None = None) -> int:
        self.where = f"{migration.rollback_script.path} (its history row)"
        after = f" (rolling back after: {cause.message})" if cause else ""
        if migration.irreversible:  # only an automatic rollback gets here: a manual one is refused before
            raise HumanNeeded(f"{migration.name} cannot be rolled back: irreversible ({migration.irreversible})"
                              f"{after}; phase {phase.number} now has applied: {self._still_applied(phase)}",
                              result=result)
        try:
            return self.executor.roll_back(migration)
        except StepFailed as failure:
            raise HumanNeeded(
                f"rollback of {migration.name} failed: {failure}{after}; "
                f"phase {phase.number} now has applied: {self._still_applied(phase)}",
                notes=failure.notes, result=result,
            ) from failure

    def _still_applied(self, phase: Phase) -> str:
        names = {m.name for m in phase.migrations}
        return ", ".join(sorted(m for m in self.history.applied() if m in names)) or "nothing"

    def _checks(self, phase: Phase, when: str, checks) -> list[CheckResult]:
        self.where = f"phase {phase.number}'s {when}-checks ({checks[0].path if checks else 'none'})"
        results = run_checks(self.conn, checks, self.history)
        self.progress.checks_finished(phase, when, results)
        return results


@contextmanager
def locked_session(target: Target, settings: Settings, progress: Progress, purpose: str):
    conn = target.connect(f"toolkit {purpose}")
    try:
        refuse_transaction_pooler(target, conn)
        # If this process dies, the server notices within a second, even mid-statement,
        # ends the backend and so frees the runner lock (PostgreSQL 14+).
        if conn.info.server_version >= 140000:
            conn.execute("SET client_connection_check_interval = '1s'")
        # The runner's own reads and writes (history, fingerprints, checks) run without the role's
        # statement_timeout (a role's 1 ms cancelled them: a run that changed nothing ended 'a human is
        # needed'); the migrations' statements get --statement-timeout from the executor, and key queries
        # the role's own (toolkit/runner/performance.py), as before.
        conn.execute("SET statement_timeout = 0")
        with runner_lock(conn, settings.lock_wait, say=progress.note):
            session = Session(conn, progress, settings)
            session.history.install()
            try:
                yield session
            except psycopg.OperationalError as exc:
                if not conn.broken:
                    raise
                # outside any statement of a migration (those say their file and line themselves)
                reason = exc.diag.message_primary or " ".join(str(exc).split())
                raise ConnectionLost(session.where, reason) from exc
    finally:
        conn.close()
