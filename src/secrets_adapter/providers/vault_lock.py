"""Check-and-set on Vault, where ``custom_metadata`` has none: a small companion KV entry.

KV v2 can check-and-set a secret's *data* (``cas``) but not its ``custom_metadata``, where the
stages and tags live, so two writers that each read, change and write the metadata could lose one
change. Each secret therefore has a companion entry, written only with ``cas``, at
``<mount>/data/.secrets-adapter/locks/<root>/<name>`` (kept to one version where the policy
allows ``update`` on its metadata, else to the mount's ``max_versions``), holding two fields:

- ``writer``: ``<owner>@<expiry>`` while one writer changes the secret's metadata (every write of
  ours takes it: put, put_version, move_stage, set_tags, delete, restore). A second writer waits
  for it; a crashed writer's lock expires after ``WRITER_HOLD``.
- ``lease``: ``<owner>@<expiry>``, the rotation lease (``acquire_rotation_lease``).

Both change only through a ``cas`` write of the whole entry, so of two processes that read the
same version and write at once, Vault accepts exactly one. Readers never touch the entry, and it
needs no grant in a read-only policy; writers need ``create``/``update``/``read`` on its path.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import hvac

from secrets_adapter.clock import WallClock
from secrets_adapter.errors import AccessDeniedError, ConflictError, SecretNotFoundError
from secrets_adapter.providers.vault_errors import translate_errors
from secrets_adapter.providers.vault_session import VaultSession

__all__ = ["LOCK_FOLDER", "WRITER_HOLD", "SecretLocks"]

LOCK_FOLDER = ".secrets-adapter/locks"
WRITER_HOLD = timedelta(seconds=30)
_WRITER, _LEASE = "writer", "lease"

Entry = tuple[int, dict[str, str]]


def _holder(raw: str | None, now: datetime) -> str | None:
    """The owner of an unexpired ``owner@expiry`` field, else None."""
    if not raw or "@" not in raw:
        return None
    owner, _, expiry = raw.rpartition("@")
    try:
        return owner if datetime.fromisoformat(expiry) > now else None
    except ValueError:
        return None


class SecretLocks:
    """The writer lock and the rotation lease of each secret (see the module docstring)."""

    def __init__(
        self,
        session: VaultSession,
        *,
        mount: str,
        clock: WallClock,
        wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        self._mount = mount
        self._clock = clock
        self._wait = wait
        self._sleep = sleep
        self._known: dict[str, Entry] = {}
        self._known_lock = threading.Lock()

    # --- the entry -----------------------------------------------------------------------------

    def _read(self, name: str, path: str) -> Entry:
        def read(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.read_secret_version(
                path=path, mount_point=self._mount, raise_on_deleted_version=True
            )

        try:
            with self._explain_denial(name, path), translate_errors(name, "read the lock entry"):
                data = self._session.call(read)["data"]
        except SecretNotFoundError:
            entry: Entry = (0, {})
        else:
            fields = {k: v for k, v in (data.get("data") or {}).items() if isinstance(v, str)}
            entry = (int(data["metadata"]["version"]), fields)
        self._remember(path, entry)
        return entry

    def _write(self, name: str, path: str, fields: dict[str, str], *, cas: int) -> bool:
        """Write the entry if it is still at version ``cas``; False when another writer won."""

        def write(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.create_or_update_secret(
                path=path, secret=fields, cas=cas, mount_point=self._mount
            )

        try:
            with self._explain_denial(name, path), translate_errors(name, "write the lock entry"):
                version = int(self._session.call(write)["data"]["version"])
        except ConflictError:
            with self._known_lock:
                self._known.pop(path, None)
            return False
        if cas == 0:
            self._keep_one_version(name, path)
        self._remember(path, (version, fields))
        return True

    @contextlib.contextmanager
    def _explain_denial(self, name: str, path: str) -> Iterator[None]:
        """A policy without the lock path: say which grant every writer needs."""
        try:
            yield
        except AccessDeniedError as exc:
            if "rejected the token" in exc.message:
                raise
            raise AccessDeniedError(
                f"Vault denied the lock entry {self._mount}/data/{path} that guards writes to "
                f"secret {name!r}: a token that writes secrets needs 'create', 'read' and "
                f"'update' on {self._mount}/data/{LOCK_FOLDER}/... for them (the policies "
                "'secrets-adapter policy vault --role rotator' generates grant it).",
                secret_name=name,
                provider="vault",
            ) from exc

    def _keep_one_version(self, name: str, path: str) -> None:
        def limit(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.update_metadata(
                path=path, max_versions=1, mount_point=self._mount
            )

        # Best effort: without 'update' on the entry's metadata the mount's max_versions applies.
        with (
            contextlib.suppress(AccessDeniedError),
            translate_errors(name, "limit the lock entry's versions"),
        ):
            self._session.call(limit)

    def _remember(self, path: str, entry: Entry) -> None:
        with self._known_lock:
            self._known[path] = entry

    def _latest(self, name: str, path: str) -> Entry:
        with self._known_lock:
            known = self._known.get(path)
        return known if known is not None else self._read(name, path)

    def forget(self, name: str, path: str) -> None:
        """Destroy the entry (the secret itself was destroyed)."""

        def destroy(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.delete_metadata_and_all_versions(
                path=path, mount_point=self._mount
            )

        with contextlib.suppress(SecretNotFoundError), translate_errors(name, "destroy lock"):
            self._session.call(destroy)
        with self._known_lock:
            self._known.pop(path, None)

    # --- the writer lock ---------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, name: str, path: str) -> Iterator[None]:
        """Hold the secret's writer lock for the block (wait up to ``wait`` seconds for it)."""
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self._wait
        pause = 0.005
        version, fields = self._latest(name, path)
        while True:
            now = self._clock()
            holder = _holder(fields.get(_WRITER), now)
            if holder is None:
                claimed = {**fields, _WRITER: f"{owner}@{(now + WRITER_HOLD).isoformat()}"}
                if self._write(name, path, claimed, cas=version):
                    break
                version, fields = self._read(name, path)
                continue
            if time.monotonic() >= deadline:
                raise ConflictError(
                    f"Another writer is changing secret {name!r} in Vault (its lock entry "
                    f"{self._mount}/{path} is held); try again. A crashed writer's lock expires "
                    f"by itself after {int(WRITER_HOLD.total_seconds())} s.",
                    secret_name=name,
                    provider="vault",
                )
            self._sleep(pause)
            pause = min(pause * 2, 0.2)
            version, fields = self._read(name, path)
        try:
            yield
        finally:
            self._release(name, path, _WRITER, owner)

    def _release(self, name: str, path: str, key: str, owner: str) -> None:
        """Clear field ``key`` if ``owner`` holds it (a failed release expires by itself)."""
        deadline = time.monotonic() + self._wait
        version, fields = self._latest(name, path)
        with contextlib.suppress(SecretNotFoundError):
            while time.monotonic() < deadline:
                if _holder(fields.get(key), self._clock()) != owner:
                    return
                rest = {k: v for k, v in fields.items() if k != key}
                if self._write(name, path, rest, cas=version):
                    return
                version, fields = self._read(name, path)

    # --- the rotation lease ------------------------------------------------------------------

    def acquire_lease(self, name: str, path: str, *, owner: str, ttl: timedelta) -> bool:
        """Take the rotation lease for ``ttl``; False while another owner holds it."""
        deadline = time.monotonic() + self._wait
        version, fields = self._read(name, path)
        while time.monotonic() < deadline:
            now = self._clock()
            holder = _holder(fields.get(_LEASE), now)
            if holder is not None and holder != owner:
                return False
            taken = {**fields, _LEASE: f"{owner}@{(now + ttl).isoformat()}"}
            if self._write(name, path, taken, cas=version):
                return True
            version, fields = self._read(name, path)
        return False

    def release_lease(self, name: str, path: str, *, owner: str) -> None:
        self._read(name, path)
        self._release(name, path, _LEASE, owner)
