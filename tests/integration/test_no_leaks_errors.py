"""The leak suite's error paths that are not one adapter operation: values refused on the way in,
the backends' codecs (AWS and Vault on their real servers), key sets, put_many, references,
export, exec, migrate and the .env parser.

Each runs through the same ``Hunter`` as tests/integration/test_no_leaks.py: the sentinel must be
in no exception's str/repr/chain and in no library frame's locals (``capture_locals=True``).
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from pathlib import Path

import pytest

from secrets_adapter import (
    ConfigurationError,
    MigrationError,
    SecretFormatError,
    SecretsAdapter,
    SecretsAdapterError,
    SecretValue,
    ValidationError,
)
from secrets_adapter.dotenv_file import parse_dotenv, read_dotenv_file
from secrets_adapter.localstore import init_store
from secrets_adapter.migrate.export import format_export
from secrets_adapter.providers.vault_codec import decode_value
from secrets_adapter.rotation.rotators.jwt import JwtKeySet
from tests.fixtures.aws import MotoServer
from tests.fixtures.vault import BaoServer, bao
from tests.integration.test_no_leaks import (  # noqa: F401 (fixtures)
    NOT_UTF8,
    OVERSIZE,
    Hunter,
    clean_environ,
    hunter,
    private_tmp,
)
from tests.sentinel import SENTINEL, SENTINEL_BYTES

LONE_SURROGATE = SENTINEL + "\udcff"


@pytest.fixture
def found(hunter: Hunter) -> Hunter:  # noqa: F811 (the suite's fixture, imported above)
    """The leak suite's hunter: it scans logs and files when the test ends."""
    return hunter


def test_values_refused_on_the_way_in(found: Hunter) -> None:
    found.fails(SecretFormatError, lambda: SecretValue(NOT_UTF8, binary=False))
    found.fails(SecretFormatError, lambda: SecretValue.from_stored(NOT_UTF8, binary=False))
    found.fails(SecretFormatError, lambda: SecretValue(LONE_SURROGATE))
    found.fails(ValidationError, lambda: SecretValue(OVERSIZE))
    found.fails(ValidationError, lambda: SecretValue(OVERSIZE.encode()))
    found.fails(ValidationError, lambda: SecretValue(OVERSIZE, binary=False))
    found.fails(TypeError, lambda: SecretValue([SENTINEL]))  # type: ignore[arg-type]
    binary = SecretValue(NOT_UTF8)
    found.fails(SecretFormatError, binary.reveal_text)
    found.fails(SecretFormatError, binary.json)
    found.fails(SecretFormatError, SecretValue("{" + SENTINEL).json)
    found.fails(SecretFormatError, SecretValue(SENTINEL).json)
    # a SecretValue whose __init__ fails is in its own frame's locals, half-built: its repr
    # must not raise (the formatter would crash), so formatting that frame is the check
    found.fails(ValidationError, lambda: SecretValue(b""))
    assert repr(SecretValue.__new__(SecretValue)) == "SecretValue('**********', unset)"


@pytest.fixture
def local_adapter(tmp_path: Path, found: Hunter) -> SecretsAdapter:
    store = tmp_path / "store"
    init_store(store)
    found.folders.append(store)
    return SecretsAdapter(backend="local", path=store, cache=False)


def _refused_writes(found: Hunter, adapter: SecretsAdapter) -> None:
    """What every backend's put refuses, each value holding the sentinel."""
    found.fails(SecretFormatError, lambda: adapter.put_secret("app/x", LONE_SURROGATE))
    found.fails(ValidationError, lambda: adapter.put_secret("app/x", OVERSIZE))
    found.fails(ValidationError, lambda: adapter.put_secret("app/x", OVERSIZE.encode()))
    found.fails(ValidationError, lambda: adapter.put_secret("app/x", {"password": OVERSIZE}))
    found.fails(
        SecretFormatError, lambda: adapter.put_secret("app/x", {"password": SENTINEL, "b": b"x"})
    )
    found.fails(SecretFormatError, lambda: adapter.put_secret("app/x", {"p": LONE_SURROGATE}))
    found.fails(ValidationError, lambda: adapter.put_secret("bad name!", SENTINEL))
    # shapes a reader refuses: a JSON array has no key, a key that is not there
    adapter.put_secret("app/list", f'["{SENTINEL}"]')
    found.fails(SecretFormatError, lambda: adapter.get_secret_value("app/list", "password"))
    adapter.put_secret("app/object", {"password": SENTINEL, "nested": {"k": SENTINEL}})
    found.fails(SecretFormatError, lambda: adapter.get_secret_value("app/object", "missing"))
    found.fails(SecretFormatError, lambda: adapter.get_secret_value("app/object", "nested.k"))
    adapter.put_secret("app/binary", NOT_UTF8)
    found.fails(SecretFormatError, lambda: adapter.get_secret_value("app/binary"))
    found.fails(SecretFormatError, adapter.get("app/binary").value.reveal_text)


