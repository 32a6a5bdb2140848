"""SQL files as parsed statements.

A file is read as UTF-8 (a BOM and Windows line endings are accepted), split
into statements by PostgreSQL's own parser (pglast), and each statement is told
whether it can run inside a transaction. That decision is made here, from the
AST, never from a comment an author may forget.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pglast import ast, parse_sql
from pglast.parser import ParseError

from .errors import PlanError
from .locks import MODES, TableLock, foreign_key_parents, taken_by

# Statements PostgreSQL refuses to run inside a transaction block.
_NEVER_IN_TRANSACTION = (ast.VacuumStmt, ast.CreatedbStmt, ast.DropdbStmt, ast.AlterSystemStmt)


@dataclass(frozen=True)
class IndexTarget:
    """The index a concurrent CREATE INDEX builds (to find it INVALID later)."""

    schema: str | None
    name: str


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # 1-based line of the statement's first token
    column: int  # 1-based column of that token
    leading_comments: str  # comments between the previous statement and this one
    node: ast.Node
    needs_autocommit: bool
    builds_index: IndexTarget | None = None
    batched: bool = False  # repeated, one transaction per batch, until it touches no row
    # Tables a new foreign key references, (schema, name): locked before the statement, in the order an
    # application writes (parent row, then child), because ALTER TABLE locks the child first and would
    # otherwise hold it while it waits for a writer that is about to insert the child.
    locks_first: tuple[tuple[str | None, str], ...] = ()
    locks: tuple[TableLock, ...] = ()  # the table locks it takes (toolkit/locks.py)

    @property
    def kind(self) -> str:
        return type(self.node).__name__

    @property
    def explicit_locks(self) -> tuple[TableLock, ...]:
        """The locks the executor takes itself just before the statement: only those ordinary reads or writes
        would queue behind, foreign-key parents first, each table once in the strongest mode the statement takes
        on it (asking for a weaker mode, then a stronger one, is a lock upgrade, the classic deadlock)."""
        strongest: dict[tuple[str | None, str], TableLock] = {}
        for lock in self.locks:
            held = strongest.get((lock.schema, lock.table))
            if held is None or MODES.index(lock.mode) > MODES.index(held.mode):
                strongest[(lock.schema, lock.table)] = lock
        parents_first = sorted(strongest.values(), key=lambda lock: (lock.schema, lock.table) not in self.locks_first)
        return tuple(lock for lock in parents_first if lock.stalls_applications)


@dataclass(frozen=True)
class Script:
    """One SQL file, parsed."""

    path: Path
    statements: tuple[Statement, ...]
    checksum: str
    text: str = ""  # the file as parsed (node locations are offsets into it)

    @property
    def transactional(self) -> bool:
        return not any(s.needs_autocommit or s.batched for s in self.statements)

    @property
    def locks(self) -> tuple[TableLock, ...]:
        return tuple(dict.fromkeys(lock for statement in self.statements for lock in statement.locks))

    @property
    def changes_only_data(self) -> bool:
        """Rows only (INSERT/UPDATE/DELETE), no schema: what 004's "data level" rolls back."""
        return all(isinstance(s.node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) for s in self.statements)


