"""Drift made into SQL: `toolkit diff --sql` (the statements that make the database what the migrations build,
or with `reverse` the other way) and `toolkit new NAME --from-diff` (the database's drift written as new steps
with their rollbacks, so the migrations build what the database has).

The statements come from catalog/changes.py. A new step is one migration per kind of step it needs (index
drops, the transactional changes, index builds, validations), numbered in that order, each with the rollback
of exactly its statements. Written files get the project's sqlfluff style (`lint --fix`'s fixer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..catalog.changes import ChangeSet, as_sql, plan_changes
from ..connection import Target
from ..lint.style import fix_files
from ..runner.progress import Progress
from ..runner.session import Settings
from ..scaffold import write_step

_DATABASE, _MIGRATIONS = "in the database", "in the migrations"
# each step's file name after the NAME the DBA gives (the transactional step keeps it bare)
_SUFFIX = {"drop indexes": "_drop_indexes", "main": "", "build indexes": "_indexes", "validate": "_validate"}


@dataclass
class Capture:
    """What `new --from-diff` wrote, and the differences it could not write a statement for."""

    database: str
    phases: list[int]
    written: list[Path] = field(default_factory=list)
    not_generated: list[str] = field(default_factory=list)


def drift_sql(target: Target, phase: int | None = None, *, reverse: bool = False, settings: Settings = Settings(),
              with_privileges: bool = False, progress: Progress = Progress()) -> tuple[ChangeSet, str]:
    """The changes that take the target to what the migrations through `phase` build (reverse: the other way),
    and them as one script psql can run."""
    from .. import api

    phases, expected, actual = api.inspect_both(target, phase, settings=settings, with_privileges=with_privileges,
                                                progress=progress)
    span = f"phases {phases[0]}-{phases[-1]}" if len(phases) > 1 else f"phase {phases[0]}"
    if reverse:
        changes = plan_changes(expected, actual, _MIGRATIONS, _DATABASE)
        heading = f"toolkit diff --sql --reverse: what {span} build, made into {target.describe()}"
    else:
        changes = plan_changes(actual, expected, _DATABASE, _MIGRATIONS)
        heading = f"toolkit diff --sql: {target.describe()} made into what {span} build"
    return changes, as_sql(changes, heading)


def new_from_diff(target: Target, name: str, phase: int | None = None, *, compared: int | None = None,
                  settings: Settings = Settings(), progress: Progress = Progress()) -> Capture:
    """Writes what the target has and the migrations through `compared` (default: its newest applied phase)
    do not build as new steps NAME... of `phase` (default: the phase compared). Then `diff` finds nothing
    there, and `adopt --phase N` records the new steps as applied in that database."""
    from .. import api

    phases, expected, actual = api.inspect_both(target, compared, settings=settings, progress=progress)
    changes = plan_changes(expected, actual, _MIGRATIONS, _DATABASE)
    capture = Capture(target.describe(), phases, not_generated=changes.not_generated)
    root = Path(settings.project)
    for step in changes.steps:
        capture.written += write_step(root, name + _SUFFIX[step], phase if phase is not None else phases[-1],
                                      lambda file_name, _label, step=step: _texts(changes, step, file_name, capture))
    if capture.written:
        fix_files(root, [p for p in capture.written if p.parent.name in ("migrations", "rollbacks")])
    return capture


def _texts(changes: ChangeSet, step: str, file_name: str, capture: Capture) -> tuple[str, str]:
    span = f"{capture.phases[0]}-{capture.phases[-1]}"
    header = (f"-- {file_name}: what the database has and phases {span} did not build (toolkit new --from-diff,\n"
              f"-- {date.today().isoformat()}, against {capture.database}).\n"
              f"-- Serves: the drift `toolkit diff` found there; each change says which difference it answers.\n"
              f"-- Departures: none written by hand yet; review every statement before committing.\n")
    forward, backward, irreversible = [], [], []
    for change in changes.step(step):
        if change.do:
            lines = [f"-- {change.said}"] if change.said else []
            if change.drops_data:
                lines.append("-- toolkit:allow drop-in-migration because the database this step was captured from "
                             "has dropped it already")
            forward.append("\n".join(lines + [statement + ";" for statement in change.do]))
        if change.undo is None:
            irreversible.append(change.irreversible)
        else:
            backward.insert(0, "\n".join(s + ";" for s in change.undo))
    rollback = header + (f"-- toolkit:irreversible {'; '.join(irreversible)}\n" if irreversible else
                         "\n" + "\n\n".join(b for b in backward if b) + "\n")
    return header + "\n" + "\n\n".join(forward) + "\n", rollback
