"""Clients that are not Python read through the agent: AWS's documented curl call, verbatim but
for the token file and the port, and a Node.js script using only Node's own http and fetch."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from tests.fixtures.agent import make_token_file, running_agent
from tests.sentinel import SENTINEL

pytestmark = pytest.mark.slow

# From the AWS Secrets Manager Agent README ("Step 3: Retrieve secrets", curl), unchanged except
# /var/run/awssmatoken → {token_file}, port 2773 → {port} (tests never use fixed ports) and
# <YOUR_SECRET_ID> → {secret_id}.
AWS_CURL_EXAMPLE = """curl -v -H \\
    "X-Aws-Parameters-Secrets-Token: $(</var/run/awssmatoken)" \\
    'http://localhost:2773/secretsmanager/get?secretId=<YOUR_SECRET_ID>'; \\
    echo
"""
AWS_CURL_REFRESH_EXAMPLE = """curl -v -H \\
"X-Aws-Parameters-Secrets-Token: $(</var/run/awssmatoken)" \\
'http://localhost:2773/secretsmanager/get?secretId=<YOUR_SECRET_ID>&refreshNow=true' \\
echo
"""

NODE_CLIENT = r"""
// Reads one secret twice: with node:http over a keep-alive agent, and with fetch.
const http = require('node:http');
const fs = require('node:fs');
const [port, tokenFile, secretId] = process.argv.slice(2);
const token = fs.readFileSync(tokenFile, 'utf8').trim();
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
const headers = { 'X-Aws-Parameters-Secrets-Token': token };

function viaHttp(path) {
  return new Promise((resolve, reject) => {
    http.get({ host: 'localhost', port, path, headers, agent: keepAlive }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

(async () => {
  const first = await viaHttp(`/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`);
  const second = await viaHttp(`/v1/${secretId}`);
  const res = await fetch(`http://localhost:${port}/v1/${secretId}`, { headers });
  const fetched = await res.json();
  const denied = await fetch(`http://localhost:${port}/v1/${secretId}`);
  const value = JSON.parse(JSON.parse(first.body).SecretString);
  process.stdout.write(JSON.stringify({
    statuses: [first.status, second.status, res.status, denied.status],
    password: value.password,
    sameVersion: JSON.parse(second.body).VersionId === fetched.VersionId,
  }));
  keepAlive.destroy();
})().catch((err) => { console.error(err.name); process.exit(1); });
"""


@pytest.fixture
def store(cli_store: Path) -> Iterator[Path]:
    with SecretsAdapter(backend="local", path=cli_store) as adapter:
        adapter.put_secret("gaara/prod/db", {"username": "gaara", "password": SENTINEL})
    yield cli_store


def _aws_example(example: str, *, token_file: Path, port: int, secret_id: str) -> str:
    command = example.replace("/var/run/awssmatoken", str(token_file))
    command = command.replace("localhost:2773", f"localhost:{port}")
    return command.replace("<YOUR_SECRET_ID>", secret_id)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_aws_documented_curl_call_works_unchanged(store: Path, tmp_path: Path) -> None:
    token_file, _ = make_token_file(tmp_path, "awssmatoken")
    with running_agent(tmp_path, token_file=token_file) as agent:
        command = _aws_example(
            AWS_CURL_EXAMPLE, token_file=token_file, port=agent.port, secret_id="gaara/prod/db"
        )
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert json.loads(document["SecretString"])["password"] == SENTINEL
        assert "< HTTP/1.1 200 OK" in result.stderr  # curl -v shows the exchange

        refresh = _aws_example(
            AWS_CURL_REFRESH_EXAMPLE,
            token_file=token_file,
            port=agent.port,
            secret_id="gaara/prod/db",
        )
        # The README's refresh example lacks the '; ' before echo, so curl also asks for a host
        # named "echo"; the first URL must still answer.
        result = subprocess.run(
            ["bash", "-c", refresh], capture_output=True, text=True, timeout=60, check=False
        )
        assert json.loads(result.stdout.splitlines()[0])["Name"] == "gaara/prod/db"
    assert SENTINEL not in agent.stderr()


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_script_reads_through_the_agent(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "client.js"
    script.write_text(NODE_CLIENT, encoding="utf-8")
    with running_agent(tmp_path) as agent:
        token_file = tmp_path / "token"
        result = subprocess.run(
            ["node", str(script), str(agent.port), str(token_file), "gaara/prod/db"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output == {"statuses": [200, 200, 200, 403], "password": SENTINEL, "sameVersion": True}
