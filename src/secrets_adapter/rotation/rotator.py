"""What a rotator is: how a new value is made (create), applied (set) and proven (test).

Rotators are stateless; everything a run needs comes in a ``RotationContext``: the secret's name,
its current version, the options from its tags, the time, and a read-only way to fetch another
secret (the PostgreSQL master credentials, for example). The engine does all provider writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.models import Secret, SecretValue

__all__ = ["FinishingRotator", "GuardedRotator", "RotationContext", "Rotator", "SecretLookup"]

SecretLookup = Callable[[str], SecretValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationContext:
    """One rotation run, as a rotator sees it."""

    name: str
    token: str
    current: Secret
    now: datetime
    options: Mapping[str, str] = field(default_factory=dict)
    lookup: SecretLookup | None = None

    def option(self, key: str, default: str) -> str:
        return self.options.get(key) or default

    def int_option(self, key: str, default: int) -> int:
        raw = self.options.get(key)
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(
                f"Rotator option {key!r} of secret {self.name!r} must be an integer, got {raw!r}.",
                secret_name=self.name,
            ) from None

    def read_secret(self, name: str) -> SecretValue:
        """Another secret's current value (e.g. the admin credentials a rotator acts with)."""
        if self.lookup is None:
            raise ConfigurationError(
                f"Rotating {self.name!r} needs secret {name!r}, but no lookup was given.",
                secret_name=self.name,
            )
        return self.lookup(name)


class Rotator(Protocol):
    """One kind of rotation. Each method must be safe to call again after a failure."""

    @property
    def name(self) -> str: ...

    def create(self, context: RotationContext) -> SecretValue:
        """A new value for the secret (called once per token; the engine stores it as pending)."""
        ...

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """Apply ``pending`` where it is used (a database role, ...); a no-op for pure values."""
        ...

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        """Prove that ``pending`` works; raise if it does not."""
        ...


@runtime_checkable
class GuardedRotator(Protocol):
    """A rotator that can refuse up front (e.g. ``external`` without a hook)."""

    def check(self, name: str, options: Mapping[str, str]) -> None:
        """Raise ``ConfigurationError`` if ``name`` cannot rotate as configured.

        Called before the lease is taken: a refusal writes nothing and is no failed rotation.
        """
        ...


@runtime_checkable
class FinishingRotator(Protocol):
    """A rotator with work after *finish*: retire the old credential at its issuer."""

    def finish(self, context: RotationContext, previous: Secret | None) -> None:
        """Called once ``context.current`` is the new value; ``previous`` is the value it
        replaced. Must be safe to call again (a failed finish is resumed)."""
        ...
