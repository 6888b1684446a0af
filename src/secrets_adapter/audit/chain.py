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

import base64
import hashlib
import hmac
import json
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    "head_of_line",
    "link",
    "verify_lines",
    "verify_records",
]

GENESIS_HASH = "0" * 64  # the "previous hash" of record 0
_CHAIN_FIELDS = ("sequence", "previousHash", "hash")
_HASH_MARK = ',"hash":"'
_SEQUENCE = re.compile(r'"sequence":(\d+)[,}]')


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


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSource:
    """Where a line came from, for reports: a file of the log and a 1-based line number."""

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


def chain_digest(previous: str, unsealed: str) -> str:
    """The ``hash`` of a record: SHA-256 of the previous hash then the line without ``hash``,
    its first 192 bits in base64url (32 characters; 2^192 work to forge a record in place)."""
    digest = hashlib.sha256(f"{previous}{unsealed}".encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def link(bodies: Iterable[Mapping[str, Any]], head: ChainHead) -> tuple[list[str], ChainHead]:
    """Chain ``bodies`` after ``head``: the lines to append (each ending in ``\\n``) and the new
    head."""
    lines: list[str] = []
    count, previous = head.count, head.hash
    for body in bodies:
        if isinstance(body, PreparedRecord):
            unsealed = f"{body.prefix}{count}{body.suffix}"
        elif any(key in body for key in _CHAIN_FIELDS):
            raise ValueError("a record body must not carry chain fields")
        else:
            unsealed = canonical_json({**body, "sequence": count})
        previous = chain_digest(previous, unsealed)
        lines.append(f'{unsealed[:-1]},"hash":"{previous}"}}\n')
        count += 1
    return lines, ChainHead(count=count, hash=previous)


def head_of_line(line: str) -> ChainHead:
    """The head after the record on ``line`` (the last line of a log)."""
    record = json.loads(line)
    return ChainHead(count=int(record["sequence"]) + 1, hash=str(record["hash"]))


def _check(text: str, index: int, previous: str) -> tuple[str | None, str]:
    """(problem or None, this record's hash) for the line expected at ``index``."""
    cut = text.rfind(_HASH_MARK)
    if cut < 0 or not text.endswith('"}') or text[0] != "{":
        return _malformed(text), ""
    if '"previousHash":"' in text:
        return _check_first_format(text, index, previous)
    unsealed = f"{text[:cut]}}}"
    stored = text[cut + len(_HASH_MARK) : -2]
    found = _SEQUENCE.search(unsealed)
    if found is None:
        return _malformed(text), ""
    problem = _sequence_problem(int(found.group(1)), index)
    if problem is not None:
        return problem, ""
    if not hmac.compare_digest(chain_digest(previous, unsealed), stored):
        return (
            "the record does not match its hash: it was edited, or the record before it was "
            "replaced",
            "",
        )
    return None, stored


def _malformed(text: str) -> str:
    try:
        json.loads(text)
    except ValueError:
        return "the line is not valid JSON (edited or cut)"
    return "the line is not a chained audit record"


def _sequence_problem(sequence: object, index: int) -> str | None:
    if sequence == index:
        return None
    if isinstance(sequence, int) and sequence > index:
        return (
            f"sequence {sequence} where {index} was expected: "
            f"{sequence - index} record(s) removed before it, or records reordered"
        )
    return f"sequence {sequence} where {index} was expected: records reordered or repeated"


def _check_first_format(text: str, index: int, previous: str) -> tuple[str | None, str]:
    """A line of the first format: hex SHA-256 of the re-serialised record, ``previousHash``."""
    try:
        record = json.loads(text)
    except ValueError:
        return "the line is not valid JSON (edited or cut)", ""
    if not isinstance(record, dict) or not all(key in record for key in _CHAIN_FIELDS):
        return "the line is not a chained audit record", ""
    stored = record.pop("hash")
    unsealed = canonical_json(record)
    digest = hashlib.sha256(unsealed.encode("ascii")).hexdigest()
    if f'{unsealed[:-1]},"hash":"{digest}"}}' != text:
        if digest != stored:
            return "the record does not match its hash (edited)", ""
        return "the line is not in canonical form (edited)", ""
    problem = _sequence_problem(record["sequence"], index)
    if problem is not None:
        return problem, ""
    if record["previousHash"] != previous:
        return "previousHash does not match the record before it (removed or reordered)", ""
    return None, str(stored)


def verify_lines(
    lines: Iterable[tuple[LineSource | None, str]],
    *,
    checkpoint: Checkpoint | None = None,
) -> VerifyReport:
    """Walk the chain from its first line; report the first bad record, else the head.

    With a ``checkpoint``, a log shorter than it (truncated) or whose record at the checkpoint's
    position differs from it (rewritten) is a problem too.
    """
    count, previous = 0, GENESIS_HASH
    hash_at_checkpoint: str | None = None
    last_source: LineSource | None = None
    for source, raw in lines:
        last_source = source
        text = raw.rstrip("\n")
        problem, current = _check(text, count, previous)
        if problem is not None:
            return VerifyReport(
                head=ChainHead(count=count, hash=previous),
                problem=ChainProblem(index=count, source=source, reason=problem),
            )
        count, previous = count + 1, current
        if checkpoint is not None and count == checkpoint.count:
            hash_at_checkpoint = current
    head = ChainHead(count=count, hash=previous)
    if checkpoint is None or checkpoint.count == 0:
        return VerifyReport(head=head)
    if count < checkpoint.count:
        return VerifyReport(
            head=head,
            problem=ChainProblem(
                index=count,
                source=last_source,
                reason=(
                    f"the log was truncated: it has {count} record(s), the checkpoint of "
                    f"{checkpoint.time} saw {checkpoint.count}"
                ),
            ),
        )
    if hash_at_checkpoint != checkpoint.head_hash:
        return VerifyReport(
            head=head,
            problem=ChainProblem(
                index=checkpoint.count - 1,
                source=None,
                reason=(
                    f"record {checkpoint.count - 1} differs from the checkpoint of "
                    f"{checkpoint.time}: the log was rewritten"
                ),
            ),
        )
    return VerifyReport(head=head)


def verify_records(records: Sequence[str]) -> VerifyReport:
    """``verify_lines`` over bare lines (no sources), for tests and in-memory logs."""
    return verify_lines((None, line) for line in records)
