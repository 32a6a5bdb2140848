"""A starting point for a database built without migrations: phase 0's migration written from the live schema,
with the rollback that removes what it creates, so `diff --phase 0` is empty and `adopt --phase 0` records it.

pg_dump reads the schema (it knows every kind, in dependency order); what it writes for psql is made a plain
migration: its psql meta-commands (`\\restrict`), session SETs and the `search_path` it empties are dropped
(they would outlive the file in the runner's session), ownership and grants are left to the role that applies
it (`--no-owner --no-privileges`: a scratch database for `verify` has none of production's roles), and so is a
comment on an extension (only its owner may write one). The toolkit's own schemas and other tools' history
tables are left out, as `diff` leaves them out. The rollback is derived from the same statements, newest
first: each object created is dropped, foreign keys and column defaults are taken off first, and what goes
with its table (indexes, triggers, policies, comments) goes with it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pglast import ast, enums
from pglast.stream import RawStream
from psycopg.conninfo import make_conninfo

from ..catalog.bookkeeping import find_bookkeeping
from ..catalog.ddl import ident
from ..connection import Target
from ..errors import BadInput, ToolkitError
from ..local_server import find_bindir
from ..plan.sql import parse_statements

NAME = "0001_baseline"
HEADER = """-- {name}: the schema of {database} as it was when it was adopted ({when}), written by
-- `toolkit adopt --write-baseline` from pg_dump {version}. Phase 0 of this project: applied as written on a new
-- database, recorded (not run) on the one it came from (`toolkit adopt --phase 0`). Edit it only before it is
-- applied anywhere.
-- noqa: disable=all
"""


@dataclass
class Baseline:
    migration: Path
    rollback: Path
    statements: int
    without_rollback: list[str]  # statements the rollback has no inverse for (the rollback's proof will say)


def write_baseline(target: Target, project: Path) -> Baseline:
    project = Path(project)
    migration, rollback = project / "migrations" / f"{NAME}.sql", project / "rollbacks" / f"{NAME}.sql"
    taken = sorted(p.name for p in (project / "migrations").glob("00[0-9][0-9]_*.sql"))
    if taken:
        raise BadInput(f"{project / 'migrations'}: phase 0 already has {', '.join(taken)}; a baseline is phase 0's "
                       "first migration, for a project that has none")
    text, version = _dump(target)
    statements = parse_statements(text, migration)
    forward = [_populated(s) for s in statements if not _dropped(s.node)]
    backward, without = _inverse([s for s in statements if not _dropped(s.node)])
    with target.connect("toolkit adopt") as conn:
        database, when = conn.execute("SELECT current_database(), now()::date::text").fetchone()
    header = HEADER.format(name=NAME, database=database, when=when, version=version)
    migration.parent.mkdir(parents=True, exist_ok=True)
    rollback.parent.mkdir(parents=True, exist_ok=True)
    migration.write_text(header + "\n" + "".join(f"{s.rstrip().rstrip(';')};\n\n" for s in forward))
    rollback.write_text(f"-- {NAME}: removes what the baseline creates, newest first.\n-- noqa: disable=all\n\n"
                        + "".join(f"{s};\n" for s in backward))
    return Baseline(migration, rollback, len(forward), without)


def _dump(target: Target) -> tuple[str, str]:
    with target.connect("toolkit adopt") as conn:
        major = conn.info.server_version // 10000
        left_out = find_bookkeeping(conn)
    pg_dump = _pg_dump(major)
    params = {key: value for key, value in target.params.items() if key != "password"}
    command = [str(pg_dump), "--schema-only", "--no-owner", "--no-privileges", "--no-publications",
               "--no-subscriptions", "--no-security-labels", "--no-tablespaces",
               *(f"--exclude-schema={schema}" for schema in left_out.schemas),
               *(f"--exclude-table={table}" for table in left_out.named), "--dbname", make_conninfo(**params)]
    # the password by the environment, never on a command line others can read in ps
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "toolkit adopt",
           **({"PGPASSWORD": target.password} if target.password else {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise ToolkitError(f"pg_dump could not read the schema of {target.describe()}: {target.redact(why)}")
    return _as_migration(done.stdout), _version(pg_dump)


def _pg_dump(major: int) -> Path:
    """A pg_dump at least as new as the server (an older one refuses): the server's own major first."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")]
    try:
        candidates.append(find_bindir() / "pg_dump")
    except ToolkitError:
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)
    for candidate in candidates:
        if candidate.exists() and _major(candidate) >= major:
            return candidate
    raise BadInput(f"--write-baseline needs pg_dump {major} or newer (the server is PostgreSQL {major}); "
                   "install the PostgreSQL client, or set PG_BINDIR to its bin folder")


