"""SQL for one catalog object, written from the attributes the inspection reads (relations.py, objects.py): the
CREATE, DROP and ALTER statements that `toolkit diff --sql` and `toolkit new --from-diff` are made of.

The inspection names objects unquoted ("schema.table.column"), as its fingerprints have always stored them;
names are quoted here as PostgreSQL's quote_ident does. A name whose parts cannot be told apart (a dot inside
an identifier), and any kind or attribute no statement can set, raise NotGenerated with the reason.
"""

from __future__ import annotations

import re

from pglast.keywords import UNRESERVED_KEYWORDS

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")


class NotGenerated(Exception):
    """No statement is written for this difference; the message says why, for the DBA who decides."""


def ident(name: str) -> str:
    """quote_ident: bare when PostgreSQL would read it back unchanged, else in double quotes."""
    if _PLAIN.fullmatch(name) and (name in UNRESERVED_KEYWORDS or not _is_keyword(name)):
        return name
    return '"' + name.replace('"', '""') + '"'


def _is_keyword(name: str) -> bool:
    from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    return name in RESERVED_KEYWORDS or name in COL_NAME_KEYWORDS or name in TYPE_FUNC_NAME_KEYWORDS


def literal(text: str) -> str:
    """A string constant (standard_conforming_strings, on since PostgreSQL 9.1: a backslash is itself)."""
    return "'" + str(text).replace("'", "''") + "'"


def parts(name: str, count: int) -> list[str]:
    pieces = name.split(".")
    if len(pieces) != count:
        raise NotGenerated(f"the name {name!r} has a dot inside an identifier: say it by hand")
    return pieces


def qualified(name: str) -> str:
    """schema.object, quoted."""
    return ".".join(ident(p) for p in parts(name, 2))


def owner_and_member(name: str) -> tuple[str, str]:
    """For schema.table.member (a column, constraint, rule, trigger, policy): the quoted table and member."""
    schema, table, member = parts(name, 3)
    return f"{ident(schema)}.{ident(table)}", ident(member)


def table_of(name: str) -> str:
    """The unquoted schema.table a member's name belongs to."""
    return ".".join(parts(name, 3)[:2])


def strip_semicolon(text: str) -> str:
    return text.strip().rstrip(";").rstrip()


# ---- everything else -----------------------------------------------------------------------------------------

_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_ENABLED = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def create(kind: str, name: str, a: dict) -> list[str]:
    """The statements that make object `name` of `kind` as `a` describes it (tables and columns: above)."""
    if kind == "schema":
        return [f"CREATE SCHEMA {ident(name)}"]
    if kind == "extension":
        return [f"CREATE EXTENSION IF NOT EXISTS {ident(name)} WITH SCHEMA {ident(a['schema'])} "
                f"VERSION {literal(a['version'])}"]
    if kind == "type":
        return _create_type(name, a)
    if kind == "function":
        return [a["definition"].strip()]
    if kind == "sequence":
        return [f"CREATE{' UNLOGGED' if a.get('persistence') == 'u' else ''} SEQUENCE {qualified(name)} "
                + _sequence_options(a)]
    if kind == "view":
        return [_create_view(name, a)]
    if kind == "rule":
        return [strip_semicolon(a["definition"])] + _enable("RULE", name, a)
    if kind == "trigger":
        return [a["definition"]] + _enable("TRIGGER", name, a)
    if kind == "policy":
        table, policy = owner_and_member(name)
        text = (f"CREATE POLICY {policy} ON {table} AS {'PERMISSIVE' if a.get('permissive', True) else 'RESTRICTIVE'}"
                f" FOR {_POLICY_COMMANDS[a['command']]} TO {', '.join(a.get('roles') or ['public'])}")
        if a.get("using"):
            text += f" USING ({a['using']})"
        if a.get("check"):
            text += f" WITH CHECK ({a['check']})"
        return [text]
    if kind == "statistics":
        return [a["definition"]] + ([f"ALTER STATISTICS {qualified(name)} SET STATISTICS {a['target']}"]
                                    if a.get("target") is not None else [])
    if kind == "comment":
        return [f"COMMENT ON {_commented(name)} IS {literal(a['text'])}"]
    raise NotGenerated(f"the toolkit writes no statement for a {kind}")


