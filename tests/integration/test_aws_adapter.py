"""``SecretsAdapter(backend="aws", ...)`` and ``from_env()`` with ``SECRETS_BACKEND=aws``, against
moto_server: names get the prefix, new secrets use the KMS key, reads and rotation work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.models import Stage
from secrets_adapter.providers.aws import AwsSecretsManagerProvider
from tests.fixtures.aws import MotoServer


@pytest.fixture
def key_arn(moto_server: MotoServer) -> Iterator[str]:
    moto_server.reset()
    yield moto_server.kms().create_key(Description="app key")["KeyMetadata"]["Arn"]


def test_adapter_with_explicit_aws_arguments(moto_server: MotoServer, key_arn: str) -> None:
    with SecretsAdapter(
        backend="aws",
        region=moto_server.region,
        endpoint_url=moto_server.endpoint_url,
        prefix="gaara/prod",
        kms_key_id=key_arn,
    ) as adapter:
        assert isinstance(adapter._provider, AwsSecretsManagerProvider)
        assert adapter.backend == "aws"
        adapter.put_secret("database-url", {"host": "db.internal", "port": 5432})
        raw = moto_server.secretsmanager().describe_secret(SecretId="gaara/prod/database-url")
        assert raw["KmsKeyId"] == key_arn
        assert adapter.get_secret_value("database-url", "host") == "db.internal"
        assert adapter.get_secret("database-url") == {"host": "db.internal", "port": 5432}
        assert adapter.list_secrets() == ["gaara/prod/database-url"]
        first = adapter.put_secret("api-token", "initial-token-value")
        adapter.configure_rotation("api-token", rotator="random")  # rotation is opt-in
        rotated = adapter.rotate_secret("api-token")
        assert rotated.version_id != first.version_id
        meta = adapter.describe_secret("api-token")
        assert meta.current_version == rotated.version_id
        previous = meta.version_for(Stage.PREVIOUS)
        assert previous is not None
        assert previous.version_id == first.version_id
        assert adapter.get_secret_value("api-token") != "initial-token-value"


def test_from_env_with_secrets_backend_aws(moto_server: MotoServer, key_arn: str) -> None:
    environ = {
        "ENVIRONMENT": "production",
        "SECRETS_BACKEND": "aws",
        "AWS_REGION": moto_server.region,
        "AWS_ENDPOINT_URL": moto_server.endpoint_url,
        "SECRETS_MANAGER_PREFIX": "gaara/prod",
        "SECRETS_ADAPTER_KMS_KEY_ID": key_arn,
    }
    moto_server.secretsmanager().create_secret(Name="gaara/prod/jwt-secret", SecretString="s3")
    with SecretsAdapter.from_env(environ) as adapter:
        assert adapter.settings.aws.region == moto_server.region
        assert adapter.settings.aws.kms_key_id == key_arn
        assert adapter.get_secret_value("jwt-secret") == "s3"
        assert adapter.get_many(["jwt-secret"])["jwt-secret"].value.reveal() == "s3"
        with pytest.raises(SecretNotFoundError):
            adapter.get("missing")
