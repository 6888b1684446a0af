"""The ``postgres`` rotator: database passwords, single user or alternating users.

The secret is either a URL, ``postgresql://user:pass@host:port/db?sslmode=…`` (what a
``DATABASE_URL`` holds and ``migrate`` stores; written back with only the login changed, see
``database_url``), or a JSON object ``{"engine", "host", "port", "username", "password",
"dbname"}`` (the AWS RDS secret shape; ``DatabaseCredentials.database_url()`` turns it into a
``DATABASE_URL``). A rotation keeps the form it found. Options (tags):

- ``strategy=single`` (default): ``ALTER ROLE <user> PASSWORD`` as the user itself (or as the
  ``master-secret`` user if given). Between *set* and *finish* new connections with the old
  password fail; ``rotation.connections`` recovers them by trying the pending password.
- ``strategy=alternating``: two roles, ``<user>`` and ``<user><clone-suffix>`` (default
  ``_clone``, created as a member of ``<user>`` on first use). Each rotation gives the role that is
  *not* current a new password and makes it current, so the credential an app holds stays valid
  for a whole rotation period: no failed connection at all. Needs ``master-secret``: the name of
  a secret of the same shape for a role that may create and alter roles.
- ``length``: the password length (default 32, letters and digits).

The password is hashed (SCRAM) on the client with libpq before ``ALTER ROLE``, so the plain
text never reaches the server's statement log. psycopg (the ``postgres`` extra) is imported only
when a rotation runs. Errors carry the SQLSTATE, never a statement or a password.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    ProviderError,
    SecretFormatError,
)
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.database_url import (
    DEFAULT_PORT,
    DatabaseUrl,
    looks_like_database_url,
)

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DatabaseCredentials",
    "PostgresRotator",
    "is_authentication_error",
    "require_psycopg",
]

DEFAULT_PASSWORD_LENGTH = 32
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_AUTH_SQLSTATES = frozenset({"28P01", "28000"})


def require_psycopg() -> Any:
    """The ``psycopg`` module, or a ``ConfigurationError`` saying which extra installs it."""
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError(
            "PostgreSQL rotation needs psycopg: pip install 'secrets-adapter[postgres]'."
        ) from None
    return psycopg


def is_authentication_error(exc: BaseException) -> bool:
    """True for a psycopg error meaning "these credentials are refused" (not network trouble)."""
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate in _AUTH_SQLSTATES:
        return True
    text = str(exc)
    return "authentication failed" in text or ("role" in text and "does not exist" in text)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseCredentials:
    """A database login from a secret (URL or JSON). The password stays masked until connecting.

    ``url`` is set when the secret was a URL: ``to_value`` then writes a URL back, every part but
    the login as it was; otherwise the JSON object, with its other fields (``extra``) kept.
    """

    host: str
    port: int
    username: str
    password: SecretValue
    dbname: str
    engine: str = "postgres"
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    url: DatabaseUrl | None = None

    @classmethod
    def from_value(cls, value: SecretValue, *, name: str | None = None) -> DatabaseCredentials:
        text = value.reveal_text()
        if looks_like_database_url(text):
            return cls._from_url(text, name=name)
        if text.lstrip()[:1] != "{":
            raise SecretFormatError(
                f"Secret {name!r} is not a database credential: it needs a URL "
                "postgresql://USER:PASSWORD@HOST:PORT/DB or a JSON object with host, port, "
                "username, password and dbname.",
                secret_name=name,
            )
        data = value.json()
        try:
            known = {"engine", "host", "port", "username", "password", "dbname"}
            return cls(
                engine=str(data.get("engine", "postgres")),
                host=str(data["host"]),
                port=int(data.get("port", DEFAULT_PORT)),
                username=str(data["username"]),
                password=SecretValue(str(data["password"])),
                dbname=str(data.get("dbname", "postgres")),
                extra={k: v for k, v in data.items() if k not in known},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # ``int("<port>")``'s error holds the field: raise outside the ``except``
        raise SecretFormatError(
            f"Secret {name!r} is not a database credential: it needs a JSON object with "
            "host, port, username, password and dbname.",
            secret_name=name,
        )

    @classmethod
    def _from_url(cls, text: str, *, name: str | None) -> DatabaseCredentials:
        url, username, password = DatabaseUrl.split(text, name=name)
        return cls(
            host=url.host,
            port=url.port or DEFAULT_PORT,
            username=username,
            password=SecretValue(password),
            dbname=url.dbname,
            url=url,
        )

    def to_value(self) -> SecretValue:
        """The secret in the form it came in (URL or JSON)."""
        if self.url is not None:
            return SecretValue(self.url.join(self.username, self.password.reveal_text()))
        data = {
            **self.extra,
            "engine": self.engine,
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password.reveal_text(),
            "dbname": self.dbname,
        }
        return SecretValue(json.dumps(data, separators=(",", ":")))

    def with_login(self, username: str, password: SecretValue) -> DatabaseCredentials:
        return replace(self, username=username, password=password)

    def database_url(self, *, scheme: str = "postgresql") -> SecretValue:
        """``postgresql://user:password@host:port/dbname``, masked like any secret.

        A login read from a URL gives that URL back (its own scheme, query and all).
        """
        if self.url is not None:
            return self.to_value()
        user, secret = quote(self.username, safe=""), quote(self.password.reveal_text(), safe="")
        return SecretValue(
            f"{scheme}://{user}:{secret}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg.connect`` (the password revealed only here).

        A URL's query parameters (``sslmode`` …) are libpq keywords and go along.
        """
        options: dict[str, Any] = self.url.connection_options() if self.url is not None else {}
        options.update(user=self.username, password=self.password.reveal_text())
        options.update(dbname=self.dbname)
        if self.host:
            options["host"] = self.host
        if self.url is None or self.url.port is not None:
            options["port"] = self.port
        return options


