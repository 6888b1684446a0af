"""Many secrets at once on AWS: ``BatchGetSecretValue`` reads, and bounded concurrent writes.

Secrets Manager has a batch read (20 ids per call) but no batch write, so ``put_many`` runs single
``put`` calls on a small thread pool: concurrent enough to hide the round trip, bounded so that a
migration of thousands of names does not trip the account's request rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from secrets_adapter.errors import SecretNotFoundError, SecretsAdapterError, ValidationError
from secrets_adapter.models import Secret
from secrets_adapter.providers.aws_codec import secret_id
from secrets_adapter.providers.aws_errors import PROVIDER, error_for_code, translate_aws_errors
from secrets_adapter.providers.base import BatchResult

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["BATCH_LIMIT", "DEFAULT_WRITE_CONCURRENCY", "batch_get", "valid_names"]

BATCH_LIMIT = 20
"""``BatchGetSecretValue`` takes at most 20 secret ids per call."""

DEFAULT_WRITE_CONCURRENCY = 8


def valid_names(names: Sequence[str], result: BatchResult) -> list[str]:
    """The distinct valid names, in order; an invalid one gets its own error in ``result``."""
    wanted: list[str] = []
    for name in dict.fromkeys(names):
        try:
            wanted.append(secret_id(name))
        except ValidationError as exc:
            result[name] = exc
    return wanted


def batch_get(
    client: SecretsManagerClient,
    chunk: list[str],
    to_secret: Callable[[str, Mapping[str, Any]], Secret],
) -> BatchResult:
    """One chunk of at most 20 names through ``BatchGetSecretValue`` (all its pages); each name
    maps to its secret or its own typed error."""
    found: BatchResult = {}
    pages: dict[str, Any] = {}
    while True:
        with translate_aws_errors(None):
            response = client.batch_get_secret_value(SecretIdList=chunk, **pages)
        for entry in response.get("SecretValues", []):
            for asked in _asked_as(entry, chunk):  # the id the caller used: name or ARN
                try:
                    found[asked] = to_secret(asked, entry)
                except SecretsAdapterError as exc:  # that name's own error, without the frames
                    found[asked] = exc.with_traceback(None)  # (whose locals hold the response)
        for error in response.get("Errors", []):
            name = str(error.get("SecretId", ""))
            found[name] = error_for_code(
                str(error.get("ErrorCode", "")), str(error.get("Message", "")), name=name
            )
        token = response.get("NextToken")
        if not token:
            break
        pages = {"NextToken": token}
    for name in chunk:
        if name not in found:
            found[name] = SecretNotFoundError(
                f"Secret {name!r} was not in AWS's batch answer.",
                secret_name=name,
                provider=PROVIDER,
            )
    return {name: found[name] for name in chunk}


def _asked_as(entry: Mapping[str, Any], chunk: list[str]) -> list[str]:
    """The ids in ``chunk`` an answer entry is for: its name, its full ARN, or a partial ARN
    (the full one without its ``-XXXXXX`` suffix)."""
    name, arn = str(entry.get("Name", "")), str(entry.get("ARN", ""))
    return [
        asked
        for asked in chunk
        if asked in (name, arn)
        or (asked.startswith("arn:") and arn.startswith(asked + "-") and len(arn) == len(asked) + 7)
    ]
