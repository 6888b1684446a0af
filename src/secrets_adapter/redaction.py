"""Mask secret values in log records: a ``logging.Filter`` fed by the values the adapter served.

Every ``SecretsAdapter`` remembers the text values it hands out (``adapter.served_values``);
``adapter.redaction_filter()`` returns a filter that replaces any of them in a record's message,
arguments, traceback text and stack with ``**********``. Attach it to your *handlers*
(``install_redaction(adapter)`` does it for the root logger's), so that records propagated from
every library are covered.

Safety of the registry itself: values live only in memory, never in a repr; values shorter than
``min_length`` are not tracked (masking every "1" would wreck logs and hide nothing); at most
``max_values`` are kept, least recently served dropped first; JSON object secrets also register
their string fields, since ``get_secret_value(name, key)`` serves those.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

from secrets_adapter.models import SecretValue, json_object

__all__ = ["MASK", "RedactingFilter", "ServedValues", "install_redaction"]

MASK = "**********"


class ServedValues:
    """A bounded, thread-safe set of served text values, with a matcher for all of them."""

    def __init__(self, *, min_length: int = 6, max_values: int = 4096) -> None:
        self._min_length = min_length
        self._max_values = max_values
        self._values: OrderedDict[str, None] = OrderedDict()
        self.seen: OrderedDict[int, SecretValue] = OrderedDict()
        """Values already remembered, by ``id``: read it to skip ``remember`` on a cache hit."""
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"ServedValues({len(self)} values)"

    def __len__(self) -> int:
        return len(self._values)

    def remember(self, value: SecretValue) -> None:
        """Track ``value`` (and the string fields of a JSON object value).

        Cheap for a value seen before (a cache hit serves the same object): one dict lookup.
        """
        if self.seen.get(id(value)) is value or value.is_binary:
            return
        candidates = [value.reveal_text()]
        parsed = json_object(value)
        if parsed is not None:
            candidates.extend(field for field in parsed.values() if isinstance(field, str))
        self._add(candidates)
        with self._lock:
            self.seen[id(value)] = value
            while len(self.seen) > self._max_values:
                self.seen.popitem(last=False)

    def _add(self, candidates: Iterable[str]) -> None:
        with self._lock:
            for candidate in candidates:
                if len(candidate) < self._min_length:
                    continue
                if candidate in self._values:
                    self._values.move_to_end(candidate)
                    continue
                self._values[candidate] = None
                self._pattern = None
                while len(self._values) > self._max_values:
                    self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.seen.clear()
            self._pattern = None

    def mask(self, text: str) -> str:
        """``text`` with every tracked value replaced by ``MASK`` (longest values first)."""
        with self._lock:
            if not self._values:
                return text
            if self._pattern is None:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, ordered)))
            pattern = self._pattern
        return pattern.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no served value survives formatting. Never drops a record."""

    def __init__(self, served: ServedValues) -> None:
        super().__init__()
        self._served = served

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._served.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._served.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._served.mask(record.stack_info)
        return True


class _HasServedValues(Protocol):
    @property
    def served_values(self) -> ServedValues: ...


def install_redaction(
    source: ServedValues | _HasServedValues, *, handlers: Iterable[logging.Handler] | None = None
) -> RedactingFilter:
    """Add one ``RedactingFilter`` to ``handlers`` (default: the root logger's handlers)."""
    served = source if isinstance(source, ServedValues) else source.served_values
    redacting = RedactingFilter(served)
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.addFilter(redacting)
    return redacting
