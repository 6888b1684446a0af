"""``get_many`` through the pipeline: split the denied names off before the read, then give each
name its secret or its own error, with one record each.

Both faces call ``split`` before their (plain or awaited) batch read and ``settle`` after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from secrets_adapter.access.pipeline import AccessPipeline
from secrets_adapter.errors import PolicyDeniedError, SecretFormatError, SecretsAdapterError
from secrets_adapter.events import CacheResult
from secrets_adapter.models import Secret

__all__ = ["BatchPlan", "raise_first", "settle", "split"]

_BYPASS = CacheResult.BYPASS


class BatchPlan:
    """The qualified names of one batch in order, those the policy refused, those to read."""

    __slots__ = ("allowed", "denied", "qualified")

    def __init__(self, qualified: dict[str, None], denied: dict[str, PolicyDeniedError]) -> None:
        self.qualified = qualified
        self.denied = denied
        self.allowed = [full for full in qualified if full not in denied]


def split(access: AccessPipeline, names: Sequence[str]) -> BatchPlan:
    """Qualify every name (a bad name raises at once) and ask the policy about each."""
    qualified = dict.fromkeys(access.qualify(name) for name in names)
    denied = {full: err for full in qualified if (err := access.denial("get_many", full))}
    return BatchPlan(qualified, denied)


def settle(
    access: AccessPipeline,
    plan: BatchPlan,
    names: Sequence[str],
    started: float,
    result: Mapping[str, Secret | SecretsAdapterError],
    served: Mapping[str, CacheResult],
) -> dict[str, Secret | SecretsAdapterError]:
    """Each name as asked → its secret or its own error; one record per qualified name.

    A secret asked under two spellings (``a`` and ``gaara/prod/a``) answers both, recorded once.
    """
    outcome: dict[str, Secret | SecretsAdapterError] = {}
    for full in plan.qualified:
        item = plan.denied[full] if full in plan.denied else result.get(full)
        if isinstance(item, Secret):
            access.served.remember(item.value)
            access.record(
                "get_many",
                full,
                started,
                version_id=item.version_id,
                cache=served.get(full, _BYPASS),
                value=item.value,
            )
        else:
            item = item or SecretFormatError(
                f"The provider returned nothing for secret {full!r}.", secret_name=full
            )
            access.record("get_many", full, started, error=item)
        outcome[full] = item
    return {name: outcome[access.qualify(name)] for name in names}


def raise_first(outcome: Mapping[str, Secret | SecretsAdapterError]) -> dict[str, Secret]:
    """The secrets, or the first error naming every name that failed (the default of
    ``get_many``: all or an exception)."""
    failures: dict[str, SecretsAdapterError] = {}
    found: dict[str, Secret] = {}
    for name, item in outcome.items():
        if isinstance(item, Secret):
            found[name] = item
        else:
            failures.setdefault(item.secret_name or name, item)
    if not failures:
        return found
    (first_name, first), *_ = failures.items()
    if len(failures) == 1:
        raise first
    listed = ", ".join(f"{full} ({type(err).__name__})" for full, err in failures.items())
    raise first.reworded(
        f"{len(failures)} secrets could not be read: {listed}.", secret_name=first_name
    ) from first
