"""The thin I/O around the plan: read the store's current values, write the plan, verify it.

Everything goes through ``SecretsAdapter`` (so audit, policy and cache see the migration).
``apply_plan`` writes the new secrets in one bulk write, then each update; it stops at the first
failed update and reports what was written and what was not;
running the migration again re-plans against the store and finishes the rest, writing nothing
twice (an unchanged secret is left alone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.dotenv_file import DotenvEntry
from secrets_adapter.errors import (
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
)
from secrets_adapter.migrate.fingerprint import Fingerprinter
from secrets_adapter.migrate.plan import (
    DesiredSecret,
    MigrationPlan,
    MigrationRules,
    PlanItem,
    desired_secrets,
    plan_migration,
)
from secrets_adapter.models import Secret, same_value

__all__ = [
    "ApplyReport",
    "VerifyReport",
    "apply_plan",
    "build_plan",
    "read_current",
    "read_fresh",
    "verify_migration",
]


def read_fresh(adapter: SecretsAdapter, name: str) -> Secret:
    """Read ``name`` from the backend itself: what the adapter cached is dropped first."""
    adapter.invalidate(name)
    return adapter.get(name)


def read_current(
    adapter: SecretsAdapter, names: Iterable[str]
) -> dict[str, Secret | SecretsAdapterError | None]:
    """Each name's current secret, None when absent, or the error that blocks writing it."""
    current: dict[str, Secret | SecretsAdapterError | None] = {}
    for name in names:
        try:
            current[name] = read_fresh(adapter, name)
        except SecretScheduledForDeletionError as exc:
            current[name] = exc
        except SecretNotFoundError:
            current[name] = None
    return current


def build_plan(
    adapter: SecretsAdapter,
    entries: Iterable[DotenvEntry],
    rules: MigrationRules,
    fingerprint: Fingerprinter,
) -> tuple[MigrationPlan, tuple[DesiredSecret, ...]]:
    """Plan the migration of ``entries`` into the adapter's store (reads only)."""
    desired, skipped = desired_secrets(entries, rules)
    current = read_current(adapter, (secret.name for secret in desired))
    return plan_migration(desired, current, fingerprint, skipped=skipped), desired


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyReport:
    written: tuple[str, ...]
    failed: str | None = None
    error: str | None = None
    not_attempted: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failed is None


def apply_plan(
    adapter: SecretsAdapter,
    plan: MigrationPlan,
    *,
    progress: Callable[[PlanItem], None] | None = None,
) -> ApplyReport:
    """Write every create/update of ``plan``. The new secrets go in one ``put_many`` (one
    transaction on the embedded store); an update is a check-and-set on the version the plan
    saw, so a change made meanwhile is a conflict, not a lost update."""
    pending = list(plan.to_write)
    creates = [item for item in pending if item.current_version is None]
    updates = [item for item in pending if item.current_version is not None]
    written: list[str] = []
    if creates:
        outcome = adapter.put_many({item.name: item.value for item in creates}, errors="return")
        written = [i.name for i in creates if not isinstance(outcome[i.name], SecretsAdapterError)]
        for item in creates:
            result = outcome[item.name]
            if isinstance(result, SecretsAdapterError):  # the others were written all the same
                return ApplyReport(
                    written=tuple(written),
                    failed=item.name,
                    error=f"{type(result).__name__}: {result.message}",
                    not_attempted=tuple(i.name for i in updates),
                )
            if progress is not None:
                progress(item)
    for index, item in enumerate(updates):
        try:
            adapter.put_secret(item.name, item.value, expected_current=item.current_version)
        except SecretsAdapterError as exc:
            return ApplyReport(
                written=tuple(written),
                failed=item.name,
                error=f"{type(exc).__name__}: {exc.message}",
                not_attempted=tuple(i.name for i in updates[index + 1 :]),
            )
        written.append(item.name)
        if progress is not None:
            progress(item)
    return ApplyReport(written=tuple(written))


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    matched: tuple[str, ...]
    mismatched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.missing


def verify_migration(adapter: SecretsAdapter, desired: Sequence[DesiredSecret]) -> VerifyReport:
    """Read every secret back through the adapter and compare it with the ``.env`` value by
    ``same_value``: a JSON object as an object (a backend may store it in canonical form),
    anything else byte-exact."""
    matched: list[str] = []
    mismatched: list[str] = []
    missing: list[str] = []
    for secret in desired:
        try:
            stored = read_fresh(adapter, secret.name).value
        except SecretNotFoundError:
            missing.append(secret.name)
            continue
        (matched if same_value(stored, secret.value) else mismatched).append(secret.name)
    return VerifyReport(
        matched=tuple(matched), mismatched=tuple(mismatched), missing=tuple(missing)
    )
