"""Live-load benchmark: apply phases 1-7 while clients keep working, and compare with
applying the same SQL naively.

1. A local server (or --dsn), phase 0, sample data at scale (default 1M users,
   ~300k businesses, ~3M health metrics); a copy of that database for the naive run.
2. The load (bench/workload.py): fixed-rate clients, each request with a deadline,
   and an analytics reader with long queries.
3. A baseline under that load, then phases 1-7 with the toolkit (lock_timeout,
   retries, CONCURRENTLY, NOT VALID, batches), then the same on the copy with the
   naive SQL by psql: plain CREATE INDEX, constraints validated at once, one-shot
   INSERT ... SELECT, no lock_timeout (bench/appliers.py).
4. Results (bench/report.py): JSON, a one-screen table, and a PNG of latency over
   time with the phase boundaries marked.

    python -m bench.live_load [--smoke] [--users N] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import uuid
from pathlib import Path

import psycopg

from toolkit import api
from toolkit.connection import Target
from toolkit.executor import Batching
from toolkit.sample_data import load_sample_data

from . import REPO
from .appliers import apply_naively, apply_with_toolkit
from .lockwatch import LockWatch
from .report import plot, summarize, table
from .server import bench_server
from .workload import Load, Run, Workload


def measure(run: Run, target: Target, load: Load, baseline_s: float, settle_s: float, apply) -> None:
    started = time.monotonic()
    workload, watch = Workload(target, load, run, started), LockWatch(target, started)
    workload.start()
    watch.start()
    time.sleep(baseline_s)
    run.migration_start = round(time.monotonic() - started, 2)
    try:
        apply(target, run, started)
    except Exception as exc:  # the benchmark reports a failed apply instead of dying
        run.error = f"{type(exc).__name__}: {exc}"
    run.migration_end = round(time.monotonic() - started, 2)
    time.sleep(settle_s)
    workload.stop()
    watch.stop()
    run.lock_waits = watch.waits


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small and quick (under 2 minutes)")
    parser.add_argument("--users", type=int)
    parser.add_argument("--baseline", type=float, help="seconds of quiet load before migrating")
    parser.add_argument("--rate", type=float, default=Load.rate, help="client transactions per second, all clients")
    parser.add_argument("--clients", type=int, default=Load.clients)
    parser.add_argument("--deadline", type=int, default=Load.deadline_ms,
                        help="ms: each request's deadline from its scheduled start; later counts as failed")
    parser.add_argument("--report-every", type=float, default=5.0,
                        help="seconds between the analytics reader's 1-2 s queries (0: no reader)")
    parser.add_argument("--batch-size", type=int, default=Batching.size, help="the toolkit's rows per batch (phase 2)")
    parser.add_argument("--batch-pause", type=float, default=Batching.pause,
                        help="the toolkit's seconds between batches: less load on clients, longer migration")
    parser.add_argument("--dsn", help="a server to use (its maintenance database); default: start one here")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    users = args.users or (20_000 if args.smoke else 1_000_000)
    baseline = args.baseline if args.baseline is not None else (5.0 if args.smoke else 30.0)

    with bench_server(args.dsn) as (server, bindir):
        return run_benchmark(server, bindir, args, users, baseline)


def settle(server: Target, databases: list[str]) -> None:
    """Both copies start as a live database would be: vacuumed, analyzed, no checkpoint owed. Without this the
    first run's baseline pays for the bulk load and the template copy (measured: p99 23 ms instead of 4 ms)."""
    for name in databases:
        with psycopg.connect(server.with_database(name).dsn, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
    with server.connect() as conn:
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass  # a given server without pg_checkpoint: its own checkpoints will do


def run_benchmark(server: Target, bindir: Path, args, users: int, baseline: float) -> dict:
    names = {"toolkit": f"bench_toolkit_{uuid.uuid4().hex[:6]}", "naive": f"bench_naive_{uuid.uuid4().hex[:6]}"}
    try:
        with server.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(f'CREATE DATABASE "{names["toolkit"]}"')
        toolkit_db = server.with_database(names["toolkit"])
        print(f"seeding {users} users ...", flush=True)
        api.apply(toolkit_db, 0, settings=api.Settings(project=REPO))
        seeded = load_sample_data(toolkit_db, users=users)
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{names["naive"]}" TEMPLATE "{names["toolkit"]}"')
        settle(server, list(names.values()))
        runs = [Run("toolkit"), Run("naive")]
        batching = Batching(size=args.batch_size, pause=args.batch_pause)
        load = Load(args.rate, args.clients, args.deadline, args.report_every)
        measure(runs[0], toolkit_db, load, baseline, 2.0, lambda t, r, s: apply_with_toolkit(t, r, s, batching))
        measure(runs[1], server.with_database(names["naive"]), load, baseline, 2.0,
                lambda t, r, s: apply_naively(t, r, s, bindir))
        report = {
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "postgresql": version},
            "scale": {"users": seeded.users, "businesses": seeded.businesses, "health_metrics": seeded.health_metrics,
                      "rate_per_second": args.rate, "clients": args.clients, "baseline_seconds": baseline,
                      "client_deadline_ms": args.deadline, "report_every_seconds": args.report_every,
                      "toolkit_batches": f"{args.batch_size} rows, {args.batch_pause} s pause"},
            "runs": {run.name: summarize(run) for run in runs},
        }
        args.out.mkdir(parents=True, exist_ok=True)
        stem = "smoke" if args.smoke else "latest"
        (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
        plot(runs, args.out / f"{stem}.png")
        print(table(report))
        print(f"results: {args.out / stem}.json, {args.out / stem}.png")
        return report
    finally:
        with server.connect() as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
