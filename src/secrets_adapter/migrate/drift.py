"""Drift between a ``.env`` file, the store and the current environment, by fingerprint.

``compute_drift`` is pure: three name → value maps in, one row per name out. A name is in sync
when every source that has it agrees (``same_value``: a JSON object as an object, so Vault's
canonical form of it matches the ``.env``); ``.env only`` means it was never migrated; ``store
only`` is the normal state after a migration (the ``.env`` no longer holds it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from secrets_adapter.aws_key_pair import pair_value, pair_variables
from secrets_adapter.models import SecretValue, json_object, same_value, value_for_comparison

__all__ = ["DriftRow", "DriftStatus", "compute_drift", "environment_values"]


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


def environment_values(
    keys: Mapping[str, str | None],
    environ: Mapping[str, str],
    store: Mapping[str, SecretValue],
) -> dict[str, SecretValue]:
    """What the process environment holds for each name (an unset or empty variable: nothing).

    The AWS key pair (key ``…AWS_ACCESS_KEY``, a variable no process sets) is read from its two
    variables, ``…AWS_ACCESS_KEY_ID`` and ``…AWS_SECRET_ACCESS_KEY``, as the pair's JSON secret;
    where the store's pair holds more fields (the IAM user name), they are carried over, so only
    the two variables decide whether the environment agrees. Half a pair never does.
    """
    found: dict[str, SecretValue] = {}
    for name, key in keys.items():
        if key is None:
            continue
        variables = pair_variables(key)
        if variables is None:
            if environ.get(key):
                found[name] = SecretValue(environ[key])
            continue
        access_key_id, secret_access_key = (environ.get(variable, "") for variable in variables)
        if access_key_id or secret_access_key:
            found[name] = _pair_like_stored(access_key_id, secret_access_key, store.get(name))
    return found


def _pair_like_stored(
    access_key_id: str, secret_access_key: str, stored: SecretValue | None
) -> SecretValue:
    fields = json_object(stored) if stored is not None else None
    if fields is None:
        return pair_value(access_key_id, secret_access_key)
    fields.update(access_key_id=access_key_id, secret_access_key=secret_access_key)
    return SecretValue(json.dumps(fields, separators=(",", ":"), ensure_ascii=False))
