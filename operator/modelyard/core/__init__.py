"""Pure decisions: stdlib and ``modelyard.api`` only; the current time is always an argument."""
