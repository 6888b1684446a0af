"""The hash chain: pure functions over record bodies and lines, no I/O.

Each record carries ``sequence`` (0, 1, 2, ...) and ``hash``: the SHA-256 of the previous
record's ``hash`` followed by the record's canonical JSON without ``hash`` (192 bits kept, in
base64url). A line is exactly that canonical JSON with ``,"hash":"<digest>"`` added as the last
member, so the hash covers the very bytes on disk: any edited byte, removed record or
reordering breaks the chain at a precise place, and verifying needs no re-serialisation.
Truncation at the end is caught against a signed checkpoint (``Checkpoint``) kept elsewhere.

Lines of the first format (``eventVersion`` 1.0, a ``previousHash`` member, hex hashes over
re-serialised JSON) still verify, and a log of them is continued in the current format.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

__all__ = [
    "GENESIS_HASH",
    "ChainHead",
    "ChainProblem",
    "Checkpoint",
    "LineSource",
    "PreparedRecord",
    "VerifyReport",
    "canonical_json",
    "chain_digest",
    "chain_digest_bytes",
    "head_of_line",
    "link",
]

GENESIS_HASH = "0" * 64  # the "previous hash" of record 0
_CHAIN_FIELDS = ("sequence", "previousHash", "hash")
_URLSAFE = bytes.maketrans(b"+/", b"-_")


if TYPE_CHECKING:
    _MappingBase = Mapping[str, Any]
else:
    _MappingBase = object


class PreparedRecord(_MappingBase):
    """A record body already in canonical JSON, split where its ``sequence`` goes: the writer
    formats it once and the sink only inserts the number. Reads as the body's mapping (parsed
    on first use) for sinks that want fields. A registered ``Mapping`` rather than a subclass:
    the writer makes one per record, and an ABC subclass costs more to make."""

    __slots__ = ("_parsed", "prefix", "suffix")

    def __init__(self, prefix: str, suffix: str) -> None:
        self.prefix = prefix  # '{...,"sequence":'
        self.suffix = suffix  # ',"userIdentity":...}'
        self._parsed: dict[str, Any] | None = None

    def _body(self) -> dict[str, Any]:
        if self._parsed is None:
            parsed = json.loads(f"{self.prefix}0{self.suffix}")
            del parsed["sequence"]
            self._parsed = parsed
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._body()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._body())

    def __len__(self) -> int:
        return len(self._body())

    def __contains__(self, key: object) -> bool:
        return key in self._body()

    def get(self, key: str, default: Any = None) -> Any:
        return self._body().get(key, default)

    def keys(self) -> KeysView[str]:
        return self._body().keys()

    def items(self) -> ItemsView[str, Any]:
        return self._body().items()

    def values(self) -> ValuesView[Any]:
        return self._body().values()

    def __repr__(self) -> str:
        return f"PreparedRecord({self.prefix}…{self.suffix})"


Mapping.register(PreparedRecord)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainHead:
    """Where the chain ends: the next record gets ``sequence = count``, ``previousHash = hash``."""

    count: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A head seen at some time, stored apart from the log so that truncation shows.

    ``signature`` is an HMAC-SHA256 of the other fields under a key kept outside the log: whoever
    can rewrite the log and the checkpoint but lacks the key cannot forge a matching one.
    """

    count: int
    head_hash: str
    time: str
    signature: str | None = None

    def _signed_text(self) -> bytes:
        fields = {"count": self.count, "headHash": self.head_hash, "time": self.time}
        return canonical_json(fields).encode("ascii")

    def signed(self, key: bytes) -> Checkpoint:
        mac = hmac.new(key, self._signed_text(), hashlib.sha256).hexdigest()
        return Checkpoint(count=self.count, head_hash=self.head_hash, time=self.time, signature=mac)

    def signature_ok(self, key: bytes) -> bool:
        if self.signature is None:
            return False
        expected = hmac.new(key, self._signed_text(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def to_json(self) -> str:
        fields: dict[str, Any] = {
            "count": self.count,
            "headHash": self.head_hash,
            "time": self.time,
        }
        if self.signature is not None:
            fields["signature"] = self.signature
        return canonical_json(fields)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        signature = data.get("signature")
        return cls(
            count=int(data["count"]),
            head_hash=str(data["headHash"]),
            time=str(data["time"]),
            signature=str(signature) if signature is not None else None,
        )


class LineSource(NamedTuple):
    """Where a line came from, for reports: a file of the log and a 1-based line number. A
    named tuple: ``verify`` makes one per line, and it is cheap to make."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainProblem:
    """The first place the chain breaks: the record's position and what is wrong there."""

    index: int  # position in the log, 0-based (= the sequence it should carry)
    source: LineSource | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    head: ChainHead
    problem: ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, ASCII only: one byte string per record, on every machine."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_digest_bytes(previous: bytes, unsealed: bytes) -> bytes:
    """The ``hash`` of a record: SHA-256 of the previous hash then the line without ``hash``,
    its first 192 bits in base64url (32 characters; 2^192 work to forge a record in place)."""
    digest = hashlib.sha256(previous + unsealed).digest()
    return binascii.b2a_base64(digest[:24], newline=False).translate(_URLSAFE)


def chain_digest(previous: str, unsealed: str) -> str:
    """``chain_digest_bytes`` over text."""
    return chain_digest_bytes(previous.encode("ascii"), unsealed.encode("ascii")).decode("ascii")


def link(bodies: Iterable[Mapping[str, Any]], head: ChainHead) -> tuple[list[str], ChainHead]:
    """Chain ``bodies`` after ``head``: the lines to append (each ending in ``\\n``) and the new
    head."""
    lines: list[str] = []
    count, previous = head.count, head.hash
    previous_bytes = previous.encode("ascii")
    for body in bodies:
        if isinstance(body, PreparedRecord):
            unsealed = f"{body.prefix}{count}{body.suffix}"
        elif any(key in body for key in _CHAIN_FIELDS):
            raise ValueError("a record body must not carry chain fields")
        else:
            unsealed = canonical_json({**body, "sequence": count})
        previous_bytes = chain_digest_bytes(previous_bytes, unsealed.encode("ascii"))
        previous = previous_bytes.decode("ascii")
        lines.append(f'{unsealed[:-1]},"hash":"{previous}"}}\n')
        count += 1
    return lines, ChainHead(count=count, hash=previous)


def head_of_line(line: str) -> ChainHead:
    """The head after the record on ``line`` (the last line of a log)."""
    record = json.loads(line)
    return ChainHead(count=int(record["sequence"]) + 1, hash=str(record["hash"]))