def read_sql_file(path: Path) -> str:
    """The file's text, or a PlanError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlanError(path, "not valid UTF-8", line) from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_script(path: Path) -> Script:
    text = read_sql_file(path)
    statements = parse_statements(text, path)
    if not statements:
        raise PlanError(path, "holds no SQL statement")
    concurrent = [s for s in statements if is_concurrent(s.node)]
    if concurrent and len(statements) > 1:
        raise PlanError(path, f"a CONCURRENTLY statement must be alone in its file ({len(statements)} statements): "
                              "outside a transaction nothing else could be undone with it",
                        concurrent[0].line, rule="concurrent-not-alone")
    return Script(path=path, statements=statements, checksum=checksum(text), text=text)


def parse_statements(text: str, path: Path) -> tuple[Statement, ...]:
    try:
        raw_statements = parse_sql(text)
    except ParseError as exc:
        message, location = exc.args[0], exc.args[1] if len(exc.args) > 1 else 0
        raise PlanError(path, f"SQL syntax error: {message}", line_at(text, location)) from exc

    statements = []
    previous_end = 0
    for raw in raw_statements:
        start = raw.stmt_location
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        body_start = _first_token(text, start, end)
        leading = text[previous_end:body_start]
        previous_end = end + 1  # skip the ';'
        statement = _classify(
            text=text[body_start:end].strip(),
            line=line_at(text, body_start),
            column=body_start - text.rfind("\n", 0, body_start),
            leading_comments=leading,
            node=raw.stmt,
            path=path,
        )
        statements.append(statement)
    return tuple(statements)


def _classify(text, line, column, leading_comments, node, path) -> Statement:
    directives = _directives(leading_comments, path, line)
    if isinstance(node, ast.TransactionStmt):
        raise PlanError(path, "BEGIN/COMMIT/ROLLBACK is not allowed: the toolkit decides the transaction", line)
    concurrent = is_concurrent(node)
    if concurrent:
        _require_idempotent(node, path, line)
    target = None
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        target = IndexTarget(schema=node.relation.schemaname, name=node.idxname)
    return Statement(
        text=text,
        line=line,
        column=column,
        leading_comments=leading_comments,
        node=node,
        needs_autocommit=concurrent or isinstance(node, _NEVER_IN_TRANSACTION),
        builds_index=target,
        batched=_batched(directives, node, text, path, line),
        locks_first=foreign_key_parents(node) if isinstance(node, ast.AlterTableStmt) else (),
        locks=taken_by(node),
    )


# Comment directives: `-- toolkit:NAME` on a line of its own above a statement.
_DIRECTIVE = re.compile(r"^\s*--\s*toolkit:(\S*)", re.M)
DIRECTIVES = {"batch", "allow"}  # allow: a lint suppression (toolkit.lint reads its rule and reason)
BATCH_SIZE_SETTING = "toolkit.batch_size"


def _directives(leading_comments: str, path: Path, line: int) -> set[str]:
    found = set(_DIRECTIVE.findall(leading_comments))
    unknown = found - DIRECTIVES
    if unknown:
        raise PlanError(path, f"unknown directive toolkit:{sorted(unknown)[0]} (known: {', '.join(sorted(DIRECTIVES))})",
                        line)
    return found


def _batched(directives: set[str], node, text: str, path: Path, line: int) -> bool:
    if "batch" not in directives:
        return False
    if not isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)):
        raise PlanError(path, "toolkit:batch goes above an INSERT, UPDATE or DELETE", line)
    if BATCH_SIZE_SETTING not in text:
        raise PlanError(path, f"a batched statement must limit itself with current_setting('{BATCH_SIZE_SETTING}')",
                        line)
    return True


def is_concurrent(node: ast.Node) -> bool:
    if isinstance(node, (ast.IndexStmt, ast.DropStmt)):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(p.defname == "concurrently" for p in node.params or ())
    return False


def _require_idempotent(node: ast.Node, path: Path, line: int) -> None:
    """A concurrent statement runs outside a transaction, so a crash can leave it
    half done; it must be safe to run again."""
    if isinstance(node, ast.IndexStmt):
        if not node.idxname:
            raise PlanError(path, "CREATE INDEX CONCURRENTLY needs an explicit index name", line)
        if not node.if_not_exists:
            raise PlanError(path, "CREATE INDEX CONCURRENTLY must say IF NOT EXISTS so a rerun completes", line)
    if isinstance(node, ast.DropStmt) and not node.missing_ok:
        raise PlanError(path, "DROP ... CONCURRENTLY must say IF EXISTS so a rerun completes", line)


_COMMENT_OR_SPACE = re.compile(r"(\s+|--[^\n]*|/\*.*?\*/)", re.S)


def _first_token(text: str, start: int, end: int) -> int:
    pos = start
    while pos < end:
        match = _COMMENT_OR_SPACE.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    return pos


def line_at(text: str, offset: int) -> int:
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1
