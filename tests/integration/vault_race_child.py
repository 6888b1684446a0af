"""A worker process for the Vault race tests: waits at a barrier, then does one operation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import ConflictError
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider


def _run(provider: VaultProvider, task: tuple[Any, ...]) -> str:
    kind, name = task[0], task[1]
    try:
        if kind == "lease":
            taken = provider.acquire_rotation_lease(name, owner=task[2], ttl=timedelta(minutes=5))
            return "won" if taken else "lost"
        if kind == "move-current":
            provider.move_stage(name, Stage.CURRENT, to_version=task[2], from_version=task[3])
            return "won"
        if kind == "move-pending":
            provider.move_stage(name, Stage.PENDING, to_version=task[2])
            return "done"
        if kind == "tag":
            provider.set_tags(name, {task[2]: task[3]})
            return "done"
    except ConflictError:
        return "lost"
    raise ValueError(f"unknown task {kind!r}")


def worker(url: str, token: str, root: str, barrier: Any, tasks: Any, results: Any) -> None:
    settings = VaultSettings(url=url, token=SecretValue(token), path_root=root, timeout=10.0)
    provider = VaultProvider.from_settings(settings)
    provider.list_names("warm-up/")  # connect before the first barrier
    while True:
        task = tasks.get()
        if task is None:
            return
        barrier.wait()
        results.put(_run(provider, task))
