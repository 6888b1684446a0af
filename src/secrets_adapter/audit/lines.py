"""Access records formatted fast, on the writer thread, straight to canonical JSON.

``access_record`` builds a dict that ``canonical_json`` then sorts and serialises: clear, but
about ten microseconds a record. The writer formats every read's record, so this module writes
the same bytes directly, keys already in sorted order. A cache hit's record differs from the
previous hit of the same secret only in ``eventTime``, ``requestID`` and ``sequence``, so the
rest is built once per (secret, version, principal, ...) and remembered; the date part of
``eventTime`` is formatted once a second and request ids are cut from one random block. A test
holds this module and ``access_record`` to the same output.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

from secrets_adapter.audit.chain import PreparedRecord
from secrets_adapter.audit.records import (
    DEFAULT_STAGE,
    EVENT_NAMES,
    RECORD_VERSION,
    REQUEST_ID_BYTES,
    AccessFields,
    event_name,
    format_time,
)
from secrets_adapter.events import CacheResult, Outcome

__all__ = ["AccessLineFormatter"]

_MEMO_SIZE = 4096
_IDS_PER_BLOCK = 256

# (text before eventTime, between eventTime and requestID, after requestID up to sequence,
#  after sequence)
_Parts = tuple[str, str, str, str]


class AccessLineFormatter:
    """Formats ``AccessFields`` as a ``PreparedRecord``; one per writer thread (not shared)."""

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}
        self._hits: dict[tuple[object, ...], _Parts] = {}
        self._second = -1
        self._second_text = ""
        self._ids: list[str] = []

    def format(self, fields: AccessFields, *, value_hmac: str | None = None) -> PreparedRecord:
        moment, request_id = fields[0], fields[12]
        if fields[8] is CacheResult.HIT and fields[9] is None:  # a hit: all but 3 fields known
            key = (*fields[1:8], value_hmac)
            parts = self._hits.get(key)
            if parts is None:
                parts = self._parts(fields, value_hmac)
                if len(self._hits) >= _MEMO_SIZE:
                    self._hits.clear()
                self._hits[key] = parts
        else:
            parts = self._parts(fields, value_hmac)
        before_time, before_id, before_sequence, after_sequence = parts
        rid = self._quote(request_id) if request_id is not None else self._new_id()
        return PreparedRecord(
            f"{before_time}{self._time(moment)}{before_id}{rid}{before_sequence}",
            after_sequence,
        )

    def _parts(self, fields: AccessFields, value_hmac: str | None) -> _Parts:
        (_, action, name, provider, principal, outcome, version_id, stage, cache) = fields[:9]
        error_code, error_message, duration_s = fields[9:12]
        quoted = self._quote
        head = "{"
        if cache is not None:  # concatenated: an enum's .value and format() are slow
            head = '{"cache":"' + cache + '",'
        if cache is not CacheResult.HIT:
            head = f'{head}"durationMs":{round(duration_s * 1000, 3)!r},'
        if error_code is not None:
            head = (
                f'{head}"errorCode":{quoted(error_code)},'
                f'"errorMessage":{json.dumps(error_message, ensure_ascii=True)},'
            )
        parameters = f'"secretId":{quoted(name)}'
        if action == "get_many":
            parameters = f'"batch":true,{parameters}'
        elif action == "force_delete":
            parameters = f'"forceDeleteWithoutRecovery":true,{parameters}'
        elif action == "list":
            parameters = f'"listPrefix":true,{parameters}'
        if stage is not None and stage != DEFAULT_STAGE:
            parameters = f'{parameters},"versionStage":{quoted(stage)}'
        before_time = (
            f'{head}"eventName":{quoted(EVENT_NAMES.get(action) or event_name(action))},'
            f'"eventSource":{quoted(provider)},"eventTime":"'
        )
        before_id = '","eventVersion":"' + RECORD_VERSION + '",'
        if outcome != Outcome.SUCCESS:  # as in CloudTrail, a record without an error succeeded
            before_id = before_id + '"outcome":"' + outcome + '",'
        before_id = f'{before_id}"requestID":'
        before_sequence = f',"requestParameters":{{{parameters}}},"sequence":'
        after = f',"userIdentity":{{"principalId":{quoted(principal)}}}'
        if value_hmac is not None:
            after = f'{after},"valueHmac":"{value_hmac}"'
        if version_id is not None:
            after = f'{after},"versionId":{quoted(version_id)}'
        return before_time, before_id, before_sequence, after + "}"

    def _quote(self, text: str) -> str:
        known = self._quoted.get(text)
        if known is None:
            known = json.dumps(text, ensure_ascii=True)
            if len(self._quoted) >= _MEMO_SIZE:
                self._quoted.clear()
            self._quoted[text] = known
        return known

    def _time(self, moment: float | datetime) -> str:
        if isinstance(moment, datetime):
            return format_time(moment)
        second = int(moment)
        if second != self._second:
            self._second = second
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._second_text}.{int((moment - second) * 1000):03d}Z"

    def _new_id(self) -> str:
        if not self._ids:
            random = os.urandom(REQUEST_ID_BYTES * _IDS_PER_BLOCK)
            block = base64.urlsafe_b64encode(random).decode("ascii")
            width = REQUEST_ID_BYTES * 4 // 3
            self._ids = [f'"{block[i : i + width]}"' for i in range(0, len(block), width)]
        return self._ids.pop()
