"""What every importer shares: counts, the rejects file, and reading one value of a record."""

from __future__ import annotations

import csv
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from toolkit.connection import Target
from toolkit.errors import BadInput

PLAN_TIERS = ("free", "starter", "pro", "power")


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    merged: int = 0
    skipped: int = 0
    rejected: int = 0


class Rejects:
    """Rejected records with their file, line number and reason, written as one CSV."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[tuple[str, int, str, str]] = []

    def add(self, file: str, line: int, reason: str, raw: str) -> None:
        self.rows.append((file, line, reason, raw))

    def count(self, file: str) -> int:
        return sum(1 for row in self.rows if row[0] == file)

    def write(self) -> str | None:
        if not self.rows:
            return None
        with self.path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "line", "reason", "row"])
            writer.writerows(sorted(self.rows, key=lambda row: (row[0], row[1])))
        return str(self.path)


@contextmanager
def import_transaction(target: Target, dry_run: bool):
    """One transaction for the whole import: all of it lands, or none; a dry run always rolls back."""
    with target.connect("toolkit import") as conn:
        # Staging lives in temp tables: give them memory before the first one exists.
        conn.execute("SET temp_buffers = '256MB'")
        with conn.transaction() as transaction:
            conn.execute("SET LOCAL work_mem = '256MB'")
            yield conn
            if dry_run:
                transaction.force_rollback = True  # report what would change, change nothing


def require_tables(conn, source: str, tables: dict[str, int]) -> None:
    """Refuse before any write when a target table's phase is not applied yet."""
    for table, phase in tables.items():
        if conn.execute("SELECT to_regclass(%s) IS NULL", [table]).fetchone()[0]:
            raise BadInput(f"{source} goes into {table} (phase {phase}): apply phase {phase} first")


def reject_staged(conn, rejects: Rejects, file: str, raw: dict[int, str], staged: str, where: str,
                  reason: str) -> int:
    """Move the staged rows matching `where` to the rejects file (staged rows carry their line)."""
    rows = conn.execute(f"DELETE FROM {staged} AS s WHERE {where} RETURNING s.line, {reason}").fetchall()
    for line, why in rows:
        rejects.add(file, line, why, raw.get(line, ""))
    return len(rows)


def timestamp(value, field: str, *, required: bool = False) -> datetime | None:
    """ISO 8601 text (no zone means UTC) or a Unix epoch number (seconds, or milliseconds as JavaScript writes)."""
    if value is None or value == "":
        if required:
            raise ValueError(f"{field} is missing")
        return None
    if type(value) is str:  # the common case first (a million rows pass here); Python < 3.11 needs the Z fallback
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"bad {field} {value!r} (epoch out of range)") from None
    if not isinstance(value, str):
        raise ValueError(f"bad {field} {value!r} (ISO 8601 expected)")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"bad {field} {value!r} (ISO 8601 expected)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def uuid_value(value, field: str, *, required: bool = False) -> uuid.UUID | None:
    if value is None or value == "":
        if required:
            raise ValueError(f"{field} is missing")
        return None
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise ValueError(f"bad uuid {value!r}" + ("" if field in ("id",) else f" in {field}")) from None


def text(value, field: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{field} is missing")
        return None
    if isinstance(value, (dict, list)):
        raise ValueError(f"bad {field}: text expected, got JSON {type(value).__name__}")
    return str(value).strip()


def email(value) -> str | None:
    address = (text(value, "email") or "").lower() or None
    if address and ("@" not in address or " " in address):
        raise ValueError(f"bad email {value!r}")
    return address


def json_text(value, field: str) -> str | None:
    """A JSON object or array, or a string holding one (a `*_json` column written by JSON.stringify)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"bad {field}: not JSON") from None
    return json.dumps(value, sort_keys=True)


def amount(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"bad {field} {value!r}") from None
    if isinstance(value, bool) or not number.is_finite() or number <= 0 or number != round(number, 2):
        raise ValueError(f"bad {field} {value!r} (a positive amount with at most 2 decimals)")
    return number


def plan_tier(value, field: str) -> str | None:
    tier = (text(value, field) or "").lower() or None
    if tier and tier not in PLAN_TIERS:
        raise ValueError(f"bad {field} {value!r} ({', '.join(PLAN_TIERS)})")
    return tier
