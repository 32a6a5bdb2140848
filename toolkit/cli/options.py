"""Option sets several commands share, and the small steps every handler takes: the target from --dsn, the
runner's settings from the options, the result shown as text or JSON.

The runner's defaults are repeated here so that building the options imports no executor (a test keeps them
equal).
"""

from __future__ import annotations

from pathlib import Path

import click

from .consoles import err, out

LOCK_TIMEOUT, LOCK_RETRIES, LONG_TRANSACTION_WAIT, CONCURRENT_LOCK_TIMEOUT = 0.2, 10, 10.0, 600.0
BATCH_SIZE, BATCH_PAUSE, MAX_REPLICA_LAG, MAX_REPLICA_WAIT, ADAPTIVE = 2000, 0.05, 1.0, 600.0, True


def target_of(dsn):
    from ..connection import Target

    return Target.from_option(dsn)


def console_progress(quiet: bool = False):
    from .render import ConsoleProgress

    context = click.get_current_context(silent=True)
    quiet = quiet or bool(context and context.find_root().params.get("quiet"))
    return ConsoleProgress(err(), quiet=quiet)


def show(result, as_json, printer):
    """The result as JSON, or as `printer` (a function of the console and the result, or its name in render.py)
    draws it."""
    from . import render

    if as_json:
        click.echo(render.to_json(result))
    else:
        (printer if callable(printer) else getattr(render, printer))(out(), result)


_DSN = click.option("--dsn", envvar="DATABASE_URL", help="libpq DSN or URL; default $DATABASE_URL.")


def _keep_history_schema(context, _param, value):
    context.meta["toolkit.history_schema"] = value


# Every command that connects takes it (with --dsn, or on its own where targets come another way: fleet); the
# settings below carry it (history_schema()), so no handler passes it.
HISTORY_SCHEMA = click.option(
    "--history-schema", metavar="NAME", default="toolkit", show_default=True, envvar="TOOLKIT_HISTORY_SCHEMA",
    expose_value=False, callback=_keep_history_schema,
    help="Schema in the database that holds the toolkit's history tables (created by the first apply).")


def DSN(command):
    return HISTORY_SCHEMA(_DSN(command))


def history_schema() -> str:
    context = click.get_current_context(silent=True)
    return context.meta.get("toolkit.history_schema", "toolkit") if context else "toolkit"

PROJECT = click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
                       envvar="TOOLKIT_PROJECT", show_default=True,
                       help="Folder holding migrations/, rollbacks/ and validation/.")


def json_option(what: str):
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


def target_options(command):
    return DSN(PROJECT(command))


def decorate(command, decorators):
    for decorator in decorators:
        command = decorator(command)
    return command


def run_options(command):
    """What every command that runs migrations (apply, rollback, verify) takes."""
    return decorate(command, (
        click.option("--lock-wait", type=float, default=30.0, show_default=True,
                     help="Seconds to wait for another runner's lock."),
        click.option("--lock-timeout", type=float, default=LOCK_TIMEOUT, show_default=True,
                     help="Seconds a DDL statement may wait for a table lock before it retries."),
        click.option("--lock-retries", type=int, default=LOCK_RETRIES, show_default=True,
                     help="Retries (with doubling backoff) after a lock timeout."),
        click.option("--long-transaction-wait", type=click.FloatRange(min=0), default=LONG_TRANSACTION_WAIT,
                     show_default=True,
                     help="Seconds a step may wait, outside the lock queue, for transactions holding a lock it "
                          "needs for longer than --lock-timeout, before it asks anyway."),
        click.option("--concurrent-lock-timeout", type=float, default=CONCURRENT_LOCK_TIMEOUT,
                     show_default=True, help="Seconds a concurrent index build may wait."),
        click.option("--statement-timeout", type=float, default=0.0, show_default=True,
                     help="Seconds any statement may run; 0 = no limit."),
        click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
                     help="Rows per batch for batched data steps (the first batch's, unless --fixed-batches)."),
        click.option("--batch-pause", type=click.FloatRange(min=0), default=BATCH_PAUSE, show_default=True,
                     help="Seconds to pause between batches (the first pause, unless --fixed-batches)."),
        click.option("--adaptive/--fixed-batches", default=ADAPTIVE, show_default=True,
                     help="Adaptive (the default): batched steps grow and shrink their batches and pauses with "
                          "what the server shows (clients waiting, batch duration, autovacuum). Fixed: every batch "
                          "--batch-size rows, --batch-pause apart."),
        click.option("--max-replica-lag", type=click.FloatRange(min=0), default=MAX_REPLICA_LAG, show_default=True,
                     help="Seconds a standby may replay behind before batches wait for it (needs pg_monitor to "
                          "see it); 0 = not watched."),
        click.option("--max-replica-wait", type=click.FloatRange(min=0), default=MAX_REPLICA_WAIT,
                     show_default=True, help="Seconds batches wait for a lagging standby before the step fails."),
        click.option("--strict", is_flag=True,
                     help="A rollback's proof also fails on what no rollback can restore: a re-added column's "
                          "position, whitespace in a function body (said either way)."),
    ))


MAX_SLOWDOWN = click.option("--max-slowdown", type=click.FloatRange(min=0), default=20.0, show_default=True,
                             help="Percent a key query may slow down before the phase is rolled back (exit 6).")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Print the plan with each statement's mode; run nothing.")


def run_settings(project, lock_wait, lock_timeout, lock_retries, long_transaction_wait, concurrent_lock_timeout,
                 statement_timeout, batch_size, batch_pause, adaptive, max_replica_lag, max_replica_wait, strict,
                 max_slowdown=20.0):
    from ..runner.batches import Batching
    from ..runner.executor import Timeouts
    from ..runner.session import Settings

    timeouts = Timeouts(lock_timeout=lock_timeout, concurrent_lock_timeout=concurrent_lock_timeout,
                        statement_timeout=statement_timeout, lock_retries=lock_retries,
                        long_transaction_wait=long_transaction_wait)
    return Settings(project=project, lock_wait=lock_wait, timeouts=timeouts,
                    batching=Batching(size=batch_size, pause=batch_pause, adaptive=adaptive,
                                      max_replica_lag=max_replica_lag, max_replica_wait=max_replica_wait),
                    max_slowdown=max_slowdown / 100, strict_proof=strict, history_schema=history_schema())


def plain_settings(project, lock_wait: float = 30.0):
    from ..runner.session import Settings

    return Settings(project=project, lock_wait=lock_wait, history_schema=history_schema())
