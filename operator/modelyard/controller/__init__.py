"""observe -> decide -> execute, one module per kind. The only place that combines adapters and core."""
