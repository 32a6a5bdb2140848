"""`toolkit adopt`: record phases a database got by other means as applied, only when `diff` proves it.

For a database built by hand, by Prisma, Alembic, yoyo...: its schema must be what the migrations build
through phase N (`toolkit diff --phase N` finds nothing, or only differences the DBA reviewed and accepted
in a file). Then each migration of phases 0..N gets its applied row and an `adopt` history row, under the
runner lock, in one transaction. With `--from TOOL` that tool's history is read first (never written):
what it records as applied, mapped through the project's convert.json (or `--map`), decides the phases;
a failed or half-done row refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..connection import Target
from ..errors import AdoptRefused, BadInput
from ..plan import Plan, load_plan
from ..runner.progress import Progress
from ..runner.session import Settings, locked_session
from .histories import ForeignHistory, read_history

MANIFEST = "convert.json"


@dataclass
class Adoption:
    database: str
    phases: list[int]
    adopted: list[str] = field(default_factory=list)  # recorded by this run (or, with dry_run, that would be)
    already: list[str] = field(default_factory=list)  # applied before
    accepted: list[str] = field(default_factory=list)  # differences the DBA accepted, as said
    foreign: ForeignHistory | None = None
    dry_run: bool = False


def adopt(target: Target, phase: int | None = None, *, from_tool: str | None = None, map_file: Path | None = None,
          accept: Path | None = None, dry_run: bool = False, settings: Settings = Settings(),
          progress: Progress = Progress()) -> Adoption:
    from .. import api  # api's diff builds the migrations on a scratch database

    plan = load_plan(settings.project)
    foreign = None
    if from_tool:
        with target.connect("toolkit adopt") as conn:
            foreign = read_history(conn, from_tool)
        if foreign.broken:
            raise AdoptRefused(f"{from_tool}'s history ({foreign.table}) has {len(foreign.broken)} failed or half-done "
                               f"row(s), first {foreign.broken[0]}; nothing was recorded")
        mapping = _mapping(settings.project, map_file, from_tool)
        if mapping is not None:
            phase = _phases_covered(plan, foreign, mapping, phase)
    if phase is None:
        raise BadInput("say which phases this database already has: --phase N (or --from TOOL with the "
                       f"{MANIFEST} `toolkit convert` wrote, or --map FILE)")
    phases = [p for p in plan.phases if p.number <= plan.phase(phase).number]
    with locked_session(target, settings, progress, "adopt") as session:
        applied = session.history.applied()
        todo = [m for p in phases for m in p.migrations if m.name not in applied]
        result = Adoption(target.describe(), [p.number for p in phases], [m.name for m in todo],
                          [m.name for p in phases for m in p.migrations if m.name in applied], foreign=foreign,
                          dry_run=dry_run)
        if not todo:
            return result  # adopted (or applied) already: a second adopt changes nothing
        drift = api.diff(target, phase, settings=settings, adopting=from_tool)
        result.accepted = _accepted(drift, accept)
        if not dry_run:
            detail = f"adopted from {from_tool}" if from_tool else "adopted: the schema was built by other means"
            with session.conn.transaction():
                for migration in todo:
                    session.history.set_adopted(migration, detail)
                for said in result.accepted:
                    session.history.log("adopt", "ok", phase=phase, detail=f"accepted difference: {said}")
    return result


def _accepted(drift, accept: Path | None) -> list[str]:
    """The differences, each of which must be in the reviewed `toolkit diff --json` file; else refused."""
    reviewed = set()
    if accept is not None:
        try:
            document = json.loads(Path(accept).read_text(encoding="utf-8"))
            reviewed = {json.dumps({k: d.get(k) for k in ("kind", "name", "attribute", "in_database",
                                                          "in_migrations")}, sort_keys=True)
                        for d in document["differences"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadInput(f"--accept {accept}: not the JSON `toolkit diff --json` prints ({exc})") from exc
    unaccepted = [d for d in drift.differences if json.dumps(d.as_json(), sort_keys=True) not in reviewed]
    if unaccepted:
        raise AdoptRefused(f"the database differs from what phases {drift.phases[0]}-{drift.phases[-1]} build "
                           f"({len(unaccepted)} difference(s) not accepted); nothing was recorded",
                           differences=[d.describe() for d in unaccepted])
    return [d.describe() for d in drift.differences]


def _mapping(project: Path, map_file: Path | None, tool: str) -> dict[str, list[str]] | None:
    """{the tool's id: [our migrations]} from --map (an object, or a convert.json) or the project's convert.json."""
    path = Path(map_file) if map_file else Path(project) / MANIFEST
    if not path.is_file():
        if map_file:
            raise BadInput(f"--map {map_file}: no such file")
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not JSON: {exc}") from exc
    if isinstance(document, dict) and "migrations" in document:
        if not map_file and document.get("tool") not in (tool, None):
            raise BadInput(f"{path} maps {document.get('tool')}'s ids, not {tool}'s: pass --map FILE")
        pairs = [(m["source_id"], m["migration"]) for m in document["migrations"]]
    elif isinstance(document, dict):
        pairs = [(key, name) for key, value in document.items()
                 for name in (value if isinstance(value, list) else [value])]
    else:
        raise BadInput(f"{path}: expected {{\"source id\": \"migration\"}} or a {MANIFEST}")
    mapping: dict[str, list[str]] = {}
    for key, name in pairs:
        mapping.setdefault(str(key), []).append(str(name))
    return mapping


def _phases_covered(plan: Plan, foreign: ForeignHistory, mapping: dict[str, list[str]], phase: int | None) -> int:
    """The newest phase the tool's history covers whole; refuses a history ending inside a phase, or holding
    an id that maps to nothing here."""
    order = [m.name for m in plan.migrations]
    unknown = [i for i in foreign.applied if i not in mapping]
    if unknown:
        raise AdoptRefused(f"{foreign.tool}'s history has {unknown[0]} applied, which maps to no migration here "
                           f"({len(unknown)} such id(s)); nothing was recorded")
    mapped = {name for i in foreign.applied for name in mapping[i]}
    missing_files = sorted(mapped - set(order))
    if missing_files:
        raise BadInput(f"the map names {missing_files[0]}, which is not in {plan.root / 'migrations'}")
    if not mapped:
        raise AdoptRefused(f"{foreign.tool}'s history ({foreign.table}) records nothing applied: nothing to adopt")
    if foreign.upto:  # the tool records where it stands: everything up to it counts
        mapped = set(order[:max(order.index(n) for n in mapped) + 1])
    newest = max(plan.migrations[order.index(n)].phase for n in mapped)
    for migration in plan.migrations:
        if migration.phase <= newest and migration.name not in mapped:
            raise AdoptRefused(f"{foreign.tool}'s history covers phase {newest} only in part: {migration.name} is "
                               "not in it; adopt whole phases (or apply the rest with the toolkit first)")
    if phase is not None and phase != newest:
        raise AdoptRefused(f"--phase {phase}, but {foreign.tool}'s history covers phases up to {newest}")
    return newest
