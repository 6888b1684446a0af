"""pydantic-settings: a settings source that fills ``SecretStr`` fields from the secret store.

A field ``stripe_api_key: SecretStr`` is read from the secret ``<prefix>/stripe-api-key`` (the
field name with ``-`` for ``_``); ``names={"db_password": "database#password"}`` points a field at
another secret or one key of a JSON object secret. Only ``SecretStr`` fields are filled: a secret
stays masked in the settings object and in pydantic's validation errors, and plain configuration
(ports, flags) is left to the other sources. A field that a source ahead of this one already set
(by default the environment and ``.env``, as pydantic-settings orders sources) is not read; a
secret that does not exist leaves its field to its default or to pydantic's "Field required"
error; any other failure (unavailable backend, policy denial) raises, naming every secret that
failed. All reads are one batch through the adapter's cache, policy and audit log.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from secrets_adapter.access import secret_field
from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import ConfigurationError, SecretNotFoundError, SecretsAdapterError
from secrets_adapter.models import Secret
from secrets_adapter.references import SecretReference, parse_mapping_reference

try:
    from pydantic import SecretStr
    from pydantic.fields import FieldInfo
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
except ImportError:
    raise ConfigurationError(
        "The settings source needs pydantic-settings: pip install 'secrets-adapter[pydantic]'."
    ) from None

__all__ = ["SecretsAdapterSettingsSource"]


class SecretsAdapterSettingsSource(PydanticBaseSettingsSource):
    """Use it from ``settings_customise_sources``::

        return (init_settings, env_settings, dotenv_settings,
                SecretsAdapterSettingsSource(settings_cls, adapter, prefix="payments"),
                file_secret_settings)

    ``adapter`` defaults to ``SecretsAdapter.from_env()`` (closed again after the read).
    ``prefix`` is put before each field's secret name (a relative name then also gets the
    adapter's own prefix).
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        adapter: SecretsAdapter | None = None,
        *,
        prefix: str = "",
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(settings_cls)
        self._adapter = adapter
        self._prefix = prefix.strip("/")
        self._names = dict(names or {})

    def reference(self, field_name: str) -> SecretReference:
        """The secret (and key) a field is read from."""
        if field_name in self._names:
            return parse_mapping_reference(self._names[field_name])
        name = field_name.replace("_", "-")
        return parse_mapping_reference(f"{self._prefix}/{name}" if self._prefix else name)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """One field on its own (pydantic-settings' per-field hook); ``__call__`` batches."""
        values = self._read({field_name: self.reference(field_name)})
        return values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        wanted = {
            field_name: self.reference(field_name)
            for field_name, field in self.settings_cls.model_fields.items()
            if _is_secret_str(field.annotation) and field_name not in self.current_state
        }
        return self._read(wanted) if wanted else {}

    def _read(self, wanted: Mapping[str, SecretReference]) -> dict[str, SecretStr]:
        adapter = self._adapter if self._adapter is not None else SecretsAdapter.from_env()
        try:
            outcome = adapter.get_many([ref.name for ref in wanted.values()], errors="return")
        finally:
            if self._adapter is None:
                adapter.close()
        values: dict[str, SecretStr] = {}
        failures: dict[str, SecretsAdapterError] = {}
        for field_name, ref in wanted.items():
            item = outcome[ref.name]
            if isinstance(item, SecretNotFoundError):
                continue  # the field's default, or pydantic's own "Field required"
            if not isinstance(item, Secret):
                failures[field_name] = item
                continue
            try:
                text = item.value.reveal_text() if ref.key is None else secret_field(item, ref.key)
            except SecretsAdapterError as exc:  # not JSON, or no such key
                failures[field_name] = exc
                continue
            values[field_name] = SecretStr(text)
        if failures:
            first = next(iter(failures.values()))
            listed = ", ".join(
                f"{field} ({self.reference(field)}: {type(exc).__name__})"
                for field, exc in failures.items()
            )
            raise first.reworded(
                f"{self.settings_cls.__name__}: could not read {listed}. {first.message}",
                secret_name=first.secret_name,
            ) from first
        return values

    def __repr__(self) -> str:
        return f"SecretsAdapterSettingsSource(prefix={self._prefix!r})"


def _is_secret_str(annotation: Any) -> bool:
    """``SecretStr``, or ``SecretStr | None`` / ``Optional[SecretStr]``."""
    if annotation is SecretStr:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(arg is SecretStr for arg in get_args(annotation))
    return False
