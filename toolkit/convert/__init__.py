"""Another tool's migration folder in this layout: `toolkit convert --from TOOL SRC --into DIR`.

One module per source tool reads its folder into `source.Source` (what it calls a migration, in its order,
with its up, down and verify parts and its transaction markers); `writer` writes that as phases. The SQL
is never rewritten.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import BadInput
from .writer import Conversion, write_project

TOOLS = {"diesel": "diesel", "goose": "goose", "golang-migrate": "golang_migrate", "dbmate": "dbmate",
         "yoyo": "yoyo", "flyway": "flyway", "sqitch": "sqitch"}

__all__ = ["convert", "Conversion", "TOOLS"]


def convert(tool: str, source: Path | str, into: Path | str, grouping: str = "count:99") -> Conversion:
    """Reads `source` as `tool` lays it out and writes a project into `into` (empty or new)."""
    if tool not in TOOLS:
        raise BadInput(f"--from {tool!r}: the toolkit reads {', '.join(TOOLS)}")
    source, into = Path(source), Path(into)
    if not source.is_dir():
        raise BadInput(f"{source}: not a folder")
    if (source / "migrations").is_dir() and (source / "rollbacks").is_dir() and (source / "convert.json").exists():
        raise BadInput(f"{source} is a toolkit project already")
    found = importlib.import_module(f".{TOOLS[tool]}", __name__).read(source)
    if not found.migrations:
        raise BadInput(f"{source}: no {tool} migrations found" + (
            f" ({len(found.unmapped)} file(s) not usable: {found.unmapped[0].path}: {found.unmapped[0].reason})"
            if found.unmapped else ""))
    return write_project(found, into, grouping)
