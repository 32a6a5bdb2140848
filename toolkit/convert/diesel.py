"""diesel (Rust): migrations/VERSION_name/{up.sql, down.sql, metadata.toml}.

diesel runs each migration in a transaction unless metadata.toml says `run_in_transaction = false`. Its version
is the folder name before its first underscore with the dashes removed (2019-01-01-000000 is 20190101000000):
it orders by that, and that is what `__diesel_schema_migrations.version` holds, so it is the id convert.json
keeps (and `adopt --from diesel` finds).
"""

from __future__ import annotations

from pathlib import Path

import tomllib

from ..errors import BadInput
from .source import Part, Source, SourceMigration, read_text, words, year_of


def read(root: Path) -> Source:
    folder = root / "migrations" if (root / "migrations").is_dir() and not _migration_folders(root) else root
    source = Source("diesel", root)
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_dir():
            if path.suffix == ".sql":
                source.skip(path, "not inside a migration folder (VERSION_name/up.sql): diesel ignores it too")
            continue
        up = path / "up.sql"
        if not up.is_file():
            source.skip(path, "no up.sql: not a diesel migration")
            continue
        version, _, name = path.name.partition("_")
        version = version.replace("-", "")
        transactional = _runs_in_transaction(path / "metadata.toml")
        down = path / "down.sql"
        source.migrations.append(SourceMigration(
            id=version, description=words(name or version),
            up=Part(up, read_text(up), transactional),
            down=Part(down, read_text(down), transactional) if down.is_file() else None,
            year=year_of(version)))
    source.migrations.sort(key=lambda m: m.id)
    return source


def _migration_folders(folder: Path) -> bool:
    return any((p / "up.sql").is_file() for p in folder.iterdir() if p.is_dir())


def _runs_in_transaction(metadata: Path) -> bool:
    if not metadata.is_file():
        return True
    try:
        settings = tomllib.loads(read_text(metadata))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{metadata}: not valid TOML: {exc}") from exc
    value = settings.get("run_in_transaction", True)
    if not isinstance(value, bool):
        raise BadInput(f"{metadata}: run_in_transaction must be true or false, not {value!r}")
    return value
