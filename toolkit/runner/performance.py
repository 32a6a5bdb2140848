"""The key-query slowdown trigger: a phase is rolled back when a key query gets more than 20% slower.

Each key query is measured before a phase and again after its post-checks, with
EXPLAIN (ANALYZE, BUFFERS) run several times. A query counts as slower only when
BOTH of these grew by more than its threshold (default 20%):
- the median execution time, and
- the buffers (shared pages hit + read) its plan touched, by at least MIN_EXTRA_BUFFERS.
Buffers measure the work a plan does and do not move with machine load, so a busy
or noisy machine (time up, buffers the same) never fires it; time keeps a tiny
table's 1 -> 3 pages from firing it.

A key query whose table, column or function does not exist yet is measured from
the phase that creates it. One that ran before a phase and cannot run after it
(the phase dropped or renamed what it reads) counts as slower without limit.
Any other error is a mistake in the query, refused before the phase starts.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

import psycopg
from pglast.visitors import referenced_relations

MIN_EXTRA_BUFFERS = 8  # pages: below this, growth is noise of tiny tables
# SQLSTATEs meaning "what the query reads is not there": undefined table, column, function, object.
NOT_THERE = {"42P01", "42703", "42883", "42704"}


@dataclass(frozen=True)
class Measurement:
    median_ms: float
    buffers: int
    runs: int


@dataclass(frozen=True)
class Unrunnable:
    """A key query the server refused: what it reads is missing, or the query itself is wrong."""

    error: str
    missing: bool  # its table, column or function is not there (yet, or any more)


@dataclass(frozen=True)
class Slowdown:
    query: str
    before: Measurement
    after: Measurement | Unrunnable
    threshold: float

    def describe(self) -> str:
        if isinstance(self.after, Unrunnable):
            return f"key query {self.query} no longer runs: {self.after.error}"
        return (f"key query {self.query} slower: {self.before.median_ms:.3f} -> {self.after.median_ms:.3f} ms "
                f"(median of {self.after.runs}), {self.before.buffers} -> {self.after.buffers} buffers "
                f"(allowed +{self.threshold:.0%})")


def measure(conn: psycopg.Connection, key_queries, runs: int = 5) -> dict[str, Measurement | Unrunnable]:
    """Each key query's measurement, or why the server would not run it. A lost connection
    is not the query's fault and propagates."""
    results = {}
    for query in key_queries:
        absent = _absent_relations(conn, query.sql)
        if absent:  # asked first, so the server log gets no ERROR for a table a later phase creates
            results[query.name] = Unrunnable(f"relation {absent[0]} does not exist", missing=True)
            continue
        try:
            results[query.name] = _measure_one(conn, query.sql, runs)
        except (psycopg.errors.ProgrammingError, psycopg.errors.DataError, psycopg.errors.QueryCanceled) as error:
            # the query's own errors (SQLSTATE classes 42 and 22) or its statement_timeout
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            results[query.name] = Unrunnable(message, error.sqlstate in NOT_THERE)
    return results


def wrong_queries(measured: dict, key_queries) -> list:
    """The key queries that cannot run because they are wrong, not merely early."""
    return [q for q in key_queries if isinstance(measured.get(q.name), Unrunnable) and not measured[q.name].missing]


def slowdowns(before: dict[str, Measurement | Unrunnable], after: dict[str, Measurement | Unrunnable], key_queries,
              default_threshold: float) -> list[Slowdown]:
    found = []
    for query in key_queries:
        b, a = before.get(query.name), after.get(query.name)
        if not isinstance(b, Measurement) or a is None:
            continue  # nothing to compare against: it could not run before the phase
        threshold = query.max_slowdown if query.max_slowdown is not None else default_threshold
        if isinstance(a, Unrunnable):
            found.append(Slowdown(query.name, b, a, threshold))
            continue
        slower = a.median_ms > b.median_ms * (1 + threshold)
        more_work = a.buffers > b.buffers * (1 + threshold) and a.buffers - b.buffers >= MIN_EXTRA_BUFFERS
        if slower and more_work:
            found.append(Slowdown(query.name, b, a, threshold))
    return found


def _absent_relations(conn: psycopg.Connection, sql: str) -> list[str]:
    names = sorted(referenced_relations(sql))  # tables and views, CTE names left out
    rows = conn.execute("SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL",
                        [names]).fetchall()
    return [name for (name,) in rows]


def _measure_one(conn: psycopg.Connection, sql: str, runs: int) -> Measurement:
    times, buffers = [], []
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        # as the application would run it: under the role's or database's statement_timeout, not the runner's 0
        conn.execute("SET LOCAL statement_timeout TO DEFAULT")
        conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")  # warm-up: caches, plan
        for _ in range(runs):
            raw = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            times.append(plan["Execution Time"])
            node = plan["Plan"]
            buffers.append(node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0))
    return Measurement(round(statistics.median(times), 3), int(statistics.median(buffers)), runs)
