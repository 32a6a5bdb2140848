"""Files on disk as a plan: phases of migrations, each with its rollback and checks.

Layout of a project folder:

    migrations/PPSS_name.sql   phase PP, step SS (e.g. 0103_usage_metrics.sql)
    rollbacks/PPSS_name.sql    undoes exactly that migration
    rollbacks/levels/PP_feature.sql  the "feature level" rollback of phase PP: features off, data kept (optional)
    validation/PP_pre.sql      checks run before phase PP
    validation/PP_post.sql     checks run after phase PP
    validation/keys.sql        key queries measured around every phase (slowdown trigger)
    validation/PP_keys.sql     key queries measured around phase PP only
    validation/templates/      pre.sql and post.sql, copied by `toolkit new` into a new phase (not loaded)

Nothing here touches a database: the plan is built, and refused, from files alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pglast import ast

from ..errors import BadInput, Irreversible, PlanError
from .sql import Script, Statement, read_script, unparsed_script

MIGRATION_NAME = re.compile(r"^(?P<phase>\d{2})(?P<step>\d{2})_(?P<label>[a-z0-9]+(?:_[a-z0-9]+)*)\.sql$")
CHECK_FILE_NAME = re.compile(r"^(?P<phase>\d{2})_(?P<when>pre|post)(?:_(?P<label>[a-z0-9]+(?:_[a-z0-9]+)*))?\.sql$")
# pgTAP, said (else a plan(N) / no_plan() call says it); `if-installed`: skipped where pgTAP is not, not refused
PGTAP = re.compile(r"^\s*--\s*toolkit:pgtap(?P<optional>\s+if-installed)?\s*$", re.M)
CHECK_NAME = re.compile(r"--\s*check:\s*(?P<name>[a-z0-9_]+)\s*(?:\n|$)")
# A check that passes when it runs without error (Sqitch's verify scripts): `-- expect: no error` under its name.
EXPECT_NO_ERROR = re.compile(r"^\s*--\s*expect:\s*no error\s*$", re.M)
KEYS_FILE_NAME = re.compile(r"^(?:(?P<phase>\d{2})_)?keys\.sql$")
KEY_NAME = re.compile(r"--\s*key:\s*(?P<name>[a-z0-9_]+)\s*(?:\n|$)")
MAX_SLOWDOWN = re.compile(r"--\s*max-slowdown:\s*(?P<percent>\d+(?:\.\d+)?)\s*%")


@dataclass(frozen=True)
class Migration:
    name: str  # file name without .sql, e.g. "0103_usage_metrics"
    phase: int
    step: int
    apply_script: Script
    rollback_script: Script
    rollback_problem: PlanError | None = None  # its rollback file cannot be run as it is (load_plan(for_apply=True))

    @property
    def checksum(self) -> str:
        return self.apply_script.checksum

    @property
    def irreversible(self) -> str | None:
        """Why it cannot be rolled back, when its rollback says so (-- toolkit:irreversible REASON)."""
        return self.rollback_script.irreversible


@dataclass(frozen=True)
class Check:
    """A named query; it passes when it returns no rows, or one row whose single value is 0 or false (or, with
    `-- expect: no error`, when it runs without error)."""

    name: str
    phase: int
    when: str  # "pre" or "post"
    path: Path
    line: int
    sql: str
    passes_if_it_runs: bool = False
    # a pgTAP file: its statements (line, text), run in order in one transaction that is rolled back; every
    # `ok` / `not ok` they return is a check of its own (toolkit/runner/tap.py)
    tap: tuple[tuple[int, str], ...] = ()
    tap_if_installed: bool = False


@dataclass(frozen=True)
class KeyQuery:
    """A query whose speed the phase must not degrade (an automatic rollback trigger)."""

    name: str
    path: Path
    line: int
    sql: str
    max_slowdown: float | None = None  # None: the run's default (20%)


@dataclass(frozen=True)
class Phase:
    number: int
    migrations: tuple[Migration, ...]
    pre_checks: tuple[Check, ...] = ()
    post_checks: tuple[Check, ...] = ()
    feature_rollback: Script | None = None  # the feature level: switch the phase's features off, keep data
    key_queries: tuple[KeyQuery, ...] = ()

    @property
    def data_steps(self) -> tuple[Migration, ...]:
        """The data level: the migrations that only add or change rows."""
        return tuple(m for m in self.migrations if m.apply_script.changes_only_data)


@dataclass(frozen=True)
class Plan:
    root: Path
    phases: tuple[Phase, ...]

    @property
    def migrations(self) -> tuple[Migration, ...]:
        return tuple(m for p in self.phases for m in p.migrations)

    def phase(self, number: int) -> Phase:
        for phase in self.phases:
            if phase.number == number:
                return phase
        known = ", ".join(str(p.number) for p in self.phases) or "none"
        raise BadInput(f"phase {number} does not exist (phases in {self.root / 'migrations'}: {known})")

    def phases_to_apply(self, applied: set[str], number: int | None = None) -> list[Phase]:
        """Phases that `apply` runs, in order; refuses a phase whose predecessors are pending."""
        pending = [p for p in self.phases if not _all_applied(p, applied)]
        if number is None:
            return pending
        target = self.phase(number)
        earlier = [p.number for p in pending if p.number < number]
        if earlier:
            names = ", ".join(str(n) for n in earlier)
            raise BadInput(f"phase {number} cannot be applied: earlier phase(s) {names} pending; apply them first")
        return [target] if target in pending else []

    def phases_to_roll_back(self, applied: set[str], number: int, cascade: bool = False) -> list[Phase]:
        """Phases that `rollback --phase N` undoes, newest first."""
        target = self.phase(number)
        if not any(m.name in applied for m in target.migrations):
            raise BadInput(f"phase {number} is not applied: nothing to roll back")
        later = self.applied_phases_above(applied, number)
        if later and not cascade:
            names = ", ".join(str(p.number) for p in reversed(later))
            raise BadInput(
                f"phase {number} cannot be rolled back while later phase(s) {names} are applied; "
                "roll those back first, or pass --cascade"
            )
        return later + [target]

    def phases_down_to(self, applied: set[str], number: int | None) -> list[Phase]:
        """Phases that `rollback --to N` (every applied phase above N) or, with None, `rollback --all` undoes,
        newest first."""
        if number is not None and (not self.phases or number >= self.phases[0].number):
            self.phase(number)  # below the first phase (--to 0 where phases start at 1) means every phase
        chosen = self.applied_phases_above(applied, -1 if number is None else number)
        if not chosen:
            above = "" if number is None else f" above phase {number}"
            raise BadInput(f"no phase{above} is applied: nothing to roll back")
        return chosen

    @staticmethod
    def refuse_irreversible(phases: list[Phase], applied: set[str], data_only: bool = False) -> None:
        """Refuses, before anything runs, a rollback that would meet an applied irreversible migration."""
        for phase in phases:
            for migration in reversed(phase.data_steps if data_only else phase.migrations):
                if migration.name in applied and migration.irreversible:
                    raise Irreversible(phase.number, migration.name, migration.irreversible)

    def applied_phases_above(self, applied: set[str], number: int) -> list[Phase]:
        """Phases after `number` with any migration applied, newest first."""
        return [p for p in reversed(self.phases) if p.number > number and any(m.name in applied for m in p.migrations)]


def _all_applied(phase: Phase, applied: set[str]) -> bool:
    return all(m.name in applied for m in phase.migrations)


def load_plan(root: Path | str = ".", parsed: bool = True, for_apply: bool = False) -> Plan:
    """The plan, or the first problem found (a PlanError naming the file). parsed=False reads the files' names,
    checksums and irreversible markers only (what `status` shows): no statements, no syntax check.
    for_apply=True lets a problem in a rollback file through on its migration (`rollback_problem`): applying
    another phase does not need it; applying or rolling back its own phase does, and refuses."""
    plan, problems = read_plan(root, parsed)
    broken = {m.rollback_script.path for m in plan.migrations if m.rollback_problem} if for_apply else set()
    for problem in problems:
        if problem.path not in broken:
            raise problem
    return plan


def read_plan(root: Path | str = ".", parsed: bool = True) -> tuple[Plan, list[PlanError]]:
    """Everything that loads, and every problem met on the way: the runner refuses
    on the first, `toolkit lint` reports them all."""
    root = Path(root)
    problems: list[PlanError] = []
    forward = _sql_files(root / "migrations", problems)
    backward = _sql_files(root / "rollbacks", problems, subfolders=(LEVELS_FOLDER,))
    for name in sorted(forward.keys() - backward.keys()):
        problems.append(PlanError(forward[name], f"has no rollback: expected {root / 'rollbacks' / name}"))
    for name in sorted(backward.keys() - forward.keys()):
        problems.append(PlanError(backward[name], f"rollback without a migration: expected {root / 'migrations' / name}"))

    migrations: dict[int, list[Migration]] = {}
    numbers: dict[str, Path] = {}
    for name, path in forward.items():
        match = MIGRATION_NAME.match(name)
        if not match or int(match["step"]) == 0:
            problems.append(PlanError(
                path, "name does not fit PPSS_name.sql (phase PP, step SS from 01, lowercase snake_case)"))
            continue
        if name[:4] in numbers:
            problems.append(PlanError(path, f"number {name[:4]} is also used by {numbers[name[:4]].name}"))
            continue
        numbers[name[:4]] = path
        if name not in backward:
            continue  # "has no rollback", said above
        rollback_problems: list[PlanError] = []
        scripts = [_load(path, problems, parsed), _load(backward[name], rollback_problems, parsed)]
        problems.extend(rollback_problems)
        if scripts[0] is None:
            continue
        if scripts[0].irreversible is not None:
            problems.append(PlanError(path, "toolkit:irreversible belongs in the rollback, not the migration"))
            continue
        migration = Migration(name=name.removesuffix(".sql"), phase=int(match["phase"]), step=int(match["step"]),
                              apply_script=scripts[0],
                              rollback_script=scripts[1] or Script(backward[name], (), ""),
                              rollback_problem=rollback_problems[0] if rollback_problems else None)
        migrations.setdefault(migration.phase, []).append(migration)

    phase_numbers = {int(n[:2]) for n in numbers}
    if parsed:
        checks = _load_checks(root / "validation", phase_numbers, problems)
        keys = _load_key_queries(root / "validation", phase_numbers, problems)
        features = _load_feature_rollbacks(root / "rollbacks" / LEVELS_FOLDER, phase_numbers, problems)
    else:
        checks, keys, features = {}, {}, {}
    phases = tuple(
        Phase(
            number=n,
            migrations=tuple(sorted(ms, key=lambda m: m.step)),
            pre_checks=checks.get((n, "pre"), ()),
            post_checks=checks.get((n, "post"), ()),
            feature_rollback=features.get(n),
            key_queries=keys.get(None, ()) + keys.get(n, ()),
        )
        for n, ms in sorted(migrations.items())
    )
    return Plan(root=root, phases=phases), problems


def _load(path: Path | None, problems: list[PlanError], parsed: bool = True) -> Script | None:
    """The script, even with problems (lint still checks its statements; the runner refuses any problem)."""
    if path is None:
        return None
    script, found = read_script(path) if parsed else unparsed_script(path)
    problems.extend(found)
    return script


LEVELS_FOLDER = "levels"
TEMPLATES_FOLDER = "templates"  # validation/templates/: the check files `toolkit new` copies into a new phase
FEATURE_FILE_NAME = re.compile(r"^(?P<phase>\d{2})_feature\.sql$")


def _load_feature_rollbacks(folder: Path, phases: set[int], problems: list[PlanError]) -> dict[int, Script]:
    scripts = {}
    for name, path in _sql_files(folder, problems, required=False).items():
        match = FEATURE_FILE_NAME.match(name)
        if not match:
            problems.append(PlanError(path, "name does not fit PP_feature.sql"))
        elif int(match["phase"]) not in phases:
            problems.append(PlanError(path, f"feature rollback for phase {int(match['phase'])}, which has no migrations"))
        elif script := _load(path, problems):
            scripts[int(match["phase"])] = script
    return scripts


def _sql_files(folder: Path, problems: list[PlanError], subfolders: tuple[str, ...] = (),
               required: bool = True) -> dict[str, Path]:
    if not folder.is_dir():
        if required:
            problems.append(PlanError(folder, "folder is missing"))
        return {}
    files = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        problems.append(PlanError(folder, f"cannot list: {exc.strerror or exc}"))
        return {}
    for path in entries:
        if path.name.startswith(".") or (path.name in subfolders and path.is_dir()):
            continue
        try:
            if path.is_symlink():  # only a link can lead nowhere; resolving every entry was a third of the plan
                path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(PlanError(path, "is a broken or looping symlink"))
            continue
        if path.suffix != ".sql":
            problems.append(PlanError(path, "only .sql files belong here"))
        elif not path.is_file():
            problems.append(PlanError(path, "is not a regular file"))
        else:
            files[path.name] = path
    return files


def _load_checks(folder: Path, phases: set[int], problems: list[PlanError]) -> dict[tuple[int, str], tuple[Check, ...]]:
    checks = {}
    for name, path in sorted(_sql_files(folder, problems, subfolders=(TEMPLATES_FOLDER,), required=False).items()):
        match = CHECK_FILE_NAME.match(name)
        if KEYS_FILE_NAME.match(name):
            continue
        if not match:
            problems.append(PlanError(path, "name does not fit PP_pre.sql, PP_post.sql (PP_post_LABEL.sql beside "
                                            "them), PP_keys.sql or keys.sql"))
            continue
        phase = int(match["phase"])
        if phase not in phases:
            problems.append(PlanError(path, f"checks for phase {phase}, which has no migrations"))
            continue
        script = _load(path, problems)
        loaded = []
        if script and script.statements and _is_tap(script):
            loaded = _tap_check(script, phase, match["when"], problems)
        for statement in script.statements if script and not loaded else ():
            try:
                loaded.append(_check(statement, phase, match["when"], path))
            except PlanError as problem:
                problems.append(problem)
        checks[(phase, match["when"])] = checks.get((phase, match["when"]), ()) + tuple(loaded)
    return checks


def _is_tap(script: Script) -> bool:
    if PGTAP.search(script.text):
        return True
    for statement in script.statements:
        node = statement.node
        if isinstance(node, ast.SelectStmt):
            calls = [t.val for t in node.targetList or ()] + [f[0] for r in node.fromClause or ()
                                                              if isinstance(r, ast.RangeFunction) for f in r.functions]
            if any(isinstance(c, ast.FuncCall) and c.funcname[-1].sval in ("plan", "no_plan") for c in calls):
                return True
    return False


def _tap_check(script: Script, phase: int, when: str, problems: list[PlanError]) -> list[Check]:
    """A pgTAP file as one Check: its tests are SELECTs of pgTAP's functions, and nothing else."""
    if writes := [s for s in script.statements if not _is_read_only_query(s.node)]:
        problems.append(PlanError(script.path, "a pgTAP file holds only SELECTs of its tests", writes[0].line))
        return []
    optional = PGTAP.search(script.text)
    return [Check(name=script.path.stem, phase=phase, when=when, path=script.path, line=script.statements[0].line,
                  sql=script.text, tap=tuple((s.line, s.text) for s in script.statements),
                  tap_if_installed=bool(optional and optional["optional"]))]


