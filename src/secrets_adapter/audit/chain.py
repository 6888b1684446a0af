"""The hash chain: pure functions over record bodies and lines, no I/O.

Each record carries ``sequence`` (0, 1, 2, ...), ``previousHash`` (the ``hash`` of the record
before it; 64 zeros for the first) and ``hash`` = SHA-256 of the record's canonical JSON without
``hash``. A line is exactly that canonical JSON with ``,"hash":"<hex>"`` added as the last
member (one serialisation per record, on writing and on verifying), so any edited byte, removed
record or reordering breaks the chain at a precise place; truncation at the end is caught against
a checkpoint (``Checkpoint``) kept elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "ChainHead",
    "ChainProblem",
    "Checkpoint",
    "LineSource",
    "VerifyReport",
    "canonical_json",
    "head_of_line",
    "link",
    "record_hash",
    "seal",
    "verify_lines",
    "verify_records",
]

GENESIS_HASH = "0" * 64
_CHAIN_FIELDS = ("sequence", "previousHash", "hash")


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


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the record's canonical JSON without its ``hash`` field."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("ascii")).hexdigest()


def seal(record: Mapping[str, Any]) -> str:
    """The line (without newline) for a record: its canonical JSON, ``hash`` last."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return _sealed_line(canonical_json(body))[0]


def _sealed_line(unsealed: str) -> tuple[str, str]:
    """(line without newline, hash) for the canonical JSON of a record without ``hash``."""
    digest = hashlib.sha256(unsealed.encode("ascii")).hexdigest()
    return f'{unsealed[:-1]},"hash":"{digest}"}}', digest


def link(bodies: Iterable[Mapping[str, Any]], head: ChainHead) -> tuple[list[str], ChainHead]:
    """Chain ``bodies`` after ``head``: the lines to append (each ending in ``\\n``) and the new
    head."""
    lines: list[str] = []
    count, previous = head.count, head.hash
    for body in bodies:
        if any(key in body for key in _CHAIN_FIELDS):
            raise ValueError("a record body must not carry chain fields")
        line, previous = _sealed_line(
            canonical_json({**body, "sequence": count, "previousHash": previous})
        )
        lines.append(line + "\n")
        count += 1
    return lines, ChainHead(count=count, hash=previous)


def head_of_line(line: str) -> ChainHead:
    """The head after the record on ``line`` (the last line of a log)."""
    record = json.loads(line)
    return ChainHead(count=int(record["sequence"]) + 1, hash=str(record["hash"]))


def _check(text: str, index: int, previous: str) -> tuple[str | None, str]:
    """(problem or None, this record's hash) for the line expected at ``index``."""
    try:
        record = json.loads(text)
    except ValueError:
        return "the line is not valid JSON (edited or cut)", ""
    if not isinstance(record, dict) or not all(key in record for key in _CHAIN_FIELDS):
        return "the line is not a chained audit record", ""
    stored = record.pop("hash")
    line, digest = _sealed_line(canonical_json(record))
    if line != text:
        if digest != stored:
            return "the record does not match its hash (edited)", ""
        return "the line is not in canonical form (edited)", ""
    sequence = record["sequence"]
    if sequence != index:
        if isinstance(sequence, int) and sequence > index:
            return (
                f"sequence {sequence} where {index} was expected: "
                f"{sequence - index} record(s) removed before it, or records reordered",
                "",
            )
        return f"sequence {sequence} where {index} was expected: records reordered or repeated", ""
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
