"""Pure evaluation: explicit deny wins, then an allow, else deny.

Names are checked before matching: a name with ``.`` or ``..`` segments, empty segments (``//``,
a leading or trailing ``/``) or non-ASCII characters is refused outright, so a pattern such as
``app/*`` never matches ``app/../admin`` however a backend would resolve it.
"""

from __future__ import annotations

from secrets_adapter.policy.model import ACTIONS, Decision, Effect, Grant, Policy

__all__ = ["Authorizer", "canonical_problem", "evaluate", "evaluate_listing", "grants_for"]


def canonical_problem(name: str) -> str | None:
    """Why ``name`` is not canonical, or None if it is."""
    if not name.isascii():
        return "it has non-ASCII characters"
    if name.endswith("/"):
        return "it ends with '/'"
    for segment in name.split("/"):
        if segment == "":
            return "it has an empty path segment"
        if segment in (".", ".."):
            return f"it has a {segment!r} path segment"
    return None


def evaluate(policy: Policy, *, principal: str, action: str, secret: str) -> Decision:
    """May ``principal`` do ``action`` (one of ``ACTIONS``) to the secret named ``secret``?"""
    problem = canonical_problem(secret)
    if problem is not None:
        return Decision(allowed=False, reason=f"the name is not canonical: {problem}")
    allowing: str | None = None
    for statement in policy.statements:
        if not (
            statement.names_action(action)
            and statement.names_principal(principal)
            and statement.names_secret(secret)
        ):
            continue
        if statement.effect is Effect.DENY:
            return Decision(
                allowed=False,
                reason=f"statement {statement.label!r} denies it",
                statement=statement.label,
            )
        if allowing is None:
            allowing = statement.label
    if allowing is not None:
        return Decision(
            allowed=True, reason=f"statement {allowing!r} allows it", statement=allowing
        )
    return Decision(allowed=False, reason="no statement allows it")


def _covers_everything_under(pattern: str, prefix: str) -> bool:
    """Does ``pattern`` match every name that starts with ``prefix``?"""
    return pattern.endswith("*") and "*" not in pattern[:-1] and prefix.startswith(pattern[:-1])


def _may_match_under(pattern: str, prefix: str) -> bool:
    """Could ``pattern`` match some name that starts with ``prefix``?"""
    head = pattern.split("*", 1)[0]
    if "*" not in pattern:
        return pattern.startswith(prefix)
    return head.startswith(prefix) or prefix.startswith(head)


def evaluate_listing(policy: Policy, *, principal: str, prefix: str) -> Decision:
    """May ``principal`` list names under ``prefix`` at all?

    Like ``ListSecrets``, a listing is refused as a whole when no statement lets the principal
    ``list`` any name under the prefix, or a deny covers every name under it. An allowed listing
    is then filtered name by name with ``evaluate(..., action="list", ...)``.
    """
    problem = canonical_problem(prefix.rstrip("/")) if prefix.rstrip("/") else None
    if problem is not None:
        return Decision(allowed=False, reason=f"the prefix is not canonical: {problem}")
    allowing: str | None = None
    for statement in policy.statements:
        if not (statement.names_action("list") and statement.names_principal(principal)):
            continue
        if statement.effect is Effect.DENY:
            if any(_covers_everything_under(p, prefix) for p in statement.secrets):
                return Decision(
                    allowed=False,
                    reason=f"statement {statement.label!r} denies listing under {prefix!r}",
                    statement=statement.label,
                )
        elif allowing is None and any(_may_match_under(p, prefix) for p in statement.secrets):
            allowing = statement.label
    if allowing is not None:
        return Decision(
            allowed=True, reason=f"statement {allowing!r} allows listing", statement=allowing
        )
    return Decision(allowed=False, reason=f"no statement allows listing under {prefix!r}")


class Authorizer:
    """``evaluate`` for one principal, remembered: a policy is immutable, so its decisions are.

    The adapter asks on every access, cache hits included; a remembered decision is a dict
    lookup. Bounded: past ``max_entries`` names it starts over.
    """

    __slots__ = ("_decisions", "_max_entries", "_policy", "_principal")

    def __init__(self, policy: Policy, principal: str, *, max_entries: int = 4096) -> None:
        self._policy = policy
        self._principal = principal
        self._max_entries = max_entries
        self._decisions: dict[tuple[str, str], Decision] = {}

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def principal(self) -> str:
        return self._principal

    def decide(self, action: str, secret: str) -> Decision:
        key = (action, secret)
        decision = self._decisions.get(key)
        if decision is None:
            decision = evaluate(
                self._policy, principal=self._principal, action=action, secret=secret
            )
            if len(self._decisions) >= self._max_entries:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def decide_listing(self, prefix: str) -> Decision:
        """``evaluate_listing`` for this principal (a listing is rare: not remembered)."""
        return evaluate_listing(self._policy, principal=self._principal, prefix=prefix)


def grants_for(policy: Policy, principal: str) -> tuple[Grant, ...]:
    """Every statement that names ``principal``, with ``*`` actions expanded, in file order.

    ``policy aws`` / ``policy vault`` render these: allows as permissions, denies as explicit
    denies (IAM ``Deny``, Vault ``capabilities = ["deny"]``).
    """
    grants: list[Grant] = []
    for statement in policy.statements:
        if not statement.names_principal(principal):
            continue
        actions = ACTIONS if "*" in statement.actions else statement.actions
        grants.append(
            Grant(
                effect=statement.effect,
                actions=tuple(actions),
                secrets=statement.secrets,
                sid=statement.sid,
            )
        )
    return tuple(grants)
