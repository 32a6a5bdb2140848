"""Style: sqlfluff (postgres dialect) through its Python API, configured by the
repository's .sqlfluff, with a cache so a whole-repository lint stays fast.

sqlfluff's parser costs ~15-300 ms a file. Results are cached per file in the
user's cache folder ($TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/toolkit, else
~/.cache/toolkit), keyed by the file's text, its path in the project, the
.sqlfluff text and the sqlfluff version: only changed files are parsed again, in
any checkout on this machine (a fresh clone included). Cold runs use every core.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Callable

from ..errors import BadInput

# The style a project without its own .sqlfluff gets, and what `toolkit init` writes (this repository's
# .sqlfluff is the same text: a test keeps them equal).
DEFAULT_CONFIG = """\
# Style for the SQL in migrations/, rollbacks/ and validation/ (toolkit lint runs it).
[sqlfluff]
dialect = postgres
# Plain SQL: no Jinja pass (faster, and a stray {{ in a string stays text).
templater = raw
max_line_length = 120
# LT14: one-line subqueries (WHERE NOT EXISTS (SELECT 1 ... WHERE ...)) read better inline.
# RF04: PostgreSQL's non-reserved keywords (name, value, count, status, data) are fine
#       column names, and the seeds use them.
# ST05: a short correlated subquery in WHERE is clearer than a CTE.
exclude_rules = LT14, RF04, ST05

[sqlfluff:indentation]
tab_space_size = 4
"""

def cache_folder() -> Path:
    if os.environ.get("TOOLKIT_CACHE_DIR"):
        return Path(os.environ["TOOLKIT_CACHE_DIR"]) / "lint"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "toolkit" / "lint"


def start_style(root: Path, paths: list[Path]) -> Callable[[], list[dict]]:
    """Start sqlfluff on the files the cache does not know, in worker processes, and return at once: the
    caller does its own work meanwhile, then calls the result for [{path, line, column, rule, message}]."""
    config_text = _config_text(root)
    cache = cache_folder()
    # the installed version, read without importing sqlfluff: a warm run never imports it (half a second)
    installed = version("sqlfluff")
    keys = {p: _key(p, root, config_text, installed) for p in paths}
    cached = {p: _read(cache / keys[p]) for p in paths}
    missing = sorted((p for p, found in cached.items() if found is None), key=lambda p: -p.stat().st_size)
    if missing:
        _linter(root, config_text)  # a broken .sqlfluff is bad input, said before any worker starts
    workers = min(len(missing), os.cpu_count() or 1)
    pool = None
    if workers > 1 and len(missing) >= 8:
        # fork: the children inherit sqlfluff already imported, instead of importing it again each.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        # Largest first, one file a task: the slowest files start at once and no worker idles at the end.
        pending = [(path, pool.submit(_lint_one, root, path)) for path in missing]
    else:
        pending = [(path, None) for path in missing]

    def findings() -> list[dict]:
        try:
            for path, future in pending:
                cached[path] = future.result() if future else _lint_one(root, path)
                _write(cache / keys[path], cached[path])
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
        return [f for p in paths for f in cached[p]]

    return findings


def fix_files(root: Path, paths: list[Path]) -> list[Path]:
    """sqlfluff's fixes written back to `paths`; returns the files it changed."""
    linter = _linter(root, _config_text(root))
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        fixed, _ = linter.lint_string(text, fname=str(path), fix=True).fix_string()
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed.append(path)
    return changed


def _lint_one(root: Path, path: Path) -> list[dict]:
    linted = _linter(root, _config_text(root)).lint_string(path.read_text(encoding="utf-8-sig"), fname=str(path))
    relative = str(path.relative_to(root))
    return [
        {"path": relative, "line": v.line_no, "column": v.line_pos, "rule": v.rule_code(), "message": v.desc()}
        for v in linted.get_violations()
    ]


@functools.lru_cache(maxsize=4)
def _linter(root: Path, config_text: str):
    """One linter per process and project: building its config costs as much as a small file. Only the
    project's own .sqlfluff counts (not one in a parent folder): the findings must not depend on where the
    project sits."""
    from sqlfluff.core import FluffConfig, Linter
    from sqlfluff.core.errors import SQLFluffUserError

    try:
        return Linter(config=FluffConfig.from_string(config_text))
    except (SQLFluffUserError, ValueError, KeyError) as exc:
        raise BadInput(f"{root / '.sqlfluff'}: sqlfluff cannot use it: {' '.join(str(exc).split())}") from exc


def _config_text(root: Path) -> str:
    config = root / ".sqlfluff"
    try:
        return config.read_text(encoding="utf-8") if config.is_file() else DEFAULT_CONFIG
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{config}: cannot read: {exc}") from exc


def _key(path: Path, root: Path, config_text: str, version: str) -> str:
    digest = hashlib.sha256()
    for part in (version, config_text, str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest() + ".json"


def _read(path: Path) -> list[dict] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write(path: Path, findings: list[dict]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(findings))
    except OSError:
        pass  # a read-only checkout lints, only slower
