"""Access policy: who may do what to which secret, evaluated in process and rendered for clouds.

``load_policy(path)`` reads the file, ``evaluate`` decides one request (pure), ``grants_for``
lists what a principal is allowed and denied, for ``policy aws`` / ``policy vault``.
"""

from secrets_adapter.policy.evaluate import (
    Authorizer,
    canonical_problem,
    evaluate,
    evaluate_listing,
    grants_for,
)
from secrets_adapter.policy.loader import load_policy, parse_policy
from secrets_adapter.policy.model import (
    ACTIONS,
    OPERATION_ACTIONS,
    Decision,
    Effect,
    Grant,
    Policy,
    Statement,
)

__all__ = [
    "ACTIONS",
    "OPERATION_ACTIONS",
    "Authorizer",
    "Decision",
    "Effect",
    "Grant",
    "Policy",
    "Statement",
    "canonical_problem",
    "evaluate",
    "evaluate_listing",
    "grants_for",
    "load_policy",
    "parse_policy",
]
