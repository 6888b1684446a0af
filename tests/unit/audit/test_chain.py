"""The hash chain over lines: every tamper case is reported at the first bad record."""

from __future__ import annotations

import json

import pytest

from secrets_adapter.audit.chain import (
    GENESIS_HASH,
    ChainHead,
    Checkpoint,
    canonical_json,
    chain_digest,
    head_of_line,
    link,
)
from secrets_adapter.audit.records import to_record
from secrets_adapter.audit.verification import verify_lines as verify
from secrets_adapter.audit.verification import verify_records
from tests.unit.audit.events import access


def _log(count: int) -> list[str]:
    lines, _ = link([to_record(access(n)) for n in range(count)], ChainHead())
    return lines


def test_link_numbers_and_chains_records() -> None:
    lines, head = link([to_record(access(n)) for n in range(3)], ChainHead())
    records = [json.loads(line) for line in lines]
    assert [r["sequence"] for r in records] == [0, 1, 2]
    previous = GENESIS_HASH
    for line, record in zip(lines, records, strict=True):
        unsealed = line[: line.rindex(',"hash":')] + "}"
        assert unsealed == canonical_json({k: v for k, v in record.items() if k != "hash"})
        assert record["hash"] == chain_digest(previous, unsealed)  # covers the one before
        previous = record["hash"]
    assert head == ChainHead(count=3, hash=records[2]["hash"])
    assert head_of_line(lines[-1]) == head


def test_link_continues_after_a_head() -> None:
    first, head = link([to_record(access(0))], ChainHead())
    second, _ = link([to_record(access(1))], head)
    assert verify_records(first + second).ok


def test_bodies_cannot_carry_chain_fields() -> None:
    with pytest.raises(ValueError, match="chain fields"):
        link([{"sequence": 7}], ChainHead())


def test_an_intact_log_verifies() -> None:
    report = verify_records(_log(5))
    assert report.ok
    assert report.head.count == 5


def test_an_empty_log_verifies() -> None:
    assert verify_records([]).ok


@pytest.mark.parametrize("position", [0, 2, 4])
def test_an_edited_byte_is_reported_at_its_record(position: int) -> None:
    lines = _log(5)
    target = lines[position]
    index = target.index('"principalId":"api"') + len('"principalId":"')
    lines[position] = target[:index] + "b" + target[index + 1 :]  # api -> bpi
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == position
    assert "edited" in report.problem.reason


def test_a_record_edited_and_rehashed_breaks_the_next_link() -> None:
    lines = _log(4)
    before = json.loads(lines[0])["hash"]
    record = json.loads(lines[1])
    del record["hash"]
    record["userIdentity"]["principalId"] = "intruder"
    unsealed = canonical_json(record)
    forged = f'{unsealed[:-1]},"hash":"{chain_digest(before, unsealed)}"}}\n'
    lines[1] = forged  # a well-formed line with a correct hash of its own
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == 2
    assert "the record before it was replaced" in report.problem.reason


def test_whitespace_only_edits_are_caught() -> None:
    lines = _log(3)
    lines[1] = lines[1].replace(":", ": ", 1)
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == 1


def test_a_removed_record_is_reported_where_it_is_missing() -> None:
    lines = _log(5)
    del lines[2]
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == 2
    assert "removed" in report.problem.reason


def test_two_swapped_records_are_reported_at_the_first() -> None:
    lines = _log(5)
    lines[1], lines[2] = lines[2], lines[1]
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == 1


def test_a_line_that_is_not_json_is_reported() -> None:
    lines = _log(3)
    lines[2] = lines[2][:-10] + "\n"
    report = verify_records(lines)
    assert report.problem is not None
    assert report.problem.index == 2
    assert "JSON" in report.problem.reason


def test_truncation_is_detected_against_a_checkpoint() -> None:
    lines = _log(6)
    head = verify_records(lines).head
    checkpoint = Checkpoint(count=head.count, head_hash=head.hash, time="t")
    assert verify(((None, line) for line in lines), checkpoint=checkpoint).ok
    truncated = verify_records(lines[:4])
    assert truncated.ok  # without the checkpoint nothing shows
    report = verify(((None, line) for line in lines[:4]), checkpoint=checkpoint)
    assert report.problem is not None
    assert "truncated" in report.problem.reason
    assert report.problem.index == 4


def test_a_log_grown_after_its_checkpoint_still_verifies() -> None:
    lines = _log(6)
    head = verify_records(lines[:3]).head
    checkpoint = Checkpoint(count=head.count, head_hash=head.hash, time="t")
    assert verify(((None, line) for line in lines), checkpoint=checkpoint).ok


def test_a_rewritten_log_differs_from_its_checkpoint() -> None:
    original = _log(4)
    head = verify_records(original).head
    checkpoint = Checkpoint(count=head.count, head_hash=head.hash, time="t")
    rewritten, _ = link([to_record(access(n, principal="x")) for n in range(5)], ChainHead())
    report = verify(((None, line) for line in rewritten), checkpoint=checkpoint)
    assert report.problem is not None
    assert "rewritten" in report.problem.reason


def test_checkpoint_round_trips_as_json() -> None:
    checkpoint = Checkpoint(count=3, head_hash="ab" * 32, time="2026-11-29T12:00:00.000000Z")
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint


def test_a_log_of_the_first_format_verifies_and_is_continued() -> None:
    """Logs written before the compact format (hex hashes, ``previousHash``) stay readable."""
    import hashlib

    previous, legacy = GENESIS_HASH, []
    for number in range(3):
        body = {**to_record(access(number)), "sequence": number, "previousHash": previous}
        unsealed = canonical_json(body)
        previous = hashlib.sha256(unsealed.encode("ascii")).hexdigest()
        legacy.append(f'{unsealed[:-1]},"hash":"{previous}"}}\n')
    head = head_of_line(legacy[-1])
    assert verify_records(legacy).ok
    newer, _ = link([to_record(access(3))], head)
    report = verify_records(legacy + newer)
    assert report.ok, report.problem
    assert report.head.count == 4
    edited = legacy[1].replace('"principalId":"api"', '"principalId":"apj"')
    problem = verify_records([legacy[0], edited, legacy[2]]).problem
    assert problem is not None
    assert problem.index == 1
