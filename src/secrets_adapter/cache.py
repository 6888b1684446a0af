"""The in-process secret cache (issue: cache). Placeholder module so the layering contract holds."""
