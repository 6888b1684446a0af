"""``put_many`` on Vault, which has no batch write: a few writers at a time, one error a name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from secrets_adapter.errors import ProviderError, SecretsAdapterError
from secrets_adapter.models import SecretValue, VersionInfo

__all__ = ["DEFAULT_WRITE_WORKERS", "PutManyError", "put_each"]

DEFAULT_WRITE_WORKERS = 8


class PutManyError(ProviderError):
    """Some writes of a ``put_many`` failed; the others were written (and are current)."""

    def __init__(
        self,
        message: str,
        *,
        written: Mapping[str, VersionInfo],
        failures: Mapping[str, SecretsAdapterError],
    ) -> None:
        super().__init__(message, provider="vault")
        self.written = dict(written)
        self.failures = dict(failures)


def put_each(
    put: Callable[[str, SecretValue], VersionInfo],
    items: Mapping[str, SecretValue],
    *,
    workers: int = DEFAULT_WRITE_WORKERS,
) -> dict[str, VersionInfo]:
    """``put`` every item, ``workers`` at a time; ``PutManyError`` lists each failed name."""
    if not items:
        return {}
    written: dict[str, VersionInfo] = {}
    failures: dict[str, SecretsAdapterError] = {}

    def put_one(name: str) -> None:
        try:
            written[name] = put(name, items[name])
        except SecretsAdapterError as exc:
            failures[name] = exc

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        list(pool.map(put_one, items))
    if failures:
        listed = "; ".join(
            f"{name!r}: {type(exc).__name__}: {exc.message}"
            for name, exc in sorted(failures.items())
        )
        raise PutManyError(
            f"put_many wrote {len(written)} of {len(items)} secrets to Vault; these failed and "
            f"can be retried on their own: {listed}",
            written=written,
            failures=failures,
        )
    return {name: written[name] for name in items}
