"""The AWS provider against moto_server over HTTP: what the contract suite does not cover."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

from secrets_adapter.errors import (
    ConfigurationError,
    ConflictError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.aws import BATCH_LIMIT, AwsSecretsManagerProvider
from tests.fixtures.aws import MotoServer, free_port
from tests.sentinel import SENTINEL


@pytest.fixture
def provider(moto_server: MotoServer) -> Iterator[AwsSecretsManagerProvider]:
    moto_server.reset()
    built = AwsSecretsManagerProvider.from_settings(moto_server.settings())
    yield built
    built.close()


def _calls(provider: AwsSecretsManagerProvider, operation: str) -> list[dict[str, Any]]:
    """Records the parameters of every ``operation`` call the real client makes."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    provider.client.meta.events.register(
        f"provide-client-params.secrets-manager.{operation}", record
    )
    return seen


class _Body:
    """A response body botocore can read, for an answer the test makes up."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _made_up_response(
    request: AWSPreparedRequest, status: int, error: dict[str, str]
) -> AWSResponse:
    body = json.dumps({"__type": error["Code"], "message": error["Message"]}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse(request.url, status, cast(Any, headers), _Body(body))


def _target(request: AWSPreparedRequest) -> str:
    """The ``X-Amz-Target`` header (bytes on the wire): which API operation this request is."""
    raw: object = request.headers.get("X-Amz-Target", b"")
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _on_send(provider: AwsSecretsManagerProvider, handler: Callable[..., object]) -> None:
    """Run ``handler`` before each request is sent; a returned response replaces AWS's."""
    provider.client.meta.events.register("before-send.secrets-manager", cast(Any, handler))


# --- batch reads --------------------------------------------------------------------------------


def test_batch_of_more_than_20_with_one_missing(provider: AwsSecretsManagerProvider) -> None:
    names = [f"batch/s{index:02d}" for index in range(25)]
    for name in names:
        provider.put(name, SecretValue(f"value-{name}"))
    batches = _calls(provider, "BatchGetSecretValue")
    singles = _calls(provider, "GetSecretValue")
    result = provider.get_many([*names[:12], "batch/missing", *names[12:]])
    assert [len(call["SecretIdList"]) for call in batches] == [BATCH_LIMIT, 6]
    assert singles == []
    assert set(result) == {*names, "batch/missing"}
    for name in names:
        secret = result[name]
        assert isinstance(secret, Secret)
        assert secret.value.reveal() == f"value-{name}"
        assert Stage.CURRENT in secret.stages
    assert isinstance(result["batch/missing"], SecretNotFoundError)
    assert result["batch/missing"].secret_name == "batch/missing"


def test_batch_reports_scheduled_deletion_and_invalid_names_per_name(
    provider: AwsSecretsManagerProvider,
) -> None:
    provider.put("batch/live", SecretValue("live"))
    provider.put("batch/gone", SecretValue("gone"))
    provider.delete("batch/gone")
    result = provider.get_many(["batch/live", "batch/gone", "bad name"])
    assert isinstance(result["batch/live"], Secret)
    assert isinstance(result["batch/gone"], SecretScheduledForDeletionError)
    assert isinstance(result["bad name"], ValidationError)


