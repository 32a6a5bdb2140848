"""Every stall explained: for each client request slower than twice the round's baseline maximum, what the server,
the disk, the standby and the migration were doing while it waited, and a cause named from those figures.

Slow requests that overlap (or come within half a second of each other) are one stall. Over its window the
ticks of bench.serverwatch give WAL bytes and full-page images per second, WAL syncs, checkpoints begun, ended
or running, the disk's write rate and how busy it was, what the migration's sessions and autovacuum ran, and
the standby's backlog; bench.lockwatch gives what the clients were waiting on then and behind whom. The cause
is the first of these rules that fits, each stated with the figures that made it fit:

1. clients queued for a lock: behind whom (lockwatch);
2. clients waited for the synchronous standby (SyncRep);
3. clients waited for the WAL flush (WALWrite, WALSync): with what was filling or slowing it, a checkpoint
   writing, autovacuum, the migration's batch or index build, full-page images;
4. clients waited on I/O: data file reads or writes, with the disk's figures;
5. clients busy on a CPU: with what else ran (the migration, autovacuum);
6. nothing seen waiting (the client itself, or a wait shorter than the 50 ms look): said so.
"""

from __future__ import annotations

import collections
import re

from .serverwatch import Tick

GAP = 0.5  # seconds: slow requests closer than this are one stall


def _rate(first: Tick, last: Tick, field: str) -> float | None:
    a, b = getattr(first, field), getattr(last, field)
    span = last.at - first.at
    return None if a is None or b is None or span <= 0 else float(b - a) / span  # sum() of a bigint is numeric


def _action(text: str) -> str:
    """What a migration session's statement is, in a DBA's words."""
    if not text:
        return "nothing (between statements: a pause, the runner's own work, or done)"
    verdicts = []
    for part in text.split(" | "):
        state, _, query = part.partition(": ")
        lowered = query.lower()
        kind = ("a batch" if "toolkit.batch_size" in lowered  # every batch reads its size from that setting
                else "an index build" if "create" in lowered and "index" in lowered
                else "a constraint validation" if "validate constraint" in lowered
                else "a key-query measurement" if lowered.startswith("explain")
                else "a lock-queue wait" if "pg_locks" in lowered or "pg_blocking_pids" in lowered
                else "the fingerprint or checks" if "pg_catalog" in lowered or "pg_class" in lowered
                or "information_schema" in lowered
                else "its history" if "toolkit." in lowered
                else "a statement")
        verdicts.append(f"{kind} ({state.split(' ', 1)[-1] if ' ' in state else state})")
    return "; ".join(dict.fromkeys(verdicts))


def explain(ticks: list[Tick], busy: list[tuple[float, str]], waits: list, start: float, end: float) -> dict:
    """The figures over [start, end] (run seconds), widened to at least one second for the per-second rates."""
    middle = (start + end) / 2
    lo, hi = min(start, middle - 0.5), max(end, middle + 0.5)
    inside = [t for t in ticks if lo <= t.at <= hi]
    before = [t for t in ticks if t.at < lo][-1:]
    span = before + inside
    waited = collections.Counter(event for at, event in busy if start <= at <= end)
    lock_behind = sorted({w.behind for w in waits if start <= w.at <= end and w.by_client and w.behind})
    if len(span) < 2:  # the server watch saw too little of it (a busy machine): what the clients waited on
        figures = {"measured": False, "clients_waited_on": dict(waited.most_common(4)), "locks_behind": lock_behind}
        figures["cause"] = cause(figures)
        return figures
    first, last = span[0], span[-1]
    disk_written, disk_busy = _rate(first, last, "disk_bytes_written"), _rate(first, last, "disk_busy_ms")
    figures = {
        "measured": True,
        "clients_waited_on": dict(waited.most_common(4)),
        "wal_mb_per_s": round(_rate(first, last, "wal_bytes") / 1e6, 2),
        "wal_fpi_per_s": round(_rate(first, last, "wal_fpi"), 1),
        "wal_syncs_per_s": round(_rate(first, last, "wal_syncs"), 1),
        "checkpoint": ("ended" if last.checkpoints > first.checkpoints else
                       "writing" if any(t.checkpointing for t in span) else "none"),
        "migration_doing": sorted({_action(t.migration) for t in inside}) or [_action(first.migration)],
        "autovacuum": sorted({_autovacuum(t.autovacuum) for t in inside if t.autovacuum}),
        "standby_bytes_behind_max": max((t.standby_bytes_behind or 0 for t in span), default=None),
        "disk_write_mb_per_s": None if disk_written is None else round(disk_written / 1e6, 1),
        "disk_busy_percent": None if disk_busy is None else round(min(100.0, disk_busy / 10), 0),
        "locks_behind": lock_behind,
        "page_cache_dirty_mb_max": max((t.dirty_mb for t in span if t.dirty_mb is not None), default=None),
        "written_mb_per_s_by": _writers(first, last),
    }
    figures["cause"] = cause(figures)
    return figures


