"""Every user-facing failure as one line on stderr and its documented exit code, never a traceback."""

from __future__ import annotations

import functools
import os
import sys

import click

from ..errors import ToolkitError
from ..exit_codes import BAD_INPUT, CANNOT_CONNECT, HUMAN_NEEDED, INTERRUPTED, OK, exit_code
from .consoles import err, out


def handles_errors(command):
    """Every user-facing failure becomes one line on stderr and its exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except ToolkitError as error:
            _fail(ctx, error, str(error), exit_code(error))
        except BrokenPipeError:
            # `toolkit status | head -2`: the reader has what it wanted. Nothing more is written (Python would
            # flush stdout again at exit), and the exit is 0, as for cat or psql (click's own handler says 1).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(OK)
        except OSError as error:  # a folder that cannot be written, a file that vanished: the user's to fix
            where = f"{error.filename}: " if error.filename else ""
            _fail(ctx, error, f"{where}{error.strerror or error}", BAD_INPUT)
        except Exception as error:
            psycopg = sys.modules.get("psycopg")
            if psycopg is None or not isinstance(error, psycopg.Error):
                raise
            from ..connection import redact

            reason = error.diag.message_primary or " ".join(str(error).split())
            if _connection_gone(error):
                _fail(ctx, error, f"lost the database connection: {redact(reason)}", CANNOT_CONNECT)
            # Not a migration step (those are StepFailed): the toolkit's own bookkeeping failed.
            _fail(ctx, error, f"database error outside any migration step: {redact(reason)}; check toolkit status",
                  HUMAN_NEEDED)

    return wrapper


def _connection_gone(error) -> bool:
    """No SQLSTATE (the socket died), class 08 (connection exception) or 57P (shutdown, terminated)."""
    state = error.sqlstate or ""
    return not state or state.startswith(("08", "57P"))


def _fail(ctx, error, message, code):
    if ctx.find_root().params.get("traceback"):  # for a bug report; the exit code stays the documented one
        import traceback

        traceback.print_exception(error)
    from ..connection import Target, redact
    from . import render

    dsn = ctx.params.get("dsn")
    password = Target(dsn).password if dsn else None
    message = redact(message, password)
    notes = [redact(line, password) for line in getattr(error, "notes", ())]
    completed = list(getattr(error, "completed", ()))
    if completed and not ctx.params.get("as_json"):
        render.print_results(out(), completed)  # what did apply before the run stopped
    err().print(f"toolkit: error: {message}", markup=False)
    for line in notes + list(getattr(error, "differences", []))[:40]:
        err().print(f"  {line}", markup=False)
    if ctx.params.get("as_json"):
        click.echo(render.to_json({"error": message, "notes": notes, "exit_code": code, "completed": completed}))
    ctx.exit(code)


class OneLineErrors(click.Group):
    """Click's usage errors (a bad --phase, an unknown option) in the toolkit's one line, exit 2, like every
    other refusal, instead of usage text with the error on its third line."""

    project_file = False  # read the project's toolkit.toml for the options' defaults (the toolkit's group does)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if self.project_file:
            from .project_file import project_defaults

            try:
                extra.setdefault("default_map", project_defaults(self, list(sys.argv[1:] if args is None else args)))
            except ToolkitError as error:
                click.echo(f"toolkit: error: {error}", err=True)
                sys.exit(BAD_INPUT)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "toolkit"
            click.echo(f"toolkit: error: {error.format_message()} (see {command} --help)", err=True)
            sys.exit(BAD_INPUT)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:  # Ctrl-C: psycopg has cancelled the statement that was running
            click.echo("toolkit: interrupted (Ctrl-C): the statement that was running was cancelled and its "
                       "transaction rolled back; toolkit status shows where the run stopped, and running the "
                       "command again resumes it", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(code if isinstance(code, int) else OK)
