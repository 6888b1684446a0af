"""The sentinel leak suite: every adapter operation and CLI command, on the local store, the env
provider and AWS (moto_server), success and error paths, with ``SENTINEL`` as the secret.

The sentinel must never show in CLI output (other than ``get``'s own stdout), in any exception's
str/repr, in its whole ``__cause__``/``__context__`` chain (suppressed or not, attributes
included) or formatted traceback, in the locals of any library frame of those tracebacks (as
Sentry or ``capture_locals=True`` print them), in any log record (DEBUG on, botocore included),
in any file of the store folder or of the temporary directory, or in the repr of anything an
operation returns."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from unittest import mock

import click
import pytest
from click.testing import CliRunner, Result

from secrets_adapter import (
    AsyncSecretsAdapter,
    ConfigurationError,
    ConflictError,
    IntegrityError,
    SecretFormatError,
    SecretsAdapter,
    SecretScheduledForDeletionError,
    SecretValue,
    ValidationError,
)
from secrets_adapter.cli.main import cli
from secrets_adapter.dotenv_file import parse_dotenv
from secrets_adapter.envelope.kms import KmsEnvelope
from secrets_adapter.envelope.local import LocalEnvelope
from secrets_adapter.localstore import DB_FILE, generate_master_key, init_store
from secrets_adapter.models import Stage
from secrets_adapter.providers.env import EnvProvider
from tests.fixtures.aws import MotoServer
from tests.sentinel import SENTINEL, SENTINEL_BYTES

T = TypeVar("T")

NOT_UTF8 = SENTINEL_BYTES + b"\xff\xfe"
OVERSIZE = SENTINEL * (65_536 // len(SENTINEL) + 1)
NOT_JSON = "{" + SENTINEL


# --- the hunter ------------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every cause and context, suppressed ones included."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend((item.__cause__, item.__context__))


def _encoded_forms() -> tuple[bytes, ...]:
    """The sentinel as it would show plain, JSON-escaped, in hex, or inside base64 at any of its 3
    alignments (the middle of each encoding depends on the sentinel's bytes alone)."""
    forms = [SENTINEL_BYTES, json.dumps(SENTINEL)[1:-1].encode(), SENTINEL_BYTES.hex().encode()]
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.append(encode(b"\0" * pad + SENTINEL_BYTES)[4:-4])
    return tuple(forms)


_FORMS = _encoded_forms()


_TESTS = Path(__file__).resolve().parents[1]


def _is_callers_frame(filename: str) -> bool:
    """A frame of this suite or of click's CliRunner: they hold the value the test passed in
    (the caller's own, which the library cannot clear); every other frame is scanned."""
    path = Path(filename).resolve()
    return path.is_relative_to(_TESTS) or path.parts[-2:] == ("click", "testing.py")


def _contains_sentinel(text: str | bytes) -> bool:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return any(form in data for form in _FORMS)


@dataclass
class Hunter:
    """Collects everything an operation produced and proves the sentinel is in none of it."""

    caplog: pytest.LogCaptureFixture
    folders: list[Path] = field(default_factory=list)
    allowed_files: set[Path] = field(default_factory=set)
    errors: int = 0

    def ok(self, operation: Callable[[], T]) -> T:
        """Run a succeeding operation; its result's repr must not hold the sentinel."""
        result = operation()
        self.check_repr(result)
        return result

    def check_repr(self, result: object) -> None:
        """Never called on what IS the value (get_secret's dict, get_secret_value's str)."""
        if isinstance(result, str | bytes):
            return  # names, ids, blobs: checked by the caller where it matters
        if isinstance(result, dict):
            for item in result.values():  # get_many's Secrets
                self.check_repr(item)
            return
        assert not _contains_sentinel(repr(result)), f"repr leaks: {type(result).__name__}"
        assert not _contains_sentinel(str(result)), f"str leaks: {type(result).__name__}"
        if isinstance(result, list | tuple):
            for item in result:
                self.check_repr(item)

    def fails(self, error: type[BaseException], operation: Callable[[], object]) -> BaseException:
        """Run an operation that must raise ``error``; nothing about the error may leak."""
        with pytest.raises(error) as caught:
            operation()
        self.check_exception(caught.value)
        self.errors += 1
        return caught.value

    def check_exception(self, exc: BaseException) -> None:
        for item in _chain(exc):
            where = f"{type(item).__name__} in the chain of {type(exc).__name__}"
            assert not _contains_sentinel(str(item)), f"str of {where}"
            assert not _contains_sentinel(repr(item)), f"repr of {where}"
            assert not _contains_sentinel(repr(item.args)), f"args of {where}"
            attributes = getattr(item, "__dict__", {})
            assert not _contains_sentinel(repr(attributes)), f"attributes of {where}"
            for name in ("object", "doc"):  # UnicodeError.object, JSONDecodeError.doc
                value = getattr(item, name, None)
                if isinstance(value, str | bytes):
                    assert not _contains_sentinel(value), f".{name} of {where}"
        formatted = "".join(traceback.format_exception(exc))
        assert not _contains_sentinel(formatted), f"traceback of {type(exc).__name__}"
        self.check_frames(exc)

    def check_frames(self, exc: BaseException) -> None:
        """Every frame's locals, as Sentry or ``capture_locals=True`` would print them, of the
        exception and of each exception of its chain (suppressed contexts too)."""
        for item in _chain(exc):
            report = traceback.TracebackException.from_exception(item, capture_locals=True)
            for frame in report.stack:
                if _is_callers_frame(frame.filename):
                    continue
                for name, shown in (frame.locals or {}).items():
                    assert not _contains_sentinel(shown), (
                        f"local {name!r} of {frame.name} ({Path(frame.filename).name}:"
                        f"{frame.lineno}) in the traceback of {type(item).__name__}"
                    )

    def check_cli(self, result: Result, *, value_on_stdout: bool = False) -> None:
        assert "Traceback" not in result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.check_exception(result.exception)
            raise AssertionError(f"the CLI raised {type(result.exception).__name__}")
        assert not _contains_sentinel(result.stderr_bytes), "stderr leaks"
        if not value_on_stdout:
            assert not _contains_sentinel(result.stdout_bytes), "stdout leaks"

    def invoke(self, args: Sequence[str], stdin: str | bytes | None = None) -> Result:
        """Run the CLI. Every ``ClickException`` it made (the one-line errors, each raised from
        the library's error) is checked like a raised error, its chain's frames included."""
        made: list[click.ClickException] = []
        original = click.ClickException.__init__

        def recording(error: click.ClickException, message: str) -> None:
            original(error, message)
            made.append(error)

        with mock.patch.object(click.ClickException, "__init__", recording):
            result = CliRunner().invoke(cli, list(args), input=stdin)
        for error in made:
            self.check_exception(error)
            self.errors += 1
        return result

    def check_logs_and_files(self) -> None:
        records = [*self.caplog.get_records("setup"), *self.caplog.get_records("call")]
        for record in records:
            text = record.getMessage()
            if record.exc_info:
                text += "".join(traceback.format_exception(*record.exc_info))
            assert not _contains_sentinel(text), f"log record of {record.name} leaks"
        for folder in self.folders:
            for path in folder.rglob("*"):
                if path.is_file() and path not in self.allowed_files:
                    assert not _contains_sentinel(path.read_bytes()), f"{path} holds the value"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of our own (Python's and SQLite's), scanned after each test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def hunter(caplog: pytest.LogCaptureFixture, private_tmp: Path) -> Iterator[Hunter]:
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "secrets_adapter"):
        caplog.set_level(logging.DEBUG, logger=name)
    found = Hunter(caplog=caplog, folders=[private_tmp])
    yield found
    found.check_logs_and_files()


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "SECRETS_BACKEND",
        "ENVIRONMENT",
        "SECRETS_MANAGER_PREFIX",
        "SECRETS_ADAPTER_PATH",
        "SECRETS_ADAPTER_MASTER_KEY",
        "SECRETS_ADAPTER_MASTER_KEY_FILE",
        "SECRETS_ADAPTER_PASSPHRASE",
        "SECRETS_ADAPTER_ENV_FILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(variable, raising=False)