@contextmanager
def _connected(
    credentials: DatabaseCredentials, *, secret_name: str, what: str
) -> Iterator[psycopg.Connection[Any]]:
    """A psycopg connection; a failure becomes a ``ProviderError`` without statement or value."""
    pg = require_psycopg()
    try:
        with pg.connect(**credentials.connect_kwargs(), connect_timeout=5, autocommit=True) as conn:
            yield conn
    except pg.Error as exc:
        refused = is_authentication_error(exc)
        code = getattr(exc, "sqlstate", None) or ("authentication" if refused else "connection")
        raise (AccessDeniedError if refused else ProviderError)(
            f"PostgreSQL refused {what} for secret {secret_name!r} as role "
            f"{credentials.username!r} ({type(exc).__name__}, {code}).",
            secret_name=secret_name,
            provider="postgres",
        ) from None


def _set_password(conn: psycopg.Connection[Any], role: str, password: SecretValue) -> None:
    from psycopg import sql

    verifier = conn.pgconn.encrypt_password(
        password.reveal_text().encode(), role.encode(), None
    ).decode()
    conn.execute(
        sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(verifier)
        )
    )


def _role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    return row is not None


class PostgresRotator:
    """Rotates a PostgreSQL role's password (see the module docstring for the strategies)."""

    name = "postgres"

    def create(self, context: RotationContext) -> SecretValue:
        current = DatabaseCredentials.from_value(context.current.value, name=context.name)
        length = context.int_option("length", DEFAULT_PASSWORD_LENGTH)
        if not 16 <= length <= 99:
            raise ConfigurationError(
                f"Option length of secret {context.name!r} must be 16-99.",
                secret_name=context.name,
            )
        password = SecretValue("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length)))
        return current.with_login(self._next_user(context, current), password).to_value()

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        new = DatabaseCredentials.from_value(pending, name=context.name)
        if self._strategy(context) == "alternating":
            self._set_alternating(context, new)
        else:
            self._set_single(context, new)

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        new = DatabaseCredentials.from_value(pending, name=context.name)
        with _connected(new, secret_name=context.name, what="the pending password") as conn:
            row = conn.execute("SELECT current_user").fetchone()
        if row is None or row[0] != new.username:
            raise ProviderError(
                f"The pending credential of secret {context.name!r} logged in as another role.",
                secret_name=context.name,
                provider="postgres",
            )

    # --- strategies -------------------------------------------------------------------------

    def _strategy(self, context: RotationContext) -> str:
        strategy = context.option("strategy", "single")
        if strategy not in ("single", "alternating"):
            raise ConfigurationError(
                f"Option strategy of secret {context.name!r} must be single or alternating.",
                secret_name=context.name,
            )
        return strategy

    def _next_user(self, context: RotationContext, current: DatabaseCredentials) -> str:
        if self._strategy(context) == "single":
            return current.username
        suffix = context.option("clone-suffix", "_clone")
        base = context.option("base-user", current.username.removesuffix(suffix))
        return base + suffix if current.username == base else base

    def _master(self, context: RotationContext) -> DatabaseCredentials | None:
        name = context.options.get("master-secret")
        if not name:
            return None
        return DatabaseCredentials.from_value(context.read_secret(name), name=name)

    def _set_single(self, context: RotationContext, new: DatabaseCredentials) -> None:
        master = self._master(context)
        if master is not None:
            with _connected(master, secret_name=context.name, what="the master login") as conn:
                _set_password(conn, new.username, new.password)
            return
        current = DatabaseCredentials.from_value(context.current.value, name=context.name)
        try:
            with _connected(current, secret_name=context.name, what="the current login") as conn:
                _set_password(conn, new.username, new.password)
        except AccessDeniedError:
            # A re-run after the password was already changed: the pending login works.
            with _connected(new, secret_name=context.name, what="the pending password"):
                return

    def _set_alternating(self, context: RotationContext, new: DatabaseCredentials) -> None:
        master = self._master(context)
        if master is None:
            raise ConfigurationError(
                f"Alternating-user rotation of {context.name!r} needs option master-secret (a "
                "secret with the credentials of a role that may create and alter roles).",
                secret_name=context.name,
            )
        from psycopg import sql

        suffix = context.option("clone-suffix", "_clone")
        base = new.username.removesuffix(suffix)
        with _connected(master, secret_name=context.name, what="the master login") as conn:
            if not _role_exists(conn, new.username):
                conn.execute(
                    sql.SQL("CREATE ROLE {} WITH LOGIN IN ROLE {}").format(
                        sql.Identifier(new.username), sql.Identifier(base)
                    )
                )
            _set_password(conn, new.username, new.password)