def _load_key_queries(folder: Path, phases: set[int], problems: list[PlanError]) -> dict:
    """{None: key queries of every phase, N: key queries of phase N only}."""
    found: dict[int | None, tuple[KeyQuery, ...]] = {}
    files = {n: p for n, p in _sql_files(folder, [], subfolders=(TEMPLATES_FOLDER,), required=False).items()
             if KEYS_FILE_NAME.match(n)}
    for name, path in files.items():
        phase = KEYS_FILE_NAME.match(name)["phase"]
        if phase is not None and int(phase) not in phases:
            problems.append(PlanError(path, f"key queries for phase {int(phase)}, which has no migrations"))
            continue
        script = _load(path, problems)
        loaded = []
        for statement in script.statements if script else ():
            names = KEY_NAME.findall(statement.leading_comments)
            limit = MAX_SLOWDOWN.search(statement.leading_comments)
            if not names:
                problems.append(PlanError(path, "key query has no name: put '-- key: snake_case_name' above it",
                                          statement.line))
            elif not _is_read_only_query(statement.node):
                problems.append(PlanError(path, f"key query '{names[-1]}' must be a query that changes nothing",
                                          statement.line))
            else:
                loaded.append(KeyQuery(names[-1], path, statement.line, statement.text,
                                       float(limit["percent"]) / 100 if limit else None))
        found[None if phase is None else int(phase)] = tuple(loaded)
    return found


def _check(statement: Statement, phase: int, when: str, path: Path) -> Check:
    names = CHECK_NAME.findall(statement.leading_comments)
    if not names:
        raise PlanError(path, "check has no name: put '-- check: snake_case_name' above the query", statement.line)
    runs_only = bool(EXPECT_NO_ERROR.search(statement.leading_comments))
    # a DO block may assert (Sqitch's verify scripts do); checks run in a READ ONLY transaction either way
    if not (_is_read_only_query(statement.node) or (runs_only and isinstance(statement.node, ast.DoStmt))):
        raise PlanError(path, f"check '{names[-1]}' must be a query that changes nothing", statement.line)
    return Check(name=names[-1], phase=phase, when=when, path=path, line=statement.line, sql=statement.text,
                 passes_if_it_runs=runs_only)


def _is_read_only_query(node: ast.Node) -> bool:
    if not isinstance(node, ast.SelectStmt) or node.intoClause or node.lockingClause:
        return False
    ctes = node.withClause.ctes if node.withClause else ()
    return all(isinstance(cte.ctequery, ast.SelectStmt) for cte in ctes)