# --- every adapter operation, whatever the backend --------------------------------------------


def _writable_adapter_operations(
    hunter: Hunter, adapter: SecretsAdapter, *, refuses_put_when_deleted: bool = True
) -> None:
    """Success and error paths shared by every writable backend."""
    first = hunter.ok(lambda: adapter.put_secret("app/token", SENTINEL))
    assert adapter.get_secret_value("app/token") == SENTINEL
    assert adapter.get_secret("app/token") == {"value": SENTINEL}
    hunter.ok(lambda: adapter.get("app/token"))
    hunter.ok(lambda: adapter.get("app/token", version=first.version_id))
    hunter.ok(lambda: adapter.get_many(["app/token"]))
    hunter.ok(lambda: adapter.put_secret("app/json", {"password": SENTINEL}))
    assert adapter.get_secret_value("app/json", "password") == SENTINEL
    hunter.ok(adapter.list_secrets)
    hunter.ok(lambda: adapter.describe_secret("app/token"))
    second = hunter.ok(
        lambda: adapter.put_secret("app/token", SENTINEL + "-2", expected_current=first.version_id)
    )
    hunter.ok(lambda: adapter.get("app/token", stage=Stage.PREVIOUS))
    if "secrets-adapter:rotator" not in adapter.describe_secret("app/token").tags:  # first pass
        hunter.fails(ConfigurationError, lambda: adapter.rotate_secret("app/token"))
    hunter.ok(lambda: adapter.configure_rotation("app/token", rotator="random"))
    hunter.ok(lambda: adapter.rotate_secret("app/token"))
    hunter.ok(lambda: adapter.put_secret("app/binary", SENTINEL_BYTES + b"\x00\xff"))
    assert adapter.get("app/binary").value.reveal() == SENTINEL_BYTES + b"\x00\xff"

    # bad name, oversize, non-UTF-8, malformed JSON with a key, missing key, CAS conflict
    hunter.fails(ValidationError, lambda: adapter.put_secret("bad name!", SENTINEL))
    hunter.fails(ValidationError, lambda: adapter.put_secret("app/big", OVERSIZE))
    hunter.fails(ValidationError, lambda: adapter.put_secret("app/empty", ""))
    hunter.fails(SecretFormatError, lambda: SecretValue(NOT_UTF8, binary=False))
    hunter.fails(SecretFormatError, lambda: adapter.get_secret_value("app/binary"))
    binary_value = adapter.get("app/binary").value
    hunter.fails(SecretFormatError, binary_value.json)
    hunter.ok(lambda: adapter.put_secret("app/not-json", NOT_JSON))
    hunter.fails(SecretFormatError, lambda: adapter.get_secret_value("app/not-json", "k"))
    hunter.fails(SecretFormatError, lambda: adapter.get_secret_value("app/json", "nope"))
    hunter.fails(SecretFormatError, lambda: adapter.get_secret_value("app/token", "k"))
    hunter.fails(
        ConflictError,
        lambda: adapter.put_secret("app/token", SENTINEL, expected_current=second.version_id),
    )
    # deleted, restored, force-deleted
    hunter.ok(lambda: adapter.delete_secret("app/token", recovery_window=timedelta(days=7)))
    hunter.fails(SecretScheduledForDeletionError, lambda: adapter.get("app/token"))
    if refuses_put_when_deleted:  # AWS does; moto_server accepts PutSecretValue (unlike AWS)
        hunter.fails(SecretScheduledForDeletionError, lambda: adapter.put_secret("app/token", "x"))
    hunter.ok(lambda: adapter.restore_secret("app/token"))
    hunter.ok(lambda: adapter.get("app/token"))
    hunter.ok(lambda: adapter.delete_secret("app/json", force=True))
    hunter.fails(Exception, lambda: adapter.get_many(["app/json", "app/token", "app/gone"]))


