"""SQL files as parsed statements.

A file is read as UTF-8 (a BOM and Windows line endings are accepted), split
into statements by PostgreSQL's own parser (pglast), and each statement is told
whether it can run inside a transaction. That decision is made here, from the
AST, never from a comment an author may forget.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pglast import ast, enums
from pglast.parser import ParseError

from ..errors import PlanError
from .files import read_sql_file
from .lock_modes import MODES, TableLock, foreign_key_parents, taken_by
from .rerun import idempotent
from .text import first_token, line_at, statement_trees

# Statements PostgreSQL refuses to run inside a transaction block (VACUUM: see _never_in_transaction).
_NEVER_IN_TRANSACTION = (ast.CreatedbStmt, ast.DropdbStmt, ast.AlterSystemStmt)


def _never_in_transaction(node: ast.Node) -> bool:
    # pglast parses ANALYZE as a VacuumStmt too; ANALYZE runs fine in a transaction, VACUUM never does.
    if isinstance(node, ast.VacuumStmt):
        return bool(node.is_vacuumcmd)
    return isinstance(node, _NEVER_IN_TRANSACTION)


@dataclass(frozen=True)
class IndexTarget:
    """The index a concurrent CREATE or DROP INDEX works on (to look it up on a rerun)."""

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
    drops_index: IndexTarget | None = None  # the index a concurrent DROP INDEX drops (to find it gone on a rerun)
    batched: bool = False  # repeated, one transaction per batch, until it touches no row
    keyset: bool = False  # a batch that reads toolkit.batch_after: each starts after the last key the one before returned
    # Tables a new foreign key references, (schema, name): locked before the statement, in the order an
    # application writes (parent row, then child), because ALTER TABLE locks the child first and would
    # otherwise hold it while it waits for a writer that is about to insert the child.
    locks_first: tuple[tuple[str | None, str], ...] = ()
    locks: tuple[TableLock, ...] = ()  # the table locks it takes (toolkit/plan/lock_modes.py)
    offset: int = 0  # where in the file its tree's locations count from
    shared_node: bool = False  # its tree is an earlier row's of the same shape (its locations are that one's)

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
    """One SQL file, parsed. What is derived from all its statements is worked out once (cached): asked once per
    statement, as lint and --dry-run ask, it made a 5,000-statement file quadratic (25 million steps)."""

    path: Path
    statements: tuple[Statement, ...]
    checksum: str
    text: str = ""  # the file as parsed (node locations are offsets into it)
    irreversible: str | None = None  # a rollback that says it cannot be written: the reason
    no_transaction: bool = False  # the author asked for autocommit (-- toolkit:no-transaction)

    @functools.cached_property
    def transactional(self) -> bool:
        return not (self.no_transaction or any(s.needs_autocommit or s.batched for s in self.statements))

    @functools.cached_property
    def locks(self) -> tuple[TableLock, ...]:
        return tuple(dict.fromkeys(lock for statement in self.statements for lock in statement.locks))

    @functools.cached_property
    def emptied_tables(self) -> tuple[tuple[str | None, str], ...]:
        """The tables whose rows the script removes, dropped, truncated or deleted from, as (schema or None,
        name), each once: what a rollback asks about before it runs on a terminal."""
        return tuple(dict.fromkeys(name for s in self.statements for name in _emptied(s.node)))

    @functools.cached_property
    def changes_only_data(self) -> bool:
        """Rows only (INSERT/UPDATE/DELETE), no schema: what the "data level" rolls back."""
        return all(written_table(s.node) is not None for s in self.statements)


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_script(path: Path) -> tuple[Script | None, list[PlanError]]:
    """The parsed file and every problem it has: the runner refuses on the first, `toolkit lint` reports them
    all and still runs its other rules on the statements. None only when the file cannot be read or parsed."""
    try:
        text = read_sql_file(path)
    except PlanError as problem:
        return None, [problem]
    known = _clean_script(path, text)  # the file is read every time; what it says is worked out once
    return (known, []) if known is not None else _script(path, text)


@functools.lru_cache(maxsize=4096)
def _clean_script(path: Path, text: str) -> Script | None:
    """The Script of a text without problems, kept: a fleet runner plans each target, a suite copies the
    project, and building the statements was most of reading a plan. A text with problems is not kept (its
    errors are raised, and an exception raised again grows its traceback)."""
    script, problems = _script(path, text)
    return script if not problems else None


def _script(path: Path, text: str) -> tuple[Script | None, list[PlanError]]:
    problems: list[PlanError] = []
    try:
        statements = parse_statements(text, path, problems)
    except PlanError as problem:
        return None, [problem]
    statements = _unwrap_transaction(statements, path, problems)
    irreversible = _irreversible(text, path, problems)
    if irreversible is not None and statements:
        problems.append(PlanError(path, "a rollback marked toolkit:irreversible holds nothing else: remove its SQL, "
                                        "or the marker", statements[0].line))
    if irreversible is None and not statements:
        problems.append(PlanError(path, "holds no SQL statement (a rollback that cannot be written says "
                                        "'-- toolkit:irreversible REASON')"))
    _require_resumable(statements, path, problems)
    for statement in statements[1:]:
        if "no-transaction" in _DIRECTIVE.findall(statement.leading_comments):
            problems.append(PlanError(path, "toolkit:no-transaction is about the whole file: put it above the first "
                                            "statement", statement.line))
    no_transaction = bool(statements) and "no-transaction" in _DIRECTIVE.findall(statements[0].leading_comments)
    return Script(path=path, statements=statements, checksum=checksum(text), text=text, irreversible=irreversible,
                  no_transaction=no_transaction), problems


def unparsed_script(path: Path) -> tuple[Script | None, list[PlanError]]:
    """The file's text, checksum and irreversible marker, without parsing it (for `status`)."""
    problems: list[PlanError] = []
    try:
        text = read_sql_file(path)
    except PlanError as problem:
        return None, [problem]
    return Script(path=path, statements=(), checksum=checksum(text), text=text,
                  irreversible=_irreversible(text, path, problems)), problems


