"""`toolkit import json-store DIR`: seed 000's JSON file store into the platform's tables.

The store keeps one file per table of 000, each a JSON array of objects (or `.jsonl`,
one object per line); the README gives every record's fields. Files are read whole,
each record checked and staged with COPY, then merged in set-based SQL in one
transaction, in reference order: users (001's merge rules, people.py), their
sign-in identities and sessions, plans, then the append-only tables.

Old user ids are what the other files refer to: a store user merged into an
existing user (by provider identity or email) takes its references along.

Append-only tables (000: tool runs, template downloads, donations, audit log)
only ever get new rows. A record keeps its id (a non-UUID id is mapped to a
stable UUID), so importing it again finds it and skips it; a record whose id is
taken by a row with other values is a correction and becomes a new row, with an
id derived from its content, so importing the correction again skips it too.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from toolkit.connection import Target
from toolkit.errors import BadInput
from toolkit.runner.progress import Progress
from . import common, people

_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "toolkit:json-store")  # namespace of ids derived from store records
_CURRENT = "('trialing', 'active', 'past_due')"  # user_subscriptions statuses that count as current


@dataclass
class FileCounts(common.Counts):
    file: str = ""
    table: str = ""


@dataclass
class StoreImportSummary:
    files: list[FileCounts] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)  # files under DIR that no table of the platform takes
    totals: common.Counts = field(default_factory=common.Counts)
    rejects_file: str | None = None
    dry_run: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class Source:
    """One file of the store: where it goes and how one record becomes a staged row."""

    name: str  # path under DIR without extension, e.g. "billing/tool_runs"
    table: str
    phase: int  # the phase that creates `table`
    columns: dict[str, str]  # staged column -> SQL type, in the order `record` returns them
    record: Callable[[dict], tuple]
    append_only: bool = False
    user_refs: tuple[str, ...] = ()  # columns holding store user ids; a dangling one rejects the record
    optional_refs: tuple[str, ...] = ()  # ... or becomes NULL


def _user(r: dict) -> tuple:
    entitlement = r.get("entitlements") if r.get("entitlement_source") == "override" else None
    return (common.uuid_value(r.get("id"), "id", required=True), common.email(r.get("email")),
            common.text(r.get("name"), "name"), common.text(r.get("image"), "image"),
            common.timestamp(r.get("created_at"), "created_at"), common.plan_tier(entitlement, "entitlements"))


def _account(r: dict) -> tuple:
    provider = common.text(r.get("provider"), "provider", required=True)
    account = common.text(r.get("provider_account_id"), "provider_account_id", required=True)
    if ":" in provider or people.SEPARATOR in provider + account:
        raise ValueError(f"bad identity {provider!r}:{account!r} (':' in the provider, or a control character)")
    return (common.uuid_value(r.get("user_id"), "user_id", required=True), provider, account,
            *(common.text(r.get(name), name) for name in ("access_token", "refresh_token", "id_token", "token_type",
                                                          "scope")),
            common.timestamp(r.get("expires_at"), "expires_at"), common.json_text(r.get("metadata"), "metadata"))


def _session(r: dict) -> tuple:
    token = common.text(r.get("session_token"), "session_token", required=True)
    # sessions keep only the token's SHA-256 (0005): a leaked table yields no usable token.
    return (common.uuid_value(r.get("id"), "id"), common.uuid_value(r.get("user_id"), "user_id", required=True),
            hashlib.sha256(token.encode()).hexdigest(), common.timestamp(r.get("expires"), "expires", required=True))


def _user_plan(r: dict) -> tuple:
    tier = common.plan_tier(r.get("plan"), "plan")
    if tier is None:
        raise ValueError("plan is missing")
    return (common.uuid_value(r.get("user_id"), "user_id", required=True), tier, common.text(r.get("source"), "source"),
            common.timestamp(r.get("updated_at"), "updated_at"))


def _cpd_state(r: dict) -> tuple:
    state = common.json_text(r.get("state_json"), "state_json")
    if state is None or not state.startswith("{"):
        raise ValueError("state_json must be a JSON object")
    return (common.uuid_value(r.get("user_id"), "user_id", required=True), state,
            common.timestamp(r.get("updated_at"), "updated_at"))


def _actor(r: dict) -> tuple:
    user_id = common.uuid_value(r.get("user_id"), "user_id")
    anonymous = common.text(r.get("anonymous_user_id"), "anonymous_user_id")
    if user_id is None and anonymous is None:
        raise ValueError("neither user_id nor anonymous_user_id: whose record is it?")
    return user_id, anonymous


def _tool_run(r: dict) -> tuple:
    return (*_actor(r), common.text(r.get("tool_id"), "tool_id", required=True),
            common.timestamp(r.get("timestamp"), "timestamp", required=True),
            common.json_text(r.get("metadata_json"), "metadata_json"))


def _template_download(r: dict) -> tuple:
    return (*_actor(r), common.text(r.get("template_id"), "template_id", required=True),
            common.text(r.get("license_choice"), "license_choice"),
            common.text(r.get("signature_policy"), "signature_policy"),
            common.timestamp(r.get("timestamp"), "timestamp", required=True),
            common.json_text(r.get("metadata_json"), "metadata_json"))


def _donation(r: dict) -> tuple:
    currency = (common.text(r.get("currency"), "currency") or "USD").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"bad currency {r.get('currency')!r} (ISO 4217, e.g. EUR)")
    return (common.text(r.get("stripe_event_id"), "stripe_event_id", required=True),
            common.text(r.get("stripe_session_id"), "stripe_session_id"),
            common.text(r.get("stripe_payment_intent_id"), "stripe_payment_intent_id"),
            common.amount(r.get("amount"), "amount"), currency, common.text(r.get("status"), "status", required=True),
            common.uuid_value(r.get("user_id"), "user_id"), common.timestamp(r.get("created_at"), "created_at",
                                                                              required=True))


def _audit_entry(r: dict) -> tuple:
    changed_by = common.text(r.get("changed_by"), "changed_by", required=True)
    try:  # changed_by names a user when it is one's id; otherwise it stays text only
        actor = uuid.UUID(changed_by)
    except ValueError:
        actor = None
    versions = (None if r.get(name) is None else json.dumps(r[name], sort_keys=True)
                for name in ("previous_version", "new_version"))
    return (actor, common.text(r.get("event_type"), "event_type", required=True),
            common.text(r.get("entity_type"), "entity_type", required=True),
            common.text(r.get("entity_id"), "entity_id", required=True), *versions, changed_by,
            common.timestamp(r.get("timestamp"), "timestamp", required=True), common.text(r.get("notes"), "notes"))


_ACTOR_COLUMNS = {"user_id": "uuid", "anonymous_user_id": "text"}
_TOKENS = {name: "text" for name in ("access_token", "refresh_token", "id_token", "token_type", "scope")}

# In reference order: users first, the tables that refer to them after.
SOURCES = (
    Source("auth/users", "users", 0, {"id": "uuid", "email": "text", "display_name": "text", "image": "text",
                                      "created_at": "timestamptz", "plan_override": "text"}, _user),
    Source("auth/accounts", "auth_accounts", 0,
           {"user_id": "uuid", "provider": "text", "provider_account_id": "text", **_TOKENS,
            "expires_at": "timestamptz", "metadata": "jsonb"}, _account, user_refs=("user_id",)),
    Source("auth/sessions", "sessions", 0, {"id": "uuid", "user_id": "uuid", "refresh_token_hash": "text",
                                            "expires_at": "timestamptz"}, _session, user_refs=("user_id",)),
    Source("billing/user_plan", "user_subscriptions", 1, {"user_id": "uuid", "tier": "text", "source": "text",
                                                          "updated_at": "timestamptz"}, _user_plan,
           user_refs=("user_id",)),
    Source("cpd/state", "cpd_state", 1, {"user_id": "uuid", "state": "jsonb", "updated_at": "timestamptz"},
           _cpd_state, user_refs=("user_id",)),
    Source("billing/tool_runs", "tool_runs", 1, {**_ACTOR_COLUMNS, "tool_id": "text", "occurred_at": "timestamptz",
                                                 "metadata": "jsonb"}, _tool_run, True, ("user_id",)),
    Source("billing/template_downloads", "template_downloads", 1,
           {**_ACTOR_COLUMNS, "template_id": "text", "license_choice": "text", "signature_policy": "text",
            "occurred_at": "timestamptz", "metadata": "jsonb"}, _template_download, True, ("user_id",)),
    Source("billing/donations", "donations", 1,
           {"stripe_event_id": "text", "stripe_session_id": "text", "stripe_payment_intent_id": "text",
            "amount": "numeric(10, 2)", "currency": "text", "status": "text", "user_id": "uuid",
            "created_at": "timestamptz"}, _donation, True, ("user_id",)),
    Source("audit/cpd_audit_log", "audit_logs", 5,
           {"actor_user_id": "uuid", "event_type": "text", "entity_type": "text", "entity_id": "text",
            "previous_version": "jsonb", "new_version": "jsonb", "changed_by": "text", "occurred_at": "timestamptz",
            "notes": "text"}, _audit_entry, True, optional_refs=("actor_user_id",)),
)


@dataclass
class _File:
    """One store file, read and checked: its staged rows and, by line, the text rejects would show."""

    source: Source
    path: Path
    rows: list[tuple] = field(default_factory=list)
    raw: dict[int, str] = field(default_factory=dict)
    counts: FileCounts = field(default_factory=FileCounts)

    @property
    def staged(self) -> str:
        return f"import_{self.source.table}"


def import_json_store(target: Target, directory: Path | str, *, rejects_path: Path | str | None = None,
                      dry_run: bool = False, progress: Progress = Progress()) -> StoreImportSummary:
    directory = Path(directory)
    started = time.monotonic()
    summary = StoreImportSummary(dry_run=dry_run)
    rejects = common.Rejects(Path(rejects_path) if rejects_path else directory / "import.rejects.csv")
    files, summary.not_imported = _find_files(directory)
    for file in files.values():
        _read(file, rejects, progress)
    with common.import_transaction(target, dry_run) as conn:
        for file in files.values():
            common.require_tables(conn, file.counts.file, {file.source.table: file.source.phase, "users": 0})
        _merge_users(conn, files)
        for file in (f for f in files.values() if f.source.table != "users"):
            _stage(conn, file)
            _resolve_user_refs(conn, file, rejects)
            _MERGES[file.source.table](conn, file, rejects)
        progress.note("json store merged")
    for file in files.values():
        counts = file.counts
        counts.rejected = rejects.count(counts.file)
        counts.skipped = counts.read - counts.rejected - counts.inserted - counts.merged
        summary.files.append(counts)
    summary.totals = common.Counts(**{name: sum(getattr(f, name) for f in summary.files)
                                      for name in ("read", "inserted", "merged", "skipped", "rejected")})
    summary.rejects_file = rejects.write()
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _find_files(directory: Path) -> tuple[dict[str, _File], list[str]]:
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a directory (the JSON store's data/ directory is expected)")
    files: dict[str, _File] = {}
    for source in SOURCES:
        found = [p for p in (directory / f"{source.name}.json", directory / f"{source.name}.jsonl") if p.is_file()]
        if len(found) > 1:
            raise BadInput(f"{directory}: both {source.name}.json and {source.name}.jsonl exist; keep one")
        if found:
            files[source.table] = _File(source, found[0], counts=FileCounts(file=str(found[0].relative_to(directory)),
                                                                            table=source.table))
    if not files:
        raise BadInput(f"{directory}: no file of the JSON store found (expected "
                       f"{', '.join(s.name + '.json' for s in SOURCES)})")
    taken = {f.path for f in files.values()}
    others = sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                    if p.is_file() and p.suffix in (".json", ".jsonl") and p not in taken)
    return files, others


def _read(file: _File, rejects: common.Rejects, progress: Progress) -> None:
    """Check every record; a bad one goes to the rejects file with its line, the rest are staged."""
    for line, raw, record in _records(file.path, file.counts.file):
        file.counts.read += 1
        if file.counts.read % 100_000 == 0:
            progress.note(f"{file.counts.file}: {file.counts.read} records read")
        file.raw[line] = raw
        try:
            if isinstance(record, ValueError):
                raise record
            if not isinstance(record, dict):
                raise ValueError(f"a JSON object expected, got {type(record).__name__}")
            values = file.source.record(record)
        except ValueError as problem:
            rejects.add(file.counts.file, line, str(problem), raw)
            continue
        if file.source.append_only:
            values = (*_ids(file.source.table, record.get("id"), values), *values)
        elif file.source.table == "users":
            values = (*values, _person(values))
        file.rows.append((line, *values))


def _records(path: Path, name: str):
    """(line, text, record) per record: elements of a JSON array, or lines of a .jsonl file."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    if path.suffix == ".jsonl":  # a broken line is one rejected record
        for line, raw in enumerate(content.splitlines(), start=1):
            if raw.strip():
                try:
                    yield line, raw, json.loads(raw)
                except ValueError as exc:
                    yield line, raw, ValueError(f"not JSON: {getattr(exc, 'msg', exc)}")
        return
    decoder, position = json.JSONDecoder(), _skip_space(content, 0)
    if not content.startswith("[", position):
        raise BadInput(f"{name}:{_line(content, position)}: a JSON array of records expected")
    position = _skip_space(content, position + 1)
    while not content.startswith("]", position):
        try:
            record, end = decoder.raw_decode(content, position)
        except json.JSONDecodeError as exc:  # no record boundary to resume from: the file is unusable
            raise BadInput(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
                           "nothing was imported") from None
        yield _line(content, position), json.dumps(record, ensure_ascii=False), record
        position = _skip_space(content, end)
        if content.startswith(",", position):
            position = _skip_space(content, position + 1)
        elif not content.startswith("]", position):
            raise BadInput(f"{name}:{_line(content, position)}: ',' or ']' expected after a record; "
                           "nothing was imported")


