"""Metric providers: measure, never judge (``modelyard.core.analysis`` judges)."""