def _unwrap_transaction(statements: tuple[Statement, ...], path: Path, problems: list) -> tuple[Statement, ...]:
    """BEGIN; ... COMMIT; around a whole file (Sqitch's template, many golang-migrate files) asks for what the
    toolkit does anyway: the file is one transaction. Those two are not run; any other transaction control is
    refused, because it would commit or undo part of a step behind the runner's back."""
    kinds = ast.TransactionStmt
    if (len(statements) >= 2 and isinstance(statements[0].node, kinds) and isinstance(statements[-1].node, kinds)
            and statements[0].node.kind in _BEGIN and statements[-1].node.kind == _COMMIT):
        statements = statements[1:-1]
    for statement in statements:
        if isinstance(statement.node, kinds):
            problems.append(PlanError(path, "BEGIN/COMMIT/ROLLBACK is not allowed inside a file: the toolkit decides "
                                            "the transaction (BEGIN; ... COMMIT; around the whole file is accepted)",
                                      statement.line))
    return tuple(s for s in statements if not isinstance(s.node, kinds))


_BEGIN = (enums.TransactionStmtKind.TRANS_STMT_BEGIN, enums.TransactionStmtKind.TRANS_STMT_START)
_COMMIT = enums.TransactionStmtKind.TRANS_STMT_COMMIT
_IRREVERSIBLE = re.compile(r"^\s*--\s*toolkit:irreversible\b[ \t]*(?P<reason>[^\n]*)$", re.M)


def _irreversible(text: str, path: Path, problems: list) -> str | None:
    match = _IRREVERSIBLE.search(text)
    if match is None:
        return None
    if not match["reason"].strip():
        problems.append(PlanError(path, "toolkit:irreversible needs a reason: '-- toolkit:irreversible REASON'",
                                  line_at(text, match.start()), rule="irreversible-without-reason"))
    return match["reason"].strip()


