"""Lock behaviour, observed: who waited for a table lock, how long, and behind whom.

A thread looks at pg_locks every 50 ms while a run's load goes on, and keeps each
waiting session with the sessions blocking it (pg_blocking_pids). The summary says
how long the migration's statements sat in a lock queue and what held them, and how
many clients were queued at once and behind what: the latency columns show that
clients waited, this shows why. At each look it also notes what every client with a
statement in progress is waiting for (pg_stat_activity's wait_event: a lock, the WAL
flush, a buffer, or nothing, i.e. a CPU), so a stall that is not a lock is named too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from toolkit.connection import Target

from .sampling import Sampler

EVERY = 0.05  # seconds between looks

_WAITING = """
SELECT w.pid, w.application_name, left(regexp_replace(w.query, '\\s+', ' ', 'g'), 70), l.relation::regclass::text,
       l.mode,
       (SELECT string_agg(DISTINCT b.application_name || ': ' || left(regexp_replace(b.query, '\\s+', ' ', 'g'), 50),
                          '; ')
        FROM pg_stat_activity AS b WHERE b.pid = ANY (pg_blocking_pids(w.pid)))
FROM pg_locks AS l JOIN pg_stat_activity AS w ON w.pid = l.pid
WHERE NOT l.granted AND l.locktype = 'relation' AND w.datname = current_database()
"""

# A client between statements is 'idle in transaction' (waiting for itself), so only 'active' ones count.
_CLIENTS_BUSY = """
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU')
FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bench client' AND state = 'active'
"""

CLIENTS = ("bench client", "bench report")  # the load's application_names; anything else is the migration


@dataclass(frozen=True)
class Wait:
    at: float  # seconds since the run started
    pid: int
    application: str
    statement: str
    table: str
    mode: str
    behind: str

    @property
    def by_client(self) -> bool:
        return self.application in CLIENTS


class LockWatch(Sampler):
    every = EVERY
    application_name = "bench lockwatch"

    def __init__(self, target: Target, started: float):
        super().__init__(target, started)
        self.waits: list[Wait] = []
        self.busy: list[tuple[float, str]] = []  # (at, what one busy client waited for)

    def look(self, conn, at: float) -> None:
        self.waits += [Wait(at, *row[:5], row[5] or "") for row in conn.execute(_WAITING)]
        self.busy += [(at, event) for (event,) in conn.execute(_CLIENTS_BUSY)]


def summarize(windows: list[tuple[list[Wait], float, float]]) -> dict:
    """Over each (waits, start, end) window, one per round (run seconds): the migration's longest lock waits,
    and the clients' queue."""
    migration: dict[tuple, list[Wait]] = defaultdict(list)  # one statement's looks
    queued: dict[tuple, list[Wait]] = defaultdict(list)  # the clients waiting at one look
    for round_, (waits, start, end) in enumerate(windows):
        for wait in (w for w in waits if start <= w.at <= end):
            if wait.by_client:
                queued[(round_, wait.at)].append(wait)
            else:
                migration[(round_, wait.pid, wait.statement, wait.table)].append(wait)
    longest = sorted(migration.values(), key=len, reverse=True)[:5]
    deepest = max(queued.values(), key=len, default=[])
    return {
        # each seen in consecutive looks: the time is how long it was seen waiting, to the nearest look
        "migration_waits": [{"statement": w[0].statement, "table": w[0].table, "mode": w[0].mode,
                             "seconds_seen": round(len(w) * EVERY, 2), "behind": w[0].behind} for w in longest],
        "client_wait_seconds_seen": round(sum(len(q) for q in queued.values()) * EVERY, 2),
        "most_clients_waiting": {"count": len(deepest), "at_s": deepest[0].at if deepest else None,
                                 "behind": sorted({w.behind for w in deepest})},
    }


def clients_busy(windows: list[tuple[list[tuple[float, str]], float, float]]) -> dict[str, float]:
    """Over each (busy looks, start, end) window: how many clients were, on average, in a statement waiting for each
    thing (a lock, the WAL flush, I/O, 'CPU' for none), most first. Averages compare a 30 s baseline with a longer
    migration; a look every 50 ms sees a wait of a few ms only now and then, which the average allows for."""
    seconds = sum(end - start for _, start, end in windows)
    looks = Counter(event for busy, start, end in windows for at, event in busy if start <= at <= end)
    return {event: round(count * EVERY / seconds, 3) for event, count in looks.most_common(8)} if seconds else {}