def test_local_adapter_operations(hunter: Hunter, tmp_path: Path) -> None:
    store = tmp_path / "store"
    init_store(store)
    hunter.folders.append(store)
    with SecretsAdapter(backend="local", path=store, cache=False) as adapter:
        hunter.check_repr(adapter)
        _writable_adapter_operations(hunter, adapter)
    audit = tmp_path / "audit"
    audit.mkdir()
    hunter.folders.append(audit)
    events: list[object] = []
    with SecretsAdapter(  # the cache's paths too, with listeners and an audit trail
        backend="local", path=store, listeners=[events.append], audit_log=audit / "audit.jsonl"
    ) as cached:
        _writable_adapter_operations(hunter, cached)
    assert events
    hunter.check_repr(events)
    assert (audit / "audit.jsonl").stat().st_size > 0


def test_local_store_integrity_errors(hunter: Hunter, tmp_path: Path) -> None:
    store = tmp_path / "store"
    init_store(store)
    hunter.folders.append(store)
    with SecretsAdapter(backend="local", path=store, cache=False) as adapter:
        adapter.put_secret("app/token", SENTINEL)
    # a wrong master key is refused before any value is read
    wrong = generate_master_key().encoded()
    hunter.fails(
        IntegrityError, lambda: SecretsAdapter(backend="local", path=store, master_key=wrong)
    )
    hunter.fails(
        ConfigurationError,
        lambda: SecretsAdapter(backend="local", path=store, master_key=SENTINEL),
    )
    hunter.fails(ConfigurationError, lambda: SecretsAdapter(backend="local", path=tmp_path / "no"))
    # the async face's constructor too: its frame held the master key it was given
    hunter.fails(
        IntegrityError, lambda: AsyncSecretsAdapter(backend="local", path=store, master_key=wrong)
    )
    hunter.fails(
        ConfigurationError,
        lambda: AsyncSecretsAdapter(backend="local", path=store, master_key=SENTINEL),
    )
    # a tampered ciphertext, then a ciphertext swapped into another row
    with sqlite3.connect(store / DB_FILE) as conn:
        conn.execute("UPDATE versions SET ciphertext = ciphertext || x'00'")
    with SecretsAdapter(backend="local", path=store, cache=False) as adapter:
        hunter.fails(IntegrityError, lambda: adapter.get("app/token"))
        hunter.fails(Exception, lambda: adapter.get_many(["app/token"]))


