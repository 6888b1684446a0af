"""The ``aws-iam-access-key`` rotator: an IAM user's access key pair, as one JSON secret.

``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` only work together, so they are one secret:
``{"access_key_id", "secret_access_key"}``, plus ``"user_name"`` when the key cannot look its
own user up (STS ``GetCallerIdentity``); other fields are kept. ``migrate`` groups the two
variables into it, and ``rollback``/``exec`` give both variables back.

- *create*: IAM ``CreateAccessKey`` for the user. IAM allows two keys per user: an inactive old
  key (the one the previous rotation deactivated) is deleted to make room; if the other key is
  active, the rotation refuses (nothing was created) and says which key to deactivate.
- *test*: STS ``GetCallerIdentity`` with the new key; its ARN must be the same user's. New IAM
  keys take a few seconds to work everywhere, so the test retries for ``test-seconds``.
- *finish*: once the new key is current, the old key is deactivated (``UpdateAccessKey``
  Inactive: still recoverable); the next rotation deletes it — once ``grace`` (e.g. ``7d``,
  default none) has passed since it was replaced, so it can be reactivated for that long; a
  rotation inside the grace refuses and says when it may run.

Options: ``act-as`` — whose credentials call IAM: ``self`` (default; the key being rotated,
which needs ``iam:CreateAccessKey``, ``ListAccessKeys``, ``UpdateAccessKey``, ``DeleteAccessKey``
on its own user), ``environment`` (this process's AWS credential chain: a role, a profile); or
``admin-secret`` (a secret of the same shape). ``region``, ``endpoint-url`` (IAM and STS; also
``AWS_ENDPOINT_URL``). boto3 (the ``aws`` extra) is imported only when a rotation runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    ProviderError,
    SecretFormatError,
)
from secrets_adapter.models import Secret, SecretValue
from secrets_adapter.rotation.rotator import RotationContext

__all__ = ["AccessKeyPair", "AwsAccessKeyRotator"]

DEFAULT_TEST_SECONDS = 30
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId"})
_DENIED |= {"SignatureDoesNotMatch", "UnrecognizedClientException"}
ClientFactory = Callable[..., Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessKeyPair:
    """The JSON secret of an IAM access key (``repr`` shows the id, never the secret key)."""

    access_key_id: str
    secret_access_key: SecretValue
    user_name: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_value(cls, value: SecretValue, *, name: str | None = None) -> AccessKeyPair:
        data = value.json() if value.reveal_text().lstrip()[:1] == "{" else None
        key_id = data.get("access_key_id") if isinstance(data, dict) else None
        secret = data.get("secret_access_key") if isinstance(data, dict) else None
        user = data.get("user_name") if isinstance(data, dict) else None
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            raise SecretFormatError(
                f"Secret {name!r} is not an AWS access key: it needs a JSON object "
                '{"access_key_id": ..., "secret_access_key": ...} (migrate --group AWS makes '
                "it from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
                secret_name=name,
            )
        known = {"access_key_id", "secret_access_key", "user_name"}
        assert isinstance(data, dict)  # noqa: S101 - checked above
        return cls(
            access_key_id=key_id,
            secret_access_key=SecretValue(secret),
            user_name=user if isinstance(user, str) and user else None,
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_value(self) -> SecretValue:
        data: dict[str, Any] = {
            **self.extra,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key.reveal_text(),
        }
        if self.user_name is not None:
            data["user_name"] = self.user_name
        return SecretValue(json.dumps(data, separators=(",", ":")))


def _boto3_client(service: str, **kwargs: Any) -> Any:
    try:
        import boto3
    except ImportError:
        raise ConfigurationError(
            "AWS access key rotation needs boto3: pip install 'secrets-adapter[aws]'."
        ) from None
    session: Any = boto3.session.Session()
    return session.client(service, **kwargs)


@contextmanager
def _aws_call(
    context: RotationContext, what: str, *, ignore: frozenset[str] = frozenset()
) -> Iterator[None]:
    """Translate boto errors: the AWS error code only (messages may quote key ids)."""
    from botocore.exceptions import BotoCoreError, ClientError

    code = None
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
    except BotoCoreError as exc:
        code = type(exc).__name__
    if code is not None and code not in ignore:
        raise (AccessDeniedError if code in _DENIED else ProviderError)(
            f"AWS refused to {what} for secret {context.name!r} ({code}).",
            secret_name=context.name,
            provider="aws",
        )


class AwsAccessKeyRotator:
    """Creates, tests and retires IAM access keys (see the module docstring)."""

    name = "aws-iam-access-key"

    def __init__(
        self,
        *,
        client_factory: ClientFactory = _boto3_client,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client_factory = client_factory
        self._sleep = sleep

    def create(self, context: RotationContext) -> SecretValue:
        current = AccessKeyPair.from_value(context.current.value, name=context.name)
        user = current.user_name or self._user_of(context, current)
        iam = self._client(context, "iam", self._acting(context, current))
        with _aws_call(context, "list the user's access keys"):
            keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        others = [key for key in keys if key["AccessKeyId"] != current.access_key_id]
        active = [key["AccessKeyId"] for key in others if key["Status"] == "Active"]
        if active and len(keys) >= 2:
            raise ConfigurationError(
                f"IAM user {user!r} of secret {context.name!r} already has two active access "
                f"keys ({current.access_key_id} in the secret, and {active[0]}); IAM allows "
                f"two. Deactivate {active[0]} if nothing uses it ('aws iam update-access-key "
                f"--user-name {user} --access-key-id {active[0]} --status Inactive'), then "
                "rotate again.",
                secret_name=context.name,
            )
        inactive = [key for key in others if key["Status"] != "Active"]
        if inactive:
            self._check_grace(context, user, inactive[0]["AccessKeyId"])
        for key in inactive:
            with _aws_call(context, "delete the inactive old access key"):
                iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        with _aws_call(context, "create an access key"):
            made = iam.create_access_key(UserName=user)["AccessKey"]
        new = replace(
            current,
            access_key_id=made["AccessKeyId"],
            secret_access_key=SecretValue(made["SecretAccessKey"]),
        )
        return new.to_value()

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """IAM serves the new key from its creation: nothing to apply."""

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        current = AccessKeyPair.from_value(context.current.value, name=context.name)
        new = AccessKeyPair.from_value(pending, name=context.name)
        if new.access_key_id == current.access_key_id:
            raise SecretFormatError(
                f"The pending access key of secret {context.name!r} is the current one.",
                secret_name=context.name,
            )
        expected = current.user_name or self._user_of(context, current)
        deadline = time.monotonic() + context.int_option("test-seconds", DEFAULT_TEST_SECONDS)
        while True:
            try:
                user = self._user_of(context, new)
                break
            except AccessDeniedError:
                if time.monotonic() >= deadline:  # a new key that never started working
                    raise
                self._sleep(2.0)
        if user != expected:
            raise ProviderError(
                f"The pending access key of secret {context.name!r} belongs to IAM user "
                f"{user!r}, not {expected!r}.",
                secret_name=context.name,
                provider="aws",
            )

    def finish(self, context: RotationContext, previous: Secret | None) -> None:
        if previous is None:
            return
        new = AccessKeyPair.from_value(context.current.value, name=context.name)
        old = AccessKeyPair.from_value(previous.value, name=context.name)
        if old.access_key_id == new.access_key_id:
            return
        user = new.user_name or self._user_of(context, new)
        iam = self._client(context, "iam", self._acting(context, new))
        gone = frozenset({"NoSuchEntity"})  # deleted by hand already: nothing left to retire
        with _aws_call(context, "deactivate the old access key", ignore=gone):
            iam.update_access_key(UserName=user, AccessKeyId=old.access_key_id, Status="Inactive")

    def _check_grace(self, context: RotationContext, user: str, key_id: str) -> None:
        """Refuse to delete the old key before its grace ends (counted from its replacement)."""
        grace_text = context.options.get("grace")
        replaced_at = context.current.created_at
        if not grace_text or replaced_at is None:
            return
        from secrets_adapter.rotation.schedule import format_interval, parse_interval

        grace = parse_interval(grace_text)
        if context.now - replaced_at < grace:
            ends = (replaced_at + grace).isoformat(timespec="seconds")
            raise ConfigurationError(
                f"The old access key {key_id} of IAM user {user!r} (secret {context.name!r}) is "
                f"inactive and in its grace of {format_interval(grace)} until {ends}: deleting "
                "it now would leave nothing to reactivate. Rotate after that, or delete the key "
                "by hand first if you are sure nothing needs it.",
                secret_name=context.name,
            )

    # --- AWS clients ---------------------------------------------------------------------------

    def _user_of(self, context: RotationContext, pair: AccessKeyPair) -> str:
        sts = self._client(context, "sts", pair)
        with _aws_call(context, "identify the access key (sts:GetCallerIdentity)"):
            arn = str(sts.get_caller_identity()["Arn"])
        kind, _, path = arn.partition(":")[2].rpartition(":")[2].partition("/")
        if kind != "user" or not path:
            raise ConfigurationError(
                f"The access key of secret {context.name!r} is not an IAM user's ({arn}): add "
                '"user_name" to the secret.',
                secret_name=context.name,
            )
        return path.rpartition("/")[2]

    def _acting(self, context: RotationContext, own: AccessKeyPair) -> AccessKeyPair | None:
        """The credentials that call IAM: an admin secret, this process's own (None), or ``own``."""
        admin = context.options.get("admin-secret")
        if admin:
            return AccessKeyPair.from_value(context.read_secret(admin), name=admin)
        mode = context.option("act-as", "self")
        if mode not in ("self", "environment"):
            raise ConfigurationError(
                f"Option act-as of secret {context.name!r} must be self or environment.",
                secret_name=context.name,
            )
        return own if mode == "self" else None

    def _client(self, context: RotationContext, service: str, pair: AccessKeyPair | None) -> Any:
        kwargs: dict[str, Any] = {"region_name": context.option("region", "us-east-1")}
        endpoint = context.options.get("endpoint-url")
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        if pair is not None:
            kwargs["aws_access_key_id"] = pair.access_key_id
            kwargs["aws_secret_access_key"] = pair.secret_access_key.reveal_text()
        return self._client_factory(service, **kwargs)
