"""The KV v2 calls the provider makes, one method each, on paths ``<root>/<name>`` of one mount.

Every call runs through the session (token, fail-over) and ``translate_errors``; nothing here
decides what a secret's stages or value are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import hvac
import hvac.exceptions
from hvac.utils import format_url

from secrets_adapter.errors import SecretNotFoundError, ValidationError
from secrets_adapter.providers.vault_errors import translate_errors
from secrets_adapter.providers.vault_lock import LOCK_FOLDER
from secrets_adapter.providers.vault_session import VaultSession
from secrets_adapter.providers.vault_stages import KvState, parse_state
from secrets_adapter.validation import validate_name

__all__ = ["RESERVED_FOLDER", "KvStore", "check_path"]

T = TypeVar("T")
RESERVED_FOLDER = LOCK_FOLDER.partition("/")[0]


def check_path(name: str) -> str:
    """``name`` if it is a clean KV path outside the adapter's own folder, else raise."""
    validate_name(name)
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValidationError(
            f"Invalid secret name {name!r} for Vault: path segments between '/' must be "
            "non-empty and not '.' or '..'.",
            secret_name=name,
        )
    if name.split("/", maxsplit=1)[0] == RESERVED_FOLDER:
        raise ValidationError(
            f"Invalid secret name {name!r} for Vault: {RESERVED_FOLDER!r} is the folder of "
            "the adapter's lock entries; choose another first segment.",
            secret_name=name,
        )
    return name


def _response_of_read(exc: hvac.exceptions.InvalidPath) -> Any:
    """A 404 that still describes the version (deleted or destroyed), else None."""
    body = getattr(exc, "json", None)
    data = body.get("data") if isinstance(body, dict) else None
    return body if isinstance(data, dict) and isinstance(data.get("metadata"), dict) else None


class KvStore:
    """One KV v2 mount under an optional root folder, through one session."""

    def __init__(self, session: VaultSession, *, mount: str, root: str) -> None:
        self.session = session
        self.mount = mount.strip("/")
        self.root = root.strip("/")

    def path(self, name: str) -> str:
        return f"{self.root}/{name}" if self.root else name

    def lock_path(self, name: str) -> str:
        return f"{LOCK_FOLDER}/{self.path(name)}"

    def call(self, name: str | None, action: str, operation: Callable[[hvac.Client], T]) -> T:
        with translate_errors(name, action):
            return self.session.call(operation)

    def metadata(self, name: str) -> KvState | None:
        """The secret's metadata, or None when Vault has none."""
        path = self.path(name)

        def read(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.read_secret_metadata(path=path, mount_point=self.mount)

        try:
            response = self.call(name, "read metadata", read)
        except SecretNotFoundError:
            return None
        return parse_state(response["data"])

    def read_version(self, name: str, number: int | None) -> Any:
        """A version's response ``data`` (newest if ``number`` is None; its ``data`` is None
        when the version is deleted or destroyed). Absent: ``SecretNotFoundError``."""
        path = self.path(name)

        def read(client: hvac.Client) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_version(
                    path=path, version=number, mount_point=self.mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath as exc:
                described = _response_of_read(exc)
                if described is None:
                    raise
                return described

        return self.call(name, "read", read)["data"]

    def write_data(self, name: str, data: dict[str, Any], *, cas: int) -> int:
        """Write a new version if the newest is still ``cas``; its number."""
        path = self.path(name)

        def write(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.create_or_update_secret(
                path=path, secret=data, cas=cas, mount_point=self.mount
            )

        return int(self.call(name, "write", write)["data"]["version"])

    def write_custom(self, name: str, custom: dict[str, str]) -> None:
        """Replace the secret's ``custom_metadata`` (and nothing else of its metadata)."""
        url = format_url("/v1/{mount}/metadata/{path}", mount=self.mount, path=self.path(name))

        def write(client: hvac.Client) -> Any:
            # Only custom_metadata: hvac's update_metadata would reset delete_version_after.
            return client.adapter.post(url=url, json={"custom_metadata": custom})

        self.call(name, "update metadata", write)

    def destroy(self, name: str) -> None:
        """Destroy every version and the metadata."""
        path = self.path(name)

        def destroy(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.delete_metadata_and_all_versions(
                path=path, mount_point=self.mount
            )

        self.call(name, "destroy", destroy)

    def soft_delete(self, name: str, numbers: list[int]) -> None:
        path = self.path(name)

        def delete(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.delete_secret_versions(
                path=path, versions=numbers, mount_point=self.mount
            )

        self.call(name, "delete", delete)

    def undelete(self, name: str, numbers: list[int]) -> None:
        path = self.path(name)

        def undelete(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.undelete_secret_versions(
                path=path, versions=numbers, mount_point=self.mount
            )

        self.call(name, "restore", undelete)

    def walk(self, folder: str) -> list[str]:
        """Every secret name under ``folder`` (recursive KV LIST), lock entries left out."""
        base = self.path(folder) if folder else self.root

        def listing(client: hvac.Client) -> Any:
            return client.secrets.kv.v2.list_secrets(path=base, mount_point=self.mount)

        try:
            keys: list[str] = self.call(folder or None, "list", listing)["data"]["keys"]
        except SecretNotFoundError:
            return []
        names: list[str] = []
        for key in keys:
            if not folder and not self.root and key == RESERVED_FOLDER + "/":
                continue
            child = f"{folder}/{key}" if folder else key
            if key.endswith("/"):
                names.extend(self.walk(child.rstrip("/")))
            else:
                names.append(child)
        return names
