"""The package people install: the wheel holds the toolkit, its license and its metadata, and nothing of the
platform this repository builds. No database."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _wheel(tmp_path: Path) -> zipfile.ZipFile:
    """The wheel pip builds from a copy of what a source distribution holds (the checkout stays untouched)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    for folder in ("toolkit", "platform_data", "tests", "bench", "migrations"):  # all present, only one packaged
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    return zipfile.ZipFile(next((tmp_path / "dist").glob("pgphase-*.whl")))


def test_the_wheel_holds_the_toolkit_its_license_and_nothing_of_the_platform(tmp_path):
    wheel = _wheel(tmp_path)
    names = wheel.namelist()
    assert {"toolkit/__init__.py", "toolkit/cli/__init__.py", "toolkit/runner/session.py",
            "toolkit/catalog/inspect.py"} <= set(names)
    packaged = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert packaged == {"toolkit"}  # not platform_data, tests, bench or the platform's migrations
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_the_wheels_metadata_gives_the_license_the_ranges_and_the_extras(tmp_path):
    wheel = _wheel(tmp_path)
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in declared["dependencies"]:  # ranges, never pins: the tool shares an environment
        assert "==" not in requirement
        assert f"Requires-Dist:{requirement.replace(' ', '')}" in metadata.replace(" ", "")
    for extra in ("local", "yoyo", "test", "bench"):
        assert f"Provides-Extra: {extra}" in metadata
    entry_points = wheel.read(next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))).decode()
    assert "toolkit = toolkit.cli:main" in entry_points


@pytest.mark.slow
def test_another_repository_runs_the_lint_hook_through_pre_commit_try_repo(tmp_path):
    """pre-commit itself (the [test] extra) installs this repository's hook into an environment of its own, as
    another repository's .pre-commit-config.yaml would, and runs it there: toolkit need not be on PATH. It installs
    the hook's dependencies from PyPI, as it would for any user."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    sample = tmp_path / "sample"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "dba",
           "GIT_AUTHOR_EMAIL": "dba@example.com", "GIT_COMMITTER_NAME": "dba", "GIT_COMMITTER_EMAIL": "dba@example.com"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "toolkit", "init", str(sample)], check=True, capture_output=True)
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "project"]):
        subprocess.run(command, cwd=sample, check=True, env=env)
    (sample / "migrations" / "0001_accounts.sql").write_text("CREATE INDEX accounts_email_idx ON accounts (email);\n")
    (sample / "rollbacks" / "0001_accounts.sql").write_text("DROP INDEX accounts_email_idx;\n")
    subprocess.run(["git", "add", "-A"], cwd=sample, check=True, env=env)
    ran = subprocess.run([str(pre_commit), "try-repo", str(REPO), "toolkit-lint", "--all-files"], cwd=sample,
                         env=env, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 1, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "toolkit lint" in ran.stdout and "Failed" in ran.stdout
    assert "migrations/0001_accounts.sql:1:1: index-not-concurrent" in ran.stdout
