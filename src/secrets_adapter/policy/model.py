"""The policy as values: statements of allow/deny over principals, actions and secret names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ACTIONS",
    "OPERATION_ACTIONS",
    "Decision",
    "Effect",
    "Grant",
    "Policy",
    "Statement",
    "compile_pattern",
]

# What a statement may name; "*" means all of them. ``force-delete`` (deletion with no recovery
# window) is apart from ``delete`` (scheduled, undoable), as IAM tells them apart with the
# ``secretsmanager:ForceDeleteWithoutRecovery`` condition key.
ACTIONS = ("read", "list", "write", "delete", "force-delete", "rotate", "describe")

# Adapter operation → policy action. ``restore`` undoes a scheduled deletion, so it needs the
# same right as scheduling one.
OPERATION_ACTIONS: dict[str, str] = {
    "get": "read",
    "get_many": "read",
    "list": "list",
    "describe": "describe",
    "put": "write",
    "put_version": "write",
    "move_stage": "write",
    "delete": "delete",
    "force_delete": "force-delete",
    "restore": "delete",
    "rotate": "rotate",
    "configure_rotation": "rotate",
}


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def compile_pattern(*patterns: str) -> re.Pattern[str]:
    """One expression matching any of ``patterns``: ``*`` matches any run of characters, ``/``
    included (IAM's meaning); nothing else is special."""
    return re.compile(
        "|".join(
            "(?:" + ".*".join(re.escape(part) for part in pattern.split("*")) + ")"
            for pattern in patterns
        ),
        re.DOTALL,
    )


_NOTHING = re.compile(r"(?!)")  # replaced in __post_init__


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    effect: Effect
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    secrets: tuple[str, ...]
    sid: str = ""
    _principal_re: re.Pattern[str] = field(default=_NOTHING, repr=False, compare=False)
    _secret_re: re.Pattern[str] = field(default=_NOTHING, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_principal_re", compile_pattern(*self.principals))
        object.__setattr__(self, "_secret_re", compile_pattern(*self.secrets))

    @property
    def label(self) -> str:
        return self.sid or f"{self.effect.value} {', '.join(self.actions)}"

    def names_principal(self, principal: str) -> bool:
        return self._principal_re.fullmatch(principal) is not None

    def names_action(self, action: str) -> bool:
        return "*" in self.actions or action in self.actions

    def names_secret(self, name: str) -> bool:
        return self._secret_re.fullmatch(name) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    allowed: bool
    reason: str
    statement: str | None = None  # the deciding statement's label, if one decided


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One statement as it applies to one principal: what a cloud policy renders."""

    effect: Effect
    actions: tuple[str, ...]  # expanded: never "*"
    secrets: tuple[str, ...]  # name patterns with "*"
    sid: str = ""
