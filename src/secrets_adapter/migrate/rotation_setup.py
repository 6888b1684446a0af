"""``migrate apply --configure-rotation``: give each migrated secret the rotator the plan proposed.

A secret that already has a rotator keeps it (someone chose it, perhaps with options and an
interval); a proposed rotator this version does not ship is reported, not configured. Nothing
is rotated here: ``rotate`` (or ``rotate --due`` once an interval is set) does that.
"""

from __future__ import annotations

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.migrate.plan import Action, MigrationPlan

__all__ = ["configure_rotations"]


def configure_rotations(adapter: SecretsAdapter, plan: MigrationPlan) -> dict[str, str]:
    """Configure the proposed rotators of ``plan``'s secrets; ``name → what was done``."""
    from secrets_adapter.rotation.rotators import ROTATOR_NAMES
    from secrets_adapter.rotation.schedule import TAG_ROTATOR

    outcome: dict[str, str] = {}
    for item in plan.items:
        if item.action is Action.BLOCKED:
            continue
        if item.rotator is None:
            outcome[item.name] = f"none ({item.rotator_reason})"
            continue
        existing = adapter.describe_secret(item.name).tags.get(TAG_ROTATOR)
        if existing:
            outcome[item.name] = f"kept {existing} (already configured)"
        elif item.rotator not in ROTATOR_NAMES:
            outcome[item.name] = f"proposed {item.rotator}, which this version does not ship"
        else:
            adapter.configure_rotation(item.name, rotator=item.rotator)
            outcome[item.name] = f"{item.rotator} ({item.rotator_reason})"
    return outcome
