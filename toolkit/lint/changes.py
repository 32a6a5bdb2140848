"""Which SQL files changed against a git revision (`toolkit lint --changed REV`), and which ones `--fix`
may rewrite: never a migration some database may have applied, because its checksum would change."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import BadInput

SQL_FOLDERS = ("migrations", "rollbacks", "validation")


def changed_files(root: Path, revision: str) -> set[str]:
    """Project-relative paths of the SQL files that differ from `revision`, or are new and not ignored
    (git, run in the project folder, names them relative to it)."""
    folders = [f for f in SQL_FOLDERS if (root / f).is_dir()]
    if not folders:
        return set()
    changed = _git(root, "diff", "--name-only", "--relative", revision, "--", *folders).splitlines()
    new = _git(root, "ls-files", "--others", "--exclude-standard", "--", *folders).splitlines()
    return {name for name in changed + new if name.endswith(".sql")}


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BadInput("--changed needs git, which is not installed") from exc
    if done.returncode != 0:
        raise BadInput(f"--changed: git {' '.join(args[:2])} failed in {root}: "
                       f"{' '.join(done.stderr.split()) or 'no message'}")
    return done.stdout


def fixable(root: Path, paths: list[Path], applied: set[str] | None, changed: set[str] | None) -> tuple[list, list]:
    """(files style fixes may rewrite, [(file, why it is left alone)]). Rollbacks and checks carry no checksum.
    A migration may be rewritten when the DSN's history shows it unapplied, or it changed against --changed
    REV; given neither, git decides where the project is in git (a migration not committed yet, or changed
    since, has been applied nowhere a deploy takes from), and with no git nothing says any was applied."""
    allowed, left = [], []
    since = "--changed REV"
    if applied is None and changed is None and _in_git(root):
        changed, since = changed_files(root, "HEAD"), "the last commit"
    for path in paths:
        relative = str(path.relative_to(root))
        if not relative.startswith("migrations/"):
            allowed.append(path)
        elif applied is not None and path.stem in applied:
            left.append((relative, "applied in the database given: its checksum would change"))
        elif changed is not None and relative not in changed:
            left.append((relative, f"unchanged since {since}: a database may have applied it (--dsn tells)"))
        else:
            allowed.append(path)
    return allowed, left


def _in_git(root: Path) -> bool:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "HEAD"], capture_output=True)
    except FileNotFoundError:
        return False
    return done.returncode == 0
