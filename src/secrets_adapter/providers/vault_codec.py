"""Pure translation between our model and KV v2's: values ↔ ``data``, stages ↔ ``custom_metadata``.

**Values.** A text value that is a flat JSON object of strings in canonical form (sorted keys,
no spaces — what ``json.dumps(sort_keys=True, separators=(",", ":"))`` prints) is stored as the
KV fields themselves, so ``bao kv get`` shows ``username``/``password`` as usual. Every other
value is stored under one documented pair of keys::

    {"value": "<the text>", "encoding": "utf-8"}      a text value
    {"value": "<base64>",   "encoding": "base64"}     a binary value

Both read back byte-exact. Data written by other tools reads as its JSON object (sorted keys),
or as the bare text of a lone ``value`` key.

**Stages and the rest** live in the secret's ``custom_metadata`` under ``secrets-adapter.`` keys;
every other key is a tag. Versions are Vault's numbers; a version written by ``put_version`` is
known by its token instead (``secrets-adapter.token.<token>`` → the number). ``current`` is the
newest live version unless ``secrets-adapter.stage.current`` says otherwise (it is written only
while it differs, e.g. during a rotation), so a version written by ``bao kv put`` becomes current.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secrets_adapter.errors import SecretFormatError, ValidationError
from secrets_adapter.models import SecretValue, Stage, json_object

__all__ = [
    "ENCODING_KEY",
    "RESERVED_PREFIX",
    "VALUE_KEY",
    "KvState",
    "check_tag_key",
    "check_token",
    "decode_value",
    "encode_value",
    "parse_state",
    "state_from_latest_read",
    "parse_vault_time",
]

VALUE_KEY = "value"
ENCODING_KEY = "encoding"
RESERVED_PREFIX = "secrets-adapter."
_STAGE_KEY = RESERVED_PREFIX + "stage."
_TOKEN_KEY = RESERVED_PREFIX + "token."
_DELETION_KEY = RESERVED_PREFIX + "deletion-date"
_MAX_METADATA_KEY = 128  # Vault's limit on a custom_metadata key, in bytes
_MAX_TOKENS_KEPT = 32  # custom_metadata holds at most 64 keys


def _canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_value(value: SecretValue) -> dict[str, str]:
    """The KV ``data`` for ``value`` (see the module docstring)."""
    if value.is_binary:
        encoded = base64.b64encode(value.reveal_bytes()).decode("ascii")
        return {VALUE_KEY: encoded, ENCODING_KEY: "base64"}
    text = value.reveal_text()
    parsed = json_object(value)
    if (
        parsed
        and VALUE_KEY not in parsed
        and all(isinstance(item, str) for item in parsed.values())
        and _canonical_json(parsed) == text
    ):
        return parsed
    return {VALUE_KEY: text, ENCODING_KEY: "utf-8"}


def decode_value(data: Mapping[str, Any], *, name: str) -> SecretValue:
    """The value stored in a KV ``data`` map; a malformed envelope is a ``SecretFormatError``."""
    if VALUE_KEY in data and set(data) <= {VALUE_KEY, ENCODING_KEY}:
        raw = data[VALUE_KEY]
        encoding = data.get(ENCODING_KEY, "utf-8")
        if isinstance(raw, str) and encoding == "utf-8":
            return SecretValue(raw)
        if isinstance(raw, str) and encoding == "base64":
            try:
                return SecretValue(base64.b64decode(raw, validate=True))
            except (binascii.Error, ValueError):
                pass
        raise SecretFormatError(
            f"Secret {name!r} in Vault has a {VALUE_KEY!r} field that is not valid for encoding "
            f"{encoding!r}.",
            secret_name=name,
            provider="vault",
        ) from None
    return SecretValue(_canonical_json(data))


def check_token(token: str, *, name: str) -> str:
    """A ``put_version`` token fits a metadata key and cannot be mistaken for a version number."""
    if not token or token.isdigit() or len((_TOKEN_KEY + token).encode()) > _MAX_METADATA_KEY:
        raise ValidationError(
            f"Invalid version token for secret {name!r}: it must not be a bare number and must "
            f"be at most {_MAX_METADATA_KEY - len(_TOKEN_KEY)} bytes.",
            secret_name=name,
        )
    return token


def check_tag_key(key: str, *, name: str) -> str:
    if not key or key.startswith(RESERVED_PREFIX) or len(key.encode()) > _MAX_METADATA_KEY:
        raise ValidationError(
            f"Invalid tag key for secret {name!r}: 1-{_MAX_METADATA_KEY} bytes, not starting "
            f"with {RESERVED_PREFIX!r}.",
            secret_name=name,
        )
    return key


def parse_vault_time(raw: object) -> datetime | None:
    """Vault's RFC 3339 timestamps (nanoseconds) as aware datetimes; empty → None."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(slots=True, kw_only=True)
