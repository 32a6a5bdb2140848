"""Starting a project and adding a step: `toolkit init` and `toolkit new`.

Like `alembic revision`, `sqitch add` and `dbmate new`, `new` writes the next numbered file pair from a
template. A new migration holds no statement until its author writes one, so the runner refuses it
("holds no SQL statement") instead of applying an empty step. Check templates live in
validation/templates/, where a team can edit them; `new` copies them when it starts a phase.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import BadInput
from .lint.style import DEFAULT_CONFIG
from .plan import MIGRATION_NAME, TEMPLATES_FOLDER

MAX_STEP = 99

_HEADER = """\
-- {name}: what this migration does, in one sentence.
-- Serves: the design document or ticket it implements.
-- Departures: what it deliberately does differently from that document, and why.
"""

_BODIES = {
    "plain": ("""\
-- Write the change below. The file runs in one transaction with its history row; lock_timeout
-- and retries are the runner's. A file with no statement is refused, never applied.
""", """\
-- Undo exactly what migrations/{name}.sql does, newest change first. If it cannot be undone,
-- replace this file's content with:  -- toolkit:irreversible REASON
"""),
    "concurrent": ("""\
-- A concurrent index build runs outside a transaction, statement by statement; a rerun after a
-- crash resumes where it stopped, and an INVALID index left by a failed build is rebuilt.
-- Name every index: a rerun looks it up (IF NOT EXISTS is not needed; several builds may share the file):
-- CREATE INDEX CONCURRENTLY IF NOT EXISTS {label}_idx ON table_name (column_name);
""", """\
-- DROP INDEX CONCURRENTLY IF EXISTS {label}_idx;
"""),
    "batch": ("""\
-- A batched data step: the statement below the directive runs again and again, each batch its own
-- short transaction, until it touches no row. It must pick only rows not yet done, and limit
-- itself with current_setting('toolkit.batch_size') (apply --batch-size, --batch-pause).
-- It returns its key, so each batch starts after the greatest key the one before returned
-- (toolkit.batch_after, '' before the first): without that, every batch walks the done rows
-- again from the start. At the end the runner looks from the start once more.
-- toolkit:batch
-- UPDATE table_name SET new_column = old_column
-- WHERE
--     id IN (
--         SELECT id FROM table_name
--         WHERE
--             id > coalesce(nullif(current_setting('toolkit.batch_after', true), '')::bigint, 0)
--             AND new_column IS null AND old_column IS NOT null
--         ORDER BY id
--         LIMIT current_setting('toolkit.batch_size')::integer
--     )
-- RETURNING id;
""", """\
-- Undo the backfill (it may be batched too), or, if the old values are gone for good:
-- -- toolkit:irreversible REASON
"""),
}

_CHECKS = {
    "pre": """\
-- Checks before the phase. A check is a named query that changes nothing; it passes when it
-- returns no rows, or one row whose single value is 0 or false. Say what the phase relies on.

-- check: no_invalid_indexes
-- An INVALID index (left by a failed concurrent build) is skipped by IF NOT EXISTS, silently.
SELECT count(*) AS invalid_indexes FROM pg_index WHERE NOT indisvalid;
""",
    "post": """\
-- Checks after the phase: what it promises. A failing post-check rolls the phase back.

-- check: no_invalid_indexes
SELECT count(*) AS invalid_indexes FROM pg_index WHERE NOT indisvalid;
""",
}

_PGTAP_CHECKS = {
    "pre": """\
