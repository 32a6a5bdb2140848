"""plpgsql_check behind `toolkit lint --dsn`: the real static analyser for PL/pgSQL (unknown tables and
columns, type mismatches, unused variables, dead code, a RETURN missing), where the toolkit's own rules only
parse the body.

PostgreSQL checks a body's SQL only when the function runs, so the functions must exist to be checked: on a
scratch database of the --dsn server (created and dropped here, as `verify` does; the role needs CREATEDB), the
phases are built in order and after each one every PL/pgSQL function and trigger function its migrations
define is checked with `plpgsql_check_function_tb` (a trigger function on the first table one of its triggers
is on). Each finding is reported at the migration's file and the line in it. A server without the extension
(Debian: postgresql-NN-plpgsql-check) changes nothing: the built-in rules run, and lint says so.
"""

from __future__ import annotations

from pathlib import Path

from pglast import ast, enums
from pglast.stream import RawStream

from ..catalog.ddl import ident
from ..connection import Target
from ..errors import ToolkitError
from ..plan import Plan
from ..plan.sql import Statement
from .rules import RULES, Finding

RULE = "plpgsql-check"
_AVAILABLE = "SELECT default_version FROM pg_available_extensions WHERE name = 'plpgsql_check'"
_CHECK = """
    SELECT lineno, level, message, detail, hint
    FROM plpgsql_check_function_tb(%s::regprocedure, relid => %s::regclass, fatal_errors => false)
"""
_TRIGGER_TABLE = "SELECT tgrelid FROM pg_trigger WHERE tgfoid = %s::regprocedure ORDER BY tgrelid LIMIT 1"
_IN_MODES = (enums.FunctionParameterMode.FUNC_PARAM_IN, enums.FunctionParameterMode.FUNC_PARAM_INOUT,
             enums.FunctionParameterMode.FUNC_PARAM_VARIADIC, enums.FunctionParameterMode.FUNC_PARAM_DEFAULT)


def check_functions(target: Target, plan: Plan, root: Path) -> tuple[dict[Path, list], str]:
    """{migration path: [(statement, Finding)]} and one line saying what was checked, or why nothing was."""
    from .. import api  # builds the phases on the scratch database
    from ..runner.progress import Progress
    from ..runner.session import Settings

    with target.connect("toolkit lint") as conn:
        version = conn.execute(_AVAILABLE).fetchone()
    if version is None:
        return {}, (f"plpgsql_check is not available on {target.describe()}: the built-in PL/pgSQL rules ran "
                    "(Debian: apt-get install postgresql-NN-plpgsql-check)")
    found: dict[Path, list] = {}
    checked, skipped = 0, []
    with api.scratch_database(target, "lint") as scratch:
        with scratch.connect("toolkit lint") as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
        for phase in plan.phases:
            try:
                api.apply(scratch, phase.number, settings=Settings(project=root), progress=Progress())
            except ToolkitError as why:
                return found, (f"plpgsql_check {version[0]} checked {checked} function(s); phase {phase.number} did "
                               f"not build on the scratch database ({str(why).splitlines()[0]}), so no later one")
            with scratch.connect("toolkit lint") as conn:
                for path, statement, signature, body in _functions(phase):
                    oid = conn.execute("SELECT to_regprocedure(%s)::oid", (signature,)).fetchone()[0]
                    if oid is None:
                        continue  # dropped again later in its phase
                    relid = 0
                    if _returns_trigger(statement):
                        row = conn.execute(_TRIGGER_TABLE, (signature,)).fetchone()
                        if row is None:
                            skipped.append(signature)
                            continue
                        relid = row[0]
                    checked += 1
                    for lineno, level, message, detail, hint in conn.execute(_CHECK, (signature, relid)):
                        found.setdefault(path, []).append((statement, _finding(
                            path, root, statement, body, lineno, level, message, detail, hint)))
    note = f"plpgsql_check {version[0]} checked {checked} function(s) on a scratch database"
    if skipped:
        note += f"; {len(skipped)} trigger function(s) no trigger uses were not ({', '.join(skipped[:3])})"
    return found, note


def _functions(phase):
    """(file, statement, regprocedure text, body) of each PL/pgSQL function the phase's migrations define,
    the last definition of each."""
    latest = {}
    for migration in phase.migrations:
        for statement in migration.apply_script.statements:
            node = statement.node
            if not isinstance(node, ast.CreateFunctionStmt) or node.is_procedure:
                continue
            options = {o.defname: o.arg for o in node.options or ()}
            language = options.get("language")
            body = options.get("as")
            if language is None or language.sval != "plpgsql" or body is None:
                continue
            name = ".".join(ident(part.sval) for part in node.funcname)
            arguments = ", ".join(RawStream()(p.argType) for p in node.parameters or () if p.mode in _IN_MODES)
            signature = f"{name}({arguments})"
            latest[signature] = (migration.apply_script.path, statement, signature, body[0].sval)
    return latest.values()


def _returns_trigger(statement: Statement) -> bool:
    returns = statement.node.returnType
    return returns is not None and returns.names[-1].sval == "trigger"


def _finding(path: Path, root: Path, statement: Statement, body: str, lineno, level: str, message: str,
             detail, hint) -> Finding:
    """Where in the file: the body's first line (the one `$$` opens it on) plus plpgsql_check's line in it."""
    start = statement.text.find(body)
    line = statement.line + (statement.text[:start].count("\n") + lineno - 1 if start >= 0 and lineno else 0)
    said = f"{RULES[RULE].message}: {level}: {message}" + "".join(f"; {extra}" for extra in (detail, hint) if extra)
    return Finding(str(Path(path).absolute().relative_to(root)), line, 1, RULE, said)
