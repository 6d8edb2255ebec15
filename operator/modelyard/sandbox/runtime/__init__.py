"""The sandbox's local pod runtime and the composition of a whole sandbox cluster."""
