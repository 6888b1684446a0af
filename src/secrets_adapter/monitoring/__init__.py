"""Monitoring: metrics, alert rules over events, alert sinks."""
