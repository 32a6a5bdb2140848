"""The key-query slowdown trigger: 004's "performance degradation >20% on key queries".

Each key query is measured before a phase and again after its post-checks, with
EXPLAIN (ANALYZE, BUFFERS) run several times. A query counts as slower only when
BOTH of these grew by more than its threshold (default 20%):
- the median execution time, and
- the buffers (shared pages hit + read) its plan touched, by at least MIN_EXTRA_BUFFERS.
Buffers measure the work a plan does and do not move with machine load, so a busy
or noisy machine (time up, buffers the same) never fires it; time keeps a tiny
table's 1 -> 3 pages from firing it.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

import psycopg

MIN_EXTRA_BUFFERS = 8  # pages: below this, growth is noise of tiny tables


@dataclass(frozen=True)
class Measurement:
    median_ms: float
    buffers: int
    runs: int


@dataclass(frozen=True)
class Slowdown:
    query: str
    before: Measurement
    after: Measurement
    threshold: float

    def describe(self) -> str:
        return (f"key query {self.query} slower: {self.before.median_ms:.3f} -> {self.after.median_ms:.3f} ms "
                f"(median of {self.after.runs}), {self.before.buffers} -> {self.after.buffers} buffers "
                f"(allowed +{self.threshold:.0%})")


def measure(conn: psycopg.Connection, key_queries, runs: int = 5) -> dict[str, Measurement]:
    """Measurements of the key queries that run now; a query that cannot run yet
    (its tables come with a later phase) is left out and not compared."""
    results = {}
    for query in key_queries:
        try:
            results[query.name] = _measure_one(conn, query.sql, runs)
        except psycopg.Error:
            continue
    return results


def slowdowns(before: dict[str, Measurement], after: dict[str, Measurement], key_queries,
              default_threshold: float) -> list[Slowdown]:
    found = []
    for query in key_queries:
        if query.name not in before or query.name not in after:
            continue
        threshold = query.max_slowdown if query.max_slowdown is not None else default_threshold
        b, a = before[query.name], after[query.name]
        slower = a.median_ms > b.median_ms * (1 + threshold)
        more_work = a.buffers > b.buffers * (1 + threshold) and a.buffers - b.buffers >= MIN_EXTRA_BUFFERS
        if slower and more_work:
            found.append(Slowdown(query.name, b, a, threshold))
    return found


def _measure_one(conn: psycopg.Connection, sql: str, runs: int) -> Measurement:
    times, buffers = [], []
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")  # warm-up: caches, plan
        for _ in range(runs):
            raw = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            times.append(plan["Execution Time"])
            node = plan["Plan"]
            buffers.append(node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0))
    return Measurement(round(statistics.median(times), 3), int(statistics.median(buffers)), runs)
