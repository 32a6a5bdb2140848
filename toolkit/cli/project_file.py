"""toolkit.toml: a project's own defaults for any command's options, so a non-default is written once, not on
every command line (Flyway's flyway.conf, Sqitch's sqitch.conf). A project without one may keep the same keys
in its pyproject.toml under [tool.toolkit], as ruff and pytest are configured there.

Keys are the options' long names without the dashes. A key at the top applies to every command that has that
option; a table names one command (`[apply]`, `[fleet.apply]`) and wins over the top. The command line wins
over both. A key no command has, or a value of the wrong kind, is one line naming the file, exit 2.

    lock-timeout = 0.5
    max-slowdown = 30
    pg-major = 15
    [rollback]
    lock-wait = 60
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click

from ..errors import BadInput

FILE = "toolkit.toml"


@dataclass(frozen=True)
class Setting:
    """One option of one command as it stands for this project, and where its value comes from."""

    command: str  # e.g. "apply", "fleet apply"
    option: str  # its long name, as in toolkit.toml
    value: object
    source: str  # "toolkit.toml [apply]", "toolkit.toml", "$DATABASE_URL", "built-in default"


def settings_in_force(group: click.Group, args: list[str], command: tuple[str, ...] | None = None) -> list[Setting]:
    """Every option of `command` (None: only those the project's toolkit.toml sets, for every command) with its
    value and source. A flag on the command line wins over all of these."""
    found_file = _settings_file(_project_folder(args))
    path, settings = found_file if found_file else (None, {})
    defaults = project_defaults(group, args) or {}
    if command is not None:
        _command(group, command)  # refuses a command that does not exist
    found = []
    for path_, options in _commands(group):
        if command is not None and path_ != command:
            continue
        section = defaults
        for part in path_:
            section = section.get(part, {})
        params = {param.name: param for param in _command(group, path_).params}
        named = {}  # each option once, by its first long name (--adaptive, not also --fixed-batches)
        for key, name in options.items():
            named.setdefault(name, key)
        for name, key in named.items():
            param = params[name]
            if name in section:
                where = f"{path} [{'.'.join(path_)}]" if key in _table(settings, path_) else str(path)
                found.append(Setting(" ".join(path_), key, section[name], where))
            elif command is not None and param.envvar and os.environ.get(param.envvar):
                value = os.environ[param.envvar]
                shown = _without_password(value) if key == "dsn" else value
                found.append(Setting(" ".join(path_), key, shown, f"${param.envvar}"))
            elif command is not None and key == "dsn":
                from ..connection import LIBPQ_ENVIRONMENT

                given = [f"${name}" for name in LIBPQ_ENVIRONMENT if os.environ.get(name)]
                found.append(Setting(" ".join(path_), key, "libpq's environment" if given else None,
                                     ", ".join(given) or "none given: commands that connect refuse to run"))
            elif command is not None and not param.hidden:
                found.append(Setting(" ".join(path_), key, _default(param), "built-in default"))
    return found


def _default(param: click.Parameter):
    default = param.default
    if callable(default) or type(default).__name__ == "Sentinel":  # click's "no default given"
        return False if getattr(param, "is_flag", False) else None
    return default


def _settings_file(folder: Path) -> tuple[str, dict] | None:
    """(how to name it, its settings): toolkit.toml, else pyproject.toml's [tool.toolkit]; None when neither."""
    path = folder / FILE
    if path.is_file():
        return str(path), _read(path)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        table = _read(pyproject).get("tool", {}).get("toolkit")
        if isinstance(table, dict):
            return f"{pyproject} [tool.toolkit]", table
    return None


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"{path}: not a TOML file toolkit can read: {exc}") from exc


def _table(settings: dict, command: tuple[str, ...]) -> dict:
    """The file's table for one command ([apply], [fleet.apply]); {} when it has none."""
    section = settings
    for part in command:
        section = section.get(part, {}) if isinstance(section, dict) else {}
    return section if isinstance(section, dict) else {}


def _without_password(dsn: str) -> str:
    from ..connection import Target

    try:
        return Target(dsn).describe()
    except BadInput:
        return "(a malformed DSN)"


def _command(group: click.Group, path: tuple[str, ...]) -> click.Command:
    command = group
    for part in path:
        if not isinstance(command, click.Group) or part not in command.commands:
            raise BadInput(f"no command {' '.join(path)!r}: see toolkit --help")
        command = command.commands[part]
    if isinstance(command, click.Group):
        raise BadInput(f"no command {' '.join(path)!r}: see toolkit --help")
    return command


def project_defaults(group: click.Group, args: list[str]) -> dict | None:
    """click's default_map for this run, from the project's toolkit.toml (or pyproject.toml's [tool.toolkit]),
    or None when it has none."""
    found = _settings_file(_project_folder(args))
    if found is None:
        return None
    path, settings = found
    commands = dict(_commands(group))
    top = {key: value for key, value in settings.items() if not isinstance(value, dict)}
    known = {name for options in commands.values() for name in options}
    for key in top:
        if key not in known:
            raise BadInput(f"{path}: {key!r} is no option of any command (keys are long option names)")
    defaults: dict = {}
    for command, options in commands.items():
        chosen = {options[key]: value for key, value in top.items() if key in options}
        for key, value in _table(settings, command).items():
            if isinstance(value, dict):
                continue  # a sub-command's table, e.g. [fleet.apply] inside [fleet]
            if key not in options:
                raise BadInput(f"{path}: [{'.'.join(command)}] has no option {key!r}")
            chosen[options[key]] = value
        if chosen:
            place = defaults
            for part in command[:-1]:
                place = place.setdefault(part, {})
            place[command[-1]] = chosen
    if "dsn" in top or any(isinstance(v, dict) and "dsn" in v for v in settings.values()):
        _refuse_password(path, settings)
    return defaults


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    """(command path, {key in the file: parameter name}) for every command under the group."""
    for name, command in group.commands.items():
        path = prefix + (name,)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
            continue
        options = {}
        for param in command.params:
            if isinstance(param, click.Option):
                for flag in param.opts + param.secondary_opts:
                    if flag.startswith("--"):
                        options[flag[2:]] = param.name
        yield path, options


def _project_folder(args: list[str]) -> Path:
    """The folder --project names on this command line, else $TOOLKIT_PROJECT, else here."""
    for index, arg in enumerate(args):
        if arg == "--project" and index + 1 < len(args):
            return Path(args[index + 1])
        if arg.startswith("--project="):
            return Path(arg.split("=", 1)[1])
    return Path(os.environ.get("TOOLKIT_PROJECT") or ".")


def _refuse_password(path: Path, settings: dict) -> None:
    from ..connection import Target

    dsns = [settings.get("dsn")] + [v.get("dsn") for v in settings.values() if isinstance(v, dict)]
    for dsn in filter(None, dsns):
        if Target(str(dsn)).password:
            raise BadInput(f"{path}: the dsn holds a password; put it in ~/.pgpass, a service file or PGPASSWORD")
