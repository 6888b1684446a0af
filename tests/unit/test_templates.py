"""Templates without a CLI: what a rendering records, how files are replaced, how a watch
behaves when the backend is away."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from secrets_adapter import ProviderUnavailableError, SecretsAdapter
from secrets_adapter.models import Secret, SecretMetadata, SecretValue, Stage
from secrets_adapter.templates import (
    TemplateJob,
    TemplateRenderer,
    pgpass_field,
    render_template,
    write_atomically,
)
from secrets_adapter.testing import InMemoryProvider


class _Outage(InMemoryProvider):
    """An in-memory store that can be made unreachable."""

    down = False

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        if self.down:
            raise ProviderUnavailableError("connection refused", secret_name=name)
        return super().get(name, version=version, stage=stage)

    def describe(self, name: str) -> SecretMetadata:
        if self.down:
            raise ProviderUnavailableError("connection refused", secret_name=name)
        return super().describe(name)


def test_rendering_records_the_versions_it_used() -> None:
    provider = InMemoryProvider({"app/a": "x", "app/b": '{"k": "v"}'})
    adapter = SecretsAdapter(provider=provider, prefix="app")
    rendering = render_template(adapter, '{{ secret("a") }}-{{ secret("b", "k") }}')
    assert rendering.text == "x-v"
    assert set(rendering.versions) == {"app/a", "app/b"}
    assert rendering.versions["app/a"] == adapter.get("a").version_id
    assert "x-v" not in repr(rendering)


def test_pgpass_escapes_backslash_then_colon() -> None:
    assert pgpass_field("a:b\\c") == "a\\:b\\\\c"


def test_write_atomically_replaces_only_on_change_and_fixes_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "out"
    assert write_atomically(path, "one") is True
    assert write_atomically(path, "one") is False
    path.chmod(0o644)
    assert write_atomically(path, "one") is True  # same text, wrong mode: rewritten 0600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_backend_outage_keeps_the_last_good_file_and_retries(tmp_path: Path) -> None:
    provider = _Outage({"app/token": "v1"})
    adapter = SecretsAdapter(provider=provider, cache=False)
    template = tmp_path / "t.tmpl"
    template.write_text('{{ secret("app/token") }}', encoding="utf-8")
    out = tmp_path / "out"
    renderer = TemplateRenderer(adapter, [TemplateJob(template=template, output=out)])
    assert renderer.render_all() == [out]
    provider.put("app/token", SecretValue("v2"))
    provider.down = True
    assert renderer.refresh() == []  # nothing could be checked: the file stays
    assert out.read_text(encoding="utf-8") == "v1"
    provider.down = False
    assert renderer.refresh() == [out]
    assert out.read_text(encoding="utf-8") == "v2"


def test_a_missing_template_name_is_an_error_before_writing(tmp_path: Path) -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider({"app/a": "x"}))
    with pytest.raises(ValueError, match="typo"):
        render_template(adapter, "{{ typo }}")
