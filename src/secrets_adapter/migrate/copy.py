"""Copy secrets between stores, through both stores' access pipelines.

Each secret is one ``snapshot_secret`` on the source (the policy's ``read``, one
``GetSecretValue`` record) and one ``load_snapshot`` on the target (``write``, one
``PutSecretValue`` record): a copy is checked and audited like any other read and write, on each
side by that side's policy and log. Versions and stages are preserved when both stores keep them
(see ``access.snapshot``); a re-run writes nothing twice. One secret's failure — a denial
included — does not stop the others; the report names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import SecretsAdapterError

__all__ = ["CopyReport", "copy_secrets"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyReport:
    copied: tuple[str, ...] = ()
    """Secrets that needed at least one write (a version or a stage move)."""
    unchanged: tuple[str, ...] = ()
    writes: int = 0
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


def copy_secrets(
    source: SecretsAdapter,
    target: SecretsAdapter,
    *,
    names: Sequence[str] | None = None,
    prefix: str = "",
) -> CopyReport:
    """Copy ``names`` (default: every live secret under ``prefix`` the source may list) from
    ``source`` to ``target``, under the same full names."""
    copied: list[str] = []
    unchanged: list[str] = []
    failed: list[tuple[str, str]] = []
    writes = 0
    chosen = [source.qualify(name) for name in names] if names is not None else None
    for name in chosen if chosen is not None else source.list_secrets(prefix):
        try:
            written = target.load_snapshot(source.snapshot_secret(name), name=name)
        except SecretsAdapterError as exc:
            failed.append((name, f"{type(exc).__name__}: {exc.message}"))
            continue
        writes += written
        (copied if written else unchanged).append(name)
    return CopyReport(
        copied=tuple(copied),
        unchanged=tuple(unchanged),
        writes=writes,
        failed=tuple(failed),
    )
