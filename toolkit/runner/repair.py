"""`toolkit repair`: the states a human must resolve, and explicit, logged ways out.

Without actions it only reports. Each action names the migration it acts on, is
refused unless that migration is in the state the action is for, runs under the
runner lock, and leaves a 'repair' row in history. Like Flyway's repair, but
nothing is ever marked silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..connection import Target
from ..errors import BadInput, describe_holder
from ..plan import load_plan
from ..plan.rerun import idempotent
from .history import History
from .progress import Progress
from .runlock import other_runner
from .session import Settings, locked_session


@dataclass
class Problem:
    kind: str  # running, interrupted, rollback_interrupted, failed_rollback, checksum_changed, missing_file, invalid_index
    subject: str  # a migration name, or an index
    detail: str
    ways_out: list[str] = field(default_factory=list)
    needs_human: bool = True  # False: a plain rerun of apply fixes it


@dataclass
class RepairActions:
    mark_applied: tuple[str, ...] = ()
    mark_rolled_back: tuple[str, ...] = ()
    accept_checksum: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.mark_applied or self.mark_rolled_back or self.accept_checksum or self.forget)


@dataclass
class RepairReport:
    problems: list[Problem]
    done: list[str]


# The states each action may act on.
_ALLOWED = {
    "mark_applied": {"interrupted", "failed_apply"},
    "mark_rolled_back": {"rollback_interrupted", "failed_rollback"},
    "accept_checksum": {"checksum_changed"},
    "forget": {"missing_file"},
}


def find_problems(conn, settings: Settings) -> list[Problem]:
    plan = load_plan(settings.project)
    history = History(conn, settings.history_schema)
    applied, events = history.applied(), history.last_events()
    holder = other_runner(conn)
    problems = []
    for m in plan.migrations:
        event, is_applied = events.get(m.name), m.name in applied
        if event and event.outcome == "started" and holder:  # not stopped: another runner is on it right now
            problems.append(Problem("running", m.name, f"{event.action} running now ({describe_holder(holder)}); "
                                    "nothing to repair while it runs", ["wait for it: toolkit status"],
                                    needs_human=False))
            continue
        if event and event.outcome == "started" and not is_applied:
            # a rerun resumes at the statement that was running; only one that is not safe to run twice needs a look
            resumable = all(s.batched or idempotent(s.node) for s in m.apply_script.statements)
            problems.append(Problem("interrupted", m.name, f"apply of a non-transactional migration stopped at "
                                    f"{event.recorded_at:%Y-%m-%d %H:%M:%S}"
                                    + ("; a rerun resumes it" if resumable else ""),
                                    ["toolkit apply  (resumes it where it stopped)",
                                     f"toolkit repair --mark-applied {m.name}  (if you finished it by hand)"],
                                    needs_human=not resumable))
        if event and event.outcome == "failed" and event.action == "apply" and not is_applied \
                and not m.apply_script.transactional:
            problems.append(Problem("failed_apply", m.name, f"non-transactional apply failed: {event.detail}",
                                    ["toolkit apply  (retries it)",
                                     f"toolkit repair --mark-applied {m.name}  (if you finished it by hand)"]))
        if event and event.action == "rollback" and is_applied and event.outcome in ("started", "failed"):
            kind = "rollback_interrupted" if event.outcome == "started" else "failed_rollback"
            problems.append(Problem(kind, m.name, event.detail or "rollback stopped half way",
                                    [f"toolkit rollback --phase {m.phase}  (retries it)",
                                     f"toolkit repair --mark-rolled-back {m.name}  (if you undid it by hand)"]))
        if is_applied and applied[m.name].checksum != m.checksum:
            problems.append(Problem("checksum_changed", m.name, "the file changed after it was applied",
                                    ["restore the file as applied (git log -p)",
                                     f"toolkit repair --accept-checksum {m.name}  (only for a change that alters "
                                     "nothing, e.g. a comment)"]))
    known = {m.name for m in plan.migrations}
    for name in sorted(set(applied) - known):
        problems.append(Problem("missing_file", name, "applied, but its file is gone from migrations/",
                                ["restore the file", f"toolkit repair --forget {name}  (if it was undone by hand)"]))
    for (index,) in conn.execute(
            """SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE NOT i.indisvalid ORDER BY 1""").fetchall():
        problems.append(Problem("invalid_index", index, "INVALID: a concurrent build or reindex failed (or is running right now)",
                                ["toolkit apply  (rebuilds it, when a pending migration builds it)",
                                 f"DROP INDEX CONCURRENTLY {index};  (if nothing needs it)"]))
    return problems


def repair(target: Target, actions: RepairActions = RepairActions(), *, settings: Settings = Settings(),
           progress: Progress = Progress()) -> RepairReport:
    if not actions:
        with target.connect("toolkit repair") as conn:
            return RepairReport(find_problems(conn, settings), [])
    plan = load_plan(settings.project)
    by_name = {m.name: m for m in plan.migrations}
    with locked_session(target, settings, progress, "repair") as session:
        problems = find_problems(session.conn, settings)
        states = {(p.kind, p.subject) for p in problems}
        done = []
        with session.conn.transaction():
            for action, names in (("mark_applied", actions.mark_applied), ("mark_rolled_back", actions.mark_rolled_back),
                                  ("accept_checksum", actions.accept_checksum), ("forget", actions.forget)):
                for name in names:
                    if not any((kind, name) in states for kind in _ALLOWED[action]):
                        raise BadInput(f"repair --{action.replace('_', '-')} {name}: {name} is not in a state "
                                       f"that needs it ({', '.join(sorted(_ALLOWED[action]))}); see toolkit repair")
                    reason = f"repair {action} by hand"
                    if action == "mark_applied":
                        session.history.set_applied(by_name[name], reason)
                    elif action == "accept_checksum":
                        session.history.set_checksum(by_name[name], reason)
                    else:
                        phase = by_name[name].phase if name in by_name else int(name[:2])
                        session.history.set_not_applied(name, phase, reason)
                    done.append(f"{action} {name}")
        return RepairReport(find_problems(session.conn, settings), done)
