"""One runner at a time per database: a session advisory lock.

A session lock dies with its connection, so a runner killed with SIGKILL never
leaves a lock behind (unlike a lock row in a table).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row

from ..errors import LockHeld, describe_holder

LOCK_KEY = int.from_bytes(b"toolkit", "big")  # fits a bigint; stable across versions
_POLL_SECONDS = 0.2


@contextmanager
def runner_lock(conn: psycopg.Connection, wait_seconds: float, say=lambda text: None):
    """Holds the runner lock; a second runner says at once that it waits, and for whom."""
    deadline = time.monotonic() + wait_seconds
    said = False
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
        if time.monotonic() >= deadline:
            raise LockHeld(wait_seconds, lock_holder(conn))
        if not said:
            holder = lock_holder(conn)
            say(f"waiting up to {wait_seconds:g}s for another toolkit run ({describe_holder(holder)}) to finish")
            said = True
        time.sleep(_POLL_SECONDS)
    if said:
        say("the other run finished: going on from what it left")
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def lock_holder(conn: psycopg.Connection) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT a.pid, a.application_name, a.backend_start, a.usename, a.client_addr::text AS client_addr
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 1""",
            (LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF),
        ).fetchone()


def other_runner(conn: psycopg.Connection) -> dict | None:
    """The runner holding the lock now, if it is not this connection: a step it has 'started' is running, not
    interrupted."""
    holder = lock_holder(conn)
    if holder and holder["pid"] != conn.execute("SELECT pg_backend_pid()").fetchone()[0]:
        return holder
    return None


def refuse_transaction_pooler(target, conn: psycopg.Connection) -> None:
    """Refuses a DSN that goes through a pooler in transaction (or statement) mode, before anything runs. The
    runner lock is a session advisory lock and the timeouts are session settings; such a pooler hands each
    transaction to whichever server process is free, so neither would hold. Told by a second connection: a
    direct one, or a session-mode pool, can never share the first's server process while it is open; a
    transaction pooler hands it the one the first just returned (PgBouncer reuses the last returned first)."""
    from ..errors import BadInput

    first = _backend_pid(conn)
    with target.connect("toolkit pooler check") as second:
        shared = _backend_pid(second) == first
    if shared:
        raise BadInput(f"{target.describe()} goes through a connection pooler in transaction mode (two connections "
                       f"shared server process {first}): the runner lock and its timeouts hold for a session, "
                       "which such a pooler does not keep. Connect directly to PostgreSQL (or through a "
                       "session-mode pool) for apply, rollback, adopt and repair; nothing was changed")


def _backend_pid(conn: psycopg.Connection) -> int:
    """Without the role's statement_timeout (a 1 ms one cancelled this on a loaded machine), and only for this
    transaction: a plain SET through a transaction pooler would stay on a server process other clients get."""
    with conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")
        return conn.execute("SELECT pg_backend_pid()").fetchone()[0]
