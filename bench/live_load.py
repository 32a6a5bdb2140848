"""Live-load benchmark: apply phases 1-7 while clients keep working, and compare with
applying the same SQL naively.

1. A local server (or --dsn), phase 0, sample data at scale (default 1M users,
   ~300k businesses, ~3M health metrics) in a seed database.
2. The load (bench/workload.py): fixed-rate clients, each request with a deadline,
   and an analytics reader with long queries.
3. Rounds (default 3), each on two fresh copies of the seed: a baseline under that
   load, then phases 1-7 with the toolkit (lock_timeout, retries, CONCURRENTLY,
   NOT VALID, batches) on one copy; the same on the other with the naive SQL by
   psql: plain CREATE INDEX, constraints validated at once, one-shot
   INSERT ... SELECT, no lock_timeout (bench/appliers.py). Who goes first alternates.
4. Results (bench/report.py): JSON (each round, and both sides pooled over the
   rounds), a one-screen table, and a PNG of latency over time per round with the
   phase boundaries marked.

    python -m bench.live_load [--smoke] [--users N] [--rounds N] [--out bench/results]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import time
import uuid
from pathlib import Path

import psycopg

from toolkit import api
from toolkit.connection import Target
from toolkit.runner.batches import Batching
from platform_data.sample_data import load_sample_data

from . import REPO
from .appliers import apply_naively, apply_with_toolkit
from .lockwatch import LockWatch
from .replicawatch import ReplicaWatch
from .serverwatch import ServerWatch
from .report import SIDES, compare, plot, summarize, table
from .server import PRODUCTION_LIKE, bench_server, dirty_background, kernel_writeback
from .workload import Load, Run, Workload


def measure(run: Run, server: Target, target: Target, load: Load, baseline_s: float, settle_s: float,
            apply) -> None:
    started = time.monotonic()
    workload, watch = Workload(target, load, run, started), LockWatch(target, started)
    standbys, server_watch = ReplicaWatch(server, started), ServerWatch(target, started)
    watchers = (watch, standbys, server_watch)
    workload.start()
    for watcher in watchers:
        watcher.start()
    time.sleep(baseline_s)
    run.migration_start = round(time.monotonic() - started, 2)
    try:
        apply(target, run, started)
    except Exception as exc:  # the benchmark reports a failed apply instead of dying
        run.error = f"{type(exc).__name__}: {exc}"
    run.migration_end = round(time.monotonic() - started, 2)
    time.sleep(settle_s)
    workload.stop()
    for watcher in watchers:
        watcher.stop()
    run.lock_waits, run.clients_busy, run.standby_looks = watch.waits, watch.busy, standbys.looks
    run.server_ticks = server_watch.ticks


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small and quick (under 2 minutes)")
    parser.add_argument("--users", type=int)
    parser.add_argument("--rounds", type=int,
                        help="fresh copies migrated per side, reported each and pooled (default 3; smoke 1)")
    parser.add_argument("--baseline", type=float, help="seconds of quiet load before migrating")
    parser.add_argument("--settle", type=float,
                        help="seconds of load after the migration, before a side's run ends (default 35: the kernel "
                             "writes dirty pages out 30 s after they were dirtied, so what the migration wrote comes "
                             "back within it; smoke 2), reported as after_migration")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a server setting for the server the benchmark starts, over bench/server.py's")
    parser.add_argument("--rate", type=float, default=Load.rate, help="client transactions per second, all clients")
    parser.add_argument("--clients", type=int, default=Load.clients)
    parser.add_argument("--deadline", type=int, default=Load.deadline_ms,
                        help="ms: each request's deadline from its scheduled start; later counts as failed")
    parser.add_argument("--report-every", type=float, default=5.0,
                        help="seconds from the end of one analytics report to the next (0: no reader)")
    parser.add_argument("--batch-size", type=int, default=Batching.size, help="the toolkit's rows per batch (phase 2)")
    parser.add_argument("--batch-pause", type=float, default=Batching.pause,
                        help="the toolkit's seconds between batches: less load on clients, longer migration")
    parser.add_argument("--sides", default=",".join(SIDES),
                        help="which to run, comma-separated: toolkit (fixed batches), adaptive (toolkit --adaptive), "
                             "naive (always run: the others are compared with it)")
    parser.add_argument("--no-standby", action="store_true",
                        help="do not start a standby beside the server the benchmark starts")
    parser.add_argument("--sync-standby", action="store_true",
                        help="the standby confirms every commit (synchronous_standby_names): its lag is the clients'")
    parser.add_argument("--dirty-background-bytes", type=int,
                        help="set Linux's vm.dirty_background_bytes to this while the benchmark runs (root), and put "
                             "it back after: a database server's writeback tuning (bench/server.py)")
    parser.add_argument("--dsn", help="a server to use (its maintenance database); default: start one here "
                                      "with a streaming standby")
    parser.add_argument("--timeline", action="store_true",
                        help="also write NAME-timeline.json: every look at the server (WAL, checkpoints, disk, what "
                             "the migration and autovacuum ran) and every runner event, per round and side")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--name", default="latest", help="the results' file name in --out (NAME.json, NAME.png)")
    args = parser.parse_args(argv)
    users = args.users or (20_000 if args.smoke else 1_000_000)
    args.rounds = args.rounds or (1 if args.smoke else 3)
    baseline = args.baseline if args.baseline is not None else (5.0 if args.smoke else 30.0)
    args.settle = args.settle if args.settle is not None else (2.0 if args.smoke else 35.0)

    if args.sync_standby and (args.dsn or args.no_standby):
        parser.error("--sync-standby makes the standby of the server the benchmark starts synchronous: "
                     "not with --dsn or --no-standby")
    with dirty_background(args.dirty_background_bytes), \
            bench_server(args.dsn, standby=not args.no_standby, synchronous=args.sync_standby,
                         settings=server_settings(args)) as (server, bindir, standbys):
        return run_benchmark(server, bindir, standbys, args, users, baseline)


def settle(server: Target, seed: Target) -> None:
    """The seed, and so every copy of it, starts as a live database would be: vacuumed, analyzed. Without this the
    first run's baseline pays for the bulk load (measured: p99 23 ms instead of 4 ms)."""
    with psycopg.connect(seed.dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    checkpoint(server)


def checkpoint(server: Target, standbys: tuple[Target, ...] = ()) -> None:
    """No checkpoint owed for the bulk load or the copies when a round's baseline starts, and no standby still
    replaying them: a copy of the seed is gigabytes of WAL (CREATE DATABASE logs it), and a standby replaying it
    during the baseline made the baseline's p99 45 times the quiet one (the first run with a standby)."""
    with server.connect() as conn:
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass  # a given server without pg_checkpoint: its own checkpoints will do
        ends = time.monotonic() + 900
        while time.monotonic() < ends and conn.execute(
                "SELECT count(*) FROM pg_stat_replication "
                "WHERE replay_lsn IS NULL OR replay_lsn < pg_current_wal_flush_lsn()").fetchone()[0]:
            time.sleep(0.5)
    for standby in standbys:  # its restartpoint, else it writes the copies out mid-round (seen: baseline p99 3.9 s)
        with standby.connect() as conn:
            conn.execute("CHECKPOINT")
    os.sync()  # and nothing the kernel still owes the disk for either server, on a machine the benchmark started


def run_benchmark(server: Target, bindir: Path, standbys: tuple[Target, ...], args, users: int,
                  baseline: float) -> dict:
    """Seed once; then each round migrates two fresh copies of the seed, one per side. The naive side's failures
    hinge on whether its long locks meet the analytics reader, so one round can end 0 to 0 by chance: every round
    is reported, and the pooled rows count them all. The side that goes first alternates, so neither always
    meets the server first."""
    tag = uuid.uuid4().hex[:6]
    made: list[str] = []

    def create(name: str, template: str | None = None) -> Target:
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        made.append(name)
        return server.with_database(name)

    fixed = Batching(size=args.batch_size, pause=args.batch_pause, adaptive=False)
    adaptive = Batching(size=args.batch_size, pause=args.batch_pause, adaptive=True)
    appliers = {"toolkit": lambda t, r, s: apply_with_toolkit(t, r, s, fixed),
                "adaptive": lambda t, r, s: apply_with_toolkit(t, r, s, adaptive),
                "naive": lambda t, r, s: apply_naively(t, r, s, bindir)}
    asked = set(args.sides.split(",")) | {"naive"}
    sides = tuple(side for side in SIDES if side in asked)
    load = Load(args.rate, args.clients, args.deadline, args.report_every)
    try:
        with server.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        seed = create(f"bench_seed_{tag}")
        print(f"seeding {users} users ...", flush=True)
        api.apply(seed, 0, settings=api.Settings(project=REPO))
        seeded = load_sample_data(seed, users=users)
        settle(server, seed)
        rounds: list[list[Run]] = []
        for number in range(1, args.rounds + 1):
            shift = (number - 1) % len(sides)  # each side goes first in turn
            order = sides[shift:] + sides[:shift]
            copies = {side: create(f"bench_{side}_{tag}_{number}", template=seed.params["dbname"]) for side in order}
            rounds.append([])
            for side in order:
                checkpoint(server, standbys)  # each side starts on a quiet server: nothing owed by the one before
                print(f"round {number} of {args.rounds}: {side}", flush=True)
                run = Run(side)
                measure(run, server, copies[side], load, baseline, args.settle, appliers[side])
                rounds[-1].append(run)
            drop(server, [copy.params["dbname"] for copy in copies.values()])
        report = {
            "measured": measured_commit(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "postgresql": version, "kernel_writeback": kernel_writeback()},
            "scale": {"users": seeded.users, "businesses": seeded.businesses, "health_metrics": seeded.health_metrics,
                      "rate_per_second": args.rate, "clients": args.clients, "baseline_seconds": baseline,
                      "client_deadline_ms": args.deadline, "report_every_seconds": args.report_every,
                      "toolkit_batches": f"{args.batch_size} rows, {args.batch_pause} s pause",
                      "adaptive_batches": f"starting at {args.batch_size} rows, {args.batch_pause} s pause",
                      "standbys": standbys_described(args),
                      "rounds": args.rounds, "settle_seconds": args.settle,
                      "server_settings": "the given server's" if args.dsn else
                                         {**PRODUCTION_LIKE, **server_settings(args)}},
            "runs": {side: summarize([run for runs in rounds for run in runs if run.name == side]) for side in sides},
            "rounds": [{"order": [run.name for run in runs], **{run.name: summarize([run]) for run in runs}}
                       for runs in rounds],
        }
        report["verdict"] = compare(report["runs"], report["rounds"])
        args.out.mkdir(parents=True, exist_ok=True)
        stem = "smoke" if args.smoke else args.name
        (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
        plot(rounds, args.out / f"{stem}.png")
        if args.timeline:
            (args.out / f"{stem}-timeline.json").write_text(json.dumps(
                [{"round": number, "side": run.name, "migration_start": run.migration_start,
                  "migration_end": run.migration_end, "events": run.runner_events, "batches": run.batches,
                  "ticks": [dataclasses.asdict(tick) for tick in run.server_ticks]}
                 for number, runs in enumerate(rounds, 1) for run in runs]))
        print(table(report))
        print(f"results: {args.out / stem}.json, {args.out / stem}.png")
        return report
    finally:
        drop(server, made)


def server_settings(args) -> dict[str, str]:
    return dict(setting.split("=", 1) for setting in args.set)


def standbys_described(args) -> str:
    if args.dsn:
        return "the given server's"
    if args.no_standby:
        return "none"
    return "streaming, " + ("synchronous (synchronous_commit on)" if args.sync_standby else "asynchronous") + \
        ", on this machine"


def measured_commit() -> dict:
    """Which code the figures describe: the commit, and whether the runner or the benchmark had uncommitted
    changes (then the figures describe no commit)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown",
            # results are not code: the run before this one leaves its own results uncommitted in a chain
            "uncommitted_changes": bool(git("status", "--porcelain", "--", "toolkit", "bench", "migrations",
                                            "rollbacks", "validation", ":(exclude)bench/results")),
            "date": time.strftime("%Y-%m-%d")}


def drop(server: Target, names: list[str]) -> None:
    with server.connect() as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
