"""``EnvProvider``: secrets from a ``.env`` file and the process environment, read-only.

For development and for running after a rollback. Names map both ways through
``secrets_adapter.env_names``: with prefix ``gaara/prod``, ``gaara/prod/database-url`` is read from
``DATABASE_URL``.

Which variables are secrets:

- ``get(name)`` reads the variable for ``name`` from the process environment (when
  ``include_environ``) and else from the ``.env`` file: a real environment variable wins over the
  file, as with docker, systemd and python-dotenv's default. An empty variable counts as absent.
- ``list_names()`` lists only the ``.env`` file's keys plus the environment variables named in
  ``list_environ``: the process environment (``PATH``, ``HOME``, ...) is not a list of secrets.

The file is read as python-dotenv reads it, strictly (``secrets_adapter.dotenv_file``), and re-read
when it changes.
There are no versions: the one version is ``current``, its id a keyed hash of the value that
changes when the value does and means nothing outside this process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from secrets_adapter.aws_key_pair import pair_value, pair_variables
from secrets_adapter.config import EnvSettings
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from secrets_adapter.env_names import key_to_name, name_to_key, normalize_prefix, split_prefix
from secrets_adapter.errors import (
    ConfigurationError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.base import BatchResult, get_each
from secrets_adapter.validation import validate_name

__all__ = ["EnvProvider"]

_FileStamp = tuple[int, int, int]


class EnvProvider:
    """A read-only ``Provider`` over the process environment and a ``.env`` file."""

    def __init__(
        self,
        *,
        env_file: str | os.PathLike[str] | None = ".env",
        prefix: str = "",
        include_environ: bool = True,
        interpolate: bool = False,
        environ: Mapping[str, str] | None = None,
        list_environ: Collection[str] = (),
    ) -> None:
        self._env_file = Path(env_file) if env_file is not None else None
        self._prefix = normalize_prefix(prefix)
        self._include_environ = include_environ
        self._interpolate = interpolate
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._list_environ = frozenset(list_environ)
        self._version_key = secrets.token_bytes(32)
        self._file_stamp: _FileStamp | None = None
        self._file_values: dict[str, str] = {}
        self._file_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EnvSettings) -> EnvProvider:
        return cls(
            env_file=settings.env_file,
            prefix=settings.prefix,
            include_environ=settings.include_environ,
            interpolate=settings.interpolate,
        )

    @property
    def kind(self) -> str:
        return "env"

    @property
    def prefix(self) -> str:
        return self._prefix

    def __repr__(self) -> str:
        return f"EnvProvider(env_file={self._env_file!r}, prefix={self._prefix!r})"

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        validate_name(name)
        if stage is not Stage.CURRENT:
            raise self._not_found(name, f"has no {stage.value!r} stage (env keeps no stages)")
        key = name_to_key(name, self._prefix)
        if key is None:
            where = f"outside the prefix {self._prefix!r}" if self._prefix else "not mappable"
            raise self._not_found(name, f"is {where}: no environment variable holds it")
        raw = self._lookup(key) or self._key_pair(key)
        if not raw:
            raise self._not_found(
                name, self._hint(name, key) or f"is not set ({key} is absent or empty)"
            )
        try:
            value = SecretValue(raw)
        except SecretsAdapterError as exc:
            del raw  # frames: an error reporter prints this frame's locals
            message = f"Variable {key} for secret {name!r}: {exc.message}"
            raise exc.reworded(message, secret_name=name, provider="env") from None
        del raw  # frames: as above, for the errors below
        version_id = self._version_id(value)
        if version is not None and not hmac.compare_digest(version, version_id):
            raise self._not_found(name, f"has no version {version!r} (only the current one)")
        return Secret(
            name=name, value=value, version_id=version_id, stages=frozenset({Stage.CURRENT})
        )

    def get_many(self, names: Sequence[str]) -> BatchResult:
        return get_each(self, names)

    def list_names(self, prefix: str = "") -> list[str]:
        keys = set(self._read_file())
        if self._include_environ:
            keys.update(key for key in self._list_environ if self._environ.get(key))
        names = {
            name
            for key in keys
            if self._lookup(key) and (name := key_to_name(key, self._prefix)) is not None
        }
        return sorted(name for name in names if name.startswith(prefix))

    def close(self) -> None:
        """Nothing to release."""

    # --- internals ------------------------------------------------------------------------

    def _lookup(self, key: str) -> str | None:
        if self._include_environ and key in self._environ:
            return self._environ[key]
        return self._read_file().get(key)

    def _key_pair(self, key: str) -> str | None:
        """``AWS_ACCESS_KEY``: the JSON pair of ``AWS_ACCESS_KEY_ID`` and
        ``AWS_SECRET_ACCESS_KEY``, as ``migrate`` stores them (``aws_key_pair``)."""
        variables = pair_variables(key)
        if variables is None:
            return None
        key_id, secret = (self._lookup(variable) for variable in variables)
        try:
            return pair_value(key_id, secret).reveal_text() if key_id and secret else None
        except SecretsAdapterError:
            del key_id, secret  # frames: an error reporter prints this frame's locals
            raise

    def _read_file(self) -> dict[str, str]:
        """The file's values, parsed again only when its size, mtime or inode changed."""
        if self._env_file is None:
            return {}
        with self._file_lock:
            return self._reread_if_changed(self._env_file)

    def _reread_if_changed(self, env_file: Path) -> dict[str, str]:
        try:
            stat = env_file.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if stamp != self._file_stamp:
                entries = read_dotenv_file(  # environ not in a local: frames show locals
                    env_file,
                    interpolate=self._interpolate,
                    environ=self._environ if self._include_environ else {},
                )
                self._file_values, self._file_stamp = entries_as_dict(entries), stamp
        except FileNotFoundError:
            self._file_stamp, self._file_values = None, {}
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot read the env file {env_file}: {exc.strerror}."
            ) from None
        return self._file_values

    def _hint(self, name: str, key: str) -> str | None:
        """A variable name typed where a secret name belongs (``DATABASE_URL`` for
        ``database-url``) maps to an escaped variable nobody set: say which name was meant."""
        relative = split_prefix(name, self._prefix)
        meant = key_to_name(relative, self._prefix) if relative is not None else None
        if relative is None or meant is None or meant == name:
            return None
        shown = split_prefix(meant, self._prefix) or meant
        return (
            f"is not set: {relative} is a variable name, and the secret read from it is "
            f"{shown!r} (secret names are lower case, - for _ and / for __; {relative!r} "
            f"itself would be read from {key})"
        )

    def _version_id(self, value: SecretValue) -> str:
        digest = hmac.new(self._version_key, value.reveal_bytes(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def _not_found(self, name: str, why: str) -> SecretNotFoundError:
        return SecretNotFoundError(f"Secret {name!r} {why}.", secret_name=name, provider="env")
