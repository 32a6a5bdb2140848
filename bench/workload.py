"""The load a benchmark puts on a database while it migrates.

Client threads run a fixed-rate mix of signups (which also create the subscription
and credits rows once those tables exist, as an application deployed in step would),
updates, inserts and lookups on users, businesses, health_metrics and subscriptions.
Latency is measured from each transaction's *scheduled* start, so a client held up by
a lock is charged for all of it (no coordinated omission). Each request has a deadline
from that start, as an application or its load balancer has: the client cancels the
transaction when it passes, and a request that ends after it failed. An optional
analytics reader runs long queries beside them.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import psycopg

from toolkit.connection import Target

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
    reports: list[Sample] = field(default_factory=list)  # the analytics reader's, kept apart: they last seconds
    phases: list[tuple[int, float, float]] = field(default_factory=list)  # phase, start, end (run seconds)
    # what the toolkit said about locks while it ran: waits outside the lock queue, retries after lock_timeout
    runner_said: list[str] = field(default_factory=list)
    lock_waits: list = field(default_factory=list)  # bench.lockwatch.Wait, every session seen waiting for a lock
    clients_busy: list = field(default_factory=list)  # (at, wait event or 'CPU') per busy client per look
    standby_looks: list = field(default_factory=list)  # bench.replicawatch.Look, every standby per look
    server_ticks: list = field(default_factory=list)  # bench.serverwatch.Tick: WAL, checkpoints, disk, who ran what
    runner_events: list = field(default_factory=list)  # (at, text): each step, check and note of the runner
    batches: list = field(default_factory=list)  # (at, migration, rows so far): each batch the runner finished
    migration_start: float = 0.0
    migration_end: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Load:
    rate: float = 100.0  # client transactions per second, all clients together
    clients: int = 4
    deadline_ms: int = 1000  # a request's budget from its scheduled start
    report_every: float = 0.0  # seconds from one analytics report's end to the next's start; 0 = no reader


class Workload:
    """Fixed-rate clients on their own connections, and an optional analytics reader."""

    def __init__(self, target: Target, load: Load, run: Run, started: float):
        self.target, self.load, self.run, self.started = target, load, run, started
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            self.users = conn.execute("SELECT id, email FROM users TABLESAMPLE SYSTEM (5) LIMIT 20000").fetchall() \
                or conn.execute("SELECT id, email FROM users LIMIT 20000").fetchall()
            self.businesses = conn.execute("SELECT id, owner_id FROM businesses LIMIT 20000").fetchall()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(load.clients)]
        if load.report_every:
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
        interval = self.load.clients / self.load.rate
        kinds = [k for k, weight in MIX for _ in range(weight)]
        conn = None
        scheduled = time.monotonic() + rnd.random() * interval
        while not self.stop_event.is_set():
            time.sleep(max(0.0, scheduled - time.monotonic()))
            kind = rnd.choice(kinds)
            if conn is None or conn.broken:
                # statement_timeout only backs up the deadline below, should this process be too busy to cancel
                conn = psycopg.connect(self.target.dsn, autocommit=True, application_name="bench client",
                                       options=f"-c statement_timeout={self.load.deadline_ms}")
            failure = self._request(conn, kind, rnd, deadline=scheduled + self.load.deadline_ms / 1000)
            done = time.monotonic()
            with self.lock:
                self.run.samples.append(Sample(round(scheduled - self.started, 4),
                                               round((done - scheduled) * 1000, 3), kind, failure))
            scheduled += interval
        if conn is not None:
            conn.close()

    def _reporter(self):
        """An analytics reader: one query over the big tables that takes seconds and holds its tables' ACCESS SHARE
        lock until it ends, as dashboards, exports and pg_dump do, then load.report_every seconds' pause.
        It is what DDL ends up queued behind on a real database, with every client queued behind the DDL."""
        with psycopg.connect(self.target.dsn, autocommit=True, application_name="bench report") as conn:
            scheduled = time.monotonic() + self.load.report_every / 2  # so a short baseline sees one too
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
                # The next one starts report_every after this one ended, as a dashboard refreshes. At a fixed rate, a
                # machine where the query outlasts the period runs them back to back and never lets go of the tables
                # (seen: 6 s reports every 5 s), which is pg_dump's case, not a dashboard's.
                scheduled = done + self.load.report_every

    def health_by_plan(self, conn):
        if _exists(conn, "user_subscriptions"):
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
        subscriptions, credits = _exists(conn, "user_subscriptions"), _exists(conn, "credits")
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
        if _exists(conn, "user_subscriptions"):
            conn.execute("SELECT us.status, sp.name, sp.ai_analysis_limit FROM user_subscriptions AS us "
                         "JOIN subscription_plans AS sp ON sp.id = us.plan_id "
                         "WHERE us.user_id = %s AND us.status IN ('trialing', 'active', 'past_due')",
                         (rnd.choice(self.users)[0],)).fetchall()

    def businesses_by_owner(self, conn, rnd):
        conn.execute("SELECT id, name FROM businesses WHERE owner_id = %s", (rnd.choice(self.businesses)[1],)).fetchall()


def _exists(conn, table: str) -> bool:
    """Whether the migration has made this table yet: the application uses what the schema has."""
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]
