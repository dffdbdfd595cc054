"""Nyquist plot of an impedance spectrum with the fitted circuit and R_b marked."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["plot_nyquist"]


def plot_nyquist(spectrum, result=None, ax=None):
    """Nyquist plot (-Z'' against Z', equal axes) of a spectrum and its bulk-resistance fit.

    Parameters
    ----------
    spectrum : DataFrame, mapping, tuple, ndarray or EISResult
        As accepted by :func:`ionopt.analysis.eis.fit_bulk_resistance`; an
        :class:`~ionopt.analysis.eis.EISResult` alone plots the spectrum it kept and its
        own fit (``plot_nyquist(result)``).
    result : EISResult, optional
        Adds the fitted circuit (a smooth curve over the measured window), the series
        resistance and R_b marked on the real axis, and the method in the legend.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    import matplotlib.pyplot as plt

    from ionopt.analysis.eis import EISResult, _as_arrays

    if isinstance(spectrum, EISResult):
        if result is None:
            result = spectrum
        f, z = np.asarray(spectrum.freq_hz, float), np.asarray(spectrum.z_ohm, complex)
    else:
        f, z = _as_arrays(spectrum)
    keep = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag)
    f, z = f[keep], z[keep]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot(z.real, -z.imag, "o", ms=3.5, mfc="none", color="C0", label="data")
    if result is not None:
        if result.model and f.size:
            f_dense = np.geomspace(f.min(), f.max(), 400)
            z_fit = result.model_impedance(f_dense)
            ax.plot(z_fit.real, -z_fit.imag, "-", color="C1", lw=1.5,
                    label=f"fit ({result.method})")
        if math.isfinite(result.r_bulk_ohm):
            ax.plot([result.r_bulk_ohm], [0.0], marker="v", ms=9, color="C3", ls="none",
                    label=f"R_b = {result.r_bulk_ohm:.4g} ohm ({result.method})")
        if math.isfinite(result.r_series_ohm):
            ax.plot([result.r_series_ohm], [0.0], marker="^", ms=7, color="C2",
                    ls="none", label=f"R_s = {result.r_series_ohm:.3g} ohm")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("Z' / ohm")
    ax.set_ylabel("-Z'' / ohm")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small", loc="best")
    return ax
