"""The URL form of a database login (``DATABASE_URL``), taken apart and put back together.

``postgresql://user:pass@host:port/db?sslmode=require`` (or ``postgres://``,
``postgresql+psycopg://`` …) is what a ``.env`` holds and what ``migrate`` stores. A rotation
changes only the user and password: everything else — scheme with its driver, host exactly as
written (IPv6 brackets, no port when there was none), path, query, fragment — is kept verbatim,
and the new user and password are percent-encoded. Parsing never puts the URL in an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from secrets_adapter.errors import SecretFormatError

__all__ = ["DEFAULT_PORT", "DatabaseUrl", "looks_like_database_url"]

DEFAULT_PORT = 5432
_POSTGRES_SCHEME = re.compile(r"postgres(?:ql)?(?:\+[a-z0-9_]+)?", re.IGNORECASE)
_ANY_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def looks_like_database_url(text: str) -> bool:
    """True when ``text`` starts like a URL (``scheme://``); the scheme is checked on parsing."""
    return _ANY_SCHEME.match(text.strip()) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseUrl:
    """Every part of the URL but the login, kept as written (``repr`` shows no password)."""

    scheme: str
    hostport: str  # "host:port", "[::1]:5432", "host" — exactly as in the original
    host: str
    port: int | None
    path: str
    query: str
    fragment: str

    @classmethod
    def split(cls, text: str, *, name: str | None) -> tuple[DatabaseUrl, str, str]:
        """``(parts, username, password)`` of a PostgreSQL URL, percent-decoded."""
        problem = None
        try:
            parts = urlsplit(text.strip())
            port = parts.port  # ValueError on "host:abc" or out of range
        except ValueError:
            parts, port, problem = None, None, "its host or port does not parse"
        if parts is not None and not _POSTGRES_SCHEME.fullmatch(parts.scheme):
            problem = f"its scheme {parts.scheme!r} is not postgresql:// (or postgres://)"
        elif parts is not None and not parts.username:
            problem = "it names no user (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        elif parts is not None and not parts.password:
            problem = "it holds no password, so there is none to rotate"
        if problem is not None or parts is None:
            raise SecretFormatError(
                f"Secret {name!r} is not a PostgreSQL URL: {problem}.", secret_name=name
            )
        hostport = parts.netloc.rpartition("@")[2]
        url = cls(
            scheme=parts.scheme,
            hostport=hostport,
            host=parts.hostname or "",
            port=port,
            path=parts.path,
            query=parts.query,
            fragment=parts.fragment,
        )
        return url, unquote(parts.username or ""), unquote(parts.password or "")

    @property
    def dbname(self) -> str:
        return unquote(self.path.lstrip("/")) or "postgres"

    def join(self, username: str, password: str) -> str:
        """The URL with this login, user and password percent-encoded, the rest as it was."""
        login = f"{quote(username, safe='')}:{quote(password, safe='')}"
        text = f"{self.scheme}://{login}@{self.hostport}{self.path}"
        if self.query:
            text += f"?{self.query}"
        if self.fragment:
            text += f"#{self.fragment}"
        return text

    def connection_options(self) -> dict[str, str]:
        """The query's libpq keywords (``sslmode``, ``application_name``, ``host`` …)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))
