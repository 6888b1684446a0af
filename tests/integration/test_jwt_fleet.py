"""Fleet-safe JWT rotation: four processes, each with its own adapter (and cache) and verifier on
one local store, mint tokens and verify each other's while one of them rotates the key set
several times — and no valid token is ever refused.

It holds because the key that signs after a rotation was published (pending) by the rotation
before, and verifiers accept pending keys: a verifier whose set is younger than the rotation
interval already knows every kid a peer can sign with.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from datetime import timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import jwt
import pytest

from secrets_adapter import SecretsAdapter, sign_token
from secrets_adapter.localstore import init_store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

NAME = "gaara/prod/jwt-secret-key"
WORKERS = 4
ROTATIONS = 4
ROTATION_GAP = 2.0  # seconds; the verifiers' sets are at most ~1.2 s old (cache + max_age)
FORK = multiprocessing.get_context("fork")
Inboxes = list["multiprocessing.Queue[str]"]


def _worker(
    index: int,
    folder: Path,
    inboxes: Inboxes,
    stop: Event,
    results: multiprocessing.Queue[dict[str, Any]],
) -> None:
    adapter = SecretsAdapter(backend="local", path=folder)  # its own cache
    verifier = adapter.jwt_verifier(
        NAME, reload_interval=timedelta(milliseconds=200), max_age=timedelta(milliseconds=200)
    )
    rotated: list[str] = []

    def rotate() -> None:
        for _ in range(ROTATIONS):
            time.sleep(ROTATION_GAP)
            rotated.append(adapter.rotate_secret(NAME).version_id)
        time.sleep(ROTATION_GAP / 2)
        stop.set()

    rotator = threading.Thread(target=rotate) if index == 0 else None
    if rotator is not None:
        rotator.start()
    minted = verified = 0
    rejected: list[str] = []
    kids: set[str] = set()
    peers = [inboxes[(index + 1) % WORKERS], inboxes[(index + 2) % WORKERS]]
    while not stop.is_set():
        token = sign_token(adapter.jwt_keys(NAME), {"sub": f"worker-{index}", "n": minted})
        kids.add(jwt.get_unverified_header(token)["kid"])
        peers[minted % 2].put(token)
        minted += 1
        try:
            while True:
                received = inboxes[index].get_nowait()
                try:
                    verifier.verify(received)
                    verified += 1
                except jwt.InvalidTokenError as exc:
                    rejected.append(f"{type(exc).__name__}: {exc}")
        except queue.Empty:
            pass
        time.sleep(0.01)
    if rotator is not None:
        rotator.join()
    adapter.close()
    results.put(
        {"index": index, "minted": minted, "verified": verified, "rejected": rejected,
         "kids": sorted(kids), "rotations": len(rotated)}
    )  # fmt: skip


def test_no_valid_token_is_refused_while_a_peer_rotates(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    init_store(folder)
    with SecretsAdapter(backend="local", path=folder) as setup:
        setup.put_secret(NAME, "demo-jwt-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e")
        setup.configure_rotation(NAME, rotator="jwt", options={"grace": "1h"})
        setup.rotate_secret(NAME)  # the migrated key gets a current and a published next key
    inboxes: Inboxes = [FORK.Queue() for _ in range(WORKERS)]
    stop = FORK.Event()
    results: multiprocessing.Queue[dict[str, Any]] = FORK.Queue()
    workers = [
        FORK.Process(target=_worker, args=(i, folder, inboxes, stop, results))
        for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert sum(r["rotations"] for r in reports) == ROTATIONS
    assert [r["rejected"] for r in reports] == [[] for _ in reports]
    assert all(r["verified"] > 20 for r in reports), reports
    signing_kids = set().union(*(r["kids"] for r in reports))
    assert len(signing_kids) >= ROTATIONS  # tokens really were signed across the rotations