def test_env_adapter_operations(hunter: Hunter, tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"DATABASE_URL='{SENTINEL}'\nJSON_KEY='{NOT_JSON}'\n", encoding="utf-8")
    hunter.allowed_files.add(env_file)
    with SecretsAdapter(backend="env", env_file=env_file, prefix="gaara/prod") as adapter:
        hunter.check_repr(adapter)
        assert adapter.get_secret_value("database-url") == SENTINEL
        hunter.ok(lambda: adapter.get("database-url"))
        hunter.ok(lambda: adapter.get_many(["database-url"]))
        hunter.ok(adapter.list_secrets)
        hunter.fails(SecretFormatError, lambda: adapter.get_secret_value("json-key", "k"))
        hunter.fails(Exception, lambda: adapter.get("missing"))
        hunter.fails(ConfigurationError, lambda: adapter.put_secret("database-url", SENTINEL))
        hunter.fails(ConfigurationError, lambda: adapter.describe_secret("database-url"))
        hunter.fails(ConfigurationError, lambda: adapter.rotate_secret("database-url"))
        hunter.fails(ConfigurationError, lambda: adapter.delete_secret("database-url"))


@pytest.mark.parametrize(
    "content",
    [
        f"A='{SENTINEL}'\nA='{SENTINEL}'\n".encode(),  # duplicate key
        f"A='{SENTINEL}\n".encode(),  # unclosed quote
        f'A="{SENTINEL}\n'.encode(),
        f"A='{SENTINEL}' trailing {SENTINEL}\n".encode(),
        f"{SENTINEL}\n".encode(),  # not KEY=VALUE
        b"A='" + NOT_UTF8 + b"'\n",  # not UTF-8
        f"A=${{UNDEFINED}}{SENTINEL}\n".encode(),
    ],
    ids=["duplicate", "single", "double", "after-quote", "no-key", "not-utf8", "undefined"],
)
def test_malformed_env_files(hunter: Hunter, tmp_path: Path, content: bytes) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(content)
    hunter.allowed_files.add(env_file)
    provider = EnvProvider(env_file=env_file, include_environ=False, interpolate=True)
    hunter.fails(ConfigurationError, lambda: provider.get("a"))
    hunter.fails(ConfigurationError, lambda: parse_dotenv(content, interpolate=True))


def test_env_provider_rejects_a_bad_variable_value(hunter: Hunter) -> None:
    provider = EnvProvider(env_file=None, environ={"TOKEN": SENTINEL + "\udcff"})
    hunter.fails(SecretFormatError, lambda: provider.get("token"))


def test_local_envelope(hunter: Hunter) -> None:
    envelope = LocalEnvelope(generate_master_key().raw())
    blob = hunter.ok(lambda: envelope.encrypt(SENTINEL_BYTES, {"purpose": "test"}))
    assert not _contains_sentinel(blob)
    hunter.fails(IntegrityError, lambda: envelope.decrypt(blob, {"purpose": "other"}))
    hunter.fails(IntegrityError, lambda: envelope.decrypt(blob[:-1] + b"\x00", {"purpose": "test"}))
    hunter.fails(IntegrityError, lambda: envelope.decrypt(SENTINEL_BYTES, {"purpose": "test"}))


# --- AWS over moto_server ---------------------------------------------------------------------


@pytest.fixture
def aws_adapter(moto_server: MotoServer) -> Iterator[SecretsAdapter]:
    moto_server.reset()
    key = moto_server.kms().create_key(Description="leak suite")["KeyMetadata"]["Arn"]
    with SecretsAdapter(
        backend="aws",
        region=moto_server.region,
        endpoint_url=moto_server.endpoint_url,
        kms_key_id=key,
        cache=False,
    ) as adapter:
        yield adapter


