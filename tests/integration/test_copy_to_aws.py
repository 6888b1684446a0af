"""``secrets-adapter copy --from local --to aws`` against moto_server: every version keeps its id
and the current/previous/pending labels land on the same versions, across two real backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.aws import AwsSecretsManagerProvider
from tests.fixtures.aws import MotoServer
from tests.sentinel import SENTINEL

NAME = "gaara/prod/jwt-secret-key"


def _sa(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert SENTINEL not in result.output
    return result


@pytest.fixture
def environment(tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    moto_server.reset()
    for variable in ("SECRETS_BACKEND", "ENVIRONMENT", "SECRETS_MANAGER_PREFIX"):
        monkeypatch.delenv(variable, raising=False)
    store = tmp_path / "store"
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(store))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", moto_server.region)
    assert _sa("init").exit_code == 0
    return store


def test_copy_local_to_aws_keeps_versions_and_stages(
    environment: Path, moto_server: MotoServer
) -> None:
    for value in ("v1", "v2", SENTINEL):
        put = _sa("put", NAME, stdin=value)
        assert put.exit_code == 0, put.output
    source = json.loads(_sa("versions", NAME, "--json").stdout)
    assert len(source) == 3

    copy = _sa("copy", "--from", "local", "--to", "aws", "--json")
    assert copy.exit_code == 0, copy.output
    assert json.loads(copy.stdout)["copied"] == [NAME]

    target = AwsSecretsManagerProvider.from_settings(moto_server.settings())
    try:
        meta = target.describe(NAME)
        labels = {
            info.version_id: sorted(stage.value for stage in info.stages) for info in meta.versions
        }
        assert labels == {v["version"]: sorted(v["stages"]) for v in source}
        assert target.get(NAME).value == SecretValue(SENTINEL)
        previous = meta.version_for(Stage.PREVIOUS)
        assert previous is not None
        assert target.get(NAME, version=previous.version_id).value == SecretValue("v2")
        # the AWS side really carries AWS's own labels on those versions
        listed = moto_server.secretsmanager().list_secret_version_ids(SecretId=NAME)
        aws_labels = {
            v["VersionId"]: sorted(v.get("VersionStages", [])) for v in listed["Versions"]
        }
        current = meta.version_for(Stage.CURRENT)
        assert current is not None
        assert aws_labels[current.version_id] == ["AWSCURRENT"]
        assert aws_labels[previous.version_id] == ["AWSPREVIOUS"]
    finally:
        target.close()

    again = _sa("copy", "--from", "local", "--to", "aws", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["writes"] == 0
