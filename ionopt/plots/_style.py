"""One place that makes ionopt's figures."""

from __future__ import annotations


def new_figure(width_in: float = 6.4, height_in: float = 4.2, ncols: int = 1):
    """A new (figure, axes) pair.

    The backend is left to matplotlib: it picks Agg by itself on a machine without a
    display, and forcing it here would silently stop figures showing in a Jupyter kernel.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, ncols, figsize=(width_in, height_in), layout="constrained")
    return fig, ax
