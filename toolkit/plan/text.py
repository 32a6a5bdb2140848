"""Positions in a file's text: where each statement is, with its tree; the first token after comments; the line
of an offset."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator

from pglast import ast, parse_sql
from pglast.parser import fingerprint, split


@functools.lru_cache(maxsize=4096)
def statement_trees(text: str) -> tuple[tuple[int, int, ast.Node, bool], ...]:
    """(start, end, tree, shared) of each statement. The parser finds the statements (split: no tree built);
    each is parsed alone, so its tree's locations count from its start. A data dump's rows (INSERT ... VALUES of
    one shape: pglast's fingerprint, which leaves the values out) share the first one's tree: building 250,000
    equal trees was most of reading a 50 MB migration. Trees are only read, never changed; a process reading the
    same text again (a fleet runner planning each target, a suite copying the project) parses it once."""
    found, shapes = [], {}
    for piece in split(text, with_parser=True, only_slices=True):
        shape = fingerprint(text[piece])
        tree = shapes.get(shape)
        if tree is None:
            tree = parse_sql(text[piece])[0].stmt
            rows = isinstance(tree, ast.InsertStmt) and tree.selectStmt is not None and tree.selectStmt.valuesLists
            shapes[shape] = tree if rows else False
            found.append((piece.start, piece.stop, tree, False))
        else:
            found.append((piece.start, piece.stop, tree or parse_sql(text[piece])[0].stmt, bool(tree)))
    return tuple(found)


_COMMENT_OR_SPACE = re.compile(r"(\s+|--[^\n]*|/\*.*?\*/)", re.S)


def first_token(text: str, start: int, end: int) -> int:
    pos = start
    while pos < end:
        match = _COMMENT_OR_SPACE.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    return pos


def line_at(text: str, offset: int | None) -> int:
    """The line of an offset (None: the end). A file's statements ask once each: counting the newlines before
    each one from the start made a 250,000-statement file take minutes."""
    offset = len(text) if offset is None else max(0, min(offset, len(text)))
    return bisect.bisect_left(_newlines(text), offset) + 1


@functools.lru_cache(maxsize=16)
def _newlines(text: str) -> list[int]:
    return [match.start() for match in re.finditer("\n", text)]


def nodes_in(node) -> Iterator:
    """Every node of a tree, the tree first."""
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from nodes_in(getattr(node, name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from nodes_in(item)
