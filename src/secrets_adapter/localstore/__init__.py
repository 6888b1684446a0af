"""The embedded encrypted store: envelope encryption, SQLite storage, master-key rotation."""
