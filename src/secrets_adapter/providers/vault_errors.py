"""The one table from hvac/requests failures to our errors (the SDK error is the ``__cause__``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import hvac.exceptions
import requests

from secrets_adapter.errors import (
    AccessDeniedError,
    ConflictError,
    ProviderError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.providers.vault_session import TokenRejectedError, is_transient

__all__ = ["translate_errors", "version_gone"]

_KIND = "vault"


@contextlib.contextmanager
def translate_errors(name: str | None, action: str) -> Iterator[None]:
    """Translate what ``VaultSession.call`` raises while doing ``action`` on secret ``name``.

    A token Vault no longer accepts (the session tells it apart from a policy refusal) is an
    authentication failure, and the message says to renew the token, not to fix the policy.
    """
    try:
        yield
    except SecretsAdapterError:
        raise
    except hvac.exceptions.InvalidPath as exc:
        raise SecretNotFoundError(
            f"Secret {name!r} not found in Vault.", secret_name=name, provider=_KIND
        ) from exc
    except TokenRejectedError as exc:
        raise AccessDeniedError(
            f"Vault rejected the token during {action} on secret {name!r}: authentication "
            "failed (the token is expired, revoked or mistyped). Check VAULT_TOKEN, renew the "
            "token ('bao token renew') or log in again for a new one.",
            secret_name=name,
            provider=_KIND,
        ) from exc
    except hvac.exceptions.Forbidden as exc:
        raise AccessDeniedError(
            f"Vault denied {action} on secret {name!r}: the token is valid but its policy does "
            "not allow this path (see 'secrets-adapter policy vault').",
            secret_name=name,
            provider=_KIND,
        ) from exc
    except hvac.exceptions.InvalidRequest as exc:
        if is_transient(exc):
            raise ProviderUnavailableError(
                f"Vault is briefly unavailable for {action} on secret {name!r} (the KV mount "
                "is starting on a new leader).",
                secret_name=name,
                provider=_KIND,
            ) from exc
        if "check-and-set" in str(exc):
            raise ConflictError(
                f"Secret {name!r} changed in Vault meanwhile (check-and-set mismatch); "
                "re-read and try again.",
                secret_name=name,
                provider=_KIND,
            ) from exc
        raise ProviderError(
            f"Vault rejected {action} on secret {name!r} as an invalid request.",
            secret_name=name,
            provider=_KIND,
        ) from exc
    except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as exc:
        if is_transient(exc):
            raise ProviderUnavailableError(
                f"Vault is unavailable for {action} on secret {name!r} "
                f"({type(exc).__name__}): unreachable, sealed, throttled or failing.",
                secret_name=name,
                provider=_KIND,
            ) from exc
        raise ProviderError(
            f"Vault failed {action} on secret {name!r} ({type(exc).__name__}).",
            secret_name=name,
            provider=_KIND,
        ) from exc


def version_gone(
    name: str, number: int, *, what: str, where: str, destroyed: bool
) -> SecretNotFoundError:
    """A version deleted or destroyed in Vault: never served, nor an older one in its place."""
    if destroyed:
        message = (
            f"Secret {name!r}: {what} (Vault version {number}) was destroyed in Vault; its data "
            "is gone, and no older version is served in its place. Write a new value, or read "
            f"an intact older version explicitly (--version; 'bao kv metadata get {where}' lists "
            "them)."
        )
    else:
        message = (
            f"Secret {name!r}: {what} (Vault version {number}) was deleted in Vault, so it is "
            "not served, nor any older version in its place. Undelete it with "
            f"'bao kv undelete -versions={number} {where}' (or 'secrets-adapter restore {name}'),"
            " or write a new value."
        )
    return SecretNotFoundError(message, secret_name=name, provider=_KIND)
