"""A source folder, read, written in this layout: phases of numbered migrations, their rollbacks, checks,
and convert.json, the map from each source id to the migration that carries it.

A migration file is a header naming where it came from, then the source's SQL byte for byte. The header
is comment lines, so it also carries the directives the source's markers ask for (no transaction, no way
back). The plan is loaded at the end, and whatever it refuses is listed with its file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import BadInput, PlanError
from ..plan import read_plan
from ..plan.sql import parse_statements
from ..scaffold import init_project, write_phase_checks
from .source import Part, Source, SourceMigration, holds_sql

MANIFEST = "convert.json"
MAX_STEPS = 99  # PPSS: two digits of step
MAX_PHASE = 99


@dataclass
class Mapped:
    source_id: str
    source_files: list[str]
    migration: str
    phase: int
    transactional: bool
    irreversible: str | None = None
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Conversion:
    """What `toolkit convert` did: also written to DIR/convert.json, which `toolkit adopt` reads."""

    tool: str
    source: str
    into: str
    grouping: str
    phases: int = 0
    migrations: list[Mapped] = field(default_factory=list)
    unmapped: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what the runner refuses as converted: file:line: why

    @property
    def clean(self) -> bool:
        return not self.problems


def group(migrations: list[SourceMigration], grouping: str) -> list[list[SourceMigration]]:
    """Phases of migrations, in order: `single`, `count:N` or `year`."""
    if grouping == "single":
        phases = [migrations]
    elif grouping.startswith("count:") and grouping[6:].isdigit() and 1 <= int(grouping[6:]) <= MAX_STEPS:
        size = int(grouping[6:])
        phases = [migrations[i:i + size] for i in range(0, len(migrations), size)]
    elif grouping == "year":
        phases = _by_year(migrations)
    else:
        raise BadInput(f"--phases {grouping!r}: use single, count:N (N from 1 to {MAX_STEPS}) or year")
    for number, phase in enumerate(phases, start=1):
        if len(phase) > MAX_STEPS:
            raise BadInput(f"--phases {grouping}: phase {number} would hold {len(phase)} migrations, more than "
                           f"{MAX_STEPS}; use --phases count:N")
    if len(phases) > MAX_PHASE:
        raise BadInput(f"--phases {grouping}: {len(phases)} phases, more than {MAX_PHASE}; use a larger count:N")
    return [p for p in phases if p]


def _by_year(migrations: list[SourceMigration]) -> list[list[SourceMigration]]:
    if migrations and all(m.year is None for m in migrations):
        raise BadInput("--phases year needs timestamp versions; these have none (use count:N)")
    phases: list[list[SourceMigration]] = []
    year = None
    for migration in migrations:
        # a version without a date (diesel's 00000000000000 setup) stays with its neighbours
        starts_year = migration.year is not None and migration.year != year and phases and year is not None
        if not phases or starts_year or len(phases[-1]) == MAX_STEPS:
            phases.append([])
        year = migration.year if migration.year is not None else year
        phases[-1].append(migration)
    return phases


def write_project(source: Source, into: Path, grouping: str) -> Conversion:
    phases = group(source.migrations, grouping)
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise BadInput(f"{into}: must be an empty or new folder (convert writes a whole project)")
    conversion = Conversion(source.tool, str(source.root), str(into), grouping)
    conversion.unmapped = [asdict(u) for u in source.unmapped]
    init_project(into)
    labels: set[str] = set()
    number = 0
    for migrations in phases:
        kept = []
        for migration in migrations:
            if holds_sql(migration.up.text):
                kept.append(migration)
            else:
                conversion.unmapped.append({"path": _origin(source, migration.up),
                                            "reason": f"{migration.id} holds no SQL statement: nothing to run"})
        if not kept:
            continue
        number += 1
        checks = []
        for step, migration in enumerate(kept, start=1):
            name = f"{number:02d}{step:02d}_{_label(migration.description, labels)}"
            mapped = _write_migration(source, into, name, number, migration)
            checks += _verify_checks(source, migration, mapped)
            conversion.migrations.append(mapped)
        write_phase_checks(into, number, extra_post="".join(checks))
    conversion.phases = number
    _, problems = read_plan(into)
    conversion.problems = [str(p) for p in problems]
    (into / MANIFEST).write_text(json.dumps(asdict(conversion), indent=2) + "\n", encoding="utf-8")
    return conversion


def _write_migration(source: Source, into: Path, name: str, phase: int, migration: SourceMigration) -> Mapped:
    up = migration.up
    files = [source.relative(up.path)]
    _write(into / "migrations" / f"{name}.sql", _header(source, migration, up) + _directives(up) + up.text)
    irreversible = None
    down = migration.down
    if down is not None and holds_sql(down.text):
        files.append(source.relative(down.path))
        rollback = _header(source, migration, down) + _directives(down) + down.text
    else:
        irreversible = f"{source.tool} has no down part" if down is None else "its down part holds no SQL"
        said = _first_comment(down.text) if down else None
        if said:
            irreversible += f": '{said[:60]}'"
        rollback = f"-- toolkit:irreversible {irreversible}\n" + (down.text if down else "")
    _write(into / "rollbacks" / f"{name}.sql", rollback)
    return Mapped(migration.id, files, name, phase, up.transactional, irreversible, notes=list(migration.notes))


def _verify_checks(source: Source, migration: SourceMigration, mapped: Mapped) -> list[str]:
    """Sqitch's verify script as post-checks, one per statement, each passing when it runs without error."""
    verify = migration.verify
    if verify is None:
        return []
    try:
        statements = [s for s in parse_statements(verify.text, verify.path) if s.kind != "TransactionStmt"]
    except PlanError as problem:
        mapped.notes.append(f"verify script not converted: {problem}")
        return []
    label = mapped.migration[5:]
    written = []
    for index, statement in enumerate(statements, start=1):
        name = f"verify_{label}" + (f"_{index}" if len(statements) > 1 else "")
        mapped.checks.append(name)
        written.append(f"\n-- check: {name}\n-- expect: no error\n"
                       f"-- converted by toolkit from {source.tool}: {source.relative(verify.path)} line "
                       f"{statement.line}\n{statement.text};\n")
    if not statements:
        mapped.notes.append("verify script holds no statement besides BEGIN/ROLLBACK: no check")
    return written


