"""Live-load benchmark: apply phases 1-7 while clients keep working, and compare with
applying the same SQL naively.

1. A local server (or --dsn), phase 0, sample data at scale (default 1M users,
   ~300k businesses, ~3M health metrics); a copy of that database for the naive run.
2. Client threads run a fixed-rate mix of signups (which also create the
   subscription and credits rows once those tables exist, as an application deployed
   in step would), updates and lookups on users, businesses and health_metrics.
   Latency is measured from each transaction's *scheduled* start, so a client held
   up by a lock is charged for all of it (no coordinated omission). Each request has a
   deadline from that start, as an application or its load balancer has: the client
   cancels the transaction when it passes, and a request that ends after it failed.
3. A quiet baseline under load, then phases 1-7 with the toolkit (lock_timeout,
   retries, CONCURRENTLY, NOT VALID, batches), then the same on the copy with the
   naive SQL by psql: plain CREATE INDEX, constraints validated at once, one-shot
   INSERT ... SELECT, no lock_timeout.
4. Results: JSON, a one-screen table, and a PNG of latency over time with the
   phase boundaries marked.

    python -m bench.live_load [--smoke] [--users N] [--out bench/results]
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from toolkit import api
from toolkit.connection import Target
from toolkit.executor import Batching
from toolkit.plan import load_plan
from toolkit.progress import Progress
from toolkit.sample_data import load_sample_data

from .server import bench_server

REPO = Path(__file__).resolve().parent.parent
MIX = [("signup", 10), ("touch_user", 20), ("add_metric", 20), ("touch_business", 10),
       ("user_by_email", 15), ("businesses_by_owner", 15), ("subscription_lookup", 10)]


@dataclass
class Sample:
    at: float  # seconds since the run started
    latency_ms: float
    kind: str
    failure: str | None = None  # None, "deadline" (the application gave up) or the server's error, "deadlock"...

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class Run:
    name: str
    samples: list[Sample] = field(default_factory=list)
    reports: list[Sample] = field(default_factory=list)  # the analytics reader's, kept apart: seconds, not ms
    phases: list[tuple[int, float, float]] = field(default_factory=list)  # phase, start, end (run seconds)
    migration_start: float = 0.0
    migration_end: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Load:
    rate: float = 100.0  # client transactions per second, all clients together
    clients: int = 4
    deadline_ms: int = 1000  # a request's budget from its scheduled start
    report_every: float = 0.0  # seconds between the analytics reader's queries; 0 = no reader


class Workload:
    """Fixed-rate clients on their own connections, and an optional analytics reader."""

    def __init__(self, target: Target, load: Load, run: Run, started: float):
        self.target, self.run, self.started = target, run, started
        self.rate, self.clients, self.timeout_ms, self.report_every = (load.rate, load.clients, load.deadline_ms,
                                                                       load.report_every)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            self.users = conn.execute("SELECT id, email FROM users TABLESAMPLE SYSTEM (5) LIMIT 20000").fetchall() \
                or conn.execute("SELECT id, email FROM users LIMIT 20000").fetchall()
            self.businesses = conn.execute("SELECT id, owner_id FROM businesses LIMIT 20000").fetchall()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        if self.report_every:
            self.threads.append(threading.Thread(target=self._reporter, daemon=True))

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)

    def _client(self, number: int):
        rnd = random.Random(number)
        interval = self.clients / self.rate
        kinds = [k for k, weight in MIX for _ in range(weight)]
        conn = None
        scheduled = time.monotonic() + rnd.random() * interval
        while not self.stop_event.is_set():
            time.sleep(max(0.0, scheduled - time.monotonic()))
            kind = rnd.choice(kinds)
            if conn is None or conn.broken:
                # statement_timeout only backs up the deadline below, should this process be too busy to cancel
                conn = psycopg.connect(self.target.dsn, autocommit=True, application_name="bench client",
                                       options=f"-c statement_timeout={self.timeout_ms}")
            failure = self._request(conn, kind, rnd, deadline=scheduled + self.timeout_ms / 1000)
            done = time.monotonic()
            with self.lock:
                self.run.samples.append(Sample(round(scheduled - self.started, 4),
                                               round((done - scheduled) * 1000, 3), kind, failure))
            scheduled += interval
        if conn is not None:
            conn.close()

    def _reporter(self):
        """An analytics reader: every report_every seconds, one query over the big tables that takes a second
        or two and holds its tables' ACCESS SHARE lock until it ends, as dashboards, exports and pg_dump do.
        It is what DDL ends up queued behind on a real database, with every client queued behind the DDL."""
        with psycopg.connect(self.target.dsn, autocommit=True, application_name="bench report") as conn:
            scheduled = time.monotonic() + self.report_every
            while not self.stop_event.wait(max(0.0, scheduled - time.monotonic())):
                failure = None
                try:
                    self.health_by_plan(conn)
                except psycopg.Error as exc:
                    failure = type(exc).__name__
                done = time.monotonic()
                with self.lock:
                    self.run.reports.append(Sample(round(scheduled - self.started, 4),
                                                   round((done - scheduled) * 1000, 3), "report", failure))
                scheduled = max(scheduled + self.report_every, done)

    def health_by_plan(self, conn):
        if conn.execute("SELECT to_regclass('user_subscriptions') IS NOT NULL").fetchone()[0]:
            conn.execute("SELECT sp.name, count(DISTINCT b.id), avg(hm.health_score) FROM health_metrics AS hm "
                         "JOIN businesses AS b ON b.id = hm.business_id "
                         "JOIN user_subscriptions AS us ON us.user_id = b.owner_id "
                         "AND us.status IN ('trialing', 'active', 'past_due') "
                         "JOIN subscription_plans AS sp ON sp.id = us.plan_id GROUP BY sp.name").fetchall()
        else:
            conn.execute("SELECT hm.metric_type, count(DISTINCT b.id), avg(hm.health_score) "
                         "FROM health_metrics AS hm JOIN businesses AS b ON b.id = hm.business_id "
                         "GROUP BY hm.metric_type").fetchall()

    def _request(self, conn, kind: str, rnd, deadline: float) -> str | None:
        """One request: its transaction, cancelled when the deadline passes. A statement_timeout alone
        would let a signup whose three statements each waited 0.9 s count as a success after 2.7 s."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "deadline"  # it waited its whole budget for this client to finish the one before
        watchdog = threading.Timer(remaining, conn.cancel_safe)
        watchdog.start()
        try:
            with conn.transaction():
                getattr(self, kind)(conn, rnd)
        except psycopg.errors.QueryCanceled:
            return "deadline"
        except psycopg.Error as exc:
            return type(exc).__name__
        finally:
            watchdog.cancel()
            watchdog.join()  # a cancel already on its way must not hit this client's next request
        # a cancel that reached the server between two statements is ignored; the user still saw a timeout
        return "deadline" if time.monotonic() > deadline else None

    def signup(self, conn, rnd):
        # The application writes what the schema has, checked in the same transaction,
        # as an application deployed in step with the phases would.
        subscriptions, credits = conn.execute(
            "SELECT to_regclass('user_subscriptions') IS NOT NULL, to_regclass('credits') IS NOT NULL").fetchone()
        user_id = conn.execute("INSERT INTO users (email, display_name) VALUES (%s, 'Bench User') RETURNING id",
                               (f"bench-{uuid.uuid4().hex}@example.com",)).fetchone()[0]
        if subscriptions:
            conn.execute("INSERT INTO user_subscriptions (user_id, plan_id, status, source) "
                         "SELECT %s, id, 'active', 'application' FROM subscription_plans WHERE name = 'Free'",
                         (user_id,))
        if credits:
            conn.execute("INSERT INTO credits (user_id, monthly_quota, balance, daily_cap) VALUES (%s, 50, 50, 10)",
                         (user_id,))

    def touch_user(self, conn, rnd):
        conn.execute("UPDATE users SET last_seen_at = now() WHERE id = %s", (rnd.choice(self.users)[0],))

    def add_metric(self, conn, rnd):
        conn.execute("INSERT INTO health_metrics (business_id, metric_type, value, health_score) "
                     "VALUES (%s, 'cash_flow', %s, %s)", (rnd.choice(self.businesses)[0], rnd.random() * 100,
                                                          rnd.randint(0, 100)))

    def touch_business(self, conn, rnd):
        conn.execute("UPDATE businesses SET updated_at = now() WHERE id = %s", (rnd.choice(self.businesses)[0],))

    def user_by_email(self, conn, rnd):
        conn.execute("SELECT id, display_name FROM users WHERE email = %s", (rnd.choice(self.users)[1],)).fetchall()

    def subscription_lookup(self, conn, rnd):
        # 004's key query: what plan is this user on (once phase 1 has made the table)
        if conn.execute("SELECT to_regclass('user_subscriptions') IS NOT NULL").fetchone()[0]:
            conn.execute("SELECT us.status, sp.name, sp.ai_analysis_limit FROM user_subscriptions AS us "
                         "JOIN subscription_plans AS sp ON sp.id = us.plan_id "
                         "WHERE us.user_id = %s AND us.status IN ('trialing', 'active', 'past_due')",
                         (rnd.choice(self.users)[0],)).fetchall()

    def businesses_by_owner(self, conn, rnd):
        conn.execute("SELECT id, name FROM businesses WHERE owner_id = %s", (rnd.choice(self.businesses)[1],)).fetchall()


