"""Migration from .env to a store, verification, rollback and copying between stores."""
