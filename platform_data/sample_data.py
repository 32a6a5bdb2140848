"""Realistic sample data for phase 0's tables, in set-based SQL (one statement, no row loops).

Used by the quick start and by benchmarks: users with a sign-in identity and a
session, about 30% of them owning a business, each business with a series of
health metrics. Emails carry a run tag so seeding twice never collides.
"""

from __future__ import annotations

import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from toolkit.connection import Target
from toolkit.errors import BadInput

# One statement per chunk of users: the users, then everything hanging off them.
_SEED_CHUNK = """
WITH new_users AS (
    INSERT INTO users (email, display_name, role, is_internal, last_seen_at, created_at)
    SELECT format('user%%s-%%s@example.com', g, %(tag)s::text),
           format('Sample User %%s', g),
           (CASE WHEN g %% 500 = 0 THEN 'admin' ELSE 'user' END)::user_role,
           g %% 97 = 0,
           now() - random() * interval '30 days',
           now() - random() * interval '3 years'
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
    RETURNING id, created_at
), new_accounts AS (
    INSERT INTO auth_accounts (user_id, provider, provider_account_id)
    SELECT id, 'google', 'sample-' || id FROM new_users
), new_sessions AS (
    INSERT INTO sessions (user_id, refresh_token_hash, device_info, ip_address, expires_at)
    SELECT id, md5(id::text || %(tag)s::text) || md5(%(tag)s::text || id::text), 'Mozilla/5.0 (sample)',
           '192.0.2.1'::inet, now() + interval '30 days'
    FROM new_users
), new_businesses AS (
    INSERT INTO businesses (owner_id, name, industry, annual_revenue, employee_count, created_at)
    SELECT id, 'Sample Business ' || left(id::text, 8),
           (ARRAY['retail', 'software', 'services', 'manufacturing'])[1 + floor(random() * 4)::int],
           round((random() * 5000000)::numeric, 2), floor(random() * 250)::int, created_at
    FROM new_users
    WHERE random() < %(business_share)s::float8
    RETURNING id
)
INSERT INTO health_metrics (business_id, metric_type, value, health_score, recorded_at)
SELECT b.id, (ARRAY['cash_flow', 'revenue_growth', 'churn', 'margin'])[1 + m %% 4],
       round((random() * 100)::numeric, 4), floor(random() * 101)::int,
       now() - m * interval '1 week'
FROM new_businesses AS b CROSS JOIN generate_series(1, %(metrics)s::integer) AS m
"""

CHUNK_USERS = 50_000
PARALLEL_CONNECTIONS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class SampleCounts:
    users: int
    businesses: int
    health_metrics: int
    seconds: float


def load_sample_data(target: Target, users: int = 1000, business_share: float = 0.3,
                     metrics_per_business: int = 10) -> SampleCounts:
    """Insert `users` sample users (and their accounts, sessions, businesses, metrics).

    Chunks of users load on parallel connections, each chunk one transaction. As a
    superuser the chunks skip foreign-key triggers (session_replication_role =
    replica): every generated row references a row the same statement created,
    so the checks could only pass, and they are most of the cost."""
    started = time.monotonic()
    tag = secrets.token_hex(3)
    chunks = [(first, min(first + CHUNK_USERS - 1, users)) for first in range(1, users + 1, CHUNK_USERS)]
    params = {"tag": tag, "business_share": business_share, "metrics": metrics_per_business}
    try:
        before = _counts(target)
        with ThreadPoolExecutor(max_workers=PARALLEL_CONNECTIONS) as pool:
            list(pool.map(lambda chunk: _load_chunk(target, {**params, "first": chunk[0], "last": chunk[1]}), chunks))
        with target.connect("toolkit seed") as conn:
            conn.execute("ANALYZE users, auth_accounts, sessions, businesses, health_metrics")
        after = _counts(target)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise BadInput(f"sample data goes into this repository's platform tables (phase 0), which this database "
                       f"does not have: {exc.diag.message_primary}; apply phase 0 of this project first") from exc
    added = [a - b for a, b in zip(after, before)]
    return SampleCounts(*added, seconds=round(time.monotonic() - started, 2))


def _load_chunk(target: Target, params: dict) -> None:
    with target.connect("toolkit seed") as conn:
        with conn.transaction():
            conn.execute("SET LOCAL synchronous_commit = off")
            if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(_SEED_CHUNK, params)


def _counts(target: Target) -> tuple[int, int, int]:
    with target.connect("toolkit seed") as conn:
        return conn.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM businesses), "
                            "(SELECT count(*) FROM health_metrics)").fetchone()
