"""yoyo-migrations: NAME.sql (+ NAME.rollback.sql) or NAME.py, read with yoyo's own reader.

yoyo.read_migrations finds the files the way `yoyo apply` does (post-apply hooks apart, *.rollback.sql
paired), its topological sort orders them by `-- depends:`, and loading a migration gives its
`-- transactional: false` and, for a Python migration, its step() calls. A step whose apply or rollback
is Python code, not SQL, cannot be carried over.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import BadInput
from .source import Part, Source, SourceMigration, read_text, words, year_of


def read(root: Path) -> Source:
    try:  # yoyo's own reader is an extra: most users never convert from yoyo
        from yoyo import exceptions, read_migrations
        from yoyo.migrations import topological_sort
    except ImportError as exc:
        raise BadInput("convert --from yoyo reads the folder with yoyo's own reader, an extra: "
                       "pip install 'pgphase[yoyo]'") from exc

    source = Source("yoyo", root)
    try:
        found = read_migrations(str(root))
        for hook in found.post_apply:
            source.skip(Path(hook.path), "a post-apply hook runs after every yoyo apply: no equivalent here; "
                                         "put what it checks in validation/PP_post.sql")
        ordered = list(topological_sort(found))
    except exceptions.BadMigration as exc:
        raise BadInput(f"{root}: yoyo cannot read it: {' '.join(str(a) for a in exc.args)}") from exc
    except exceptions.MigrationConflict as exc:
        raise BadInput(f"{root}: two yoyo migrations have the id {exc.args[0]}") from exc
    for migration in ordered:
        path = Path(migration.path)
        transactional = bool(migration.use_transactions)
        if migration.is_raw_sql():
            down = path.with_name(path.stem + ".rollback.sql")
            up_part = Part(path, read_text(path), transactional)
            down_part = Part(down, read_text(down), transactional) if down.is_file() else None
        else:
            applies, rollbacks, problem = _python_steps(migration)
            if problem:
                source.skip(path, problem)
                continue
            origin = "its step() calls"
            up_part = Part(path, _script(applies), transactional, origin)
            down_part = Part(path, _script(reversed(rollbacks)), transactional, origin) if rollbacks else None
        source.migrations.append(SourceMigration(
            id=migration.id, description=_description(migration.id), up=up_part, down=down_part,
            year=year_of(migration.id)))
    return source


def _python_steps(migration) -> tuple[list[str], list[str], str | None]:
    """The SQL of a Python migration's steps, in order (yoyo rolls them back in reverse)."""
    applies, rollbacks = [], []
    for step in _leaves(migration.steps):
        apply, rollback = step._apply, step._rollback
        if not isinstance(apply, str) or not (rollback is None or isinstance(rollback, str)):
            return [], [], "a step() runs Python code, not SQL: write it as a SQL migration by hand"
        applies.append(apply)
        if rollback:
            rollbacks.append(rollback)
    return applies, rollbacks, None


def _leaves(steps):
    for step in steps:
        inner = getattr(step, "step", None)
        if hasattr(step, "steps"):  # a group (transaction) of steps
            yield from _leaves(step.steps)
        elif inner is not None:  # a transaction wrapper around one step
            yield inner
        else:
            yield step


def _script(statements) -> str:
    return "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)


_VERSION_PREFIX = re.compile(r"^\d+(?:[._]\d+)*[._-]?(?:[A-Za-z0-9]{5}-)?")


def _description(migration_id: str) -> str:
    # `yoyo new` names files like 20210101_01_AbCdE-create-users (date, sequence, random), others 0001.create-users
    return words(_VERSION_PREFIX.sub("", migration_id) or migration_id)
