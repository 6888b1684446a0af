"""Framework integrations (Flask)."""