def _require_resumable(statements: tuple[Statement, ...], path: Path, problems: list) -> None:
    """A file holding CONCURRENTLY runs statement by statement outside a transaction, and a rerun after a crash
    resumes at the first statement not done; the one that was running when it died runs again. So every
    statement beside a concurrent one must be safe to run twice."""
    if not any(is_concurrent(s.node) for s in statements):
        return
    for statement in statements:
        if not idempotent(statement.node) and not is_concurrent(statement.node):  # those: _require_idempotent
            problems.append(PlanError(path, f"a CONCURRENTLY statement shares its file with {statement.kind}, which "
                                            "is not safe to run twice: give it IF [NOT] EXISTS or move it to a file "
                                            "of its own", statement.line, rule="concurrent-not-alone"))


def parse_statements(text: str, path: Path, problems: list | None = None) -> tuple[Statement, ...]:
    """The file's statements; a syntax error raises, every other problem goes to `problems` (None: raise it)."""
    problems_here = [] if problems is None else problems
    try:
        raw_statements = statement_trees(text)
    except ParseError as exc:
        message, location = exc.args[0], exc.args[1] if len(exc.args) > 1 else None
        if location is None:  # "at end of input": pglast gives no position; the statement is cut off at the end
            location = len(text.rstrip())
            message += " (the file ends in the middle of a statement: a missing ')', quote or end of a body?)"
        raise PlanError(path, f"SQL syntax error: {message}", line_at(text, location)) from exc

    statements = []
    previous_end = 0
    for start, end, node, shared in raw_statements:
        body_start = first_token(text, start, end)
        leading = re.sub(r"^\s*;", "", text[previous_end:body_start])  # what follows the ';' before
        previous_end = end
        statement = _classify(
            text=text[body_start:end].strip(),
            line=line_at(text, body_start),
            column=body_start - text.rfind("\n", 0, body_start),
            leading_comments=leading,
            node=node,
            path=path,
            problems=problems_here,
            offset=start,
            shared_node=shared,
        )
        statements.append(statement)
    if problems is None and problems_here:
        raise problems_here[0]
    return tuple(statements)


def _classify(text, line, column, leading_comments, node, path, problems, offset=0, shared_node=False) -> Statement:
    directives = _directives(leading_comments, path, line, problems)
    concurrent = is_concurrent(node)
    if concurrent:
        _require_idempotent(node, path, line, problems)
    target = dropped = None
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        target = IndexTarget(schema=node.relation.schemaname, name=node.idxname)
    if isinstance(node, ast.DropStmt) and node.concurrent and node.removeType == enums.ObjectType.OBJECT_INDEX:
        *schema, name = [part.sval for part in node.objects[0]]
        dropped = IndexTarget(schema=schema[-1] if schema else None, name=name)
    batched = _batched(directives, node, text, path, line, problems)
    return Statement(
        text=text,
        line=line,
        column=column,
        leading_comments=leading_comments,
        node=node,
        needs_autocommit=concurrent or _never_in_transaction(node),
        builds_index=target,
        drops_index=dropped,
        batched=batched,
        keyset=batched and _keyset(node, text, path, line, problems),
        locks_first=foreign_key_parents(node) if isinstance(node, ast.AlterTableStmt) else (),
        locks=taken_by(node),
        offset=offset,
        shared_node=shared_node,
    )


# Comment directives: `-- toolkit:NAME` on a line of its own above a statement.
_DIRECTIVE = re.compile(r"^\s*--\s*toolkit:(\S*)", re.M)
# allow: a lint suppression (toolkit.lint reads its rule and reason); no-transaction: the file runs statement by
# statement in autocommit (goose's NO TRANSACTION, dbmate's transaction:false, ...), read by read_script from
# above the first statement; irreversible: a rollback that cannot be written (_irreversible); pgtap: a check file
# of pgTAP tests (plan/__init__.py).
DIRECTIVES = {"batch", "allow", "no-transaction", "irreversible", "pgtap"}
BATCH_SIZE_SETTING = "toolkit.batch_size"
BATCH_AFTER_SETTING = "toolkit.batch_after"  # the greatest key the batch before returned; '' before the first


