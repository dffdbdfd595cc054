"""Plots of the non-EIS analyses (matplotlib is imported only when a plot is drawn).

Every function draws on ``ax`` (a new figure when None) and returns the axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ionopt.errors import AnalysisError


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def plot_arrhenius(result_or_data: Any, ax: Any = None) -> Any:
    """log10 sigma vs 1000/T with the Arrhenius (and VTF, when fitted) curves.

    Parameters
    ----------
    result_or_data : ArrheniusResult, DataFrame or (temperatures_c, conductivities_s_cm)
        A result of :func:`ionopt.analysis.arrhenius.analyze_arrhenius`, or data it
        accepts (then fitted with the defaults).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from ionopt.analysis.arrhenius import ArrheniusResult, analyze_arrhenius

    if isinstance(result_or_data, ArrheniusResult):
        result = result_or_data
    elif isinstance(result_or_data, pd.DataFrame):
        result = analyze_arrhenius(result_or_data)
    else:
        try:
            temps, sigma = result_or_data
        except (TypeError, ValueError):
            raise AnalysisError("result_or_data: expected an ArrheniusResult, a DataFrame or "
                                "(temperatures_c, conductivities_s_cm)") from None
        result = analyze_arrhenius(temps, sigma)
    ax = _axes(ax)
    t_k = result.temperatures_k
    ax.plot(1000.0 / t_k, np.log10(result.conductivities_s_cm), "o", label="data")
    grid = np.linspace(t_k.min(), t_k.max(), 200)
    ax.plot(1000.0 / grid, np.log10(result.arrhenius_conductivity_s_cm(grid)), "-",
            label=f"Arrhenius, Ea = {result.activation_energy_ev:.3f} eV")
    if np.isfinite(result.vtf_t0_k):
        ax.plot(1000.0 / grid, np.log10(result.vtf_conductivity_s_cm(grid)), "--",
                label=f"VTF, B = {result.vtf_pseudo_activation_energy_ev:.3f} eV, "
                      f"T0 = {result.vtf_t0_k:.0f} K")
    ax.set_xlabel("1000 / T (K$^{-1}$)")
    ax.set_ylabel("log$_{10}$ σ (S cm$^{-1}$)")
    ax.legend()
    return ax


def plot_lsv(data: pd.DataFrame, result: Any, ax: Any = None) -> Any:
    """Current density vs potential with both onsets and the tangents marked.

    Parameters
    ----------
    data : pandas.DataFrame
        The LSV table (``potential_v``, ``current_a``) the result was computed from.
    result : LSVResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    area = result.tangents.get("area_cm2", 1.0)
    v = data["potential_v"].to_numpy(dtype=float)
    j = data["current_a"].to_numpy(dtype=float) * 1000.0 / area
    ax.plot(v, j, "-", label="LSV")
    sign = result.tangents.get("sign", 1.0)
    for key, style in (("baseline", ":"), ("rise", "--")):
        if key in result.tangents:
            slope, icpt = result.tangents[key]
            ax.plot(v, sign * (slope * v + icpt), style, color="grey", lw=0.8)
    if np.isfinite(result.onset_threshold_v):
        ax.axvline(result.onset_threshold_v, color="C3",
                   label=f"onset ({result.threshold_ma_cm2:g} mA cm$^{{-2}}$): "
                         f"{result.onset_threshold_v:.2f} V")
    if np.isfinite(result.onset_tangent_v):
        ax.axvline(result.onset_tangent_v, color="C2", ls="--",
                   label=f"onset (tangents): {result.onset_tangent_v:.2f} V")
    span = np.nanmax(np.abs(j)) if j.size else 1.0
    ax.set_ylim(-0.05 * span if sign > 0 else -1.05 * span, 1.05 * span if sign > 0 else
                0.05 * span)
    ax.set_xlabel("E (V vs Li$^+$/Li)")
    ax.set_ylabel("j (mA cm$^{-2}$)")
    ax.legend()
    return ax


def plot_cycling(result: Any, ax: Any = None, *, specific: bool | None = None) -> Any:
    """Charge/discharge capacity per cycle with the Coulombic efficiency on a twin axis.

    Parameters
    ----------
    result : CyclingResult or pandas.DataFrame
        A result of :func:`ionopt.analysis.cycling.analyze_cycling`, or a cycling table
        (summarised with the defaults).
    ax : matplotlib Axes, optional
    specific : bool, optional
        Plot mAh/g (default when the active mass is known) instead of mAh.

    Returns
    -------
    matplotlib Axes
        The capacity axes (the CE axes is ``ax.ce_axes``).
    """
    from ionopt.analysis.cycling import CyclingResult, analyze_cycling

    if isinstance(result, pd.DataFrame):
        result = analyze_cycling(result)
    if not isinstance(result, CyclingResult):
        raise AnalysisError("result: expected a CyclingResult or a cycling DataFrame")
    ax = _axes(ax)
    cycles = result.cycles
    if specific is None:
        specific = bool(np.isfinite(result.active_mass_mg))
    unit = "mAh g$^{-1}$" if specific else "mAh"
    suffix = "_mah_g" if specific else "_mah"
    ax.plot(cycles["cycle"], cycles["charge_capacity" + suffix], "^", label="charge")
    ax.plot(cycles["cycle"], cycles["discharge_capacity" + suffix], "v", label="discharge")
    ax.set_xlabel("cycle")
    ax.set_ylabel(f"capacity ({unit})")
    ce_ax = ax.twinx()
    ce_ax.plot(cycles["cycle"], cycles["coulombic_efficiency_pct"], ".", color="C2",
               label="CE")
    ce_ax.set_ylabel("Coulombic efficiency (%)")
    ax.legend(loc="lower left")
    ax.ce_axes = ce_ax
    return ax


def plot_symmetric(data: pd.DataFrame, result: Any = None, ax: Any = None) -> Any:
    """Voltage vs time of a symmetric cell, with the short circuit marked.

    Parameters
    ----------
    data : pandas.DataFrame
        ``time_s`` and ``potential_v``.
    result : SymmetricResult, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    t = data["time_s"].to_numpy(dtype=float)
    ax.plot((t - t[0]) / 3600.0, data["potential_v"].to_numpy(dtype=float) * 1000.0, lw=0.7)
    if result is not None and np.isfinite(result.short_circuit_h):
        ax.axvline(result.short_circuit_h, color="C3",
                   label=f"short circuit: {result.short_circuit_h:.1f} h")
        ax.legend()
    ax.set_xlabel("time (h)")
    ax.set_ylabel("voltage (mV)")
    return ax