def _version(pg_dump: Path) -> str:
    """"15.18" of `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`."""
    said = subprocess.run([str(pg_dump), "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)", said)
    return found.group(1) if found else "0"


def _major(pg_dump: Path) -> int:
    return int(_version(pg_dump).split(".")[0])


_META = re.compile(r"^\\\S.*$", re.M)  # psql meta-commands: \restrict KEY, \unrestrict KEY, \connect


def _as_migration(dump: str) -> str:
    return _META.sub("", dump)


def _dropped(node: ast.Node) -> bool:
    """What the file must not keep: session settings, the emptied search_path, a comment on an extension."""
    if isinstance(node, ast.VariableSetStmt):
        return True
    if isinstance(node, ast.SelectStmt):  # SELECT pg_catalog.set_config('search_path', '', false);
        return "set_config" in RawStream()(node)
    if isinstance(node, ast.CommentStmt) and node.objtype == enums.ObjectType.OBJECT_EXTENSION:
        return True
    return False


def _populated(statement) -> str:
    """pg_dump -s creates a materialized view WITH NO DATA (its data section would refresh it); a migration
    creates it populated, as the database it came from has it."""
    node = statement.node
    if isinstance(node, ast.CreateTableAsStmt) and node.into.skipData:
        return re.sub(r"\s+WITH NO DATA\s*;?\s*$", "", statement.text)
    return statement.text


def _name(parts) -> str:
    return ".".join(ident(part.sval if hasattr(part, "sval") else part) for part in parts)




def _relation(relation: ast.RangeVar) -> str:
    return _name([p for p in (relation.schemaname, relation.relname) if p])


def _inverse(statements) -> tuple[list[str], list[str]]:
    """The rollback, newest first, and the creating statements it has no inverse for."""
    backward, without = [], []
    for statement in reversed(statements):
        node = statement.node
        undo = _undo(node)
        if undo is None:
            continue
        if undo == "":
            without.append(f"line {statement.line}: {statement.text.split(chr(10))[0][:80]}")
            continue
        backward.extend(undo if isinstance(undo, list) else [undo])
    return backward, without


# What each creating statement's DROP says, and where its object's name is.
_DROPS = {
    ast.CreateStmt: ("TABLE", lambda n: _relation(n.relation)),
    ast.ViewStmt: ("VIEW", lambda n: _relation(n.view)),
    ast.CreateSeqStmt: ("SEQUENCE", lambda n: _relation(n.sequence)),
    ast.CreateSchemaStmt: ("SCHEMA", lambda n: ident(n.schemaname)),
    ast.CreateExtensionStmt: ("EXTENSION", lambda n: ident(n.extname)),
    ast.CreateEnumStmt: ("TYPE", lambda n: _name(n.typeName)),
    ast.CreateRangeStmt: ("TYPE", lambda n: _name(n.typeName)),
    ast.CompositeTypeStmt: ("TYPE", lambda n: _relation(n.typevar)),
    ast.CreateDomainStmt: ("DOMAIN", lambda n: _name(n.domainname)),
    ast.CreateEventTrigStmt: ("EVENT TRIGGER", lambda n: ident(n.trigname)),
}


def _undo(node: ast.Node):
    """DROP for what `node` creates; None when it needs none (it goes with its table, or creates nothing);
    "" when it creates something this has no inverse for."""
    if type(node) in _DROPS:
        kind, name = _DROPS[type(node)]
        return f"DROP {kind} {name(node)}"
    if isinstance(node, ast.CreateTableAsStmt):
        kind = "MATERIALIZED VIEW" if node.objtype == enums.ObjectType.OBJECT_MATVIEW else "TABLE"
        return f"DROP {kind} {_relation(node.into.rel)}"
    if isinstance(node, ast.CreateFunctionStmt):
        kind = "PROCEDURE" if node.is_procedure else "FUNCTION"
        arguments = [RawStream()(p.argType) for p in node.parameters or ()
                     if p.mode not in (enums.FunctionParameterMode.FUNC_PARAM_OUT,
                                       enums.FunctionParameterMode.FUNC_PARAM_TABLE)]
        return f"DROP {kind} {_name(node.funcname)}({', '.join(arguments)})"
    if isinstance(node, ast.AlterTableStmt):
        table = _relation(node.relation)
        undo = []
        for command in node.cmds or ():
            if command.subtype == enums.AlterTableType.AT_AddConstraint and \
                    command.def_.contype == enums.ConstrType.CONSTR_FOREIGN:
                undo.append(f"ALTER TABLE {table} DROP CONSTRAINT {ident(command.def_.conname)}")
            elif command.subtype == enums.AlterTableType.AT_ColumnDefault and command.def_ is not None:
                undo.append(f"ALTER TABLE {table} ALTER COLUMN {ident(command.name)} DROP DEFAULT")
        return undo or None
    return "" if isinstance(node, _NO_INVERSE) else None


# Kinds a baseline may hold that its rollback does not drop (rare in an application's schema): named, so the
# DBA adds them by hand; the rollback's proof would catch them anyway.
_NO_INVERSE = (ast.DefineStmt, ast.CreateCastStmt, ast.CreateOpClassStmt, ast.CreateOpFamilyStmt,
               ast.CreateConversionStmt, ast.CreateTransformStmt, ast.CreateForeignServerStmt, ast.CreateFdwStmt,
               ast.CreateForeignTableStmt)