def _header(source: Source, migration: SourceMigration, part: Part) -> str:
    where = source.relative(part.path) + (f", {part.origin}" if part.origin else "")
    notes = "".join(f"-- note: {note}\n" for note in migration.notes)
    return f"-- converted by toolkit from {source.tool} {migration.id}:\n--   {where}\n{notes}"


def _directives(part: Part) -> str:
    return "" if part.transactional else "-- toolkit:no-transaction (the source runs it outside a transaction)\n"


def _origin(source: Source, part: Part) -> str:
    return source.relative(part.path) + (f" ({part.origin})" if part.origin else "")


def _label(description: str, taken: set[str]) -> str:
    label = re.sub(r"[^a-z0-9]+", "_", description.lower().encode("ascii", "ignore").decode()).strip("_")[:60]
    label = label.strip("_") or "migration"
    unique, n = label, 2
    while unique in taken:
        unique, n = f"{label}_{n}", n + 1
    taken.add(unique)
    return unique


_TOOL_COMMENT = re.compile(r"^(\+goose|migrate:|(Deploy|Revert|Verify) \S+ (to|from|on) \w+$)")


def _first_comment(text: str) -> str | None:
    """What an empty down part says for itself ("Not reversible: ..."), skipping the tools' own marker lines."""
    for line in text.splitlines():
        said = line.strip().lstrip("-").strip()
        if line.strip().startswith("--") and said and not _TOOL_COMMENT.match(said):
            return said[:100]
    return None


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))
