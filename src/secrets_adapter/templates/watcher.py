"""Keeping rendered files current: re-render when a secret they use changes, then run a hook.

What Vault Agent's templates do, on every backend. A change is noticed two ways (see
``secrets_adapter.watch``): at once for a write or rotation through this process's adapter, and
at the next version check (every ``interval``) for a change made anywhere else. The hook
(``on_change``) is an argv list run without a shell after a file's content changed; values are
never on its command line (it reads the file).
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import ProviderUnavailableError, SecretsAdapterError
from secrets_adapter.events import Event
from secrets_adapter.templates.engine import render_template
from secrets_adapter.templates.output import write_atomically
from secrets_adapter.watch import VersionWatch, written_secret

__all__ = ["TemplateJob", "TemplateRenderer"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateJob:
    """One template, the file it renders to, and the command to run when that file changes."""

    template: Path
    output: Path
    on_change: tuple[str, ...] = ()


class TemplateRenderer:
    """Renders ``jobs`` through ``adapter`` and, with ``run``, keeps them current."""

    def __init__(
        self,
        adapter: SecretsAdapter,
        jobs: Sequence[TemplateJob],
        *,
        interval: float = 10.0,
        command_timeout: float = 60.0,
    ) -> None:
        self._adapter = adapter
        self._jobs = list(jobs)
        self._interval = interval
        self._command_timeout = command_timeout
        self._watch = VersionWatch(adapter)
        self._uses: dict[Path, set[str]] = {}
        self._wake = threading.Event()
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def render(self, job: TemplateJob) -> bool:
        """Render ``job`` now; write and run its hook if the content changed. True if changed."""
        source = job.template.read_text(encoding="utf-8")
        rendering = render_template(self._adapter, source, name=str(job.template))
        self._uses[job.output] = set(rendering.versions)
        for name, version_id in rendering.versions.items():
            self._watch.note(name, version_id)
        changed = write_atomically(job.output, rendering.text)
        if changed:
            _log.info("rendered %s", job.output)
            if job.on_change:
                self._run_hook(job)
        return changed

    def render_all(self) -> list[Path]:
        """Render every job; the outputs whose content changed."""
        return [job.output for job in self._jobs if self.render(job)]

    def refresh(self) -> list[Path]:
        """Re-render the jobs that use a secret changed since the last check."""
        with self._lock:
            moved = set(self._written)
            self._written.clear()
        moved.update(self._watch.changed())
        for name in moved:
            self._adapter.invalidate(name)
            self._watch.forget(name)
        stale = [job for job in self._jobs if self._uses.get(job.output, set()) & moved]
        changed: list[Path] = []
        for job in stale:
            try:
                if self.render(job):
                    changed.append(job.output)
            except ProviderUnavailableError as exc:  # keep the last good file; try next time
                _log.warning("re-render of %s postponed: %s", job.output, type(exc).__name__)
                with self._lock:  # retried at the next check
                    self._written.update(self._uses.get(job.output, set()) & moved)
        return changed

    def run(self, stop: threading.Event) -> None:
        """Render everything, then keep the files current until ``stop`` is set."""
        self.render_all()
        self._adapter.events.subscribe(self._on_event)
        try:
            while not stop.is_set():
                self._wake.wait(self._interval)
                self._wake.clear()
                if stop.is_set():
                    break
                try:
                    self.refresh()
                except SecretsAdapterError as exc:  # say so, keep the last good file
                    _log.warning("re-render failed: %s", exc.message)
        finally:
            self._adapter.events.unsubscribe(self._on_event)

    def wake(self) -> None:
        """Check now instead of at the end of the interval (for ``stop`` and tests)."""
        self._wake.set()

    def _on_event(self, event: Event) -> None:
        name = written_secret(event)
        if name is not None:
            with self._lock:
                self._written.add(name)
            self._wake.set()

    def _run_hook(self, job: TemplateJob) -> None:
        try:
            completed = subprocess.run(  # noqa: S603 - argv from the operator, no shell
                list(job.on_change), check=False, timeout=self._command_timeout
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _log.warning("on-change command for %s failed: %s", job.output, type(exc).__name__)
            return
        if completed.returncode != 0:
            _log.warning(
                "on-change command for %s exited with %d", job.output, completed.returncode
            )
