"""Migration from .env to a store, verification, rollback, drift and copying between stores.

Planning is pure (``plan``, ``classify``, ``drift``); the modules that touch a store
(``apply``, ``rollback``, ``copy``) are thin and go through ``SecretsAdapter`` or the providers.
"""

from secrets_adapter.migrate.apply import (
    ApplyReport,
    VerifyReport,
    apply_plan,
    build_plan,
    read_current,
    read_fresh,
    verify_migration,
)
from secrets_adapter.migrate.classify import Classification, KeyClass, classify_key
from secrets_adapter.migrate.copy import CopyReport, copy_secrets
from secrets_adapter.migrate.drift import (
    DriftRow,
    DriftStatus,
    compute_drift,
    environment_values,
)
from secrets_adapter.migrate.fingerprint import Fingerprinter
from secrets_adapter.migrate.plan import (
    Action,
    DesiredSecret,
    MigrationPlan,
    MigrationRules,
    PlanItem,
    SkippedKey,
    desired_secrets,
    plan_migration,
)
from secrets_adapter.migrate.reference import python_dotenv_entries
from secrets_adapter.migrate.rollback import (
    format_rollback_file,
    rollback_entries,
    write_rollback_file,
)
from secrets_adapter.migrate.rotation_setup import configure_rotations

__all__ = [
    "Action",
    "ApplyReport",
    "Classification",
    "CopyReport",
    "DesiredSecret",
    "DriftRow",
    "DriftStatus",
    "Fingerprinter",
    "KeyClass",
    "MigrationPlan",
    "MigrationRules",
    "PlanItem",
    "SkippedKey",
    "VerifyReport",
    "apply_plan",
    "build_plan",
    "classify_key",
    "compute_drift",
    "environment_values",
    "configure_rotations",
    "copy_secrets",
    "desired_secrets",
    "format_rollback_file",
    "plan_migration",
    "python_dotenv_entries",
    "read_current",
    "read_fresh",
    "rollback_entries",
    "verify_migration",
    "write_rollback_file",
]
