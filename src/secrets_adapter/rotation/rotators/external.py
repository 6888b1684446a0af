"""The ``external`` rotator: credentials a third party issues (Stripe, SendGrid, OAuth clients).

A random string is never a valid Stripe key: only the issuer can make one. So either

- **a hook** (option ``hook``: the absolute path of an executable the operator supplies) does
  each step against the issuer, or
- **without a hook**, ``rotate`` refuses before anything is written and says what to do by hand:
  create the key in the provider's console and ``put`` it (the old value stays ``previous``
  until it is revoked there).

The hook protocol. The hook runs once per step, with no arguments (values never go on a command
line). Its environment is ours — less the store's own credentials (master key, passphrase,
Vault token) — plus ``SECRETS_ADAPTER_ROTATION_STEP`` (create, set, test,
finish), ``SECRETS_ADAPTER_SECRET_NAME`` and ``SECRETS_ADAPTER_ROTATION_TOKEN``; its stdin is
one JSON object::

    {"step": "create", "secret": NAME, "token": TOKEN, "options": {...},
     "current": "<value now served>",
     "pending": "<the new value>"       (set, test, finish),
     "previous": "<the value replaced>" (finish; null if none),
     "admin": "<value of option admin-secret>" (when configured)}

- *create* prints ``{"value": "<new credential>"}`` on stdout. ``token`` is the same on every
  retry of one rotation: pass it to the issuer as its idempotency key, so a retried create does
  not mint a second key.
- *set* applies the new value where the issuer needs it (often nothing); *test* proves it
  (e.g. one authenticated read at the issuer); both just exit 0.
- *finish* runs once the new value is current: revoke or expire ``previous`` at the issuer.

A non-zero exit, a timeout (option ``hook-timeout``, seconds, default 60) or bad output fails
the step: before *finish* ``current`` keeps serving and the next ``rotate`` resumes at that
step; a failed *finish* is retried by the next ``rotate`` (the new value already serves). The
hook's output is never shown (it may hold a value): errors give the step and exit code only.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secrets_adapter.errors import ConfigurationError, RotationError, SecretFormatError
from secrets_adapter.models import Secret, SecretValue
from secrets_adapter.rotation.rotator import RotationContext

__all__ = ["DEFAULT_HOOK_TIMEOUT_S", "ExternalRotator", "manual_rotation_hint"]

DEFAULT_HOOK_TIMEOUT_S = 60
MAX_HOOK_OUTPUT = 1 << 20
# The credentials that open the store itself: a hook has no business with them.
WITHHELD_VARIABLES = frozenset(
    {"SECRETS_ADAPTER_MASTER_KEY", "SECRETS_ADAPTER_PASSPHRASE", "VAULT_TOKEN"}
)


def manual_rotation_hint(name: str) -> str:
    """What to do by hand for a credential only its issuer can make."""
    return (
        f"Secret {name!r} is issued by a third party (rotator external) and has no hook, so it "
        "cannot be rotated automatically. Rotate it by hand: create a new key in the provider's "
        f"console, then 'secrets-adapter put {name}' with the new key on stdin; the old one stays "
        "'previous' until you revoke it in the console. Or give it a hook: 'secrets-adapter "
        f"rotation configure {name} --rotator external --hook /path/to/executable'."
    )


def _hook_path(name: str, options: Mapping[str, str]) -> Path:
    raw = options.get("hook", "")
    if not raw:
        raise ConfigurationError(manual_rotation_hint(name), secret_name=name)
    path = Path(raw)
    if not path.is_absolute() or not path.is_file() or not os.access(path, os.X_OK):
        raise ConfigurationError(
            f"The rotation hook of secret {name!r} ({raw}) is not an executable file given by "
            "its absolute path: fix it with 'secrets-adapter rotation configure "
            f"{name} --rotator external --hook /path/to/executable'.",
            secret_name=name,
        )
    return path


class ExternalRotator:
    """Runs the operator's hook for each step, or refuses with the manual procedure."""

    name = "external"

    def check(self, name: str, options: Mapping[str, str]) -> None:
        _hook_path(name, options)

    def create(self, context: RotationContext) -> SecretValue:
        output = self._run(context, "create", {})
        try:
            reply = json.loads(output)
        except (ValueError, UnicodeDecodeError):
            reply = None  # the parser's message would quote the output: raise outside
        value = reply.get("value") if isinstance(reply, dict) else None
        if not isinstance(value, str) or not value:
            raise SecretFormatError(
                f"The rotation hook of secret {context.name!r} printed no "
                '{"value": "<new credential>"} at step create.',
                secret_name=context.name,
            )
        return SecretValue(value)

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        self._run(context, "set", {"pending": pending.reveal_text()})

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        if pending == context.current.value:
            raise SecretFormatError(
                f"The hook of secret {context.name!r} returned the current value as the new "
                "one: the issuer made no new credential.",
                secret_name=context.name,
            )
        self._run(context, "test", {"pending": pending.reveal_text()})

    def finish(self, context: RotationContext, previous: Secret | None) -> None:
        retired = previous.value.reveal_text() if previous is not None else None
        payload = {"pending": context.current.value.reveal_text(), "previous": retired}
        self._run(context, "finish", payload)

    def _run(self, context: RotationContext, step: str, values: dict[str, Any]) -> bytes:
        hook = _hook_path(context.name, context.options)
        timeout = context.int_option("hook-timeout", DEFAULT_HOOK_TIMEOUT_S)
        payload: dict[str, Any] = {
            "step": step,
            "secret": context.name,
            "token": context.token,
            "options": dict(context.options),
            "current": context.current.value.reveal_text(),
            **values,
        }
        admin = context.options.get("admin-secret")
        if admin:
            payload["admin"] = context.read_secret(admin).reveal_text()
        env = {k: v for k, v in os.environ.items() if k not in WITHHELD_VARIABLES} | {
            "SECRETS_ADAPTER_ROTATION_STEP": step,
            "SECRETS_ADAPTER_SECRET_NAME": context.name,
            "SECRETS_ADAPTER_ROTATION_TOKEN": context.token,
        }
        problem = None
        try:
            done = subprocess.run(  # noqa: S603 - the operator's own hook, no shell, no values
                [str(hook)],
                input=json.dumps(payload).encode(),
                capture_output=True,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            problem = f"did not finish within {timeout} s"
        except OSError as exc:
            problem = f"could not be started ({type(exc).__name__})"
        else:
            if done.returncode != 0:
                problem = f"exited with code {done.returncode}"
            elif len(done.stdout) > MAX_HOOK_OUTPUT:
                problem = "printed more than 1 MiB"
        if problem is not None:
            raise RotationError(
                f"The rotation hook of secret {context.name!r} {problem} at step {step} (its "
                "output is not shown: it may hold a value; run the hook by hand to see it).",
                secret_name=context.name,
                step=step,
            )
        return done.stdout
