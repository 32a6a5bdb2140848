"""The package people install: the wheel holds the toolkit, its license and its metadata, and nothing of the
platform this repository builds. No database."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

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
