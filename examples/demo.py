"""The main job, end to end on the embedded store: no cloud, no credentials, re-runnable.

The Gaara Store's story with the commands a team would type:

1. ``secrets-adapter init``: an encrypted store (AES-256-GCM, key file 0600);
2. ``migrate plan / apply / verify`` from the store's ``.env`` (values shown only as fingerprints;
   the plan proposes each secret's rotator and ``apply --configure-rotation`` sets it; a second
   apply changes nothing; verify compares byte-exact);
3. the Gaara Store app starts on the store and a client registers, logs in and orders;
4. ``rotate`` every secret that can rotate here, with its rotator, while the client keeps working
   (its old token still verifies, its old order still decrypts): the JWT signing key and
   ENCRYPTION_KEY; a third-party key (Stripe) is refused with the manual procedure, which the
   demo then follows with ``put``; the AWS key pair needs IAM and DATABASE_URL is SQLite here;
5. ``rollback --to .env``: the app could run without the store again;
6. a summary — names, versions and counts, never a value.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shlex
import shutil
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import jwt
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "gaara_store"))

from gaara_store import create_app  # noqa: E402

from secrets_adapter import SecretsAdapter  # noqa: E402
from secrets_adapter.cli.main import main as cli  # noqa: E402
from secrets_adapter.dotenv_file import (  # noqa: E402
    entries_as_dict,
    read_dotenv_file,
    write_private_file,
)
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS  # noqa: E402

ENV_EXAMPLE = ROOT / "examples" / "gaara_store" / ".env.example"
WORK = Path(os.environ.get("SECRETS_ADAPTER_DEMO_DIR", ROOT / "demo-work")).resolve()
PREFIX = "gaara/prod"
USER = {"email": "amina@example.com", "password": "correct horse battery"}
GAARA_SECRETS = (
    "DATABASE_URL",
    "JWT_SECRET_KEY",
    "JWT_REFRESH_SECRET_KEY",
    "ENCRYPTION_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "SENDGRID_API_KEY",
    "STRIPE_API_KEY",
    "OAUTH_CLIENT_SECRET",
)


class DemoError(Exception):
    """A step did not do what the story says."""


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def run(*argv: str, expect: int = 0, stdin: str | None = None) -> None:
    """Run one ``secrets-adapter`` command in-process, echoing it like a shell would."""
    print(f"$ secrets-adapter {shlex.join(argv)}" + (" < new-key" if stdin else ""), flush=True)
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = cli(list(argv))
    finally:
        sys.stdin = saved
    sys.stdout.flush()
    sys.stderr.flush()
    if code != expect:
        raise DemoError(f"secrets-adapter {argv[0]} exited with {code}, not {expect}")


def prepare_env_file() -> Path:
    """The store's .env, with DATABASE_URL on a SQLite file so no database server is needed."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    lines = [
        f"DATABASE_URL=sqlite:///{WORK / 'gaara_store.db'}"
        if line.startswith("DATABASE_URL=")
        else line
        for line in text.splitlines()
    ]
    env_file = WORK / ".env"
    data = ("\n".join(lines) + "\n").encode("utf-8")
    write_private_file(env_file, data, overwrite=True)  # 0600 from the start, not chmod after
    return env_file