class KvState:
    """What a secret's metadata says, in our terms. Mutable while an operation builds a change."""

    versions: dict[int, datetime | None] = field(default_factory=dict)
    labels: dict[int, frozenset[Stage]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    deletion_date: datetime | None = None
    soft_deleted: tuple[int, ...] = ()
    latest: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    delete_version_after: str = "0s"

    def version_id(self, number: int) -> str:
        """Our id for a Vault version number: its token if it has one, else the number."""
        for token, mapped in self.tokens.items():
            if mapped == number:
                return token
        return str(number)

    def number_of(self, version_id: str) -> int | None:
        """The Vault version number behind one of our ids, if that version is live."""
        number = self.tokens.get(version_id)
        if number is None and version_id.isdigit():
            number = int(version_id)
        return number if number in self.versions else None

    def id_labels(self) -> dict[str, frozenset[Stage]]:
        """The label map in ``providers.staging`` terms (our ids, creation order)."""
        return {self.version_id(number): self.labels[number] for number in sorted(self.versions)}

    def set_id_labels(self, labels: Mapping[str, frozenset[Stage]]) -> None:
        for version_id, stages in labels.items():
            number = self.number_of(version_id)
            if number is not None:
                self.labels[number] = stages

    def holder(self, stage: Stage) -> int | None:
        for number in sorted(self.versions):
            if stage in self.labels[number]:
                return number
        return None

    def custom_metadata(self) -> dict[str, str]:
        """The ``custom_metadata`` that records this state (see the module docstring)."""
        result = dict(self.tags)
        newest_live = max(self.versions, default=None)
        for stage in Stage:
            number = self.holder(stage)
            if number is None or (stage is Stage.CURRENT and number == newest_live):
                continue
            result[_STAGE_KEY + stage.value] = str(number)
        kept = sorted(
            ((token, number) for token, number in self.tokens.items() if number in self.versions),
            key=lambda item: item[1],
        )[-_MAX_TOKENS_KEPT:]
        for token, number in kept:
            result[_TOKEN_KEY + token] = str(number)
        if self.deletion_date is not None:
            result[_DELETION_KEY] = self.deletion_date.isoformat()
        return result


def parse_state(metadata: Mapping[str, Any]) -> KvState:
    """A ``KvState`` from a KV v2 metadata response's ``data``."""
    custom: Mapping[str, str] = metadata.get("custom_metadata") or {}
    deletion_date = parse_vault_time(custom.get(_DELETION_KEY))
    versions: dict[int, datetime | None] = {}
    soft_deleted: list[int] = []
    for raw_number, info in (metadata.get("versions") or {}).items():
        number = int(raw_number)
        if info.get("destroyed"):
            continue
        if info.get("deletion_time"):
            soft_deleted.append(number)
            if deletion_date is None:
                continue
        versions[number] = parse_vault_time(info.get("created_time"))
    state = KvState(
        versions=dict(sorted(versions.items())),
        labels={number: frozenset() for number in sorted(versions)},
        tags={k: v for k, v in custom.items() if not k.startswith(RESERVED_PREFIX)},
        deletion_date=deletion_date,
        soft_deleted=tuple(sorted(soft_deleted)),
        latest=int(metadata.get("current_version") or 0),
        created_at=parse_vault_time(metadata.get("created_time")),
        updated_at=parse_vault_time(metadata.get("updated_time")),
        delete_version_after=str(metadata.get("delete_version_after") or "0s"),
    )
    for key, raw in custom.items():
        if key.startswith(_TOKEN_KEY) and raw.isdigit():
            state.tokens[key[len(_TOKEN_KEY) :]] = int(raw)
    recorded = {
        stage: int(raw)
        for stage in Stage
        if (raw := custom.get(_STAGE_KEY + stage.value, "")).isdigit()
        and int(raw) in state.versions
    }
    current = recorded.get(Stage.CURRENT, max(state.versions, default=None))
    pending, previous = recorded.get(Stage.PENDING), recorded.get(Stage.PREVIOUS)
    if pending is not None:
        state.labels[pending] |= {Stage.PENDING}
    if previous is not None and previous != current:
        state.labels[previous] |= {Stage.PREVIOUS}
    if current is not None:
        state.labels[current] = (state.labels[current] - {Stage.PREVIOUS}) | {Stage.CURRENT}
    return state


def state_from_latest_read(version_metadata: Mapping[str, Any]) -> KvState | None:
    """What a read of the newest version tells, when that version is current — no ``current``
    recorded elsewhere, no deletion scheduled, the version live — so a plain read costs one call.

    None means "look at the full metadata": a rotation is under way or the secret is deleted.
    """
    custom: Mapping[str, str] = version_metadata.get("custom_metadata") or {}
    if _STAGE_KEY + Stage.CURRENT.value in custom or _DELETION_KEY in custom:
        return None
    if version_metadata.get("deletion_time") or version_metadata.get("destroyed"):
        return None
    number = str(version_metadata["version"])
    return parse_state(
        {
            "custom_metadata": custom,
            "current_version": number,
            "versions": {number: {"created_time": version_metadata.get("created_time")}},
        }
    )
