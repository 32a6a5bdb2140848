"""The package's layers (docs/architecture.md): every import goes downwards or stays in its room.

Files on disk -> plan -> catalog -> runner -> api -> the tools built on it -> cli. A room may import its own
modules and any room in a lower layer, never one above it; rooms in one layer may use each other only without a
cycle. The generic tool never imports the platform this repository builds (platform_data/). Imports inside
functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "toolkit"

# Lowest layer first; each entry a room (a module or a package of the toolkit).
LAYERS = [
    ("toolkit.errors", "toolkit.exit_codes", "toolkit.connection", "toolkit.local_server"),
    ("toolkit.plan",),
    ("toolkit.catalog",),
    ("toolkit.runner",),
    ("toolkit.api",),
    ("toolkit.lint", "toolkit.scaffold", "toolkit.convert", "toolkit.adopt", "toolkit.site", "toolkit.fleet",
     "toolkit.rehearse"),
    ("toolkit.cli", "toolkit.__main__", "toolkit"),
]
RANK = {room: layer for layer, rooms in enumerate(LAYERS) for room in rooms}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str | None:
    """The room a module belongs to; None for a module directly in toolkit/ that no layer names."""
    room = module
    while room not in RANK or (room == "toolkit" and module != "toolkit"):
        room = room.rpartition(".")[0]
        if not room:
            return None
    return room


def _imports(path: Path) -> set[str]:
    """Every module of ours this file imports, by absolute name."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import api`: the module api, not the package
                candidate = f"{base}.{alias.name}"
                is_module = (ROOT / candidate.replace(".", "/")).with_suffix(".py").exists() or \
                    (ROOT / candidate.replace(".", "/") / "__init__.py").exists()
                found.add(candidate if is_module else base)
    return {name for name in found if name.split(".")[0] in ("toolkit", "platform_data")}


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_of_the_package_has_a_room():
    assert [module for module in _graph() if _room(module) not in RANK] == []


def test_no_import_goes_up_a_layer():
    upwards = [f"{module} imports {target}" for module, targets in _graph().items() for target in targets
               if target.startswith("toolkit") and RANK.get(_room(target), 99) > RANK.get(_room(module), -1)]
    assert upwards == []


def test_rooms_in_one_layer_import_each_other_without_a_cycle():
    edges: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        for target in targets:
            if target.startswith("toolkit") and _room(target) != _room(module):
                edges.setdefault(_room(module), set()).add(_room(target))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step}))
                   for step in edges.get(start, ()))

    assert [room for room in edges if reaches(room, room, {room})] == []


def test_the_generic_tool_never_imports_this_repositorys_platform():
    assert [module for module, targets in _graph().items() if any(t.startswith("platform_data") for t in targets)] \
        == []


def test_the_package_root_holds_only_the_shared_foundations():
    root_modules = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem not in ("__init__", "__main__"))
    assert root_modules == ["api", "connection", "errors", "exit_codes", "local_server", "scaffold"]


def test_no_module_is_over_400_lines():
    long = [f"{path.relative_to(ROOT)}: {n}" for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > 400]
    assert long == []
