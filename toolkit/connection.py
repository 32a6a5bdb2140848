"""Which database to talk to, and how to say so without leaking its password."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .errors import BadInput, CannotConnect

_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str, password: str | None = None) -> str:
    """The text with any password in it replaced by ***."""
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    if password:
        text = text.replace(password, "***")
    return text


_MALFORMED = re.compile(r"invalid (integer|port|sslmode|value|connection option)|unrecognized|missing \"=\"")


# The variables libpq reads when a DSN leaves a setting out (an empty DSN: all of them).
LIBPQ_ENVIRONMENT = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE")


@dataclass(frozen=True)
class Target:
    """A database the toolkit works on, given as a libpq DSN (URL or key=value)."""

    dsn: str

    @classmethod
    def from_option(cls, dsn: str | None) -> Target:
        """--dsn, else $DATABASE_URL, else libpq's own environment (PGHOST, PGDATABASE, PGSERVICE, ...), as psql
        and pg_dump in the same shell would connect."""
        dsn = dsn or os.environ.get("DATABASE_URL")
        if not dsn and not any(os.environ.get(name) for name in LIBPQ_ENVIRONMENT):
            raise BadInput("no database given: pass --dsn, set DATABASE_URL, or libpq's PGHOST/PGDATABASE/PGSERVICE")
        target = cls(dsn or "")
        target.params  # refuse a malformed DSN now, with a clean message
        return target

    @property
    def params(self) -> dict:
        try:
            return conninfo_to_dict(self.dsn)
        except psycopg.ProgrammingError as exc:
            raise BadInput(f"malformed DSN: {self.redact(str(exc))}") from exc

    @property
    def password(self) -> str | None:
        try:
            return conninfo_to_dict(self.dsn).get("password")
        except psycopg.ProgrammingError:
            return None

    def redact(self, text: str) -> str:
        return redact(text, self.password)

    def describe(self) -> str:
        """postgresql://user@host:port/dbname, never with the password."""
        p = self.params
        user = p.get("user") or os.environ.get("PGUSER", "")
        host = p.get("host") or os.environ.get("PGHOST", "localhost")
        port = p.get("port") or os.environ.get("PGPORT", "5432")
        db = p.get("dbname") or os.environ.get("PGDATABASE", user)
        return f"postgresql://{user + '@' if user else ''}{host}:{port}/{db}"

    def with_database(self, dbname: str) -> Target:
        return Target(make_conninfo(self.dsn, dbname=dbname))

    def connect(self, application_name: str = "toolkit") -> psycopg.Connection:
        """An autocommit connection; transactions are always explicit."""
        params = {"connect_timeout": 10, **self.params, "application_name": application_name}
        try:
            return psycopg.connect(**params, autocommit=True)
        except psycopg.ProgrammingError as exc:  # psycopg refused a value itself (connect_timeout=bogus)
            raise BadInput(f"malformed DSN: {self.redact(' '.join(str(exc).split()))}") from exc
        except psycopg.OperationalError as exc:
            reason = " ".join(str(exc).split())
            if _MALFORMED.search(reason):  # libpq refused the DSN itself: nothing was tried on the network
                raise BadInput(f"malformed DSN: {self.redact(reason)}") from exc
            raise CannotConnect(f"cannot connect to {self.describe()}: {self.redact(reason)}") from exc
