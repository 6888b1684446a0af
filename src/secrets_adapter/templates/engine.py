"""Rendering one template from secrets: Jinja2's sandbox, strict about anything undefined.

The sandbox keeps a template from reaching Python internals (``__class__``, ``__globals__``), so
a template file is configuration, not code; ``StrictUndefined`` turns a typo into an error
instead of an empty password. The template asks for secrets by name:

* ``{{ secret("db-password") }}`` — the value as text;
* ``{{ secret("db", "password") }}`` — one key of a JSON object secret;
* ``{% set db = secret_json("db") %}`` — a JSON object secret as a mapping;

and quotes them for the file it writes: ``| json`` (a JSON string literal), ``| shell`` (one
POSIX shell word), ``| pgpass`` (a ``.pgpass`` field: ``:`` and ``\\`` escaped).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from secrets_adapter.adapter import SecretsAdapter, secret_field
from secrets_adapter.errors import ConfigurationError, SecretsAdapterError, ValidationError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

__all__ = ["Rendering", "pgpass_field", "render_template"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendering:
    """A rendered template and the version of each secret it used (full name → version id)."""

    text: str = field(repr=False)  # holds values: never printed
    versions: Mapping[str, str]


def pgpass_field(value: str) -> str:
    """``value`` as one field of a ``.pgpass`` line (PostgreSQL escapes ``\\`` and ``:``)."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _json_literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _environment() -> SandboxedEnvironment:
    try:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError:
        raise ConfigurationError(
            "Templates need Jinja2: pip install 'secrets-adapter[templates]'."
        ) from None
    environment = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    environment.filters["json"] = _json_literal
    environment.filters["shell"] = shlex.quote
    environment.filters["pgpass"] = pgpass_field
    return environment


def render_template(adapter: SecretsAdapter, source: str, *, name: str = "template") -> Rendering:
    """Render ``source`` with the secrets it names, read through ``adapter`` (policy, audit, cache).

    A template error is a ``ValidationError`` naming the template and the line; its message
    never holds a value (Jinja's messages name types and attributes, not contents).
    """
    from jinja2 import TemplateError, TemplateSyntaxError

    used: dict[str, str] = {}

    def secret(secret_name: str, key: str | None = None) -> str:
        found = adapter.get(secret_name)
        used[found.name] = found.version_id
        return found.value.reveal_text() if key is None else secret_field(found, key)

    def secret_json(secret_name: str) -> Any:
        found = adapter.get(secret_name)
        used[found.name] = found.version_id
        return found.value.json()

    environment = _environment()
    environment.globals.update(secret=secret, secret_json=secret_json)
    try:
        text = environment.from_string(source).render()
    except SecretsAdapterError:
        raise
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template {name}, line {exc.lineno}: {exc.message}.") from None
    except TemplateError as exc:
        raise ValidationError(
            f"Template {name}: {exc.message or type(exc).__name__}. Every name must be defined; "
            'secrets come from secret("NAME"), secret("NAME", "key") or secret_json("NAME").'
        ) from None
    except (TypeError, ValueError, ArithmeticError) as exc:  # an operation on a value failed
        raise ValidationError(
            f"Template {name}: {type(exc).__name__} while rendering (the message is not shown: "
            "it could hold a value)."
        ) from None
    return Rendering(text=text, versions=dict(used))