def drop(kind: str, name: str, a: dict) -> list[str]:
    if kind in ("schema", "extension"):
        return [f"DROP {kind.upper()} {ident(name)}"]
    if kind == "type":
        return [f"DROP {'DOMAIN' if a.get('kind') == 'd' else 'TYPE'} {qualified(name)}"]
    if kind == "function":
        routine = re.match(r"CREATE OR REPLACE (FUNCTION|PROCEDURE)", a["definition"])
        schema, rest = name.split(".", 1)
        function, arguments = rest.split("(", 1)
        return [f"DROP {routine.group(1) if routine else 'FUNCTION'} {ident(schema)}.{ident(function)}({arguments}"]
    if kind in ("sequence", "statistics"):
        return [f"DROP {kind.upper()} {qualified(name)}"]
    if kind == "view":
        return [f"DROP {a.get('kind', 'view').upper()} {qualified(name)}"]
    if kind in ("rule", "trigger", "policy"):
        table, member = owner_and_member(name)
        return [f"DROP {kind.upper()} {member} ON {table}"]
    if kind == "comment":
        return [f"COMMENT ON {_commented(name)} IS NULL"]
    raise NotGenerated(f"the toolkit writes no statement for a {kind}")


def alter(kind: str, name: str, attribute: str, have, want, whole: dict) -> list[str] | None:
    """One attribute from `have` to `want` in place; None when the object must be dropped and created again.
    `whole`: the object as wanted."""
    if attribute in ("owner", "acl"):
        raise NotGenerated("owners and grants are not written by the toolkit: GRANT and ALTER ... OWNER by hand")
    if kind == "extension":
        if attribute == "version":
            return [f"ALTER EXTENSION {ident(name)} UPDATE TO {literal(want)}"]
        return [f"ALTER EXTENSION {ident(name)} SET SCHEMA {ident(want)}"]
    if kind == "type" and attribute == "labels" and whole.get("kind") == "e":
        return _add_labels(name, have or [], want or [])
    if kind == "type" and whole.get("kind") == "d" and attribute in ("default", "not_null"):
        domain = f"ALTER DOMAIN {qualified(name)}"
        if attribute == "default":
            return [f"{domain} SET DEFAULT {want}" if want is not None else f"{domain} DROP DEFAULT"]
        return [f"{domain} {'SET' if want else 'DROP'} NOT NULL"]
    if kind == "function" and attribute == "definition":
        return [want.strip()]  # CREATE OR REPLACE
    if kind == "sequence":
        return [_alter_sequence(name, attribute, want)]
    if kind == "view" and attribute == "definition" and whole.get("kind") == "view":
        return [_create_view(name, whole, replace=True)]
    if kind in ("rule", "trigger") and attribute == "enabled":
        return _enable(kind.upper(), name, whole, always=True)
    if kind == "rule" and attribute == "definition":
        return [re.sub(r"^CREATE RULE", "CREATE OR REPLACE RULE", strip_semicolon(want))]
    if kind == "statistics" and attribute == "target":
        return [f"ALTER STATISTICS {qualified(name)} SET STATISTICS {-1 if want is None else want}"]
    if kind == "comment":
        return create(kind, name, whole)
    if kind == "type":
        raise NotGenerated("an enum can only gain labels, a domain change its default and NOT NULL; anything else "
                           "about a type is not changed in place by the toolkit")
    if kind in ("view", "trigger", "policy", "statistics"):
        return None
    raise NotGenerated(f"no statement changes a {kind}'s {attribute.replace('_', ' ')} in place")


def _create_type(name: str, a: dict) -> list[str]:
    typ = qualified(name)
    if a.get("kind") == "e":
        return [f"CREATE TYPE {typ} AS ENUM ({', '.join(literal(label) for label in a.get('labels') or [])})"]
    if a.get("kind") == "d":
        text = f"CREATE DOMAIN {typ} AS {a['base']}"
        if a.get("collation"):
            text += f" COLLATE {a['collation']}"
        if a.get("default") is not None:
            text += f" DEFAULT {a['default']}"
        if a.get("not_null"):
            text += " NOT NULL"
        later = []
        for constraint, definition, validated in a.get("checks") or []:
            if validated:
                text += f" CONSTRAINT {ident(constraint)} {definition}"
            else:
                later.append(f"ALTER DOMAIN {typ} ADD CONSTRAINT {ident(constraint)} {definition}")
        return [text] + later
    raise NotGenerated("composite, range and base types are not written by the toolkit")


