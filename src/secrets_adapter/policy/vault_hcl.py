"""Vault/OpenBao ACL policies (HCL) for an application and for its rotator — pure text.

The app's policy grants ``read`` on exactly its secrets' KV v2 ``data`` paths and ``read`` on
their ``metadata`` paths (the provider reads the stage labels kept there), and nothing else: no
list, no write, no other path. A name ending in ``/*`` covers a folder (Vault's glob). The
rotator's policy adds writing new versions (``create``/``update`` on data) and moving stages
(``update`` on metadata), still without delete or destroy. Transit keys, if any, get
``datakey``/``decrypt`` for the app and ``rewrap``/``rotate`` for the rotator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from secrets_adapter.errors import ValidationError

__all__ = ["VaultPolicyRequest", "app_policy", "rotator_policy"]

_PATH_PART = re.compile(r"[A-Za-z0-9/_+=.@-]+(/\*)?|\*")


@dataclass(frozen=True, slots=True, kw_only=True)
class VaultPolicyRequest:
    """What the policy is for: the app's full secret names (or ``folder/*``) in one mount."""

    app: str
    names: tuple[str, ...]
    mount: str = "secret"
    root: str = ""
    transit_mount: str = "transit"
    transit_keys: tuple[str, ...] = ()


def _check(part: str, what: str) -> str:
    if not _PATH_PART.fullmatch(part) or any(seg in ("", ".", "..") for seg in part.split("/")):
        raise ValidationError(
            f"Invalid {what} {part!r} for a Vault policy: use A-Z a-z 0-9 / _ + = . @ - "
            "with an optional trailing '/*'."
        )
    return part


def _kv_path(request: VaultPolicyRequest, kind: str, name: str) -> str:
    mount = _check(request.mount.strip("/"), "mount")
    root = request.root.strip("/")
    full = f"{_check(root, 'path root')}/{name}" if root else name
    return f"{mount}/{kind}/{full}"


def _block(path: str, capabilities: Sequence[str]) -> str:
    quoted = ", ".join(f'"{capability}"' for capability in capabilities)
    return f'path "{path}" {{\n  capabilities = [{quoted}]\n}}\n'


def _render(
    request: VaultPolicyRequest,
    role: str,
    data_caps: Sequence[str],
    metadata_caps: Sequence[str],
    transit: Sequence[tuple[str, Sequence[str]]],
) -> str:
    if not request.names:
        raise ValidationError("A Vault policy needs at least one secret name (or 'folder/*').")
    names = sorted({_check(name, "secret name") for name in request.names})
    lines = [f"# secrets-adapter: {role} policy for {request.app!r} (generated; do not edit)\n"]
    for name in names:
        lines.append(_block(_kv_path(request, "data", name), data_caps))
        lines.append(_block(_kv_path(request, "metadata", name), metadata_caps))
    transit_mount = _check(request.transit_mount.strip("/"), "transit mount")
    for key in sorted(set(request.transit_keys)):
        _check(key, "transit key")
        for endpoint, capabilities in transit:
            lines.append(_block(f"{transit_mount}/{endpoint.format(key=key)}", capabilities))
    return "\n".join(lines)


def app_policy(request: VaultPolicyRequest) -> str:
    """Read exactly the app's secrets (data and metadata); nothing else."""
    return _render(
        request,
        "app",
        ["read"],
        ["read"],
        [("datakey/plaintext/{key}", ["update"]), ("decrypt/{key}", ["update"])],
    )


def rotator_policy(request: VaultPolicyRequest) -> str:
    """Read, write new versions and move stages of the app's secrets; never delete or destroy."""
    return _render(
        request,
        "rotator",
        ["create", "read", "update"],
        ["read", "update"],
        [
            ("decrypt/{key}", ["update"]),
            ("rewrap/{key}", ["update"]),
            ("keys/{key}", ["read"]),
            ("keys/{key}/rotate", ["update"]),
        ],
    )
