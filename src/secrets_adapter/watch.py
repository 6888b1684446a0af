"""Noticing that a secret changed, for the long-running readers (the agent, template rendering).

Two signals, because neither alone covers every writer:

* ``written_secret(event)``: the name a successful write, deletion or rotation *through this
  process's adapter* touched — immediate, from the adapter's events.
* ``VersionWatch``: the current version of each secret served, compared with the backend's at an
  interval — catches rotations by another process, another tool, or the cloud's own rotation.
  One metadata read per secret per interval (``describe_secret``, never the value), through the
  adapter, so it is policy-checked and audited like any other access.
"""

from __future__ import annotations

import logging
import threading

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import (
    ConfigurationError,
    PolicyDeniedError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.events import AccessEvent, Event, Outcome, RotationEvent

__all__ = ["WRITE_ACTIONS", "VersionWatch", "written_secret"]

WRITE_ACTIONS = frozenset(
    {
        "put",
        "put_version",
        "move_stage",
        "delete",
        "force_delete",
        "restore",
        "rotate",
        "configure_rotation",
    }
)

_log = logging.getLogger(__name__)


def written_secret(event: Event) -> str | None:
    """The secret a successful write or finished rotation changed, else None."""
    if isinstance(event, AccessEvent):
        if event.action in WRITE_ACTIONS and event.outcome is Outcome.SUCCESS:
            return event.secret_name
        return None
    if isinstance(event, RotationEvent) and event.status == "finished":
        return event.secret_name
    return None


class VersionWatch:
    """The current version last served for each watched secret, and which have moved since.

    Thread-safe: readers ``note`` what they served while a poller calls ``changed``.
    """

    def __init__(self, adapter: SecretsAdapter) -> None:
        self._adapter = adapter
        self._lock = threading.Lock()
        self._served: dict[str, str] = {}
        self._reread: set[str] = set()  # no metadata for these: read the value again instead

    def note(self, name: str, version_id: str) -> None:
        """``name`` (full name) was just served at its current version ``version_id``."""
        with self._lock:
            self._served[name] = version_id

    def forget(self, name: str) -> None:
        with self._lock:
            self._served.pop(name, None)

    @property
    def names(self) -> list[str]:
        with self._lock:
            return list(self._served)

    def changed(self) -> list[str]:
        """The watched secrets whose current version is no longer the one served (or that are
        gone). A backend that cannot be reached now is skipped: stale beats wrong."""
        with self._lock:
            served = dict(self._served)
        moved: list[str] = []
        for name, version_id in served.items():
            try:
                current = self._current_version(name)
            except SecretNotFoundError:
                current = None
            except ProviderUnavailableError as exc:
                _log.warning("version check of %s skipped: %s", name, type(exc).__name__)
                continue
            except SecretsAdapterError as exc:  # denied, audit refused: say so, keep serving
                _log.warning("version check of %s failed: %s", name, type(exc).__name__)
                continue
            if current != version_id:
                moved.append(name)
        return moved

    def _current_version(self, name: str) -> str | None:
        """The backend's current version: from metadata where the backend keeps versions and the
        policy allows ``describe``, else (once known, without asking again) by reading anew."""
        if name not in self._reread:
            try:
                return self._adapter.describe_secret(name).current_version
            except (ConfigurationError, PolicyDeniedError):  # env backend; read-only principal
                self._reread.add(name)
        return self._adapter.get(name, refresh=True).version_id