def _directives(leading_comments: str, path: Path, line: int, problems: list) -> set[str]:
    found = set(_DIRECTIVE.findall(leading_comments))
    unknown = found - DIRECTIVES
    if unknown:
        problems.append(PlanError(path, f"unknown directive toolkit:{sorted(unknown)[0]} "
                                        f"(known: {', '.join(sorted(DIRECTIVES))})", line))
    return found


def _batched(directives: set[str], node, text: str, path: Path, line: int, problems: list) -> bool:
    if "batch" not in directives:
        return False
    if written_table(node) is None:
        problems.append(PlanError(path, "toolkit:batch goes above an INSERT, UPDATE, DELETE or MERGE (or a SELECT "
                                        "whose WITH holds one)", line))
        return False
    if BATCH_SIZE_SETTING not in text:
        problems.append(PlanError(path, "a batched statement must limit itself with "
                                        f"current_setting('{BATCH_SIZE_SETTING}')", line))
        return False
    return True


def _keyset(node, text: str, path: Path, line: int, problems: list) -> bool:
    """A batch reading toolkit.batch_after returns its key: the runner keeps the greatest for the next batch."""
    if BATCH_AFTER_SETTING not in text:
        return False
    returning = getattr(node, "returningClause", None)
    if not isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) or not (returning and returning.exprs):
        problems.append(PlanError(path, f"a batch that reads {BATCH_AFTER_SETTING} returns its key: an INSERT, "
                                        "UPDATE or DELETE ending in RETURNING key (the first column returned)", line))
        return False
    return True


_WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def written_table(node: ast.Node) -> ast.RangeVar | None:
    """The table a statement writes rows to, or None for a statement that writes none. A SELECT whose WITH holds
    the write counts: keyset backfills are written so (the final SELECT returns a row per row written)."""
    if isinstance(node, _WRITES):
        return node.relation
    if isinstance(node, ast.SelectStmt) and node.withClause:
        for cte in node.withClause.ctes or ():
            if isinstance(cte.ctequery, _WRITES):
                return cte.ctequery.relation
    return None


def _emptied(node: ast.Node) -> list[tuple[str | None, str]]:
    if isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TABLE:
        return [(None, *(p.sval for p in name))[-2:] for name in node.objects]
    if isinstance(node, ast.TruncateStmt):
        return [(relation.schemaname, relation.relname) for relation in node.relations]
    written = written_table(node)
    deleting = isinstance(node, ast.DeleteStmt) or (written is not None and not isinstance(node, _WRITES) and any(
        isinstance(cte.ctequery, ast.DeleteStmt) for cte in node.withClause.ctes or ()))
    return [(written.schemaname, written.relname)] if deleting else []


def is_concurrent(node: ast.Node) -> bool:
    if isinstance(node, (ast.IndexStmt, ast.DropStmt)):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(p.defname == "concurrently" for p in node.params or ())
    if isinstance(node, ast.AlterTableStmt):  # DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+)
        return any(isinstance(cmd.def_, ast.PartitionCmd) and cmd.def_.concurrent for cmd in node.cmds or ())
    return False


def _require_idempotent(node: ast.Node, path: Path, line: int, problems: list) -> None:
    """A concurrent statement runs outside a transaction, so a crash can leave it half done; it must be safe to
    run again. A named index is: the rerun looks it up (built, INVALID, or gone) whether or not the statement
    says IF [NOT] EXISTS."""
    if isinstance(node, ast.IndexStmt) and not node.idxname:
        problems.append(PlanError(path, "CREATE INDEX CONCURRENTLY needs an explicit index name (a rerun looks "
                                        "it up by name)", line))
