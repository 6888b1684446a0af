"""Who is asking: the SSRF token of a request, mapped to the principal the policy knows.

Like AWS's agent, the default token comes from the first of ``AWS_TOKEN``, ``AWS_SESSION_TOKEN``
and ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` that is set, where ``file:///path`` means "the file's
contents". A tokens file adds one token per principal (``PRINCIPAL TOKEN-FILE`` lines, so that
each application reads only its own token file). Every configured token is compared, in
constant time, with what the request sent: the time taken does not say which, or how much, matched.
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from secrets_adapter.errors import ConfigurationError

__all__ = [
    "SSRF_ENV_VARIABLES",
    "SSRF_HEADERS",
    "TokenTable",
    "load_tokens_file",
    "token_from_environment",
]

SSRF_HEADERS = ("X-Aws-Parameters-Secrets-Token", "X-Vault-Token")
SSRF_ENV_VARIABLES = ("AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN")
_MIN_TOKEN_LENGTH = 16


def _read_token_file(path: Path, *, what: str) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the {what} {str(path)!r} ({exc.strerror or type(exc).__name__}); "
            "create it (e.g. `openssl rand -hex 32 > FILE; chmod 600 FILE`)."
        ) from None
    if not token:
        raise ConfigurationError(f"The {what} {str(path)!r} is empty; put a random token in it.")
    return token


def token_from_environment(
    environ: Mapping[str, str], names: Iterable[str] = SSRF_ENV_VARIABLES
) -> str | None:
    """The first token set among ``names``; ``file:///path`` is read from that file."""
    for name in names:
        value = environ.get(name)
        if value is None:
            continue
        if value.startswith("file://"):
            return _read_token_file(Path(value.removeprefix("file://")), what=f"token file ${name}")
        if value:
            return value
    return None


def load_tokens_file(path: Path) -> dict[str, str]:
    """``principal → token`` from a file of ``PRINCIPAL TOKEN-FILE`` lines (``#`` comments).

    The tokens file and each token file must not be readable by group or others: a token is a
    credential.
    """
    _require_private(path, what="tokens file")
    tokens: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ConfigurationError(
                f"{str(path)!r} line {number}: expected 'PRINCIPAL TOKEN-FILE', got "
                f"{len(parts)} field(s)."
            )
        principal, file_name = parts
        token_path = (path.parent / file_name).resolve()
        _require_private(token_path, what=f"token file of {principal!r}")
        if principal in tokens:
            raise ConfigurationError(f"{str(path)!r} line {number}: {principal!r} appears twice.")
        tokens[principal] = _read_token_file(token_path, what=f"token file of {principal!r}")
    if not tokens:
        raise ConfigurationError(f"The tokens file {str(path)!r} names no principal.")
    return tokens


def _require_private(path: Path, *, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the {what} {str(path)!r} ({exc.strerror or type(exc).__name__})."
        ) from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"The {what} {str(path)!r} is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"`chmod 600 {path}`."
        )


@dataclass(frozen=True, slots=True)
class TokenTable:
    """The tokens the agent accepts and the principal each one stands for."""

    principals: tuple[tuple[bytes, str], ...]

    @classmethod
    def of(cls, tokens: Mapping[str, str]) -> TokenTable:
        """From ``principal → token``; refuses short or shared tokens."""
        seen: set[str] = set()
        rows: list[tuple[bytes, str]] = []
        for principal, token in tokens.items():
            if len(token) < _MIN_TOKEN_LENGTH:
                raise ConfigurationError(
                    f"The token of {principal!r} is shorter than {_MIN_TOKEN_LENGTH} characters; "
                    "use a random one (e.g. `openssl rand -hex 32`)."
                )
            if token in seen:
                raise ConfigurationError(
                    f"Two principals share one token (one is {principal!r}): give each its own."
                )
            seen.add(token)
            rows.append((token.encode(), principal))
        if not rows:
            raise ConfigurationError("The agent needs at least one token.")
        return cls(tuple(rows))

    def principal_for(self, presented: str | None) -> str | None:
        """The principal whose token was presented, else None. Compares against every token."""
        if presented is None:
            return None
        offered = presented.strip().encode("utf-8", "surrogateescape")
        found: str | None = None
        for token, principal in self.principals:
            if hmac.compare_digest(token, offered) and found is None:
                found = principal
        return found

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(principal for _token, principal in self.principals)
