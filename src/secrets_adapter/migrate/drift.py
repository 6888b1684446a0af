"""Drift between a ``.env`` file, the store and the current environment, by fingerprint.

``compute_drift`` is pure: three name → value maps in, one row per name out. A name is in sync
when every source that has it agrees (``same_value``: a JSON object as an object, so Vault's
canonical form of it matches the ``.env``); ``.env only`` means it was never migrated; ``store
only`` is the normal state after a migration (the ``.env`` no longer holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from secrets_adapter.models import SecretValue, same_value, value_for_comparison

__all__ = ["DriftRow", "DriftStatus", "compute_drift"]


class DriftStatus(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    ENV_FILE_ONLY = ".env only"
    STORE_ONLY = "store only"
    ENVIRONMENT_ONLY = "environment only"

    @property
    def is_drift(self) -> bool:
        return self in (DriftStatus.DIFFERENT, DriftStatus.ENV_FILE_ONLY)


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftRow:
    name: str
    key: str | None
    env_file: str | None
    store: str | None
    environment: str | None
    status: DriftStatus


def compute_drift(
    *,
    env_file: Mapping[str, SecretValue],
    store: Mapping[str, SecretValue],
    environment: Mapping[str, SecretValue],
    keys: Mapping[str, str | None],
    fingerprint: Callable[[SecretValue], str],
) -> list[DriftRow]:
    """One row per name in any source, sorted by name."""
    rows = []
    for name in sorted(set(env_file) | set(store) | set(environment)):
        sources = (env_file.get(name), store.get(name), environment.get(name))
        present = [value for value in sources if value is not None]
        if not all(same_value(value, present[0]) for value in present):
            status = DriftStatus.DIFFERENT
        elif name in env_file and name not in store:
            status = DriftStatus.ENV_FILE_ONLY
        elif name in store:
            status = DriftStatus.SAME if len(present) > 1 else DriftStatus.STORE_ONLY
        else:
            status = DriftStatus.ENVIRONMENT_ONLY
        rows.append(
            DriftRow(
                name=name,
                key=keys.get(name),
                env_file=_fp(env_file.get(name), fingerprint),
                store=_fp(store.get(name), fingerprint),
                environment=_fp(environment.get(name), fingerprint),
                status=status,
            )
        )
    return rows


def _fp(value: SecretValue | None, fingerprint: Callable[[SecretValue], str]) -> str | None:
    """The fingerprint of the compared form, so values ``same_value`` calls equal show alike."""
    return fingerprint(value_for_comparison(value)) if value is not None else None
