"""Backfill importers: files streamed into a staging table with COPY, then merged
into the real tables in set-based SQL, in one transaction.

users.csv (seed 001's historical backfill), UTF-8, with a header row:

    email,display_name,created_at,last_seen_at,is_internal,plan_override,auth_providers

- email: optional (Apple may give none); normalised to lowercase; the merge key when present.
- created_at, last_seen_at: ISO 8601 (a missing zone means UTC); optional.
- is_internal: true/false/1/0/yes/no, empty = false. plan_override: free/starter/pro/power or empty.
- auth_providers: `provider:provider_user_id` pairs separated by `;` (001's auth_providers
  array); a provider id is the primary identity link.
- an optional `id` column (uuid) keeps the user's old id for a new user.

Merge rules (001): a row belongs to the user that already holds one of its provider
identities; else to the user with its email; else it is a new user. Rows of the file
that share an email (in any case) are one user. A merge fills missing values, keeps
the earliest created_at and the latest last_seen_at; it never overwrites a value
with an empty one. Importing the same file twice changes nothing.

A row that cannot be read (wrong field count, bad date, bad uuid, ...) is written to
the rejects file with its line number and reason; the other rows are imported.
"""

from __future__ import annotations

import csv
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .connection import Target
from .errors import BadInput
from .progress import Progress

USERS_CSV_COLUMNS = ["email", "display_name", "created_at", "last_seen_at", "is_internal", "plan_override",
                     "auth_providers"]
PLAN_TIERS = {"free", "starter", "pro", "power"}
TRUE, FALSE = {"true", "t", "1", "yes", "y"}, {"false", "f", "0", "no", "n", ""}


@dataclass
class ImportSummary:
    read: int = 0
    inserted: int = 0
    merged: int = 0
    skipped: int = 0
    rejected: int = 0
    identities_added: int = 0
    rejects_file: str | None = None
    dry_run: bool = False
    seconds: float = 0.0


class Rejects:
    """Rejected rows with their line numbers and reasons, as CSV."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[tuple[int, str, str]] = []

    def add(self, line: int, reason: str, raw: str) -> None:
        self.rows.append((line, reason, raw))

    def write(self) -> str | None:
        if not self.rows:
            return None
        with self.path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reason", "row"])
            writer.writerows(self.rows)
        return str(self.path)


_STAGING = """
CREATE TEMPORARY TABLE import_users (
    line integer NOT NULL,
    person text NOT NULL,
    id uuid,
    email text,
    display_name text,
    created_at timestamptz,
    last_seen_at timestamptz,
    is_internal boolean NOT NULL,
    plan_override text,
    providers text[] NOT NULL
) ON COMMIT DROP
"""

# One person per email within the file (001: email is the merge key when present);
# a row without email is a person of its own. A person belongs to the existing user
# holding one of its provider identities, else the one with its email, else the one
# with its old id; the others are new users. Each step is one pass (CREATE TABLE AS)
# over analyzed temp tables, so a million rows take hash joins, not nested loops.
_PEOPLE = """
CREATE TEMPORARY TABLE import_people ON COMMIT DROP AS
SELECT
    person,
    min(email) AS email,
    (array_agg(id ORDER BY line) FILTER (WHERE id IS NOT NULL))[1] AS old_id,
    (array_agg(display_name ORDER BY line) FILTER (WHERE display_name IS NOT NULL))[1] AS display_name,
    min(created_at) AS created_at,
    max(last_seen_at) AS last_seen_at,
    bool_or(is_internal) AS is_internal,
    (array_agg(plan_override ORDER BY line) FILTER (WHERE plan_override IS NOT NULL))[1] AS plan_override
FROM import_users
GROUP BY person;
ANALYZE import_people;

CREATE TEMPORARY TABLE import_identities ON COMMIT DROP AS
SELECT DISTINCT
    person,
    split_part(identity, ':', 1) AS provider,
    substr(identity, strpos(identity, ':') + 1) AS account
FROM import_users, unnest(providers) AS identity;
ANALYZE import_identities;

CREATE TEMPORARY TABLE import_owners ON COMMIT DROP AS
SELECT DISTINCT ON (person) person, user_id, true AS existing
FROM (
    SELECT i.person, a.user_id, 1 AS rule
    FROM import_identities AS i
    INNER JOIN auth_accounts AS a ON a.provider = i.provider AND a.provider_account_id = i.account
    UNION ALL
    SELECT p.person, u.id, 2 FROM import_people AS p INNER JOIN users AS u ON u.email = p.email
    UNION ALL
    SELECT p.person, u.id, 3 FROM import_people AS p INNER JOIN users AS u ON u.id = p.old_id
) AS matches
ORDER BY person, rule;