def test_local_store_refuses_without_leaking(found: Hunter, local_adapter: SecretsAdapter) -> None:
    with local_adapter:
        _refused_writes(found, local_adapter)
        local_adapter.put_secret("app/token", SENTINEL)
        references = {"A": "secret://app/token", "B": "secret://app/object#missing"}
        found.fails(SecretFormatError, lambda: local_adapter.resolve_env(references))
        _put_many_refusals(found, local_adapter)


def test_env_backend_refuses_without_leaking(found: Hunter, tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"LIST='[\"{SENTINEL}\"]'\nBIG='{OVERSIZE}'\n", encoding="utf-8")
    found.allowed_files.add(env_file)
    with SecretsAdapter(backend="env", env_file=env_file) as adapter:
        found.fails(SecretFormatError, lambda: adapter.get_secret_value("list", "k"))
        found.fails(ValidationError, lambda: adapter.get("big"))
        found.fails(SecretFormatError, lambda: adapter.put_secret("list", LONE_SURROGATE))
        found.fails(ConfigurationError, lambda: adapter.put_secret("list", SENTINEL))


# --- the backends' codecs --------------------------------------------------------------------


def test_aws_codec_refuses_a_stored_value_without_leaking(
    found: Hunter, moto_server: MotoServer
) -> None:
    """A value another tool wrote, which the adapter cannot serve (over the size rule)."""
    moto_server.reset()
    client = moto_server.secretsmanager()
    logging.disable(logging.DEBUG)  # this raw client's requests are logged by botocore
    try:
        client.create_secret(Name="app/big", SecretString=OVERSIZE)
        client.create_secret(Name="app/array", SecretString=f'["{SENTINEL}"]')
    finally:
        logging.disable(logging.NOTSET)
    with SecretsAdapter(
        backend="aws", region=moto_server.region, endpoint_url=moto_server.endpoint_url, cache=False
    ) as adapter:
        found.fails(ValidationError, lambda: adapter.get("app/big"))
        found.fails(Exception, lambda: adapter.get_many(["app/big"]))
        found.fails(SecretFormatError, lambda: adapter.get_secret_value("app/array", "k"))
        _refused_writes(found, adapter)
        _put_many_refusals(found, adapter)


def test_vault_refuses_without_leaking(found: Hunter, openbao_server: BaoServer) -> None:
    """The real OpenBao: KV data another tool wrote that the codec refuses, and refused writes."""
    prefix = f"leaks/{uuid.uuid4().hex[:8]}"
    logging.disable(logging.DEBUG)  # the bao CLI is given the values on stdin; hvac logs nothing
    try:
        for name, data in (
            ("not-base64", {"value": SENTINEL, "encoding": "base64"}),
            ("encoding", {"value": "x", "encoding": SENTINEL}),
            ("oversize", {"value": OVERSIZE}),
        ):
            bao(openbao_server, "kv", "put", f"secret/{prefix}/{name}", "-", stdin=json.dumps(data))
    finally:
        logging.disable(logging.NOTSET)
    with SecretsAdapter(
        backend="vault", url=openbao_server.url, token=openbao_server.root_token, cache=False
    ) as adapter:
        found.fails(SecretFormatError, lambda: adapter.get(f"{prefix}/not-base64"))
        found.fails(SecretFormatError, lambda: adapter.get(f"{prefix}/encoding"))
        found.fails(ValidationError, lambda: adapter.get(f"{prefix}/oversize"))
        found.fails(Exception, lambda: adapter.get_many([f"{prefix}/oversize"]))
        _refused_writes(found, adapter)
        _put_many_refusals(found, adapter)


def _put_many_refusals(found: Hunter, adapter: SecretsAdapter) -> None:
    """put_many gives each name its own error: none of them holds a value in its frames."""
    provider = adapter._provider
    items = {"app/many-ok": SecretValue(SENTINEL), "bad name!": SecretValue(SENTINEL)}
    result = provider.put_many(items)  # type: ignore[attr-defined]
    found.check_exception(result["bad name!"])
    outcome = adapter.put_many({"app/many-ok": SENTINEL, "bad name!": SENTINEL}, errors="return")
    found.check_exception(outcome["bad name!"])  # type: ignore[arg-type]
    found.fails(ValidationError, lambda: adapter.put_many({"bad name!": SENTINEL}))


@pytest.mark.parametrize(
    "data",
    [
        {"value": SENTINEL, "encoding": "base64"},  # not base64
        {"value": "x", "encoding": SENTINEL},  # an encoding nobody knows
        {"value": OVERSIZE},
        {"value": LONE_SURROGATE},
        {"password": OVERSIZE},
        {"value": OVERSIZE, "encoding": "utf-8"},
    ],
    ids=["not-base64", "encoding", "oversize", "surrogate", "object-oversize", "text-oversize"],
)
def test_vault_codec_refuses_kv_data_without_leaking(found: Hunter, data: dict[str, str]) -> None:
    found.fails(SecretsAdapterError, lambda: decode_value(data, name="app/x"))


