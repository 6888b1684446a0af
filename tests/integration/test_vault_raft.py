"""Past one machine: a three-node OpenBao cluster on integrated (Raft) storage, on loopback.

The leader is stopped while a reader loops; reads keep succeeding because the provider fails
over between the configured addresses while the two survivors elect a new leader.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, bao_binary, free_port, wait_until_healthy

pytestmark = pytest.mark.slow

_CONFIG = """
storage "raft" {{
  path = "{data}"
  node_id = "{node_id}"
  performance_multiplier = 1
}}
listener "tcp" {{
  address = "127.0.0.1:{api_port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{api_port}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
"""


def _bao(url: str, *args: str, token: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_ADDR"] = url
    if token is not None:
        env["VAULT_TOKEN"] = token
    done = subprocess.run(
        [bao_binary(), *args], env=env, check=True, capture_output=True, timeout=60
    )
    return done.stdout.decode()


def _start_node(workdir: Path, node_id: str) -> BaoServer:
    api_port, cluster_port = free_port(), free_port()
    data = workdir / node_id / "data"
    data.mkdir(parents=True)
    config = workdir / node_id / "config.hcl"
    config.write_text(
        _CONFIG.format(data=data, node_id=node_id, api_port=api_port, cluster_port=cluster_port)
    )
    log = (workdir / node_id / "bao.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    process = subprocess.Popen(
        [bao_binary(), "server", f"-config={config}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir / node_id,
        env=env,
    )
    url = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/v1/sys/health", timeout=1)
            break
        except requests.RequestException:
            if process.poll() is not None:
                raise RuntimeError(f"{node_id} exited early") from None
            time.sleep(0.1)
    return BaoServer(url=url, root_token="", process=process, workdir=workdir / node_id)


def _leader(nodes: list[BaoServer]) -> BaoServer | None:
    for node in nodes:
        if node.process.poll() is not None:
            continue
        try:
            health = requests.get(f"{node.url}/v1/sys/health", timeout=1)
        except requests.RequestException:
            continue
        if health.status_code == 200:
            return node
    return None


def _wait_for_three_voters(url: str, token: str) -> None:
    """Autopilot promotes a joined node to voter once it is stable; quorum needs all three."""
    headers = {"X-Vault-Token": token}
    _bao(
        url,
        "operator",
        "raft",
        "autopilot",
        "set-config",
        "-server-stabilization-time=1s",
        token=token,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = requests.get(
            f"{url}/v1/sys/storage/raft/configuration", headers=headers, timeout=2
        )
        servers = response.json()["data"]["config"]["servers"]
        if len(servers) == 3 and all(server["voter"] for server in servers):
            return
        time.sleep(0.25)
    raise RuntimeError("the joined nodes never became voters")


@pytest.fixture
def raft_cluster(tmp_path: Path) -> Iterator[list[BaoServer]]:
    nodes: list[BaoServer] = []
    try:
        first = _start_node(tmp_path, "node1")
        nodes.append(first)
        init = json.loads(
            _bao(first.url, "operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json")
        )
        unseal_key, root_token = init["unseal_keys_b64"][0], init["root_token"]
        _bao(first.url, "operator", "unseal", unseal_key)
        wait_until_healthy(first.url, first.process)
        for node_id in ("node2", "node3"):
            node = _start_node(tmp_path, node_id)
            nodes.append(node)
            _bao(node.url, "operator", "raft", "join", first.url)
            _bao(node.url, "operator", "unseal", unseal_key)
            wait_until_healthy(node.url, node.process)
        for node in nodes:
            node.root_token = root_token
        _bao(first.url, "secrets", "enable", "-path=secret", "kv-v2", token=root_token)
        _wait_for_three_voters(first.url, root_token)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def test_reads_survive_stopping_the_leader(raft_cluster: list[BaoServer]) -> None:
    leader = _leader(raft_cluster)
    assert leader is not None
    others = [node for node in raft_cluster if node is not leader]
    settings = VaultSettings(
        url=leader.url,
        addresses=tuple(node.url for node in others),
        token=SecretValue(leader.root_token),
        timeout=20.0,
    )
    provider = VaultProvider.from_settings(settings)
    provider.put("shop/prod/db", SecretValue("postgres://db"))

    reads: list[float] = []
    failures: list[SecretsAdapterError] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                assert provider.get("shop/prod/db").value.reveal() == "postgres://db"
                reads.append(time.monotonic())
            except SecretsAdapterError as exc:
                failures.append(exc)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    while len(reads) < 5:
        time.sleep(0.05)
    killed_at = time.monotonic()
    leader.stop()
    deadline = killed_at + 40
    new_leader = None
    while time.monotonic() < deadline:
        new_leader = _leader(others)
        if new_leader is not None and sum(1 for t in reads if t > killed_at) >= 20:
            break
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    assert not failures, f"reads failed after the leader stopped: {failures[0].__cause__!r}"
    assert new_leader is not None
    assert sum(1 for t in reads if t > killed_at) >= 20
    assert provider.session.active_address != leader.url
