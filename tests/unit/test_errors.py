"""The error tree: a reworded error keeps its type and every field but the message."""

from __future__ import annotations

from secrets_adapter.errors import PolicyDeniedError, RotationError, SecretNotFoundError


def test_reworded_keeps_the_type_and_the_fields() -> None:
    denied = PolicyDeniedError(
        "refused", secret_name="a", provider="memory", principal="api", action="read"
    )
    copy = denied.reworded("X=secret://a: refused")
    assert type(copy) is PolicyDeniedError
    assert copy.message == str(copy) == "X=secret://a: refused"
    assert copy.args == ("X=secret://a: refused",)
    assert (copy.secret_name, copy.provider, copy.principal, copy.action) == (
        "a",
        "memory",
        "api",
        "read",
    )
    assert denied.message == "refused"  # the original is untouched


def test_reworded_can_rename_the_secret_and_provider() -> None:
    failed = RotationError("boom", secret_name="a", step="test", version_id="v2")
    copy = failed.reworded("b: boom", secret_name="b", provider="env")
    assert (copy.secret_name, copy.provider) == ("b", "env")
    assert (copy.step, copy.version_id) == ("test", "v2")


def test_reworded_carries_no_cause_or_traceback() -> None:
    try:
        raise SecretNotFoundError("gone", secret_name="a") from KeyError("a")
    except SecretNotFoundError as exc:
        copy = exc.reworded("still gone")
    assert copy.__cause__ is None
    assert copy.__traceback__ is None
