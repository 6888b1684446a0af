"""Vault/OpenBao ACL policies (HCL) for an application and for its rotator — pure text.

The app's policy grants ``read`` on exactly its secrets' KV v2 ``data`` paths and ``read`` on
their ``metadata`` paths (the provider reads the stage labels kept there), and nothing else: no
list, no write, no other path. A name ending in ``/*`` covers a folder (Vault's glob). The
rotator's policy adds writing new versions (``create``/``update`` on data) and moving stages
(``update`` on metadata), still without delete or destroy; every writer also needs
``create``/``read``/``update`` on the secret's lock entry under ``data/.secrets-adapter/locks/``
(the check-and-set guard of its stages, see ``providers.vault_lock``). Transit keys, if any, get
``datakey``/``decrypt`` for the app and ``rewrap``/``rotate`` for the rotator.

``grants_policy`` renders one principal's grants from an in-process policy file instead, so Vault
and the adapter's ``Authorizer`` say the same thing (see its docstring for the mapping).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.model import Effect, Grant

__all__ = ["VaultPolicyRequest", "app_policy", "grants_policy", "rotator_policy"]

_PATH_PART = re.compile(r"[A-Za-z0-9/_+=.@-]+(/\*)?|\*")
LOCK_FOLDER = ".secrets-adapter/locks"  # providers.vault_lock.LOCK_FOLDER (policy is pure text)


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
    if kind == "locks":
        return f"{mount}/data/{LOCK_FOLDER}/{full}"
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
    lock_caps: Sequence[str] = (),
) -> str:
    if not request.names:
        raise ValidationError("A Vault policy needs at least one secret name (or 'folder/*').")
    names = sorted({_check(name, "secret name") for name in request.names})
    lines = [f"# secrets-adapter: {role} policy for {request.app!r} (generated; do not edit)\n"]
    for name in names:
        lines.append(_block(_kv_path(request, "data", name), data_caps))
        lines.append(_block(_kv_path(request, "metadata", name), metadata_caps))
        if lock_caps:
            lines.append(_block(_kv_path(request, "locks", name), lock_caps))
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
        lock_caps=["create", "read", "update"],
    )


# --- from an in-process policy file ------------------------------------------------------------

# Policy action → (KV v2 path kind, capability) pairs. ``rotate`` writes a new version and moves
# the stage labels kept in ``custom_metadata``: KV v2 cannot grant it apart from data writes.
_LOCK = (("locks", "create"), ("locks", "read"), ("locks", "update"))
_GRANT_CAPABILITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "read": (("data", "read"),),
    "describe": (("metadata", "read"),),
    "list": (("metadata", "list"),),
    "write": (("data", "create"), ("data", "update"), *_LOCK),
    "delete": (("data", "delete"), ("undelete", "update"), *_LOCK),
    # deletion with no recovery: the provider deletes the metadata and every version at once
    "force-delete": (("metadata", "delete"),),
    "rotate": (("data", "create"), ("data", "update"), ("metadata", "update"), *_LOCK),
}
_CAPABILITY_ORDER = ("create", "read", "update", "delete", "list")
_GLOB_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]*")


def _glob(pattern: str, where: str) -> str:
    """A name pattern Vault can express: ``*`` at the end only (Vault's glob is a prefix)."""
    stem = pattern.removesuffix("*")
    if "*" in stem:
        raise ValidationError(
            f"{where}: {pattern!r} has a '*' before its end, and a Vault policy path allows "
            "'*' only as its last character; write it as prefixes (e.g. 'app/*') instead."
        )
    segments = stem.split("/")
    if (
        not _GLOB_NAME.fullmatch(stem)
        or (stem == "" and pattern != "*")
        or any(segment in (".", "..") for segment in segments)
        or "" in segments[:-1]
    ):
        raise ValidationError(
            f"{where}: {pattern!r} is not a secret name pattern for a Vault policy "
            "(A-Z a-z 0-9 / _ + = . @ -, no empty, '.' or '..' segment, '*' at the end only)."
        )
    return pattern


def _covers(outer: str, inner: str) -> bool:
    """Does every name ``inner`` matches also match ``outer``? (Both end-globs or exact.)"""
    if outer.endswith("*"):
        return inner.startswith(outer[:-1])
    return outer == inner


def grants_policy(
    grants: Sequence[Grant], *, principal: str, mount: str = "secret", root: str = ""
) -> str:
    """One principal's grants (``policy.grants_for``) as a Vault ACL policy.

    read → ``read`` on ``data/P``; describe → ``read`` and list → ``list`` on ``metadata/P``;
    write → ``create``/``update`` on data; delete → ``delete`` on data and ``update`` on
    ``undelete/P``; force-delete → ``delete`` on ``metadata/P`` (every version and the metadata at
    once); rotate → write's capabilities and ``update`` on metadata.

    Vault decides a request by the most specific matching path alone (an exact path, else the
    longest prefix), while the policy file lets any deny win. So each rendered path gets the
    capabilities of every allow that covers it minus those of every deny that covers it, and
    ``["deny"]`` when none are left: then whichever path Vault picks says what the file says.
    Where a denied action shares a capability with an allowed one (rotate and write), Vault
    refuses both: it is never more permissive than the file.
    """
    if not grants:
        raise ValidationError(f"No grant to render: {principal!r} is in no statement.")
    mount_path = _check(mount.strip("/"), "mount")
    root = root.strip("/")
    if root:
        _check(root, "path root")
    allowed: dict[tuple[str, str], set[str]] = {}
    denied: dict[tuple[str, str], set[str]] = {}
    for index, grant in enumerate(grants, start=1):
        where = f"statement {grant.sid or index!r}"
        into = allowed if grant.effect is Effect.ALLOW else denied
        for pattern in grant.secrets:
            _glob(pattern, where)
            for action in grant.actions:
                for kind, capability in _GRANT_CAPABILITIES[action]:
                    into.setdefault((kind, pattern), set()).add(capability)

    def gathered(table: dict[tuple[str, str], set[str]], kind: str, pattern: str) -> set[str]:
        found: set[str] = set()
        for (other_kind, other), capabilities in table.items():
            if other_kind == kind and _covers(other, pattern):
                found |= capabilities
        return found

    lines = [
        f"# secrets-adapter: policy for principal {principal!r} from its policy file "
        "(generated; do not edit)\n"
    ]
    for kind, pattern in sorted(allowed.keys() | denied.keys()):
        capabilities = gathered(allowed, kind, pattern) - gathered(denied, kind, pattern)
        ordered = [c for c in _CAPABILITY_ORDER if c in capabilities] or ["deny"]
        name = f"{root}/{pattern}" if root else pattern
        where = f"data/{LOCK_FOLDER}" if kind == "locks" else kind
        lines.append(_block(f"{mount_path}/{where}/{name}", ordered))
    return "\n".join(lines)
