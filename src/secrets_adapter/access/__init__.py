"""The one access pipeline every face uses (qualify → authorise → read → record → remember), and
what the faces share around it: batch reads, copy snapshots, value shapes, construction."""

from secrets_adapter.access.batch import BatchPlan, raise_first, settle, split
from secrets_adapter.access.configure import (
    apply_overrides,
    cache_overrides,
    face_settings,
    open_events,
    open_pipeline,
    open_policy,
)
from secrets_adapter.access.pipeline import AccessPipeline
from secrets_adapter.access.snapshot import SecretSnapshot, read_snapshot, write_snapshot
from secrets_adapter.access.values import ValueInput, secret_as_dict, secret_field, to_value

__all__ = [
    "AccessPipeline",
    "BatchPlan",
    "SecretSnapshot",
    "ValueInput",
    "apply_overrides",
    "cache_overrides",
    "face_settings",
    "open_events",
    "open_pipeline",
    "open_policy",
    "raise_first",
    "read_snapshot",
    "secret_as_dict",
    "secret_field",
    "settle",
    "split",
    "to_value",
    "write_snapshot",
]
