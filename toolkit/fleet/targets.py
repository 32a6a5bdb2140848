"""Which databases a rollout goes to: a targets file (TOML), or a query on a control database.

    password_env = "FLEET_PASSWORD"      # optional: where every target's password is (else ~/.pgpass, a service)

    [[target]]
    name = "tenant_001"
    dsn = "postgresql://app@db1:5432/tenant_001"
    wave = "canary"                      # waves run in the order they first appear in the file
    tags = ["eu"]
    password_env = "DB1_PASSWORD"        # optional, this target's own

A password never sits in the file, in the ledger or in output: a DSN that holds one is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomllib

from ..connection import Target, redact
from ..errors import BadInput

CANARY = "canary"


@dataclass(frozen=True)
class FleetTarget:
    """One database of the fleet."""

    name: str
    dsn: str  # without a password
    wave: str = "default"
    tags: tuple[str, ...] = ()
    password_env: str | None = None  # the environment variable holding its password, if not ~/.pgpass

    def connection(self) -> Target:
        """The Target to connect with: the password, if one is named, comes from the environment here."""
        if not self.password_env:
            return Target(self.dsn)
        password = os.environ.get(self.password_env)
        if password is None:
            raise BadInput(f"target {self.name}: its password_env {self.password_env} is not set")
        from psycopg.conninfo import make_conninfo

        return Target(make_conninfo(self.dsn, password=password))

    def redact(self, text: str) -> str:
        """The text without this target's password, wherever it came from."""
        return redact(text, os.environ.get(self.password_env) if self.password_env else None)


@dataclass(frozen=True)
class Fleet:
    targets: tuple[FleetTarget, ...]
    waves: tuple[str, ...] = field(default=())  # in the order they run

    def wave_of(self, target: FleetTarget) -> int:
        return self.waves.index(target.wave)

    def with_canaries(self, names: list[str]) -> Fleet:
        """--canary NAME,...: these targets become the first wave, the rest keep theirs."""
        known = {t.name for t in self.targets}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise BadInput(f"--canary names no target called {', '.join(unknown)}")
        targets = tuple(replace(t, wave=CANARY) if t.name in names else t for t in self.targets)
        rest = [w for w in self.waves if any(t.wave == w for t in targets) and w != CANARY]
        return Fleet(targets, (CANARY, *rest))


def load_targets(path: Path) -> Fleet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML: {exc}") from exc
    entries = data.get("target")
    if not isinstance(entries, list) or not entries:
        raise BadInput(f"{path}: no [[target]] entries")
    shared_password_env = data.get("password_env")
    targets = [_target(entry, index, path, shared_password_env) for index, entry in enumerate(entries, 1)]
    return _fleet(targets, str(path))


def targets_from_query(ledger: Target, query: str) -> Fleet:
    """--targets-query: rows of (name, dsn[, wave[, tags]]) from the control database. One SELECT, run in a
    read-only transaction: anything else is refused before it runs."""
    import psycopg

    _one_select(query)
    try:
        with ledger.connect("toolkit fleet") as conn, conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            rows = conn.execute(query).fetchall()
    except psycopg.Error as exc:
        raise BadInput(f"--targets-query failed: {exc.diag.message_primary or exc}") from exc
    targets = []
    for index, row in enumerate(rows, 1):
        if len(row) < 2:
            raise BadInput("--targets-query must return name, dsn and optionally wave and tags")
        entry = {"name": row[0], "dsn": row[1], "wave": row[2] if len(row) > 2 and row[2] is not None else
                 "default", "tags": list(row[3] or []) if len(row) > 3 else []}
        targets.append(_target(entry, index, "--targets-query", None))
    if not targets:
        raise BadInput("--targets-query returned no targets")
    return _fleet(targets, "--targets-query")


def _one_select(query: str) -> None:
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        statements = parse_sql(query)
    except ParseError as exc:
        raise BadInput(f"--targets-query: not valid SQL: {exc.args[0]}") from exc
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt) or statements[0].stmt.intoClause:
        raise BadInput("--targets-query must be one SELECT (it runs read-only, and only that)")


def printable(name: str) -> str:
    """The name with each control character escaped (`\\n`, `\\x1b`): a newline or terminal escape in a tenant's
    name would otherwise forge lines of the rollout's output. The escaped form is the target's name everywhere,
    the ledger too, so a resumed rollout finds it again."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name)


def _target(entry: dict, index: int, where, shared_password_env: str | None) -> FleetTarget:
    name = entry.get("name")
    label = f"{where}: target {name or f'number {index}'}"
    if not isinstance(name, str) or not name:
        raise BadInput(f"{label}: needs a name")
    name = printable(name)
    dsn = entry.get("dsn")
    if not isinstance(dsn, str) or not dsn:
        raise BadInput(f"{label}: needs a dsn")
    try:
        has_password = bool(Target(dsn).params.get("password"))
    except BadInput as exc:
        raise BadInput(f"{label}: {exc}") from exc
    if has_password:
        raise BadInput(f"{label}: the DSN holds a password; put it in ~/.pgpass, a libpq service file, or an "
                       "environment variable named by password_env")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadInput(f"{label}: tags must be a list of strings")
    unknown = set(entry) - {"name", "dsn", "wave", "tags", "password_env"}
    if unknown:
        raise BadInput(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
    return FleetTarget(name=name, dsn=dsn, wave=str(entry.get("wave", "default")), tags=tuple(tags),
                       password_env=entry.get("password_env") or shared_password_env)


def _fleet(targets: list[FleetTarget], where) -> Fleet:
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise BadInput(f"{where}: two targets are called {target.name}")
        seen.add(target.name)
    return Fleet(tuple(targets), tuple(dict.fromkeys(t.wave for t in targets)))


def chosen_fleet(ledger_target: Target, targets_file: Path | None, targets_query: str | None,
                 canary: str | None) -> Fleet | None:
    """The targets the options name (a file, or a query on the ledger's database; --canary picks the first wave),
    or None when they name none."""
    if targets_file and targets_query:
        raise BadInput("give the targets one way: --targets FILE or --targets-query SQL, not both")
    if not (targets_file or targets_query):
        if canary:
            raise BadInput("--canary picks the first wave from --targets or --targets-query: give one (a rollout "
                           "already in the ledger keeps its waves)")
        return None
    chosen = load_targets(targets_file) if targets_file else targets_from_query(ledger_target, targets_query)
    return chosen.with_canaries(canary.split(",")) if canary else chosen