def _skip_space(content: str, position: int) -> int:
    while position < len(content) and content[position] in " \t\r\n":
        position += 1
    return position


def _line(content: str, position: int) -> int:
    return content.count("\n", 0, position) + 1


def _ids(table: str, source_id, values: tuple) -> tuple[uuid.UUID, uuid.UUID]:
    """(id, content id): the record's own id, and the id it takes as a correction of a row holding that id."""
    digest = hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()
    if source_id in (None, ""):
        own = uuid.uuid5(_IDS, f"{table}::{digest}")
    else:
        try:
            own = uuid.UUID(str(source_id))
        except ValueError:
            own = uuid.uuid5(_IDS, f"{table}:{source_id}")
    return own, uuid.uuid5(_IDS, f"{table}:{own}:{digest}")


def _person(values: tuple) -> str:
    user_id, address = values[0], values[1]
    return address or f"id:{user_id}"


def _stage(conn, file: _File) -> None:
    columns = {"line": "integer", **({"id": "uuid", "content_id": "uuid"} if file.source.append_only else {}),
               **file.source.columns}
    conn.execute(f"CREATE TEMPORARY TABLE {file.staged} ("
                 + ", ".join(f"{name} {kind}" for name, kind in columns.items()) + ") ON COMMIT DROP")
    with conn.cursor().copy(f"COPY {file.staged} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in file.rows:
            copy.write_row(row)
    conn.execute(f"ANALYZE {file.staged}")


def _merge_users(conn, files: dict[str, _File]) -> None:
    """Store users go through 001's merge rules, linked by the identities accounts.json gives them."""
    users = files.get("users")
    if users is None:
        conn.execute("CREATE TEMPORARY TABLE import_user_map (old_id uuid PRIMARY KEY, user_id uuid NOT NULL) "
                     "ON COMMIT DROP")
        return
    accounts = files.get("auth_accounts")
    identities: dict[uuid.UUID, list[str]] = {}
    for row in accounts.rows if accounts else ():
        identities.setdefault(row[1], []).append(f"{row[2]}:{row[3]}")
    people.stage_people(conn, ((line, person, user_id, address, name, image, created, None, False, plan,
                                identities.get(user_id, []))
                               for line, user_id, address, name, image, created, plan, person in users.rows))
    users.counts.merged, users.counts.inserted = people.merge_people(conn)
    people.map_old_ids(conn)


def _resolve_user_refs(conn, file: _File, rejects: common.Rejects) -> None:
    """Store user ids become the users they were merged into; a dangling one rejects its record."""
    for column in file.source.user_refs + file.source.optional_refs:
        dangling = (f"s.{column} IS NOT NULL"
                    f" AND NOT EXISTS (SELECT 1 FROM import_user_map AS m WHERE m.old_id = s.{column})"
                    f" AND NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = s.{column})")
        if column in file.source.optional_refs:
            conn.execute(f"UPDATE {file.staged} AS s SET {column} = NULL WHERE {dangling}")
        else:
            common.reject_staged(conn, rejects, file.counts.file, file.raw, file.staged, dangling,
                                 f"format('{column} %s is neither in auth/users.json nor in users', s.{column})")
        conn.execute(f"UPDATE {file.staged} AS s SET {column} = m.user_id FROM import_user_map AS m "
                     f"WHERE m.old_id = s.{column} AND m.user_id <> s.{column}")


def _merge_accounts(conn, file: _File, rejects: common.Rejects) -> None:
    common.reject_staged(
        conn, rejects, file.counts.file, file.raw, file.staged,
        "EXISTS (SELECT 1 FROM auth_accounts AS a WHERE a.provider = s.provider"
        " AND a.provider_account_id = s.provider_account_id AND a.user_id <> s.user_id)",
        "format('identity %s:%s belongs to another user', s.provider, s.provider_account_id)")
    file.counts.inserted = conn.execute(f"""
        INSERT INTO auth_accounts (user_id, provider, provider_account_id, {', '.join(_TOKENS)}, expires_at, metadata)
        SELECT DISTINCT ON (provider, provider_account_id)
            user_id, provider, provider_account_id, {', '.join(_TOKENS)}, expires_at, coalesce(metadata, '{{}}')
        FROM {file.staged} ORDER BY provider, provider_account_id, line
        ON CONFLICT (provider, provider_account_id) DO NOTHING""").rowcount
    # The database's tokens are newer than the store's: only missing ones are filled.
    fill = ", ".join(f"{name} = coalesce(a.{name}, s.{name})" for name in (*_TOKENS, "expires_at"))
    missing = " OR ".join(f"(a.{name} IS NULL AND s.{name} IS NOT NULL)" for name in (*_TOKENS, "expires_at"))
    file.counts.merged = conn.execute(f"""
        UPDATE auth_accounts AS a SET {fill}, updated_at = now()
        FROM {file.staged} AS s
        WHERE a.provider = s.provider AND a.provider_account_id = s.provider_account_id AND ({missing})""").rowcount


def _merge_sessions(conn, file: _File, rejects: common.Rejects) -> None:
    # An expired session could never be used again: it is skipped, not imported.
    file.counts.inserted = conn.execute(f"""
        INSERT INTO sessions (id, user_id, refresh_token_hash, expires_at)
        SELECT coalesce(id, uuidv7()), user_id, refresh_token_hash, expires_at FROM {file.staged}
        WHERE expires_at > now()
        ON CONFLICT DO NOTHING""").rowcount


def _latest_per_user(file: _File) -> str:
    """The staged record per user that counts: the latest `updated_at`, then the last in the file."""
    return (f"SELECT DISTINCT ON (user_id) * FROM {file.staged} "
            "ORDER BY user_id, updated_at DESC NULLS LAST, line DESC")


def _merge_user_plans(conn, file: _File, rejects: common.Rejects) -> None:
    """A store plan becomes the user's current subscription unless the database already has another one."""
    latest = _latest_per_user(file)
    common.reject_staged(
        conn, rejects, file.counts.file, file.raw, file.staged,
        f"s.line IN (SELECT line FROM ({latest}) AS l WHERE EXISTS ("
        " SELECT 1 FROM user_subscriptions AS us INNER JOIN subscription_plans AS p ON p.id = us.plan_id"
        f" WHERE us.user_id = l.user_id AND us.status IN {_CURRENT} AND p.tier <> l.tier))",
        "format('user %s already has a current subscription on another plan: the database wins (import the store "
        "before phase 2, or change the plan by hand)', s.user_id)")
    file.counts.inserted = conn.execute(f"""
        INSERT INTO user_subscriptions (user_id, plan_id, status, source, current_period_start, created_at, updated_at)
        SELECT DISTINCT ON (l.user_id)
            l.user_id, p.id, 'active', 'json_store' || coalesce(':' || l.source, ''), l.updated_at,
            coalesce(l.updated_at, now()), coalesce(l.updated_at, now())
        FROM ({latest}) AS l INNER JOIN subscription_plans AS p ON p.tier = l.tier
        WHERE NOT EXISTS (
            SELECT 1 FROM user_subscriptions AS us WHERE us.user_id = l.user_id AND us.status IN {_CURRENT})
        ORDER BY l.user_id, p.price""").rowcount


def _merge_cpd_state(conn, file: _File, rejects: common.Rejects) -> None:
    """One state per user and the newest wins: a store record replaces the database's only when it was
    updated later (a record without updated_at never replaces one)."""
    latest = _latest_per_user(file)
    file.counts.merged = conn.execute(f"""
        UPDATE cpd_state AS c SET state = l.state, updated_at = l.updated_at
        FROM ({latest}) AS l
        WHERE c.user_id = l.user_id AND l.updated_at > c.updated_at AND c.state IS DISTINCT FROM l.state""").rowcount
    file.counts.inserted = conn.execute(f"""
        INSERT INTO cpd_state (user_id, state, created_at, updated_at)
        SELECT user_id, state, coalesce(updated_at, now()), coalesce(updated_at, now()) FROM ({latest}) AS l
        ON CONFLICT (user_id) DO NOTHING""").rowcount


def _merge_donations(conn, file: _File, rejects: common.Rejects) -> None:
    """A Stripe event is one donation: other values under a recorded event id are refused, not a second row."""
    facts = ("stripe_session_id", "stripe_payment_intent_id", "amount", "currency", "status", "user_id")
    differs = f"({', '.join('d.' + c for c in facts)}) IS DISTINCT FROM ({', '.join('s.' + c for c in facts)})"
    common.reject_staged(
        conn, rejects, file.counts.file, file.raw, file.staged,
        f"EXISTS (SELECT 1 FROM donations AS d WHERE d.stripe_event_id = s.stripe_event_id AND {differs})",
        "format('stripe_event_id %s is already recorded with other values; donations are append-only, a correction "
        "needs its own Stripe event', s.stripe_event_id)")
    common.reject_staged(
        conn, rejects, file.counts.file, file.raw, file.staged,
        f"EXISTS (SELECT 1 FROM {file.staged} AS d WHERE d.stripe_event_id = s.stripe_event_id AND d.line < s.line"
        f" AND {differs})",
        "format('stripe_event_id %s appears earlier in the file with other values', s.stripe_event_id)")
    _merge_append_only(conn, file, rejects)


def _merge_append_only(conn, file: _File, rejects: common.Rejects) -> None:
    columns = list(file.source.columns)
    existing = f"({', '.join('e.' + c for c in columns)})"
    staged = f"({', '.join('s.' + c for c in columns)})"
    file.counts.inserted = conn.execute(f"""
        WITH distinct_records AS (
            SELECT DISTINCT ON (id, content_id) * FROM {file.staged} ORDER BY id, content_id, line
        ), records AS (
            SELECT *, row_number() OVER (PARTITION BY id ORDER BY line) = 1 AS first FROM distinct_records
        )
        INSERT INTO {file.source.table} (id, {', '.join(columns)})
        SELECT CASE WHEN s.first AND e.id IS NULL THEN s.id ELSE s.content_id END, {staged[1:-1]}
        FROM records AS s LEFT JOIN {file.source.table} AS e ON e.id = s.id
        WHERE e.id IS NULL OR {existing} IS DISTINCT FROM {staged}
        ON CONFLICT DO NOTHING""").rowcount


_MERGES = {"auth_accounts": _merge_accounts, "sessions": _merge_sessions,
           "user_subscriptions": _merge_user_plans, "cpd_state": _merge_cpd_state, "tool_runs": _merge_append_only,
           "template_downloads": _merge_append_only, "donations": _merge_donations,
           "audit_logs": _merge_append_only}
