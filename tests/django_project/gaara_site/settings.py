"""A minimal Django project whose secrets are ``secret://`` references, resolved at start-up by
``resolve_settings`` (the adapter comes from the environment: ``SECRETS_BACKEND`` ...)."""

import os
from pathlib import Path

from secrets_adapter.integrations.django import resolve_settings

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "secret://django-secret-key"
STRIPE_API_KEY = "secret://stripe-api-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "secrets_adapter.integrations.django",
    "gaara_site",
]
ROOT_URLCONF = "gaara_site.urls"
USE_TZ = True
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "USER": "gaara",
        "PASSWORD": "secret://database#password",
    }
}
# Names the code reads at run time (not in settings), for ``manage.py check`` to look at too.
SECRETS_ADAPTER_REQUIRED = [
    name for name in os.environ.get("GAARA_REQUIRED_SECRETS", "").split(",") if name
]

resolve_settings(globals())