def test_aws_adapter_operations(hunter: Hunter, aws_adapter: SecretsAdapter) -> None:
    hunter.check_repr(aws_adapter)
    hunter.check_repr(aws_adapter._provider)
    _writable_adapter_operations(hunter, aws_adapter, refuses_put_when_deleted=False)


def test_kms_envelope(hunter: Hunter, moto_server: MotoServer) -> None:
    moto_server.reset()
    key = moto_server.kms().create_key(Description="envelope")["KeyMetadata"]["Arn"]
    envelope = KmsEnvelope.from_settings(moto_server.settings(kms_key_id=key))
    try:
        blob = hunter.ok(lambda: envelope.encrypt(SENTINEL_BYTES, {"purpose": "test"}))
        assert not _contains_sentinel(blob)
        hunter.fails(IntegrityError, lambda: envelope.decrypt(blob, {"purpose": "other"}))
        tampered = blob[:-1] + bytes([blob[-1] ^ 1])
        hunter.fails(IntegrityError, lambda: envelope.decrypt(tampered, {"purpose": "test"}))
    finally:
        envelope.close()


# --- every CLI command -----------------------------------------------------------------------


def _cli(
    hunter: Hunter, *args: str, stdin: str | bytes | None = None, code: int = 0, value: bool = False
) -> Result:
    result = hunter.invoke(args, stdin)
    hunter.check_cli(result, value_on_stdout=value)
    assert result.exit_code == code, (args, result.exit_code, result.stderr)
    return result


def _cli_commands(hunter: Hunter, *, backend_args: tuple[str, ...] = ()) -> None:
    """The everyday commands, on whatever backend ``backend_args`` selects."""
    b = backend_args
    _cli(hunter, *b, "put", "app/token", stdin=SENTINEL + "\n")
    assert _cli(hunter, *b, "get", "app/token", value=True).stdout == SENTINEL + "\n"
    got = json.loads(_cli(hunter, *b, "get", "app/token", "--json", value=True).stdout)
    assert got["value"] == SENTINEL
    _cli(hunter, *b, "put", "app/json", stdin=json.dumps({"password": SENTINEL}))
    assert _cli(hunter, *b, "get", "app/json", "--key", "password", value=True).stdout.strip() == (
        SENTINEL
    )
    _cli(hunter, *b, "list")
    _cli(hunter, *b, "list", "--json")
    _cli(hunter, *b, "describe", "app/token")
    _cli(hunter, *b, "describe", "app/token", "--json")
    _cli(hunter, *b, "versions", "app/token", "--json")
    _cli(hunter, *b, "versions", "app/token")
    _cli(hunter, *b, "put", "app/rotated", stdin=SENTINEL)
    _cli(hunter, *b, "rotate", "app/rotated", code=3)  # no rotator configured: refused
    _cli(hunter, *b, "rotation", "configure", "app/rotated", "--rotator", "random")
    _cli(hunter, *b, "rotate", "app/rotated", "--json")
    _cli(hunter, *b, "get", "app/rotated", "--stage", "previous", value=True)
    # error paths: bad name, oversize, non-UTF-8, malformed JSON with --key, missing key,
    # deleted secret, binary with --json
    _cli(hunter, *b, "put", "bad name!", stdin=SENTINEL, code=2)
    _cli(hunter, *b, "put", "app/big", stdin=OVERSIZE, code=2)
    _cli(hunter, *b, "put", "app/bytes", stdin=NOT_UTF8, code=2)
    _cli(hunter, *b, "put", "app/empty", stdin="", code=2)
    _cli(hunter, *b, "put", "app/bytes", "--binary", stdin=NOT_UTF8)
    _cli(hunter, *b, "get", "app/bytes", "--json", code=1)
    _cli(hunter, *b, "get", "app/bytes", "--key", "k", code=1)
    _cli(hunter, *b, "put", "app/not-json", stdin=NOT_JSON)
    _cli(hunter, *b, "get", "app/not-json", "--key", "k", code=1)
    _cli(hunter, *b, "get", "app/json", "--key", "nope", code=1)
    _cli(hunter, *b, "delete", "app/token", "--recovery-days", "7")
    _cli(hunter, *b, "get", "app/token", code=1)
    _cli(hunter, *b, "restore", "app/token")
    _cli(hunter, *b, "delete", "app/json", "--force", "--yes")
    _cli(hunter, *b, "get", "app/json", code=1)


