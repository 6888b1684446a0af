"""The AWS Secrets Manager rotation Lambda, running this package's engine.

Deploy with ``secrets-adapter[aws]`` (plus ``[postgres]`` or ``[jwt]`` for those rotators) and set
the handler to ``secrets_adapter.rotation.lambda_handler.lambda_handler``. Secrets Manager calls
it four times per rotation with ``{"Step": "createSecret" | "setSecret" | "testSecret" |
"finishSecret", "SecretId": ..., "ClientRequestToken": ...}``; each call runs one engine step
with the same rotator the secret's tags choose for ``secrets-adapter rotate`` (a secret with none
configured is refused with ``ConfigurationError``: nothing is made up for it). Secrets Manager
itself keeps rotations of one secret from overlapping, so no lease is taken here. The function's
role needs, besides reading and writing the secret, ``secretsmanager:TagResource`` and
``UntagResource``: the engine records the step it reached in the secret's tags.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.config import load_settings
from secrets_adapter.errors import ConfigurationError, RotationError, ValidationError
from secrets_adapter.events import EventBus
from secrets_adapter.models import Stage
from secrets_adapter.providers.base import VersionedProvider
from secrets_adapter.providers.factory import build_provider
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotator import Rotator
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.state import RotationStep

__all__ = ["AWS_STEPS", "handle_rotation_event", "lambda_handler", "secret_name_from_id"]

_log = logging.getLogger(__name__)

AWS_STEPS: Mapping[str, RotationStep] = {
    "createSecret": RotationStep.CREATE,
    "setSecret": RotationStep.SET,
    "testSecret": RotationStep.TEST,
    "finishSecret": RotationStep.FINISH,
}


def secret_name_from_id(secret_id: str) -> str:
    """A secret's name from its id: ``arn:aws:secretsmanager:...:secret:NAME-AbCdEf`` → NAME."""
    if not secret_id.startswith("arn:"):
        return secret_id
    resource = secret_id.split(":", 6)[-1]
    name, dash, suffix = resource.rpartition("-")
    return name if dash and len(suffix) == 6 else resource


def _field(event: Mapping[str, Any], key: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"The rotation event has no {key!r}.")
    return value


def handle_rotation_event(
    event: Mapping[str, Any],
    provider: VersionedProvider,
    *,
    rotators: Mapping[str, Rotator] | None = None,
    events: EventBus | None = None,
    clock: WallClock = utcnow,
) -> None:
    """Run the step an AWS rotation event asks for (the testable core of ``lambda_handler``)."""
    step_name = _field(event, "Step")
    step = AWS_STEPS.get(step_name)
    if step is None:
        raise ValidationError(
            f"Unknown rotation step {step_name!r}; expected one of {', '.join(AWS_STEPS)}."
        )
    name = secret_name_from_id(_field(event, "SecretId"))
    token = _field(event, "ClientRequestToken")
    metadata = provider.describe(name)
    stages = next((v.stages for v in metadata.versions if v.named(token)), None)
    if stages is not None and Stage.CURRENT in stages:
        _log.info("rotation of %s: version %s is already current; nothing to do", name, token)
        return
    if step is not RotationStep.CREATE and (stages is None or Stage.PENDING not in stages):
        raise RotationError(
            f"Version {token!r} of secret {name!r} is not staged pending; step {step_name} "
            "cannot run.",
            secret_name=name,
            step=step.value,
            version_id=token,
        )
    engine = RotationEngine(
        provider,
        rotators if rotators is not None else builtin_rotators(),
        events=events,
        clock=clock,
    )
    engine.run_step(name, step, token)
    _log.info("rotation of %s: step %s done for version %s", name, step_name, token)


def lambda_handler(event: Mapping[str, Any], context: object) -> None:
    """The Lambda entry point: settings from the environment, the AWS backend by default."""
    environ = dict(os.environ)
    environ.setdefault("SECRETS_BACKEND", "aws")
    provider = build_provider(load_settings(environ))
    if not isinstance(provider, VersionedProvider):
        raise ConfigurationError(
            f"The {provider.kind} backend keeps no versions; rotation needs aws, local or vault."
        )
    try:
        handle_rotation_event(event, provider)
    finally:
        provider.close()