class PhaseClock(Progress):
    """Reports each phase start (seconds since the load started) to the benchmark process."""

    def __init__(self, events, started: float):
        self.events, self.started = events, started

    def phase_started(self, phase, pending):
        self.events.put(("phase", phase.number, round(time.monotonic() - self.started, 2)))


def _toolkit_process(dsn: str, started: float, events, batching: Batching) -> None:
    try:
        settings = api.Settings(project=REPO, batching=batching)
        api.apply(Target(dsn), settings=settings, progress=PhaseClock(events, started))
    except Exception as exc:  # the benchmark reports a failed apply instead of dying
        events.put(("error", f"{type(exc).__name__}: {exc}", 0))
    events.put(("done", None, 0))


def apply_with_toolkit(target: Target, run: Run, started: float, batching: Batching) -> None:
    """The runner in its own process, as a DBA runs it: the clients' threads here never wait for its Python
    work (one interpreter lock), just as the naive run's psql does not share it."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with running client threads
    events = context.Queue()
    child = context.Process(target=_toolkit_process, args=(target.dsn, started, events, batching))
    child.start()
    current = None
    while True:
        kind, value, at = events.get()
        if kind == "phase":
            if current:
                run.phases.append((current[0], current[1], at))
            current = (value, at)
            print(f"  toolkit: phase {value}", flush=True)
        elif kind == "error":
            run.error = value
        else:
            break
    child.join()
    if current:
        run.phases.append((current[0], current[1], round(time.monotonic() - started, 2)))


def naive_sql(migration) -> str:
    """The same change the way the seeds write it: no CONCURRENTLY, constraints validated
    at once, data in one statement, no lock_timeout."""
    text = migration.apply_script.text
    if "VALIDATE CONSTRAINT" in text and "ADD CONSTRAINT" not in text:
        return ""  # the naive ADD CONSTRAINT already validated
    text = re.sub(r"CONCURRENTLY IF NOT EXISTS\s+", "", text)
    text = text.replace(" NOT VALID", "")
    if "toolkit.batch_size" in text:
        text = "SET toolkit.batch_size = 2147483647;\n" + text  # one-shot INSERT ... SELECT
    return text


def apply_naively(target: Target, run: Run, started: float, bindir: Path) -> None:
    params = target.params
    env = {**os.environ, "PGPASSWORD": params.get("password", ""), "PGHOST": params["host"],
           "PGPORT": str(params["port"]), "PGUSER": params["user"], "PGDATABASE": params["dbname"]}
    for phase in load_plan(REPO).phases[1:]:
        begin = time.monotonic() - started
        print(f"  naive: phase {phase.number}", flush=True)
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write("\n".join(naive_sql(m) for m in phase.migrations))
        result = subprocess.run([str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", script.name],
                                env=env, capture_output=True, text=True)
        os.unlink(script.name)
        run.phases.append((phase.number, round(begin, 2), round(time.monotonic() - started, 2)))
        if result.returncode != 0:
            run.error = f"phase {phase.number}: {result.stderr.strip()[:300]}"
            return


def measure(run: Run, target: Target, load: Load, baseline_s: float, settle_s: float, apply) -> None:
    started = time.monotonic()
    workload = Workload(target, load, run, started)
    workload.start()
    time.sleep(baseline_s)
    run.migration_start = round(time.monotonic() - started, 2)
    try:
        apply(target, run, started)
    except Exception as exc:  # the benchmark reports a failed apply instead of dying
        run.error = f"{type(exc).__name__}: {exc}"
    run.migration_end = round(time.monotonic() - started, 2)
    time.sleep(settle_s)
    workload.stop()


def summarize(run: Run) -> dict:
    def stats(samples):
        latencies = sorted(s.latency_ms for s in samples)
        if not latencies:
            return {"count": 0, "failed": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
        return {"count": len(latencies), "failed": sum(not s.ok for s in samples),
                "p50_ms": round(statistics.median(latencies), 2),
                "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
                "max_ms": round(latencies[-1], 2)}

    def split(samples):
        return ([s for s in samples if s.at < run.migration_start],
                [s for s in samples if run.migration_start <= s.at <= run.migration_end])

    baseline, during = split(run.samples)
    summary = {
        "baseline": stats(baseline),
        "during_migration": stats(during),
        "reports": dict(zip(("baseline", "during_migration"), map(stats, split(run.reports)))),
        "longest_wait_ms": max((s.latency_ms for s in during), default=None),
        "failed_transactions": sum(not s.ok for s in during),
        "failed_by_kind": {k: sum(1 for s in during if not s.ok and s.kind == k) for k, _ in MIX},
        "failed_by_cause": dict(sorted(collections.Counter(s.failure for s in during if not s.ok).items())),
        # which requests the migration slows: writes wait for the WAL flush, reads only for a CPU
        "p99_ms_by_kind": {k: stats([s for s in during if s.kind == k])["p99_ms"] for k, _ in MIX},
        "migration_seconds": round(run.migration_end - run.migration_start, 2),
        "phases": [{"phase": p, "seconds": round(end - start, 2)} for p, start, end in run.phases],
        "error": run.error,
    }
    base, mig = summary["baseline"], summary["during_migration"]

    def within(value, limit):
        return bool(value is not None and limit and value <= 2 * limit)

    summary["ratio_to_baseline"] = {  # during-migration figure / the same run's quiet baseline
        key: round(mig[f"{key}_ms"] / base[f"{key}_ms"], 2) if mig[f"{key}_ms"] and base[f"{key}_ms"] else None
        for key in ("p50", "p99", "max")}
    summary["max_within_2x_baseline_p99"] = within(mig["max_ms"], base["p99_ms"])  # the target
    summary["p99_within_2x_baseline_p99"] = within(mig["p99_ms"], base["p99_ms"])
    summary["max_within_2x_baseline_max"] = within(mig["max_ms"], base["max_ms"])  # quiet load's own worst case
    return summary


def plot(runs: list[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(runs), 1, figsize=(11, 3.6 * len(runs)), sharey=True)
    for axis, run in zip(axes, runs):
        ok = [s for s in run.samples if s.ok]
        failed = [s for s in run.samples if not s.ok]
        axis.scatter([s.at for s in ok], [s.latency_ms for s in ok], s=3, alpha=0.5, label="transaction")
        axis.scatter([s.at for s in failed], [max(s.latency_ms, 0.1) for s in failed], s=18, c="red", marker="x",
                     label="failed")
        for index, (phase, start, _) in enumerate(run.phases):
            axis.axvline(start, color="grey", linewidth=0.6)
            # phases a second apart would print on top of each other: stagger the labels, inside the frame
            axis.text(start, 0.97 - 0.07 * (index % 4), f" {phase}", transform=axis.get_xaxis_transform(),
                      fontsize=7, ha="left", va="top")
        axis.axvline(run.migration_end, color="black", linewidth=0.8)
        axis.set_yscale("log")
        axis.set_ylabel("client latency (ms)")
        axis.set_title(f"{run.name}: phases 1-7 under load (numbers mark phase starts)", fontsize=10)
        axis.legend(loc="lower right", fontsize=8)
    axes[-1].set_xlabel("seconds since the load started")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def table(report: dict) -> str:
    rows = [f"{'':10} {'base p50':>9} {'base p99':>9} {'base max':>9} {'mig p50':>8} {'mig p99':>8} "
            f"{'mig max':>9} {'failed':>7} {'migration':>10}   ratio p50/p99/max"]
    for name, r in report["runs"].items():
        b, d, x = r["baseline"], r["during_migration"], r["ratio_to_baseline"]
        rows.append(f"{name:10} {b['p50_ms']:>9} {b['p99_ms']:>9} {b['max_ms']:>9} {d['p50_ms']:>8} {d['p99_ms']:>8} "
                    f"{d['max_ms']:>9} {r['failed_transactions']:>7} {r['migration_seconds']:>9}s   "
                    f"{x['p50']}x/{x['p99']}x/{x['max']}x")
    for name, r in report["runs"].items():
        b, d = r["reports"]["baseline"], r["reports"]["during_migration"]
        if b["count"] or d["count"]:
            rows.append(f"{name:10} analytics reader: {b['count']} reports before, max {b['max_ms']} ms; "
                        f"{d['count']} during, max {d['max_ms']} ms, {d['failed']} failed")
    return "\n".join(rows)


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
