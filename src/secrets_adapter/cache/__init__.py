"""The in-process secret cache: ``SecretCache`` wraps any ``Provider`` and is one itself."""

from secrets_adapter.cache.secret_cache import Duration, SecretCache, Spawner

__all__ = ["Duration", "SecretCache", "Spawner"]
