"""Run by Django's own test runner (``manage.py test gaara_site``), started by
tests/integration/test_django_integration.py on a real embedded store."""

from io import StringIO

from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.test import SimpleTestCase

from secrets_adapter.integrations.django import get_adapter
from secrets_adapter.integrations.django.checks import MISSING


class ResolvedSettingsTests(SimpleTestCase):
    def test_references_were_replaced_by_values_at_start_up(self) -> None:
        adapter = get_adapter()
        self.assertEqual(settings.STRIPE_API_KEY, adapter.get_secret_value("stripe-api-key"))
        self.assertEqual(settings.SECRET_KEY, adapter.get_secret_value("django-secret-key"))
        self.assertEqual(
            settings.DATABASES["default"]["PASSWORD"],
            adapter.get_secret_value("database", "password"),
        )
        self.assertFalse(settings.STRIPE_API_KEY.startswith("secret://"))

    def test_the_references_are_kept_by_name_for_the_check(self) -> None:
        self.assertEqual(
            settings.SECRETS_ADAPTER_REFERENCES,
            {
                "SECRET_KEY": "secret://django-secret-key",
                "STRIPE_API_KEY": "secret://stripe-api-key",
                "DATABASES.default.PASSWORD": "secret://database#password",
            },
        )


class CheckAndCommandTests(SimpleTestCase):
    def test_the_check_reports_a_secret_deleted_since_start_up(self) -> None:
        self.assertEqual(checks.run_checks(tags=["secrets"]), [])
        adapter = get_adapter()
        kept = adapter.get_secret_value("stripe-api-key")
        adapter.delete_secret("stripe-api-key", force=True)
        try:
            errors = checks.run_checks(tags=["secrets"])
        finally:
            adapter.put_secret("stripe-api-key", kept)
        self.assertEqual([error.id for error in errors], [MISSING])
        self.assertIn("gaara/prod/stripe-api-key", errors[0].msg)
        self.assertNotIn(kept, errors[0].msg)

    def test_secrets_status_prints_the_status_table(self) -> None:
        out = StringIO()
        call_command("secrets_status", stdout=out)
        table = out.getvalue()
        for name in ("stripe-api-key", "django-secret-key", "database"):
            self.assertIn(f"gaara/prod/{name}", table)
        self.assertNotIn(settings.STRIPE_API_KEY, table)
