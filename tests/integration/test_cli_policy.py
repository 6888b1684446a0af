"""``secrets-adapter policy aws`` and ``policy check`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secrets_adapter.cli.main import main

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE = ["policy", "aws", "--region", "eu-west-1", "--account", "123456789012", "--kms-key-arn", KEY]


def test_policy_aws_prints_valid_json_with_exactly_the_expected_resources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*BASE, "--prefix", "gaara/prod", "--secret", "db", "--secret", "jwt"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    resources = sorted(
        r
        for s in document["Statement"]
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    )
    prefix = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gaara/prod/"
    assert resources == sorted([KEY, f"{prefix}db-??????", f"{prefix}jwt-??????"])


def test_generated_policies_pass_the_checker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for role in ("app", "admin"):
        assert main([*BASE, "--prefix", "gaara/prod", "--role", role, "--batch"]) == 0
        path = tmp_path / f"{role}.json"
        path.write_text(capsys.readouterr().out)
        assert main(["policy", "check", str(path)]) == 0
        assert "0 error(s)" in capsys.readouterr().err


def test_policy_check_fails_on_broad_statements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broad.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": "arn:aws:kms:*:*:key/*",
                    },
                    {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
                ],
            }
        )
    )
    assert main(["policy", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "arn:aws:kms:*:*:key/*" in out
    assert "secretsmanager:*" in out


def test_policy_check_rejects_non_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    assert main(["policy", "check", str(path)]) == 2
    assert "not a readable JSON" in capsys.readouterr().err


def test_policy_aws_refuses_an_unscoped_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(BASE) == 2
    assert "prefix or at least one secret" in capsys.readouterr().err


def test_policy_check_json_lists_the_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broad.json"
    path.write_text(json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))
    assert main(["policy", "check", "--json", str(path)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {row["severity"] for row in rows} == {"error"}
    assert any("wildcard action '*'" in row["message"] for row in rows)