@pytest.mark.parametrize(
    "text",
    [
        f'{{"keys": [{{"kid": "a", "key": "{SENTINEL}"}}]}}',  # no alg, no created_at
        f'{{"keys": "{SENTINEL}"}}',
        f'{{"keys": [{{"kid": "a", "alg": "HS256", "key": "k", "created_at": "{SENTINEL}"}}]}}',
    ],
    ids=["no-alg", "not-a-list", "bad-date"],
)
def test_a_key_set_secret_that_does_not_parse(found: Hunter, text: str) -> None:
    found.fails(SecretFormatError, lambda: JwtKeySet.from_value(SecretValue(text)))
    found.fails(SecretFormatError, lambda: JwtKeySet().active)


# --- export, exec, .env ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_format", "key", "value"),
    [
        ("docker-env", "A", SENTINEL + "\nB=1"),
        ("shell", "A-B", SENTINEL),
        ("dotenv", "A", SENTINEL + " \n\\"),
        ("dotenv", "A", SENTINEL + "\x00"),
        ("json", "A", NOT_UTF8),
        ("k8s-secret", "A", SENTINEL),  # --name not a Kubernetes name
    ],
    ids=["docker-line-break", "shell-name", "dotenv-backslash", "nul", "binary", "k8s-name"],
)
def test_export_refuses_without_leaking(
    found: Hunter, output_format: str, key: str, value: str | bytes
) -> None:
    pairs = [(key, SecretValue(value))]
    found.fails(MigrationError, lambda: format_export(pairs, output_format, name="Not A Name"))


@pytest.mark.usefixtures("clean_environ")
def test_exec_errors_do_not_leak(
    found: Hunter,
    local_adapter: SecretsAdapter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with local_adapter:
        local_adapter.put_secret("api-token", SENTINEL)
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(tmp_path / "store"))
    for command, code in (
        (["no-such-command-anywhere"], 127),
        ([str(tmp_path)], 126),  # a folder: not executable
        ([sys.executable, "-c", "raise SystemExit(3)"], 3),
    ):
        result = found.invoke(["exec", "--", *command])
        found.check_cli(result)
        assert result.exit_code == code, (command, result.stderr)
    monkeypatch.setenv("FROM_REFERENCE", "secret://api-token")  # resolved before the read fails
    result = found.invoke(["exec", "--name", "missing", "--", sys.executable, "-c", "pass"])
    found.check_cli(result)
    assert result.exit_code == 1, result.stderr


@pytest.mark.parametrize(
    "content",
    [
        f"export {SENTINEL}\n",
        f"A={SENTINEL}\nB=x\n{SENTINEL} {SENTINEL} = '{SENTINEL}\n",
        f"A='{SENTINEL}\\\\'\n",  # ends in an escaped backslash
        f"A= #{SENTINEL}\n",
        f"A=${{{SENTINEL}}}\n",  # interpolate=None: refused
        "\ufeff" + f"A={SENTINEL}\n",
    ],
    ids=["export-word", "bad-line", "escaped-backslash", "comment", "reference", "bom"],
)
def test_dotenv_errors_do_not_leak(found: Hunter, tmp_path: Path, content: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(content, encoding="utf-8")
    found.allowed_files.add(env_file)
    found.fails(ConfigurationError, lambda: parse_dotenv(content, interpolate=None))
    found.fails(ConfigurationError, lambda: read_dotenv_file(env_file, interpolate=None))
    found.fails(ConfigurationError, lambda: parse_dotenv(SENTINEL_BYTES + b"\n\xff"))


@pytest.mark.usefixtures("clean_environ")
@pytest.mark.parametrize(
    ("content", "refused"),
    [
        (f"API_TOKEN='{OVERSIZE}'\n", 0),  # left in the file by plan/apply, not written
        (f"API_TOKEN='{SENTINEL}'\n{SENTINEL} '{SENTINEL}\n", 3),  # plan, apply, verify refuse
    ],
    ids=["oversize", "malformed"],
)
def test_migrate_errors_do_not_leak(
    found: Hunter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, refused: int
) -> None:
    store = tmp_path / "store"
    init_store(store)
    found.folders.append(store)
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(store))
    env_file = tmp_path / ".env"
    env_file.write_text(content, encoding="utf-8")
    found.allowed_files.add(env_file)
    for command in ("plan", "apply", "verify"):
        args = ["migrate", command, "--no-interpolate", "--prefix", "app", "--from", str(env_file)]
        found.check_cli(found.invoke(args))
    assert found.errors == refused
