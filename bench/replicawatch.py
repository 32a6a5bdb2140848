"""Standby lag, observed: how far behind each streaming standby replays while a run's load goes on.

A thread reads pg_stat_replication on the primary every 100 ms: each standby's replay_lag (the time from
the primary flushing WAL to the standby having replayed it, as the walsender measures it) and how many
bytes of WAL it has still to replay. Only looks where the standby is behind count as lag: a standby that
has caught up shows its last measured lag for a while, which is not lag any more.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from toolkit.connection import Target
from toolkit.runner.throttle import STANDBYS

from .sampling import Sampler

EVERY = 0.1  # seconds between looks

_STANDBYS = f"SELECT standby, coalesce(lag_seconds, 0), coalesce(bytes_behind, 0) FROM ({STANDBYS}) AS s"


@dataclass(frozen=True)
class Look:
    at: float  # seconds since the run started
    standby: str
    lag_seconds: float
    bytes_behind: int


class ReplicaWatch(Sampler):
    every = EVERY
    application_name = "bench replicawatch"

    def __init__(self, server: Target, started: float):
        super().__init__(server, started)
        self.looks: list[Look] = []

    def look(self, conn, at: float) -> None:
        self.looks += [Look(at, name, float(lag), int(behind)) for name, lag, behind in conn.execute(_STANDBYS)]


def summarize(windows: list[tuple[list[Look], float, float]]) -> dict:
    """Over each (looks, start, end) window, one per round (run seconds): the standbys' replay lag."""
    looks = [look for seen, start, end in windows for look in seen if start <= look.at <= end]
    lags = sorted(look.lag_seconds for look in looks)
    return {
        "standbys": len({look.standby for look in looks}),
        "looks": len(looks),
        "replay_lag_max_s": round(lags[-1], 3) if lags else None,
        "replay_lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3) if lags else None,
        "replay_lag_median_s": round(statistics.median(lags), 3) if lags else None,
        "bytes_behind_max": max((look.bytes_behind for look in looks), default=None),
    }
