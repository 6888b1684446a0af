"""Walking the chain: report the first bad record of a log, else its head. Pure over lines.

Lines are checked as bytes, as they are on disk: the hash covers the line's bytes, so a check
is a search for two members, one SHA-256 and a comparison; no JSON is parsed unless a line is
bad or of the first format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from secrets_adapter.audit.chain import (
    GENESIS_HASH,
    ChainHead,
    ChainProblem,
    Checkpoint,
    LineSource,
    VerifyReport,
    canonical_json,
    chain_digest_bytes,
)

__all__ = ["verify_byte_lines", "verify_lines", "verify_records"]

_HASH_MARK = b',"hash":"'
_SEQUENCE_KEY = b'"sequence":'  # unique: in JSON text a quote inside a string is escaped
_FIRST_FORMAT = b'"previousHash":"'
_CHAIN_FIELDS = ("sequence", "previousHash", "hash")


def _check(text: bytes, index: int, previous: bytes) -> tuple[str | None, bytes]:
    """(problem or None, this record's hash) for the line expected at ``index``."""
    cut = text.rfind(_HASH_MARK)
    if cut < 0 or not text.endswith(b'"}') or not text.startswith(b"{"):
        return _malformed(text), b""
    if _FIRST_FORMAT in text:
        return _check_first_format(text, index, previous)
    unsealed = text[:cut] + b"}"
    start = unsealed.find(_SEQUENCE_KEY) + len(_SEQUENCE_KEY)
    end = unsealed.find(b",", start)
    close = unsealed.find(b"}", start)
    if end < 0 or 0 <= close < end:  # the last member
        end = close
    number = unsealed[start:end]
    if start < len(_SEQUENCE_KEY) or end < 0 or not number.isdigit():
        return _malformed(text), b""
    if int(number) != index:
        return _sequence_problem(int(number), index), b""
    stored = text[cut + len(_HASH_MARK) : -2]
    if chain_digest_bytes(previous, unsealed) != stored:  # integrity, not a secret
        return (
            "the record does not match its hash: it was edited, or the record before it was "
            "replaced",
            b"",
        )
    return None, stored


def _malformed(text: bytes) -> str:
    try:
        json.loads(text)
    except ValueError:
        return "the line is not valid JSON (edited or cut)"
    return "the line is not a chained audit record"


def _sequence_problem(sequence: object, index: int) -> str:
    if isinstance(sequence, int) and sequence > index:
        return (
            f"sequence {sequence} where {index} was expected: "
            f"{sequence - index} record(s) removed before it, or records reordered"
        )
    return f"sequence {sequence} where {index} was expected: records reordered or repeated"


def _check_first_format(text: bytes, index: int, previous: bytes) -> tuple[str | None, bytes]:
    """A line of the first format: hex SHA-256 of the re-serialised record, ``previousHash``."""
    try:
        record = json.loads(text)
    except ValueError:
        return "the line is not valid JSON (edited or cut)", b""
    if not isinstance(record, dict) or not all(key in record for key in _CHAIN_FIELDS):
        return "the line is not a chained audit record", b""
    stored = str(record.pop("hash"))
    unsealed = canonical_json(record)
    digest = hashlib.sha256(unsealed.encode("ascii")).hexdigest()
    if f'{unsealed[:-1]},"hash":"{digest}"}}'.encode("ascii") != text:
        if digest != stored:
            return "the record does not match its hash (edited)", b""
        return "the line is not in canonical form (edited)", b""
    if record["sequence"] != index:
        return _sequence_problem(record["sequence"], index), b""
    if record["previousHash"] != previous.decode("ascii", errors="replace"):
        return "previousHash does not match the record before it (removed or reordered)", b""
    return None, stored.encode("ascii")


def verify_byte_lines(
    lines: Iterable[tuple[LineSource | None, bytes]],
    *,
    checkpoint: Checkpoint | None = None,
) -> VerifyReport:
    """Walk the chain from its first line; report the first bad record, else the head.

    With a ``checkpoint``, a log shorter than it (truncated) or whose record at the checkpoint's
    position differs from it (rewritten) is a problem too.
    """
    count, previous = 0, GENESIS_HASH.encode("ascii")
    at_checkpoint = checkpoint.count if checkpoint is not None else -1
    hash_at_checkpoint: bytes | None = None
    last_source: LineSource | None = None
    for source, raw in lines:
        last_source = source
        problem, current = _check(raw.rstrip(b"\n"), count, previous)
        if problem is not None:
            return VerifyReport(
                head=ChainHead(count=count, hash=previous.decode("ascii", errors="replace")),
                problem=ChainProblem(index=count, source=source, reason=problem),
            )
        count, previous = count + 1, current
        if count == at_checkpoint:
            hash_at_checkpoint = current
    head = ChainHead(count=count, hash=previous.decode("ascii"))
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
    if hash_at_checkpoint != checkpoint.head_hash.encode("ascii", errors="replace"):
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


def verify_lines(
    lines: Iterable[tuple[LineSource | None, str]],
    *,
    checkpoint: Checkpoint | None = None,
) -> VerifyReport:
    """``verify_byte_lines`` over text lines."""
    encoded = ((source, line.encode("ascii", errors="replace")) for source, line in lines)
    return verify_byte_lines(encoded, checkpoint=checkpoint)


def verify_records(records: Sequence[str]) -> VerifyReport:
    """``verify_lines`` over bare lines (no sources), for tests and in-memory logs."""
    return verify_lines((None, line) for line in records)