class Client:
    """A tiny HTTP client of the store's API (stdlib only)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())
        except HTTPError as error:
            raise DemoError(f"{method} {path} answered {error.code}") from None


@contextmanager
def serve(adapter: SecretsAdapter) -> Iterator[Client]:
    """The Gaara Store on 127.0.0.1, a free port, in a thread; stopped on exit."""
    server = make_server("127.0.0.1", 0, create_app(adapter), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Client(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def main() -> int:  # noqa: PLR0915 - one story, told in order
    started = time.perf_counter()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    store = WORK / ".secrets"
    os.environ.update(
        {
            "SECRETS_BACKEND": "local",
            "SECRETS_ADAPTER_PATH": str(store),
            "ENVIRONMENT": "development",
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log lines
    env_file = prepare_env_file()

    step("Create the encrypted store")
    run("init")

    step("Migrate the Gaara Store's .env into it")
    run("migrate", "plan", "--no-interpolate", "--from", str(env_file), "--prefix", PREFIX)
    run(
        "migrate",
        "apply",
        "--no-interpolate",
        "--configure-rotation",
        "--from",
        str(env_file),
        "--prefix",
        PREFIX,
    )
    run("migrate", "apply", "--no-interpolate", "--from", str(env_file), "--prefix", PREFIX)
    run("migrate", "verify", "--no-interpolate", "--from", str(env_file), "--prefix", PREFIX)

    step("Start the Gaara Store on the store; a client registers, logs in and orders")
    adapter = SecretsAdapter(
        backend="local", path=store, prefix=PREFIX, cache_ttl=timedelta(seconds=1)
    )
    with serve(adapter) as client:
        print(f"    app on {client.base}: {client.call('GET', '/health')['status']}")
        client.call("POST", "/auth/register", USER)
        tokens = client.call("POST", "/auth/login", USER)
        old_access, old_refresh = tokens["access_token"], tokens["refresh_token"]
        client.call("POST", "/orders", {"item": "sandals", "address": "12 Nile St"}, old_access)
        print("    logged in, placed 1 order")

        step("Rotate every secret that can rotate here, while the client keeps working")
        jwt_name, key_name = f"{PREFIX}/jwt-secret-key", f"{PREFIX}/encryption-key"
        run(
            "rotation",
            "configure",
            jwt_name,
            "--rotator",
            "jwt",
            "--grace",
            "30d",
            "--every",
            "30d",
        )
        run("rotate", jwt_name)
        refresh_name = f"{PREFIX}/jwt-refresh-secret-key"
        run("rotation", "configure", refresh_name, "--rotator", "jwt", "--grace", "30d")
        run("rotate", refresh_name)
        # keyring keeps every older key that may still protect data (order #1 stays readable)
        run("rotation", "configure", key_name, "--rotator", "keyring", "--every", "90d")
        run("rotate", key_name)
        stripe = f"{PREFIX}/stripe-api-key"
        run("rotate", stripe, expect=3)  # external, no hook: refused, with the manual procedure
        run("put", stripe, stdin="sk_test_demo_rotated_in_the_stripe_console\n")
        print("    Stripe key: refused by rotate, replaced by hand; the old one is 'previous'")
        print("    AWS key pair: aws-iam-access-key (needs IAM); DATABASE_URL: SQLite, no password")
        time.sleep(1.2)  # the app's cache TTL in this demo: it now sees the rotated values
        orders = client.call("GET", "/orders", token=old_access)["orders"]
        if [order["address"] for order in orders] != ["12 Nile St"]:
            raise DemoError("the order placed before the rotation did not decrypt")
        print("    old token still accepted; order placed before the rotation still decrypts")
        client.call("POST", "/auth/refresh", {"refresh_token": old_refresh})
        print("    the refresh token issued before the rotation still refreshes")
        new_access = client.call("POST", "/auth/login", USER)["access_token"]
        kids = [jwt.get_unverified_header(token)["kid"] for token in (old_access, new_access)]
        if kids[0] == kids[1]:
            raise DemoError("the new login was not signed with the rotated key")
        client.call("POST", "/orders", {"item": "scarf", "address": "7 Blue Nile Rd"}, new_access)
        count = len(client.call("GET", "/orders", token=new_access)["orders"])
        print(f"    new login signed with key {kids[1]} (was {kids[0]}); {count} orders readable")
    adapter.close()

    step("Roll back to a .env file (the design's rollback plan)")
    rollback = WORK / "rollback.env"
    run("rollback", "--no-interpolate", "--to", str(rollback), "--prefix", PREFIX)
    restored = entries_as_dict(read_dotenv_file(rollback))
    original = entries_as_dict(read_dotenv_file(env_file))
    rotated_keys = {"JWT_SECRET_KEY", "JWT_REFRESH_SECRET_KEY", "ENCRYPTION_KEY", "STRIPE_API_KEY"}
    unchanged = [key for key in GAARA_SECRETS if key not in rotated_keys]
    mismatched = [key for key in unchanged if restored.get(key) != original[key]]
    if mismatched or not rotated_keys <= set(restored):
        raise DemoError(f"rollback file differs for {mismatched}")
    mode = oct(rollback.stat().st_mode & 0o777)
    print(
        f"    {len(restored)} keys written ({mode}); {len(unchanged)} unchanged byte-exact, "
        f"{len(rotated_keys)} rotated"
    )

    step("Summary")
    check = SecretsAdapter(backend="local", path=store, prefix=PREFIX)
    for relative in GAARA_STORE_SECRETS:
        name = f"{PREFIX}/{relative}"
        metadata = check.describe_secret(name)
        versions = len(metadata.versions)
        rotator = metadata.tags.get("secrets-adapter:rotator") or "-"
        print(f"    {name:<36} {rotator:<19} {versions} version{'s' if versions > 1 else ''}")
    check.close()
    print(f"    store {store}; app served over HTTP; 4 rotations; rollback {rollback.name}")
    print(f"    done in {time.perf_counter() - started:.1f}s; no value was printed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DemoError as failure:
        print(f"demo failed: {failure}", file=sys.stderr)
        sys.exit(1)