def test_cli_on_the_local_store(
    hunter: Hunter, tmp_path: Path, clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(store))
    hunter.folders.append(store)
    _cli(hunter, "init")
    _cli(hunter, "init", code=1)
    _cli_commands(hunter)
    new_key = tmp_path / "new.key"
    _cli(hunter, "rotate-master-key", "--generate-into", str(new_key))
    (store / "master.key").unlink()
    new_key.rename(store / "master.key")
    assert _cli(hunter, "get", "app/token", value=True).stdout == SENTINEL + "\n"
    # a wrong key, then a tampered ciphertext
    monkeypatch.setenv("SECRETS_ADAPTER_MASTER_KEY", generate_master_key().encoded())
    _cli(hunter, "get", "app/token", code=1)
    _cli(hunter, "rotate-master-key", "--generate-into", str(tmp_path / "other.key"), code=1)
    monkeypatch.setenv("SECRETS_ADAPTER_MASTER_KEY", SENTINEL)
    _cli(hunter, "get", "app/token", code=3)
    monkeypatch.delenv("SECRETS_ADAPTER_MASTER_KEY")
    with sqlite3.connect(store / DB_FILE) as conn:
        conn.execute("UPDATE versions SET ciphertext = ciphertext || x'00'")
    _cli(hunter, "get", "app/token", code=1)


def test_cli_with_the_sentinel_as_passphrase(
    hunter: Hunter, tmp_path: Path, clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "by-passphrase"
    hunter.folders.append(store)
    b = ("--path", str(store))
    _cli(hunter, *b, "init", "--passphrase", stdin="too short\n", code=2)
    _cli(hunter, *b, "init", "--passphrase", stdin=SENTINEL + "\n")
    monkeypatch.setenv("SECRETS_ADAPTER_PASSPHRASE", SENTINEL)
    _cli(hunter, *b, "put", "app/token", stdin="a value")
    _cli(hunter, *b, "get", "app/token", value=True)
    _cli(hunter, *b, "rotate-master-key", "--new-passphrase", stdin=SENTINEL[::-1] + "\n")
    _cli(hunter, *b, "get", "app/token", code=1)  # the old passphrase no longer opens it
    monkeypatch.setenv("SECRETS_ADAPTER_PASSPHRASE", SENTINEL[::-1])
    assert _cli(hunter, *b, "get", "app/token", value=True).stdout == "a value\n"


def test_cli_on_the_env_backend(hunter: Hunter, tmp_path: Path, clean_environ: None) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"API_TOKEN='{SENTINEL}'\nNOT_JSON='{NOT_JSON}'\n", encoding="utf-8")
    hunter.allowed_files.add(env_file)
    b = ("--backend", "env", "--env-file", str(env_file))
    assert _cli(hunter, *b, "get", "api-token", value=True).stdout == SENTINEL + "\n"
    _cli(hunter, *b, "get", "api-token", "--json", value=True)
    _cli(hunter, *b, "list", "--json")
    _cli(hunter, *b, "get", "not-json", "--key", "k", code=1)
    _cli(hunter, *b, "get", "missing", code=1)
    _cli(hunter, *b, "put", "api-token", stdin=SENTINEL, code=3)
    _cli(hunter, *b, "describe", "api-token", code=3)
    _cli(hunter, *b, "rotate", "api-token", code=3)
    env_file.write_text(f"API_TOKEN='{SENTINEL}'\nAPI_TOKEN='{SENTINEL}'\n", encoding="utf-8")
    _cli(hunter, *b, "get", "api-token", code=3)


def test_cli_on_aws(
    hunter: Hunter,
    moto_server: MotoServer,
    clean_environ: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_server.reset()
    monkeypatch.setenv("AWS_REGION", moto_server.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    _cli_commands(hunter, backend_args=("--backend", "aws"))


def test_cli_policy_commands(hunter: Hunter, tmp_path: Path) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    args = ("--region", "eu-west-1", "--account", "123456789012", "--kms-key-arn", key)
    _cli(hunter, "policy", "aws", "--prefix", "gaara/prod", *args)
    _cli(hunter, "policy", "aws", "--prefix", "gaara/prod", "--role", "admin", *args)
    broken = tmp_path / "policy.json"
    broken.write_text("{" + SENTINEL, encoding="utf-8")
    hunter.allowed_files.add(broken)
    _cli(hunter, "policy", "check", str(broken), code=2)