def test_batch_falls_back_to_single_reads_when_iam_denies_it(
    provider: AwsSecretsManagerProvider,
) -> None:
    """A role granted only GetSecretValue (the generated least-privilege policy) still reads."""
    for index in range(3):
        provider.put(f"deny/s{index}", SecretValue(f"v{index}"))
    denied: list[str] = []

    def deny(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if _target(request) == "secretsmanager.BatchGetSecretValue":
            denied.append("batch")
            return _made_up_response(
                request, 400, {"Code": "AccessDeniedException", "Message": "not authorized"}
            )
        return None

    _on_send(provider, deny)
    singles = _calls(provider, "GetSecretValue")
    first = provider.get_many(["deny/s0", "deny/s1"])
    second = provider.get_many(["deny/s2"])
    assert denied == ["batch"]  # asked once, then remembered
    assert len(singles) == 3
    assert {
        name: s.value.reveal() for name, s in {**first, **second}.items() if isinstance(s, Secret)
    } == {
        "deny/s0": "v0",
        "deny/s1": "v1",
        "deny/s2": "v2",
    }


# --- writes: tokens, check-and-set, KMS ---------------------------------------------------------


def _lose_first_response(provider: AwsSecretsManagerProvider, operation: str) -> list[str]:
    """The first ``operation`` request reaches moto, but its answer is replaced by a 500, as if
    the connection dropped after AWS stored the write. botocore then retries by itself."""
    tokens: list[str] = []
    http = URLLib3Session()

    def lose(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if _target(request) != f"secretsmanager.{operation}":
            return None
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        tokens.append(json.loads(body)["ClientRequestToken"])
        if len(tokens) == 1:
            http.send(request).content  # noqa: B018  (the write happens; its answer is lost)
            return _made_up_response(
                request, 500, {"Code": "InternalServiceError", "Message": "lost"}
            )
        return None

    _on_send(provider, lose)
    return tokens


def test_retry_after_a_lost_answer_reuses_the_token(provider: AwsSecretsManagerProvider) -> None:
    first = provider.put("retry/existing", SecretValue("v1"))
    tokens = _lose_first_response(provider, "PutSecretValue")
    second = provider.put("retry/existing", SecretValue("v2"))
    assert len(tokens) == 2
    assert tokens[0] == tokens[1] == second.version_id
    meta = provider.describe("retry/existing")
    assert {v.version_id for v in meta.versions} == {first.version_id, second.version_id}
    assert provider.get("retry/existing").value.reveal() == "v2"


def test_create_retry_reuses_the_token(provider: AwsSecretsManagerProvider) -> None:
    tokens = _lose_first_response(provider, "CreateSecret")
    info = provider.put("retry/new", SecretValue("first"))
    assert tokens[0] == tokens[1] == info.version_id
    assert len(provider.describe("retry/new").versions) == 1


def test_put_that_loses_the_create_race_becomes_a_new_version(
    provider: AwsSecretsManagerProvider, moto_server: MotoServer
) -> None:
    other_writer = moto_server.secretsmanager()
    raced: list[str] = []

    def create_first(**_: Any) -> None:
        if not raced:  # another process creates the secret between our two calls
            raced.append(other_writer.create_secret(Name="race/new", SecretString="theirs")["ARN"])

    provider.client.meta.events.register("before-call.secrets-manager.CreateSecret", create_first)
    info = provider.put("race/new", SecretValue("mine"))
    assert raced
    assert provider.get("race/new").value.reveal() == "mine"
    assert provider.get("race/new").version_id == info.version_id
    assert len(provider.describe("race/new").versions) == 2


def test_put_version_rejects_short_tokens(provider: AwsSecretsManagerProvider) -> None:
    with pytest.raises(ValidationError, match="32-64 characters"):
        provider.put_version("tok/x", SecretValue("v"), token="short")


def test_put_version_conflict_names_no_value(provider: AwsSecretsManagerProvider) -> None:
    provider.put("tok/a", SecretValue("v1"))
    token = str(uuid.uuid4())
    provider.put_version("tok/a", SecretValue(SENTINEL), token=token)
    with pytest.raises(ConflictError) as info:
        provider.put_version("tok/a", SecretValue("other"), token=token)
    assert SENTINEL not in str(info.value)
    assert provider.get("tok/a", stage=Stage.PENDING).value.reveal() == SENTINEL


def test_put_version_on_a_new_secret_makes_it_current_and_pending(
    provider: AwsSecretsManagerProvider,
) -> None:
    token = str(uuid.uuid4())
    info = provider.put_version("tok/new", SecretValue("v"), token=token)
    assert info.stages == {Stage.CURRENT, Stage.PENDING}
    assert provider.get("tok/new", stage=Stage.PENDING).version_id == token


def test_put_version_without_stage_leaves_no_label(provider: AwsSecretsManagerProvider) -> None:
    current = provider.put("tok/nolabel", SecretValue("v1"))
    token = str(uuid.uuid4())
    info = provider.put_version("tok/nolabel", SecretValue("v2"), token=token, stage=None)
    assert info.version_id == token
    raw = provider.client.list_secret_version_ids(SecretId="tok/nolabel", IncludeDeprecated=True)
    labels = {v["VersionId"]: v.get("VersionStages", []) for v in raw["Versions"]}
    assert labels[token] == []
    assert labels[current.version_id] == ["AWSCURRENT"]


def test_stages_are_aws_labels(provider: AwsSecretsManagerProvider) -> None:
    old = provider.put("stages/x", SecretValue("old"))
    token = str(uuid.uuid4())
    provider.put_version("stages/x", SecretValue("new"), token=token)
    raw = provider.client.describe_secret(SecretId="stages/x")["VersionIdsToStages"]
    assert raw == {old.version_id: ["AWSCURRENT"], token: ["AWSPENDING"]}
    provider.move_stage("stages/x", Stage.CURRENT, to_version=token, from_version=old.version_id)
    raw = provider.client.describe_secret(SecretId="stages/x")["VersionIdsToStages"]
    assert sorted(raw[old.version_id]) == ["AWSPREVIOUS"]
    assert sorted(raw[token]) == ["AWSCURRENT", "AWSPENDING"]
    assert provider.get("stages/x", stage=Stage.PREVIOUS).value.reveal() == "old"


def test_check_and_set_leaves_no_private_label(provider: AwsSecretsManagerProvider) -> None:
    first = provider.put("cas/x", SecretValue("v1"))
    provider.put("cas/x", SecretValue("v2"), expected_current=first.version_id)
    with pytest.raises(ConflictError):
        provider.put("cas/x", SecretValue("v3"), expected_current=first.version_id)
    raw = provider.client.list_secret_version_ids(SecretId="cas/x", IncludeDeprecated=True)
    labels = [label for v in raw["Versions"] for label in v.get("VersionStages", [])]
    assert sorted(labels) == ["AWSCURRENT", "AWSPREVIOUS"]
    with pytest.raises(ConflictError):
        provider.put("cas/never", SecretValue("v"), expected_current=first.version_id)


def test_customer_kms_key_and_tags_on_create(moto_server: MotoServer) -> None:
    moto_server.reset()
    kms = moto_server.kms()
    key_arn = kms.create_key(Description="secrets-adapter test key")["KeyMetadata"]["Arn"]
    client = moto_server.secretsmanager()
    provider = AwsSecretsManagerProvider(
        client, kms_key_id=key_arn, create_tags={"managed-by": "secrets-adapter"}
    )
    provider.put("kms/db", SecretValue(b"\x00binary\xff"))
    raw = client.describe_secret(SecretId="kms/db")
    assert raw["KmsKeyId"] == key_arn
    assert provider.describe("kms/db").tags == {"managed-by": "secrets-adapter"}
    assert provider.get("kms/db").value.reveal() == b"\x00binary\xff"


def test_recovery_window_is_whole_days(provider: AwsSecretsManagerProvider) -> None:
    provider.put("del/x", SecretValue("v"))
    with pytest.raises(ValidationError, match="whole days"):
        provider.delete("del/x", recovery_window=timedelta(days=7, hours=1))
    provider.delete("del/x", recovery_window=timedelta(days=9))
    meta = provider.describe("del/x")
    assert meta.scheduled_for_deletion
    with pytest.raises(SecretScheduledForDeletionError):
        provider.move_stage("del/x", Stage.PENDING, to_version=None)


def test_configure_rotation_sends_lambda_and_schedule(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider
) -> None:
    moto_server.configure({"lambda": {"use_docker": False}})
    iam = moto_server.iam()
    role = iam.create_role(
        RoleName="rotator",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    function_arn = moto_server.lambda_().create_function(
        FunctionName="rotate-db",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )["FunctionArn"]
    provider.put("rot/db", SecretValue("v1"))
    provider.configure_rotation("rot/db", lambda_arn=function_arn, every=timedelta(days=30))
    raw = provider.client.describe_secret(SecretId="rot/db")
    assert raw["RotationLambdaARN"] == function_arn
    assert raw["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert raw["RotationEnabled"] is True
    with pytest.raises(ValidationError, match="exactly one"):
        provider.configure_rotation("rot/db", lambda_arn=function_arn)
    provider.cancel_rotation("rot/db")
    assert provider.client.describe_secret(SecretId="rot/db")["RotationEnabled"] is False


# --- failures: an unreachable or hung endpoint ------------------------------------------------


def test_closed_port_is_unavailable_quickly(moto_server: MotoServer) -> None:
    settings = moto_server.settings(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        connect_timeout=0.5,
        read_timeout=0.5,
        max_attempts=2,
    )
    provider = AwsSecretsManagerProvider.from_settings(settings)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError) as info:
        provider.get("down/x")
    assert time.monotonic() - started < 5
    assert info.value.secret_name == "down/x"
    provider.close()


def test_hung_endpoint_times_out_within_the_configured_bound(moto_server: MotoServer) -> None:
    """A server that accepts connections and never answers (like a SIGSTOPped process)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        port = hung.getsockname()[1]
        settings = moto_server.settings(
            endpoint_url=f"http://127.0.0.1:{port}",
            connect_timeout=0.5,
            read_timeout=0.5,
            max_attempts=2,
        )
        provider = AwsSecretsManagerProvider.from_settings(settings)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailableError, match="could not be reached"):
            provider.get("hung/x")
        elapsed = time.monotonic() - started
        provider.close()
    # two attempts of at most connect + read timeout, plus standard mode's jittered backoff (<2s)
    assert 1.0 <= elapsed < 2 * (0.5 + 0.5) + 2 + 1


def test_from_settings_without_region_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        AwsSecretsManagerProvider.from_settings(moto_server.settings(region=None))


# --- hygiene -------------------------------------------------------------------------------


def test_debug_logging_of_botocore_never_prints_values(
    provider: AwsSecretsManagerProvider,
) -> None:
    """Even an app that turns botocore to DEBUG (boto3.set_stream_logger) logs no bodies."""
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    botocore_logger = logging.getLogger("botocore")
    handler = Capture(level=logging.DEBUG)
    old_level = botocore_logger.level
    botocore_logger.addHandler(handler)
    botocore_logger.setLevel(logging.DEBUG)
    try:
        provider.put("log/x", SecretValue(SENTINEL))
        assert provider.get("log/x").value.reveal() == SENTINEL
        provider.get_many(["log/x"])
    finally:
        botocore_logger.removeHandler(handler)
        botocore_logger.setLevel(old_level)
    assert records, "botocore logged nothing at all: the capture is not working"
    assert not [line for line in records if SENTINEL in line]


def test_errors_chain_the_sdk_exception(provider: AwsSecretsManagerProvider) -> None:
    with pytest.raises(SecretNotFoundError) as info:
        provider.get("nope/x")
    assert isinstance(info.value.__cause__, ClientError)
    assert "nope/x" in str(info.value)


def test_generated_policy_arns_match_the_arns_secrets_manager_gives(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider
) -> None:
    """The ``-??????`` suffix and the prefix subtree match real secret ARNs and nothing else."""
    from secrets_adapter.policy.aws_iam import AwsScope, secret_resources
    from tests.unit.policy.test_aws_iam import iam_glob_matches

    arns = {}
    for name in ("app/prod/db", "app/prod/db-old", "app/prod/db2", "app/production/x"):
        provider.put(name, SecretValue("v"))
        arns[name] = provider.client.describe_secret(SecretId=name)["ARN"]
    account = arns["app/prod/db"].split(":")[4]
    key = f"arn:aws:kms:{moto_server.region}:{account}:key/0000-1111"
    named = AwsScope(
        region=moto_server.region, account=account, kms_key_arn=key, secrets=("app/prod/db",)
    )
    (pattern,) = secret_resources(named)
    assert [n for n, arn in arns.items() if iam_glob_matches(pattern, arn)] == ["app/prod/db"]
    subtree = AwsScope(
        region=moto_server.region, account=account, kms_key_arn=key, prefix="app/prod"
    )
    (pattern,) = secret_resources(subtree)
    matched = sorted(n for n, arn in arns.items() if iam_glob_matches(pattern, arn))
    assert matched == ["app/prod/db", "app/prod/db-old", "app/prod/db2"]
