"""Matplotlib figures used by the CLI and notebooks (matplotlib is imported lazily)."""
