"""The managing half of the synchronous face: writes, deletion, rotation, copy's write side.

``SecretsAdapter`` inherits these; they are here so that ``adapter.py`` stays the reading face.
Each method runs through the access pipeline like every read: ``_guard`` (the policy, a denial
recorded) → the provider call → ``_emit_access`` (the audit record and the event), and forgets
the cached entry afterwards (read-your-writes). The rotation engine is private: it writes with no
check of its own, so only ``rotate_secret`` reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from secrets_adapter.access import (
    AccessPipeline,
    SecretSnapshot,
    ValueInput,
    write_snapshot,
)
from secrets_adapter.access.values import value_or_error
from secrets_adapter.cache import SecretCache
from secrets_adapter.clock import WallClock
from secrets_adapter.errors import (
    ConfigurationError,
    SecretsAdapterError,
)
from secrets_adapter.events import EventBus
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers.base import (
    BulkWritableProvider,
    Provider,
    VersionedProvider,
    WritableProvider,
    put_each,
)

if TYPE_CHECKING:
    from secrets_adapter.rotation.engine import RotationEngine

__all__ = ["SecretsManagement"]

R = TypeVar("R")


class SecretsManagement:
    """Writes, deletion, restore, rotation and cache invalidation, through the pipeline."""

    _access: AccessPipeline
    _provider: Provider
    _cache: SecretCache | None
    _events: EventBus
    _clock: WallClock
    _rotation: RotationEngine | None

    def qualify(self, name: str) -> str:
        """A relative name (no ``/``) gets the configured prefix: ``database-url`` →
        ``gaara/prod/database-url``. Full names pass through unchanged."""
        return self._access.qualify(name)

    # --- writes --------------------------------------------------------------------------------

    def put_secret(
        self, name: str, value: ValueInput, *, expected_current: str | None = None
    ) -> VersionInfo:
        """Store a new current version (a dict is stored as a JSON object)."""
        secret_value = value_or_error(value)
        del value  # frames: errors below pass through this frame; an error reporter prints locals
        full = self.qualify(name)
        self._guard("put", full)
        if not isinstance(secret_value, SecretValue):  # name the secret the value was for
            error = secret_value
            raise error.reworded(f"Secret {full!r}: {error.message}", secret_name=full)
        started = time.perf_counter()
        try:
            info = self._writable("put").put(full, secret_value, expected_current=expected_current)
        except SecretsAdapterError as exc:
            self._emit_access("put", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("put", full, started, version_id=info.version_id, value=secret_value)
        return info

    @overload
    def put_many(
        self, items: Mapping[str, ValueInput], *, errors: Literal["raise"] = "raise"
    ) -> dict[str, VersionInfo]: ...
    @overload
    def put_many(
        self, items: Mapping[str, ValueInput], *, errors: Literal["return"]
    ) -> dict[str, VersionInfo | SecretsAdapterError]: ...
    def put_many(
        self, items: Mapping[str, ValueInput], *, errors: Literal["raise", "return"] = "raise"
    ) -> dict[str, VersionInfo] | dict[str, VersionInfo | SecretsAdapterError]:
        """``put_secret`` for many secrets at once: one transaction on the embedded store, a few
        writes in flight on AWS and Vault (no batch write there). Each name is authorised and
        recorded on its own. ``errors="return"`` gives each name its new version or its own
        error; by default the first error is raised once every item was tried."""
        outcome: dict[str, VersionInfo | SecretsAdapterError] = {}
        values: dict[str, SecretValue] = {}
        asked: dict[str, str] = {}  # full name -> the name as given
        names = list(items)
        for name in names:
            converted = value_or_error(items[name])
            try:
                full = self.qualify(name)
                self._guard("put", full)  # a refusal is recorded there
            except SecretsAdapterError as exc:
                outcome[name] = exc
                continue
            if not isinstance(converted, SecretValue):  # name the secret the value was for
                outcome[name] = converted.reworded(
                    f"Secret {full!r}: {converted.message}", secret_name=full
                )
                continue
            values[full] = converted
            asked[full] = name
        del items  # frames: the caller's plaintext; errors below pass through this frame
        started = time.perf_counter()
        provider = self._writable("put")
        try:
            if isinstance(provider, BulkWritableProvider):
                written = provider.put_many(values)
            else:
                written = put_each(provider, values)
        finally:
            for full in values:
                self.invalidate(full)
        for full, result in written.items():
            if isinstance(result, SecretsAdapterError):
                self._emit_access("put", full, started, error=result)
            else:
                self._emit_access(
                    "put", full, started, version_id=result.version_id, value=values[full]
                )
            outcome[asked[full]] = result
        ordered = {name: outcome[name] for name in names}
        if errors == "return":
            return ordered
        for result in ordered.values():
            if isinstance(result, SecretsAdapterError):
                raise result
        return {name: result for name, result in ordered.items() if isinstance(result, VersionInfo)}

    def load_snapshot(self, snapshot: SecretSnapshot, *, name: str | None = None) -> int:
        """Make ``name`` (default: the snapshot's) hold ``snapshot``'s versions and stages —
        what ``copy`` writes; a re-run writes nothing. Needs ``write``; one record. Returns the
        number of writes (0: already equal)."""
        full = self.qualify(snapshot.name if name is None else name)
        self._guard("put_version", full)
        started = time.perf_counter()
        try:
            written = write_snapshot(self._writable("copy"), snapshot, full)
        except SecretsAdapterError as exc:
            self._emit_access("put_version", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access(
            "put_version",
            full,
            started,
            version_id=snapshot.current_version,
            value=snapshot.current_value,
        )
        return written

    def delete_secret(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """Schedule deletion (7-30 days, default 30; needs ``delete``) or, with ``force``, delete
        now with no recovery (needs ``force-delete``, a permission of its own)."""
        operation = "force_delete" if force else "delete"
        self._guarded(
            operation,
            name,
            lambda full: self._writable(operation).delete(
                full, recovery_window=recovery_window, force=force
            ),
            invalidate=True,
        )

    def restore_secret(self, name: str) -> None:
        """Cancel a scheduled deletion."""
        self._guarded(
            "restore", name, lambda full: self._writable("restore").restore(full), invalidate=True
        )

    # --- rotation ------------------------------------------------------------------------------

    def configure_rotation(
        self,
        name: str,
        *,
        rotator: str,
        every: timedelta | None = None,
        options: Mapping[str, str] | None = None,
    ) -> SecretMetadata:
        """Choose how ``name`` rotates (``random``, ``jwt``, ``postgres``) and how often.

        Stored in the secret's tags, so every process and the Lambda handler see it; options of an
        earlier configuration are removed. Needs the ``rotate`` permission and is audited.
        """
        from secrets_adapter.rotation.schedule import (
            OPTION_TAG_PREFIX,
            rotation_config_tags,
            rotation_options,
        )

        full = self.qualify(name)
        self._guard("configure_rotation", full)
        provider = self._versioned("configure rotation")
        chosen = dict(options or {})
        started = time.perf_counter()
        try:
            old = rotation_options(provider.describe(full).tags)
            tags = rotation_config_tags(rotator=rotator, every=every, options=chosen)
            for key in old.keys() - chosen.keys():
                tags[OPTION_TAG_PREFIX + key] = ""
            provider.set_tags(full, tags)
            metadata = provider.describe(full)
        except SecretsAdapterError as exc:
            self._emit_access("configure_rotation", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        self._emit_access("configure_rotation", full, started)
        return metadata

    def rotate_secret(self, name: str, *, restart: bool = False) -> VersionInfo:
        """Rotate through the four steps (create, set, test, finish) with the rotator set in the
        secret's tags (``secrets-adapter rotation configure``); a secret with none is refused.
        Returns the new current version under the backend's own id (Vault's number).

        ``restart=True`` abandons an interrupted rotation instead of resuming it (same
        ``rotate`` permission, same record)."""
        full = self.qualify(name)
        self._guard("rotate", full)
        started = time.perf_counter()
        try:
            result = self._rotation_engine().rotate(full, restart=restart)
        except SecretsAdapterError as exc:
            self._emit_access("rotate", full, started, error=exc)
            raise
        finally:
            self.invalidate(full)
        # the engine names the version by its rotation token; Vault's own id is a number
        named = self._versioned("rotate").describe(full).versions
        version_id = next(
            (v.version_id for v in named if v.named(result.version_id)), result.version_id
        )
        self._emit_access("rotate", full, started, version_id=version_id)
        return VersionInfo(name=full, version_id=version_id, stages=frozenset({Stage.CURRENT}))

    def _rotation_engine(self) -> RotationEngine:
        """The engine ``rotate_secret`` uses (shares this adapter's events and clock). Private: it
        writes with no policy check and no record of its own; ``rotate_secret`` wraps it."""
        if self._rotation is None:
            # imported on first rotation: readers never load the rotators (and their crypto)
            from secrets_adapter.rotation.engine import RotationEngine
            from secrets_adapter.rotation.rotators import builtin_rotators

            events = self._events
            audit = self._access.audit
            if audit is not None:  # rotation steps reach the trail, not every read's bus
                step_recorder = audit.rotation_listener(
                    principal=self._access.principal, provider=self._provider.kind
                )
                events = EventBus([self._events.emit, step_recorder])
            self._rotation = RotationEngine(
                self._versioned("rotate"),
                builtin_rotators(),
                events=events,
                clock=self._clock,
            )
        return self._rotation

    # --- cache ---------------------------------------------------------------------------------

    def invalidate(self, name: str) -> None:
        """Forget what the adapter holds for ``name``; the next read goes to the backend.

        Every write, deletion, restore and rotation through the adapter calls it (read-your-writes).
        """
        if self._cache is not None:
            self._cache.invalidate(self.qualify(name))

    # --- internals -----------------------------------------------------------------------------

    def _guarded(
        self, operation: str, name: str, call: Callable[[str], R], *, invalidate: bool = False
    ) -> R:
        """``call(full name)`` for an operation that serves no value: authorise, run, record."""
        full = self.qualify(name)
        self._guard(operation, full)
        started = time.perf_counter()
        try:
            result = call(full)
        except SecretsAdapterError as exc:
            self._emit_access(operation, full, started, error=exc)
            raise
        finally:
            if invalidate:
                self.invalidate(full)
        self._emit_access(operation, full, started)
        return result

    def _writable(self, operation: str) -> WritableProvider:
        if not isinstance(self._provider, WritableProvider):
            raise ConfigurationError(
                f"The {self._provider.kind} backend is read-only: {operation} needs a store "
                "(local, aws or vault)."
            )
        return self._provider

    def _versioned(self, operation: str) -> VersionedProvider:
        if not isinstance(self._provider, VersionedProvider):
            raise ConfigurationError(
                f"The {self._provider.kind} backend keeps no versions: {operation} needs "
                "local, aws or vault."
            )
        return self._provider

    # The pipeline's steps under the names the method bodies above use.

    def _guard(self, operation: str, name: str) -> None:
        """Refuse, and record the denial, before any cache or backend call."""
        self._access.authorize(operation, name)

    def _emit_access(self, action: str, name: str, started: float, **details: Any) -> None:
        """Record the access (the audit trail may refuse it: fail closed), then tell listeners."""
        self._access.record(action, name, started, **details)
