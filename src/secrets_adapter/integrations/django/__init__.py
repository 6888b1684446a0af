"""Django: ``secret://NAME`` references in settings, resolved once at start-up through the
adapter's cache (start-up fails naming every secret that is missing or unreadable); a system
check (``manage.py check``) that reads every referenced secret again; ``manage.py
secrets_status``, the ``status`` table.

In ``settings.py``, after the settings::

    from secrets_adapter.integrations.django import resolve_settings
    SECRET_KEY = "secret://django-secret-key"
    DATABASES = {"default": {..., "PASSWORD": "secret://database#password"}}
    resolve_settings(globals())

and ``"secrets_adapter.integrations.django"`` in ``INSTALLED_APPS`` for the check and command.
"""

from secrets_adapter.integrations.django.resolve import (
    ADAPTER_SETTING,
    REFERENCES_SETTING,
    REQUIRED_SETTING,
    get_adapter,
    resolve_settings,
)

__all__ = [
    "ADAPTER_SETTING",
    "REFERENCES_SETTING",
    "REQUIRED_SETTING",
    "get_adapter",
    "resolve_settings",
]
