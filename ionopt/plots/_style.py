"""One place that sets up matplotlib for ionopt's figures (headless-safe)."""

from __future__ import annotations


def new_figure(width_in: float = 6.4, height_in: float = 4.2, ncols: int = 1):
    """A new (figure, axes) pair that works without a display (Agg when headless)."""
    import matplotlib

    if not _has_display():
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, ncols, figsize=(width_in, height_in), layout="constrained")
    return fig, ax


def _has_display() -> bool:
    import os
    import sys

    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
