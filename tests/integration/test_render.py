"""``secrets-adapter render``: real files from real stores, a watch that follows rotations, a
hook run without a shell, and a separate process that reads the file as it changes."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.templates import TemplateJob, TemplateRenderer
from tests.fixtures.vault import BaoServer
from tests.sentinel import SENTINEL

pytestmark = pytest.mark.slow

CONFIG_TEMPLATE = """\
# nginx include
proxy_set_header Authorization "Bearer {{ secret("api-token") }}";
# .pgpass
db.internal:5432:gaara:{{ secret("db", "username") }}:{{ secret("db", "password") | pgpass }}
# shell
export API_TOKEN={{ secret("api-token") | shell }}
{% set db = secret_json("db") -%}
{"user": {{ db.username | json }}, "password": {{ db.password | json }}}
"""


@pytest.fixture
def store(cli_store: Path) -> Iterator[Path]:
    with SecretsAdapter(backend="local", path=cli_store) as adapter:
        adapter.put_secret("gaara/prod/api-token", "tok-" + SENTINEL)
        adapter.put_secret("gaara/prod/db", {"username": "gaara", "password": "p:w\\d'" + SENTINEL})
    yield cli_store


def _render(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "--prefix", "gaara/prod", "render", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_render_writes_each_format_private_and_atomically(store: Path, tmp_path: Path) -> None:
    template = tmp_path / "config.tmpl"
    template.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    out = tmp_path / "rendered.conf"
    result = _render(str(template), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert SENTINEL not in result.stdout + result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text(encoding="utf-8").splitlines()
    password = "p:w\\d'" + SENTINEL
    assert lines[1] == f'proxy_set_header Authorization "Bearer tok-{SENTINEL}";'
    assert lines[3] == f"db.internal:5432:gaara:gaara:p\\:w\\\\d'{SENTINEL}"
    shell = subprocess.run(
        ["bash", "-c", lines[5] + '; printf %s "$API_TOKEN"'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.stdout == "tok-" + SENTINEL
    assert json.loads(lines[6]) == {"user": "gaara", "password": password}
    inode = out.stat().st_ino
    again = _render(str(template), "--out", str(out))
    assert again.returncode == 0
    assert "Unchanged" in again.stderr
    assert out.stat().st_ino == inode  # not rewritten: no spurious reload
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ('{{ secret("api-token") }} {{ undefined_name }}', "undefined_name"),
        ('{{ secret("api-token").__class__.__mro__ }}', "Template"),
        ("{{ cycler.__init__.__globals__ }}", "Template"),
        ('{{ secret("db", "missing") }}', "missing"),
        ('{% for x in secret("api-token") %}', "line 1"),
    ],
)
def test_template_errors_name_the_problem_never_the_value(
    store: Path, tmp_path: Path, source: str, says: str
) -> None:
    template = tmp_path / "bad.tmpl"
    template.write_text(source, encoding="utf-8")
    out = tmp_path / "out.conf"
    result = _render(str(template), "--out", str(out))
    assert result.returncode != 0
    assert says in result.stderr
    assert SENTINEL not in result.stdout + result.stderr
    assert not out.exists()


def test_a_symlink_at_the_output_is_replaced_not_written_through(
    store: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched", encoding="utf-8")
    out = tmp_path / "out.conf"
    out.symlink_to(victim)
    template = tmp_path / "t.tmpl"
    template.write_text('{{ secret("api-token") }}', encoding="utf-8")
    assert _render(str(template), "--out", str(out)).returncode == 0
    assert victim.read_text(encoding="utf-8") == "untouched"
    assert not out.is_symlink()
    assert out.read_text(encoding="utf-8") == "tok-" + SENTINEL


READER = """
import hashlib, pathlib, sys, time
path, wanted = pathlib.Path(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 30
seen = []
while time.monotonic() < deadline:
    try:
        text = path.read_text()
    except FileNotFoundError:
        text = ""
    if text and (not seen or seen[-1] != text):
        seen.append(text)
    if wanted in text:
        break
    time.sleep(0.05)
print(len(seen), wanted in seen[-1] if seen else False)
"""

HOOK = """
import json, pathlib, sys
log = pathlib.Path(sys.argv[1])
log.open("a").write(json.dumps(sys.argv[1:]) + "\\n")
"""


def test_watch_rerenders_after_a_rotation_seen_by_another_process(
    store: Path, tmp_path: Path
) -> None:
    template = tmp_path / "t.tmpl"
    template.write_text('token={{ secret("api-token") }}\n', encoding="utf-8")
    out = tmp_path / "token.env"
    hook, hook_log = tmp_path / "hook.py", tmp_path / "hook.log"
    hook.write_text(HOOK, encoding="utf-8")
    on_change = f"{sys.executable} {hook} {hook_log} reloaded"
    command = [sys.executable, "-m", "secrets_adapter", "--prefix", "gaara/prod", "render"]
    command += [str(template), "--out", str(out), "--watch", "--interval", "0.3"]
    command += ["--on-change", on_change]
    watcher = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.read_text(encoding="utf-8") == f"token=tok-{SENTINEL}\n"
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(out), "rotated-" + SENTINEL],
            stdout=subprocess.PIPE,
            text=True,
        )
        with SecretsAdapter(backend="local", path=store) as writer:  # another process writes
            writer.put_secret("gaara/prod/api-token", "rotated-" + SENTINEL)
        stdout, _ = reader.communicate(timeout=60)
        assert stdout.split() == ["2", "True"]  # the reader saw the old file, then the new one
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(hook_log.read_text().splitlines()) < 2:
            time.sleep(0.05)
        calls = [json.loads(line) for line in hook_log.read_text(encoding="utf-8").splitlines()]
        assert calls == [[str(hook_log), "reloaded"], [str(hook_log), "reloaded"]]
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    assert SENTINEL not in stderr


def test_a_rotation_through_the_same_adapter_rerenders_without_waiting(
    cli_store: Path, tmp_path: Path
) -> None:
    template = tmp_path / "t.tmpl"
    template.write_text('{{ secret("gaara/prod/signing-key") }}', encoding="utf-8")
    out = tmp_path / "key.pem"
    with SecretsAdapter(backend="local", path=cli_store) as adapter:
        adapter.put_secret("gaara/prod/signing-key", "v1-" + SENTINEL)
        adapter.configure_rotation("gaara/prod/signing-key", rotator="random")
        renderer = TemplateRenderer(
            adapter, [TemplateJob(template=template, output=out)], interval=3600
        )
        stop = threading.Event()
        runner = threading.Thread(target=renderer.run, args=(stop,))
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            first = out.read_text(encoding="utf-8")
            adapter.rotate_secret("gaara/prod/signing-key")  # the hour-long interval is not waited
            current = adapter.get_secret_value("gaara/prod/signing-key")
            deadline = time.monotonic() + 10
            while out.read_text(encoding="utf-8") == first and time.monotonic() < deadline:
                time.sleep(0.02)
            assert out.read_text(encoding="utf-8") == current != first
        finally:
            stop.set()
            renderer.wake()
            runner.join(timeout=10)


def test_render_from_openbao(openbao_server: BaoServer, tmp_path: Path) -> None:
    name = f"render-tests/{uuid.uuid4().hex[:10]}/db"
    with SecretsAdapter(
        backend="vault", url=openbao_server.url, token=openbao_server.root_token
    ) as adapter:
        adapter.put_secret(name, {"password": SENTINEL})
    template = tmp_path / "pgpass.tmpl"
    template.write_text(f'*:*:*:app:{{{{ secret("{name}", "password") | pgpass }}}}\n')
    out = tmp_path / ".pgpass"
    env = {
        **os.environ,
        "SECRETS_BACKEND": "vault",
        "VAULT_ADDR": openbao_server.url,
        "VAULT_TOKEN": openbao_server.root_token,
    }
    result = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "render", str(template), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == f"*:*:*:app:{SENTINEL}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