-- Checks before the phase, in pgTAP (https://pgtap.org): each test is a check, and a failing one stops
-- the phase before it changes anything. The file runs in one transaction that is rolled back.
-- The database needs pgTAP: CREATE EXTENSION pgtap (Debian: postgresql-NN-pgtap).
SELECT plan(1);

SELECT is_empty(
    'SELECT indexrelid FROM pg_index WHERE NOT indisvalid',
    'no INVALID index (a failed concurrent build) is left over'
);

SELECT finish();
""",
    "post": """\
-- Checks after the phase, in pgTAP: what it promises (has_table, col_not_null, fk_ok, results_eq, ...).
-- A failing test rolls the phase back.
SELECT plan(1);

SELECT is_empty(
    'SELECT indexrelid FROM pg_index WHERE NOT indisvalid',
    'no INVALID index (a failed concurrent build) is left over'
);

SELECT finish();
""",
}

_PROJECT_FILE = """\
# This project's defaults for toolkit's options: a key is an option's long name without the dashes; a key at
# the top applies to every command that has it, a table ([apply], [fleet.apply]) to one command. The command
# line wins. Never a password here: ~/.pgpass, a service file or PGPASSWORD.
# dsn = "service=platform"
# history-schema = "toolkit"  # where the database keeps what was applied, by whom (created by the first apply)
# lock-timeout = 0.2
# statement-timeout = 0
# max-slowdown = 20
# max-replica-lag = 1.0
# pg-major = 15
# [rollback]
# lock-wait = 30
"""

_PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that
# touches SQL is linted the way CI lints it.
repos:
  - repo: local
    hooks:
      - id: toolkit-lint
        name: toolkit lint (sqlfluff style, lock safety, structure)
        entry: toolkit lint --changed
        language: system
        files: ^(migrations|rollbacks|validation)/.*\\.sql$|^\\.sqlfluff$
        pass_filenames: false
"""

README_SECTION = """\
## Database migrations (toolkit)

`migrations/PPSS_name.sql` is phase PP, step SS; `rollbacks/` holds a file of the same name
undoing exactly it; `validation/PP_pre.sql` and `PP_post.sql` hold the phase's checks.

    toolkit new add_orders --phase 1      # the next step and its rollback
    toolkit lint                          # style, lock safety, structure
    toolkit apply --dry-run               # what would run, and how
    toolkit apply                         # every pending phase; rolls back on failure
    toolkit status
"""


def init_project(directory: Path | str = ".", checks: str = "queries") -> list[Path]:
    """Writes the layout into `directory` and returns what it wrote; refuses a folder holding migrations.
    checks="pgtap": the check templates are pgTAP files (the database then needs `CREATE EXTENSION pgtap`)."""
    root = Path(directory)
    if checks not in ("queries", "pgtap"):
        raise BadInput(f"--checks: queries or pgtap, not {checks!r}")
    for folder in ("migrations", "rollbacks"):
        if (root / folder).is_dir() and any((root / folder).glob("*.sql")):
            raise BadInput(f"{root / folder} already holds migrations: this is a project already "
                           "(`toolkit new NAME` adds a step)")
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root} is a file, not a folder")
    written = []
    for folder in ("migrations", "rollbacks"):
        written += _write(root / folder / ".gitkeep", "")
    for when, text in (_PGTAP_CHECKS if checks == "pgtap" else _CHECKS).items():
        written += _write(root / "validation" / TEMPLATES_FOLDER / f"{when}.sql", text)
    written += _write(root / ".sqlfluff", DEFAULT_CONFIG)
    written += _write(root / ".pre-commit-config.yaml", _PRE_COMMIT)
    written += _write(root / "toolkit.toml", _PROJECT_FILE)
    readme = root / "README.md"
    if not readme.exists():
        written += _write(readme, README_SECTION)
    elif README_SECTION.splitlines()[0] not in readme.read_text(encoding="utf-8", errors="replace"):
        with readme.open("a", encoding="utf-8") as file:
            file.write("\n" + README_SECTION)
        written.append(readme)
    return written


def new_migration(project: Path | str, name: str, phase: int | None = None, kind: str = "plain") -> list[Path]:
    """Writes the next numbered migration of `phase` (default: the newest phase, or 1) and its rollback, and the
    phase's check files from validation/templates/ when the phase is new. Returns what it wrote."""
    root = Path(project)
    if kind not in _BODIES:
        raise BadInput(f"unknown kind of step {kind!r} (kinds: {', '.join(_BODIES)})")
    forward, backward = _BODIES[kind]

    def texts(file_name: str, label: str) -> tuple[str, str]:
        return tuple((_HEADER + body).format(name=file_name, label=label) for body in (forward, backward))

    return write_step(root, name, phase, texts)


def write_step(root: Path, name: str, phase: int | None, texts) -> list[Path]:
    """The next numbered migration `name` of `phase` (default: the newest phase, or 1) and its rollback, with
    the texts `texts(file_name, label)` returns, and the phase's check files when the phase is new."""
    label = _label(name)
    if not (root / "migrations").is_dir() or not (root / "rollbacks").is_dir():
        raise BadInput(f"{root} has no migrations/ and rollbacks/: run `toolkit init {root}` first")
    taken = _steps(root)
    if any(existing == label for steps in taken.values() for _, existing in steps):
        raise BadInput(f"a migration named {label} exists already in {root / 'migrations'}")
    phase = phase if phase is not None else max(taken, default=1)
    step = max((s for s, _ in taken.get(phase, ())), default=0) + 1
    if step > MAX_STEP:
        raise BadInput(f"phase {phase} is full ({MAX_STEP} steps): start phase {phase + 1} with --phase {phase + 1}")
    file_name = f"{phase:02d}{step:02d}_{label}"
    migration, rollback = texts(file_name, label)
    written = _write(root / "migrations" / f"{file_name}.sql", migration)
    written += _write(root / "rollbacks" / f"{file_name}.sql", rollback)
    if phase not in taken:
        written += write_phase_checks(root, phase)
    return written


def write_phase_checks(root: Path, phase: int, extra_post: str = "") -> list[Path]:
    """validation/PP_pre.sql and PP_post.sql for a new phase, from validation/templates/ (else the built-in
    ones), the post-checks followed by `extra_post`."""
    written = []
    for when, text in _CHECKS.items():
        template = root / "validation" / TEMPLATES_FOLDER / f"{when}.sql"
        text = template.read_text(encoding="utf-8") if template.is_file() else text
        written += _write(root / "validation" / f"{phase:02d}_{when}.sql", text + (extra_post if when == "post" else ""))
    return written


def _label(name: str) -> str:
    label = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not label or not MIGRATION_NAME.match(f"0101_{label}.sql"):
        raise BadInput(f"migration name {name!r} gives no snake_case label (letters, digits, underscores)")
    return label


def _steps(root: Path) -> dict[int, list[tuple[int, str]]]:
    steps: dict[int, list[tuple[int, str]]] = {}
    for path in (root / "migrations").glob("*.sql"):
        if match := MIGRATION_NAME.match(path.name):
            steps.setdefault(int(match["phase"]), []).append((int(match["step"]), match["label"]))
    return steps


def _write(path: Path, text: str) -> list[Path]:
    """Writes a new file; an existing one is kept (a team's own .sqlfluff, checks or hook)."""
    if path.exists():
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [path]