INSERT INTO import_owners (person, user_id, existing)
SELECT p.person, coalesce(p.old_id, uuidv7()), false
FROM import_people AS p
WHERE NOT EXISTS (SELECT 1 FROM import_owners AS o WHERE o.person = p.person);
ANALYZE import_owners;
"""


def import_users_csv(target: Target, path: Path | str, *, rejects_path: Path | str | None = None,
                     dry_run: bool = False, progress: Progress = Progress()) -> ImportSummary:
    path = Path(path)
    started = time.monotonic()
    summary = ImportSummary(dry_run=dry_run)
    rejects = Rejects(Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv"))
    with target.connect("toolkit import") as conn:
        if conn.execute("SELECT to_regclass('users') IS NULL OR to_regclass('auth_accounts') IS NULL").fetchone()[0]:
            raise BadInput("users.csv goes into phase 0's users and auth_accounts: apply phase 0 first")
        # Staging lives in temp tables: give them memory before the first one exists.
        conn.execute("SET temp_buffers = '256MB'")
        with conn.transaction() as transaction:
            conn.execute("SET LOCAL work_mem = '256MB'")
            conn.execute(_STAGING)
            with conn.cursor().copy("COPY import_users FROM STDIN") as copy:
                for row in _read_users_csv(path, rejects, summary, progress):
                    copy.write_row(row)
            conn.execute("ANALYZE import_users")
            summary.rejected = len(rejects.rows)
            _merge_users(conn, summary)
            if dry_run:
                transaction.force_rollback = True  # report what would change, change nothing
    summary.rejects_file = rejects.write()
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _merge_users(conn, summary: ImportSummary) -> None:
    conn.execute(_PEOPLE)
    summary.merged = conn.execute("""
        UPDATE users AS u SET
            display_name = coalesce(u.display_name, p.display_name),
            created_at = least(u.created_at, coalesce(p.created_at, u.created_at)),
            last_seen_at = greatest(u.last_seen_at, p.last_seen_at),
            is_internal = u.is_internal OR p.is_internal,
            plan_override = coalesce(u.plan_override, p.plan_override),
            updated_at = now()
        FROM import_people AS p INNER JOIN import_owners AS o ON o.person = p.person AND o.existing
        WHERE o.user_id = u.id AND (
            (u.display_name IS NULL AND p.display_name IS NOT NULL)
            OR p.created_at < u.created_at
            OR p.last_seen_at > u.last_seen_at OR (u.last_seen_at IS NULL AND p.last_seen_at IS NOT NULL)
            OR (p.is_internal AND NOT u.is_internal)
            OR (u.plan_override IS NULL AND p.plan_override IS NOT NULL))""").rowcount
    summary.inserted = conn.execute("""
        INSERT INTO users (id, email, display_name, created_at, last_seen_at, is_internal, plan_override)
        SELECT o.user_id, p.email, p.display_name, coalesce(p.created_at, now()), p.last_seen_at, p.is_internal,
               p.plan_override
        FROM import_people AS p INNER JOIN import_owners AS o ON o.person = p.person AND NOT o.existing""").rowcount
    summary.identities_added = conn.execute("""
        INSERT INTO auth_accounts (user_id, provider, provider_account_id)
        SELECT DISTINCT ON (i.provider, i.account) o.user_id, i.provider, i.account
        FROM import_identities AS i INNER JOIN import_owners AS o ON o.person = i.person
        ON CONFLICT (provider, provider_account_id) DO NOTHING""").rowcount
    summary.skipped = summary.read - summary.rejected - summary.inserted - summary.merged


def _read_users_csv(path: Path, rejects: Rejects, summary: ImportSummary, progress: Progress):
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        lines = iter(handle)
        header_line = next(lines, "")
        header = next(csv.reader([header_line]), [])
        missing = [c for c in USERS_CSV_COLUMNS if c not in header]
        if missing:
            raise BadInput(f"{path}:1: header lacks column(s) {', '.join(missing)} "
                           f"(expected {','.join(USERS_CSV_COLUMNS)}[,id])")
        for number, raw in enumerate(lines, start=2):
            if not raw.strip():
                continue
            summary.read += 1
            if summary.read % 100_000 == 0:
                progress.note(f"{path.name}: {summary.read} rows read")
            try:
                fields = next(csv.reader([raw]))
                if len(fields) != len(header):
                    raise ValueError(f"{len(fields)} fields, the header has {len(header)}")
                user = _user_row(dict(zip(header, fields)))
                yield (number, user[1] or f"line:{number}", *user)
            except (ValueError, csv.Error) as problem:
                rejects.add(number, str(problem), raw.rstrip("\r\n"))


def _user_row(row: dict) -> tuple:
    email = row["email"].strip().lower() or None
    if email and ("@" not in email or " " in email):
        raise ValueError(f"bad email {row['email']!r}")
    plan = row["plan_override"].strip().lower() or None
    if plan and plan not in PLAN_TIERS:
        raise ValueError(f"bad plan_override {row['plan_override']!r} (free, starter, pro, power)")
    internal = row["is_internal"].strip().lower()
    if internal not in TRUE | FALSE:
        raise ValueError(f"bad is_internal {row['is_internal']!r}")
    providers = [p.strip() for p in row["auth_providers"].split(";") if p.strip()]
    for p in providers:
        if ":" not in p or not p.split(":", 1)[0] or not p.split(":", 1)[1]:
            raise ValueError(f"bad auth provider {p!r} (provider:provider_user_id)")
    if not email and not providers:
        raise ValueError("neither an email nor a provider identity: nothing to identify the user by")
    old_id = row.get("id", "").strip() or None
    if old_id:
        try:
            old_id = str(uuid.UUID(old_id))
        except ValueError:
            raise ValueError(f"bad uuid {row['id']!r}") from None
    return (old_id, email, row["display_name"].strip() or None, _timestamp(row["created_at"], "created_at"),
            _timestamp(row["last_seen_at"], "last_seen_at"), internal in TRUE, plan, providers)


def _timestamp(text: str, column: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"bad {column} {text!r} (ISO 8601 expected)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