def _writers(first: Tick, last: Tick) -> dict[str, float]:
    """MB/s each kind of PostgreSQL process caused to be written over the window, the busiest first (a kind whose
    processes came and went can lose counts; never below 0)."""
    span = last.at - first.at
    rates = {kind: max(0, last.written_by.get(kind, 0) - first.written_by.get(kind, 0)) / span / 1e6
             for kind in last.written_by} if span > 0 else {}
    return {kind: round(rate, 1) for kind, rate in sorted(rates.items(), key=lambda kv: -kv[1]) if rate >= 0.1}


def _autovacuum(text: str) -> str:
    return "; ".join(re.sub(r"^autovacuum: ", "", part) for part in text.split(" | "))


def cause(f: dict) -> str:
    """The first rule (module docstring) that fits, with the figures that made it fit."""
    waited = f["clients_waited_on"]
    total = sum(waited.values())
    if not f.get("measured", True):
        f = {**f, "wal_mb_per_s": "?", "wal_fpi_per_s": "?", "wal_syncs_per_s": "?", "checkpoint": "none",
             "migration_doing": ["not seen"], "autovacuum": [], "disk_busy_percent": None,
             "page_cache_dirty_mb_max": None, "written_mb_per_s_by": {}}

    def share(*names: str) -> int:
        return sum(n for event, n in waited.items() if any(name in event for name in names))

    writers = ", ".join(f"{kind} {rate} MB/s" for kind, rate in list(f["written_mb_per_s_by"].items())[:3])
    disk = (f"disk {f['disk_busy_percent']:.0f}% busy, {f['disk_write_mb_per_s']} MB/s written"
            + (f" (dirtied by {writers})" if writers else "")
            + (f", {f['page_cache_dirty_mb_max']} MB dirty in the page cache" if f["page_cache_dirty_mb_max"]
               else "") if f["disk_busy_percent"] is not None else "disk not measured")
    wal = f"WAL {f['wal_mb_per_s']} MB/s, {f['wal_fpi_per_s']} full-page images/s, {f['wal_syncs_per_s']} syncs/s"
    doing = ", ".join(f["migration_doing"])
    others = ([f"a checkpoint {f['checkpoint']}"] if f["checkpoint"] != "none" else []) + (
        [f"autovacuum on {', '.join(f['autovacuum'])}"] if f["autovacuum"] else [])
    beside = f"; beside it: {'; '.join(others)}" if others else ""
    if total and sum(n for event, n in waited.items() if event.startswith("Lock:")) * 2 >= total:
        return f"a lock queue: clients waited behind {', '.join(f['locks_behind']) or 'the migration'}"
    if total and share("SyncRep") * 2 >= total:
        return f"the synchronous standby: commits waited for it to confirm ({wal}; migration: {doing})"
    if total and share("WALWrite", "WALSync", "WalSync", "WALInsert", "WALBufMapping") * 2 >= total:
        return f"the WAL flush: {wal}; {disk}; migration: {doing}{beside}"
    if total and share("IO:", "BufferIO", "BufferContent") * 2 >= total:
        return f"I/O: clients waited on {', '.join(waited)}; {disk}; migration: {doing}{beside}"
    if total:
        return f"CPU: clients running, not waiting ({total} looks); migration: {doing}{beside}; {wal}"
    return (f"no client seen waiting at a 50 ms look (a wait shorter than a look, or the client process itself); "
            f"migration: {doing}{beside}; {wal}; {disk}")


def find(run, ticks: list[Tick], threshold_ms: float, after: bool = False) -> list[dict]:
    """The run's stalls during its migration (`after`: in the load that went on after it, where what the migration
    wrote can still come back, e.g. the kernel writing out its dirty pages 30 s later): requests over
    `threshold_ms`, grouped, each explained."""
    start, end = (run.migration_end, float("inf")) if after else (run.migration_start, run.migration_end)
    slow = sorted((s for s in run.samples if start <= s.at <= end and s.latency_ms > threshold_ms and
                   not (after and s.at == run.migration_end)), key=lambda s: s.at)
    groups: list[list] = []
    for sample in slow:
        if groups and sample.at <= max(s.at + s.latency_ms / 1000 for s in groups[-1]) + GAP:
            groups[-1].append(sample)
        else:
            groups.append([sample])
    stalls = []
    for group in groups:
        start, end = group[0].at, max(s.at + s.latency_ms / 1000 for s in group)
        stalls.append({
            **({"after_migration": True} if after else {}),
            "at_s": round(start, 2), "seconds": round(end - start, 2), "requests": len(group),
            "worst_ms": round(max(s.latency_ms for s in group), 1),
            "failed": sum(not s.ok for s in group),
            "phase": max(((begin, phase) for phase, begin, _ in run.phases if begin <= start), default=(None, None))[1],
            "runner_last_said": next((text for at, text in reversed(run.runner_events) if at <= start), None),
            **explain(ticks, run.clients_busy, run.lock_waits, start, end),
        })
    return stalls
