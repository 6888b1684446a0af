"""Check an IAM policy for breadth: over-broad statements are errors, weaker-than-needed ones
warnings (``secrets-adapter policy check``). Pure; no AWS call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from secrets_adapter.policy.aws_iam import ACTIONS_WITHOUT_RESOURCE_SCOPE

__all__ = ["PolicyFinding", "Severity", "check_policy"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyFinding:
    """One problem in one statement of a policy."""

    statement: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity.value}: statement {self.statement}: {self.message}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(document: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    raw = document.get("Statement")
    for index, statement in enumerate(_as_list(raw)):
        if isinstance(statement, Mapping):
            yield str(statement.get("Sid") or f"#{index + 1}"), statement


_UNSCOPED_LOWER = frozenset(a.lower() for a in ACTIONS_WITHOUT_RESOURCE_SCOPE)


def _broad_resource(resource: str) -> str | None:
    """Why ``resource`` is too broad, or None."""
    if resource == "*":
        return "Resource '*' covers every resource in every account"
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    _, _, service, region, account, rest = parts
    if "*" in region or "*" in account:
        return f"{resource!r} has a wildcard region or account"
    if service == "kms" and "*" in rest:
        return f"{resource!r} covers more than one KMS key; name the key ARN"
    if service == "secretsmanager" and rest.replace("secret:", "", 1) in ("*", ""):
        return f"{resource!r} covers every secret in the account; scope it to a prefix"
    return None


def check_policy(document: Mapping[str, Any]) -> list[PolicyFinding]:
    """Over-broad statements (errors) and weaker-than-needed ones (warnings) in an IAM policy."""
    findings: list[PolicyFinding] = []

    def flag(sid: str, severity: Severity, message: str) -> None:
        findings.append(PolicyFinding(statement=sid, severity=severity, message=message))

    statements = list(_statements(document))
    if not statements:
        flag("-", Severity.ERROR, "the document has no Statement: is it an IAM policy?")
    for sid, statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            flag(sid, Severity.ERROR, "Allow with NotAction/NotResource grants everything else")
        principals = _as_list(statement.get("Principal"))
        if "*" in principals or any(
            isinstance(p, Mapping) and "*" in _as_list(p.get("AWS")) for p in principals
        ):
            flag(sid, Severity.ERROR, "Principal '*' lets anyone use this")
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        for action in actions:
            if "*" in action:
                flag(sid, Severity.ERROR, f"wildcard action {action!r}: list the actions needed")
        lowered = {a.lower() for a in actions}  # IAM action names are case-insensitive
        unscoped_ok = bool(actions) and lowered <= _UNSCOPED_LOWER
        for resource in (str(r) for r in _as_list(statement.get("Resource"))):
            if resource == "*" and unscoped_ok:
                continue
            reason = _broad_resource(resource)
            if reason:
                flag(sid, Severity.ERROR, reason)
        scoped_by_condition = _has_condition_key(statement, "kms:ViaService") or _has_condition_key(
            statement, "kms:EncryptionContextKeys"
        )
        if "kms:decrypt" in lowered and not scoped_by_condition:
            flag(
                sid,
                Severity.WARNING,
                "kms:Decrypt without a kms:ViaService (or encryption context) condition "
                "lets the role decrypt anything under the key, not only its secrets",
            )
    return findings


def _has_condition_key(statement: Mapping[str, Any], key: str) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(k.lower() == key.lower() for k in block)
        for block in condition.values()
    )
