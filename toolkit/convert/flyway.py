"""Flyway: V<version>__<description>.sql, its undo U<version>__<description>.sql, and a .conf beside a script.

Versions are dotted or underscored numbers (1, 1.1, 2_1), compared part by part. `executeInTransaction=false`
in V1__x.sql.conf runs that script outside a transaction. Repeatable (R__) and baseline (B) scripts have no
equivalent here and are listed. Folders are walked as Flyway walks its locations, hidden ones skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from .source import Part, Source, SourceMigration, read_text, words, year_of

NAME = re.compile(r"^(?P<prefix>[VUBR])(?P<version>\d[\d._]*)?__(?P<description>.+)\.sql$")
PLACEHOLDER = re.compile(r"\$\{[^}]+\}")


def read(root: Path) -> Source:
    source = Source("flyway", root)
    scripts: dict[str, dict[tuple, Path]] = {"V": {}, "U": {}}
    descriptions = {}
    for path in sorted(_files(root)):
        match = NAME.match(path.name)
        if not match:
            source.skip(path, "name does not fit V<version>__<description>.sql: Flyway ignores it too")
            continue
        prefix, version = match["prefix"], match["version"]
        if prefix == "R":
            source.skip(path, "a repeatable script runs again whenever it changes: no equivalent here; write "
                              "each change of it as a new migration")
            continue
        if prefix == "B":
            source.skip(path, "a baseline stands for the migrations before it on a new database: convert those, "
                              "or adopt a database at this version")
            continue
        if not version:
            source.skip(path, f"a {prefix} script needs a version")
            continue
        key = tuple(int(p) for p in re.split(r"[._]", version.strip("._")) if p)
        if key in scripts[prefix]:
            source.skip(path, f"version {version} is also {scripts[prefix][key].name}: Flyway refuses the folder")
            continue
        scripts[prefix][key] = path
        if prefix == "V":
            descriptions[key] = (version, match["description"])
    for key, path in sorted(scripts["V"].items()):
        version, description = descriptions[key]
        undo = scripts["U"].pop(key, None)
        text = read_text(path)
        notes = ()
        if PLACEHOLDER.search(text):
            notes = ("Flyway placeholders (${...}) are not substituted by the toolkit",)
        source.migrations.append(SourceMigration(
            id=version, description=words(description),
            up=Part(path, text, _in_transaction(path)),
            down=Part(undo, read_text(undo), _in_transaction(undo)) if undo else None,
            year=year_of(version.replace(".", "").replace("_", "")), notes=notes))
    for path in scripts["U"].values():
        source.skip(path, "an undo script without its versioned script")
    return source


def _files(root: Path):
    for path in root.iterdir():
        if path.name.startswith("."):
            continue
        if path.is_dir():
            yield from _files(path)
        elif path.suffix == ".sql":
            yield path


def _in_transaction(script: Path) -> bool:
    conf = script.with_name(script.name + ".conf")
    if not conf.is_file():
        return True
    settings = dict(line.split("=", 1) for line in read_text(conf).splitlines() if "=" in line
                    and not line.lstrip().startswith("#"))
    return settings.get("executeInTransaction", "true").strip().lower() != "false"