def _add_labels(name: str, have: list, want: list) -> list[str]:
    if [label for label in want if label in have] != list(have):
        raise NotGenerated("an enum's labels can be added, never removed or reordered")
    statements = []
    for i, label in enumerate(want):
        if label in have:
            continue
        where = f" AFTER {literal(want[i - 1])}" if i else f" BEFORE {literal(want[1])}" if len(want) > 1 else ""
        statements.append(f"ALTER TYPE {qualified(name)} ADD VALUE IF NOT EXISTS {literal(label)}{where}")
    return statements


def _sequence_options(a: dict) -> str:
    return (f"AS {a['type']} INCREMENT BY {a['increment']} MINVALUE {a['min']} MAXVALUE {a['max']} "
            f"START WITH {a['start']} CACHE {a['cache']} {'CYCLE' if a.get('cycle') else 'NO CYCLE'}")


def owned_by(name: str, a: dict) -> list[str]:
    return [_alter_sequence(name, "owned_by", a["owned_by"])] if a.get("owned_by") else []


def _alter_sequence(name: str, attribute: str, want) -> str:
    sequence = f"ALTER SEQUENCE {qualified(name)}"
    if attribute == "owned_by":
        if not want:
            return f"{sequence} OWNED BY NONE"
        table, column = want.rsplit(".", 1)
        return f"{sequence} OWNED BY {table}.{ident(column)}"
    if attribute == "persistence":
        return f"{sequence} SET {'UNLOGGED' if want == 'u' else 'LOGGED'}"
    if attribute == "cycle":
        return f"{sequence} {'CYCLE' if want else 'NO CYCLE'}"
    words = {"type": "AS", "increment": "INCREMENT BY", "min": "MINVALUE", "max": "MAXVALUE", "start": "START WITH",
             "cache": "CACHE"}
    return f"{sequence} {words[attribute]} {want}"


def _create_view(name: str, a: dict, replace: bool = False) -> str:
    if a.get("access_method") not in (None, "heap") or a.get("tablespace"):
        raise NotGenerated("a materialized view's access method or tablespace is not written by the toolkit")
    options = f" WITH ({', '.join(a['options'])})" if a.get("options") else ""
    verb = "CREATE OR REPLACE" if replace else "CREATE"
    return f"{verb} {a.get('kind', 'view').upper()} {qualified(name)}{options} AS\n{strip_semicolon(a['definition'])}"


def _enable(what: str, name: str, a: dict, always: bool = False) -> list[str]:
    state = a.get("enabled") or "O"
    if state == "O" and not always:
        return []
    table, member = owner_and_member(name)
    return [f"ALTER TABLE {table} {_ENABLED[state]} {what} {member}"]


# pg_describe_object quotes relation, type and routine names, not the bare names of these (nor our columns')
_BARE_NAMED = re.compile(r"^(schema|extension|constraint|trigger|policy|rule) (\S+)( on .*)?$", re.S)


def _commented(name: str) -> str:
    """The object a comment is on, as COMMENT ON names it, from the inspection's "on <described object>"."""
    described = name.removeprefix("on ")
    if described.startswith("column "):
        relation, column = described.removeprefix("column ").rsplit(".", 1)
        return f"COLUMN {relation}.{ident(column)}"
    match = _BARE_NAMED.match(described)
    if match:
        if not _PLAIN.fullmatch(match.group(2)):
            raise NotGenerated(f"the comment's object {described!r} names itself unquoted: say it by hand")
        return f"{match.group(1).upper()} {match.group(2)}" + (" ON " + match.group(3)[4:].removeprefix("table ")
                                                              if match.group(3) else "")
    for kind in ("materialized view", "foreign table", "table", "view", "index", "sequence", "function",
                 "procedure", "type", "aggregate", "domain", "collation"):
        if described.startswith(kind + " "):
            return f"{kind.upper()} {described[len(kind) + 1:]}"
    raise NotGenerated(f"a comment on {described} is not written by the toolkit")
