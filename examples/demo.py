"""The main job, end to end on the embedded store: no cloud, no credentials, re-runnable.

1. create an encrypted store in demo-work/.secrets (key file 0600);
2. load the Gaara Store's nine secrets from examples/gaara_store/.env.example;
3. read them back through SecretsAdapter and compare byte-exact with the .env;
4. rotate one and show its versions; print a summary (names and versions, never values).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from secrets_adapter import SecretsAdapter, Stage
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from secrets_adapter.env_names import key_to_name
from secrets_adapter.localstore import init_store

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "examples" / "gaara_store" / ".env.example"
WORK = Path(os.environ.get("SECRETS_ADAPTER_DEMO_DIR", ROOT / "demo-work")).resolve()
PREFIX = "gaara/prod"
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


def step(text: str) -> None:
    print(f"\n==> {text}")


def main() -> int:
    started = time.perf_counter()
    shutil.rmtree(WORK, ignore_errors=True)
    store_path = WORK / ".secrets"

    step(f"Create an encrypted store in {store_path}")
    result = init_store(store_path)
    print(f"    database {result.database.name}, master key file {result.key_file}")

    step(f"Load the nine secrets from {ENV_FILE.relative_to(ROOT)}")
    dotenv = entries_as_dict(read_dotenv_file(ENV_FILE))
    adapter = SecretsAdapter(backend="local", path=store_path, prefix=PREFIX)
    names: dict[str, str] = {}
    for key in GAARA_SECRETS:
        name = key_to_name(key, PREFIX)
        if name is None:
            raise SystemExit(f"{key} has no secret name")
        names[key] = name
        info = adapter.put_secret(name, dotenv[key])
        print(f"    {key:<24} -> {name}  (version {info.version_id[:8]})")

    step("Read them back through SecretsAdapter (one batch call) and compare byte-exact")
    secrets = adapter.get_many(list(names.values()))
    mismatches = [key for key, name in names.items() if secrets[name].value.reveal() != dotenv[key]]
    print(f"    {len(secrets) - len(mismatches)}/{len(secrets)} identical to the .env")

    rotated = names["JWT_SECRET_KEY"]
    step(f"Rotate {rotated}")
    before = adapter.get(rotated)
    adapter.rotate_secret(rotated)
    after = adapter.get(rotated)
    previous = adapter.get(rotated, stage=Stage.PREVIOUS)
    if after.value == before.value or previous.value != before.value:
        raise SystemExit(f"rotation of {rotated} did not keep the old value as previous")
    for info in adapter.describe_secret(rotated).versions:
        stages = ",".join(sorted(s.value for s in info.stages)) or "-"
        print(f"    version {info.version_id[:8]}  {stages}")
    adapter.close()

    step("Summary")
    print(f"    store:     {store_path} (AES-256-GCM, one data key per version)")
    print(f"    secrets:   {len(names)} loaded, {len(names) - len(mismatches)} verified")
    print(f"    rotated:   {rotated} (old value kept as 'previous')")
    print(f"    time:      {time.perf_counter() - started:.2f}s")
    if mismatches:
        print(f"    MISMATCH:  {', '.join(mismatches)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
