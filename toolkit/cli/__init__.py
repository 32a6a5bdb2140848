"""The `toolkit` command: assembles the command groups; each parses arguments and makes one library call.

runner    apply, rollback, verify, status, validate, fingerprint, repair   (toolkit.api, toolkit.runner)
catalog   diff, adopt, erd, docs                                           (toolkit.api, adopt, site)
project   init, new, convert, lint, config                                 (toolkit.scaffold, convert, lint)
fleet     fleet apply|rollback|resume|status                               (toolkit.fleet)
local     local start|stop                                                 (toolkit.local_server)
rehearse  rehearse                                                         (toolkit.rehearse)
completion completion bash|zsh|fish                                        (click's shell completion)

options.py holds the option sets several commands share, project_file.py the project's toolkit.toml defaults, failures.py turns every user-facing failure into one
line and its exit code, render.py shows results as text or JSON. Imports of psycopg, pglast, sqlfluff and rich
happen inside the commands that use them, so that `toolkit --help` and `toolkit status` start fast.
"""

from __future__ import annotations

import click

# The exit codes, where scripts and tests that drive the CLI look for them.
from ..exit_codes import (  # noqa: F401
    ADOPT_REFUSED,
    BAD_INPUT,
    CANNOT_CONNECT,
    CHECK_ROLLED_BACK,
    FINDINGS,
    FLEET_STOPPED,
    HUMAN_NEEDED,
    IRREVERSIBLE,
    LOCK_HELD,
    OK,
    PRE_CHECK_FAILED,
    SLOWDOWN_ROLLED_BACK,
    STEP_ROLLED_BACK,
)
from . import catalog, completion, fleet, local, project, rehearse, runner
from .failures import OneLineErrors


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pgphase", prog_name="toolkit", message="%(prog)s %(version)s")
@click.option("--traceback", is_flag=True, help="Show Python tracebacks (for bug reports).")
@click.option("-q", "--quiet", is_flag=True, help="Fewer progress lines on stderr: phases, warnings and errors only.")
def cli(traceback, quiet):
    """Phased PostgreSQL migrations with validation and automatic rollback."""


for group in (runner, catalog, project, fleet, local, rehearse, completion):
    for command in group.COMMANDS:
        cli.add_command(command)
cli.project_file = True  # toolkit.toml's defaults (cli/project_file.py)


def main():
    cli(prog_name="toolkit")
