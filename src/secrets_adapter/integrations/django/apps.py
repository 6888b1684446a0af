"""The Django app (``INSTALLED_APPS += ["secrets_adapter.integrations.django"]``): registers the
system check; the ``secrets_status`` management command is found by Django in ``management/``."""

from __future__ import annotations

from django.apps import AppConfig


class SecretsAdapterConfig(AppConfig):
    name = "secrets_adapter.integrations.django"
    label = "secrets_adapter"
    verbose_name = "secrets-adapter"

    def ready(self) -> None:
        from django.core import checks

        from secrets_adapter.integrations.django.checks import check_secrets

        checks.register(check_secrets, "secrets")
