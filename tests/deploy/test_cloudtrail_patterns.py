"""The CloudWatch filter patterns, run against sample CloudTrail records.

A small evaluator for the subset of the JSON filter syntax the patterns use — ``$.field = "v"``
with ``*`` wildcards, ``&&``, ``||`` and parentheses — so a typo in an event name or error code
shows up here instead of as an alarm that never fires.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from secrets_adapter.monitoring.cloudwatch import CLOUDTRAIL_ALARMS

Record = dict[str, Any]
Test = Callable[[Record], bool]


def any_of(left: Test, right: Test) -> Test:
    return lambda record: left(record) or right(record)


def all_of(left: Test, right: Test) -> Test:
    return lambda record: left(record) and right(record)


TOKEN = re.compile(r'\s*(\(|\)|&&|\|\||\$\.[A-Za-z.]+|=|"[^"]*")')


def compile_pattern(pattern: str) -> Test:
    body = pattern.strip()
    assert body.startswith("{") and body.endswith("}"), pattern
    tokens: list[str] = TOKEN.findall(body[1:-1])
    assert "".join(tokens).replace(" ", "") == body[1:-1].replace(" ", ""), "unparsed text"
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = tokens[position]
        assert expected is None or token == expected, (token, expected)
        position += 1
        return token

    def either() -> Test:
        left = both()
        while peek() == "||":
            take()
            right = both()
            left = any_of(left, right)
        return left

    def both() -> Test:
        left = atom()
        while peek() == "&&":
            take()
            right = atom()
            left = all_of(left, right)
        return left

    def atom() -> Test:
        if peek() == "(":
            take("(")
            inner = either()
            take(")")
            return inner
        field = take()[2:]
        take("=")
        wanted = take()[1:-1]
        regex = re.compile(".*".join(re.escape(part) for part in wanted.split("*")) + r"\Z")

        def test(record: Record) -> bool:
            value: Any = record
            for part in field.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return isinstance(value, str) and bool(regex.match(value))

        return test

    result = either()
    assert position == len(tokens)
    return result


def trail(source: str, name: str, error: str | None = None) -> Record:
    record: Record = {"eventSource": f"{source}.amazonaws.com", "eventName": name}
    if error is not None:
        record["errorCode"] = error
    return record


PATTERNS = {alarm.rule_id: compile_pattern(alarm.filter_pattern) for alarm in CLOUDTRAIL_ALARMS}

CASES = [
    ("failed-retrievals", trail("secretsmanager", "GetSecretValue", "AccessDeniedException"), True),
    (
        "failed-retrievals",
        trail("secretsmanager", "GetSecretValue", "ResourceNotFoundException"),
        True,
    ),
    (
        "failed-retrievals",
        trail("secretsmanager", "BatchGetSecretValue", "ThrottlingException"),
        True,
    ),
    ("failed-retrievals", trail("secretsmanager", "GetSecretValue"), False),
    ("failed-retrievals", trail("secretsmanager", "PutSecretValue", "InternalServiceError"), False),
    ("failed-retrievals", trail("kms", "Decrypt", "AccessDeniedException"), False),
    ("unauthorized-use", trail("secretsmanager", "GetSecretValue", "AccessDeniedException"), True),
    ("unauthorized-use", trail("kms", "Decrypt", "AccessDeniedException"), True),
    ("unauthorized-use", trail("kms", "Decrypt", "InvalidCiphertextException"), True),
    ("unauthorized-use", trail("kms", "Decrypt", "KMSInvalidStateException"), True),
    ("unauthorized-use", trail("kms", "Decrypt", "DisabledException"), True),
    (
        "unauthorized-use",
        trail("secretsmanager", "GetSecretValue", "ResourceNotFoundException"),
        False,
    ),
    ("unauthorized-use", trail("s3", "GetObject", "AccessDenied"), False),
    ("unauthorized-use", trail("kms", "Decrypt"), False),
    ("rotation-failure", trail("secretsmanager", "RotationFailed"), True),
    ("rotation-failure", trail("secretsmanager", "RotationAbandoned"), True),
    ("rotation-failure", trail("secretsmanager", "RotationSucceeded"), False),
    ("rotation-failure", trail("secretsmanager", "RotateSecret"), False),
    ("key-disabled", trail("kms", "DisableKey"), True),
    ("key-disabled", trail("kms", "ScheduleKeyDeletion"), True),
    ("key-disabled", trail("kms", "EnableKey"), False),
]


@pytest.mark.parametrize(("rule", "record", "expected"), CASES)
def test_pattern_matches_the_right_records(rule: str, record: Record, expected: bool) -> None:
    assert PATTERNS[rule](record) is expected


def test_every_alarm_has_cases() -> None:
    assert {rule for rule, _, _ in CASES} == set(PATTERNS)
