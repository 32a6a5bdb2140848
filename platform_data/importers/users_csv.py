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

Merge rules: seed 001's, in people.py.

A row that cannot be read (wrong field count, bad date, bad uuid, ...) is written to
the rejects file with its line number and reason; the other rows are imported.
"""

from __future__ import annotations

import csv
import operator
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.connection import Target
from toolkit.errors import BadInput
from toolkit.runner.progress import Progress
from . import common, people

USERS_CSV_COLUMNS = ["email", "display_name", "created_at", "last_seen_at", "is_internal", "plan_override",
                     "auth_providers"]
TRUE, FALSE = {"true", "t", "1", "yes", "y"}, {"false", "f", "0", "no", "n", ""}


@dataclass
class ImportSummary(common.Counts):
    identities_added: int = 0
    rejects_file: str | None = None
    dry_run: bool = False
    seconds: float = 0.0


def import_users_csv(target: Target, path: Path | str, *, rejects_path: Path | str | None = None,
                     dry_run: bool = False, progress: Progress = Progress()) -> ImportSummary:
    path = Path(path)
    started = time.monotonic()
    summary = ImportSummary(dry_run=dry_run)
    rejects = common.Rejects(Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv"))
    with common.import_transaction(target, dry_run) as conn:
        common.require_tables(conn, "users.csv", {"users": 0, "auth_accounts": 0})
        people.stage_people(conn, _read_users_csv(path, rejects, summary, progress))
        summary.rejected = len(rejects.rows)
        summary.merged, summary.inserted = people.merge_people(conn)
        summary.identities_added = people.add_identities(conn)
        summary.skipped = summary.read - summary.rejected - summary.inserted - summary.merged
    summary.rejects_file = rejects.write()
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _read_users_csv(path: Path, rejects: common.Rejects, summary: ImportSummary, progress: Progress):
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
        # Fields by position, picked in _user_row's order; a file without `id` reads an empty one.
        pick = operator.itemgetter(*(header.index(c) for c in USERS_CSV_COLUMNS),
                                   header.index("id") if "id" in header else len(header))
        width = len(header)
        for number, raw in enumerate(lines, start=2):
            if not raw.strip():
                continue
            summary.read += 1
            if summary.read % 100_000 == 0:
                progress.note(f"{path.name}: {summary.read} rows read")
            try:
                # Most lines quote nothing: a plain split is several times faster than a csv reader.
                fields = next(csv.reader([raw])) if '"' in raw else raw.rstrip("\r\n").split(",")
                if len(fields) != width:
                    raise ValueError(f"{len(fields)} fields, the header has {width}")
                fields.append("")
                user = _user_row(*pick(fields))
                yield (number, user[1] or f"line:{number}", *user)
            except (ValueError, csv.Error) as problem:
                rejects.add(path.name, number, str(problem), raw.rstrip("\r\n"))


def _user_row(email, display_name, created_at, last_seen_at, is_internal, plan_override, auth_providers,
              old_id) -> tuple:
    address = common.email(email)
    internal = is_internal.strip().lower()
    if internal not in TRUE and internal not in FALSE:
        raise ValueError(f"bad is_internal {is_internal!r}")
    providers = [p.strip() for p in auth_providers.split(";")] if auth_providers else []
    for p in providers:
        provider, _, account = p.partition(":")
        if not provider or not account:
            raise ValueError(f"bad auth provider {p!r} (provider:provider_user_id)")
    if not address and not providers:
        raise ValueError("neither an email nor a provider identity: nothing to identify the user by")
    return (common.uuid_value(old_id, "id"), address, display_name.strip() or None, None,
            common.timestamp(created_at, "created_at"), common.timestamp(last_seen_at, "last_seen_at"),
            internal in TRUE, common.plan_tier(plan_override, "plan_override") if plan_override else None, providers)
