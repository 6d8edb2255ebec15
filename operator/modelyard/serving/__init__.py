"""The reference model server (``modelyard serve``)."""
