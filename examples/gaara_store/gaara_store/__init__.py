"""The Gaara Store backend: a Flask app whose nine secrets come from secrets-adapter."""

from gaara_store.app import create_app

__all__ = ["create_app"]
