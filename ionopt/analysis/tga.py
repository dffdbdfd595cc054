"""Thermal stability from thermogravimetric analysis (TGA).

Input: ``temperature_c`` and ``mass_pct`` in recorded order (one heating ramp). Masses
are normalized to the reference mass, 100 %: the first point by default, or the mass at
``reference_temp_c`` (e.g. 120 °C) to exclude absorbed water or residual solvent.

* ``t_5pct_loss_c``: first temperature at which the normalized mass reaches 95 %
  (linear interpolation between points). Named T_d,5% in most papers.
* ``onset_temp_c``: extrapolated onset of the main step, the intersection of the
  starting-mass baseline (horizontal line at 100 %) with the tangent at the point of
  steepest mass loss (peak of the DTG curve), as defined in ISO 11358-1.
* ``residual_mass_pct``: normalized mass at the last point.
* ``decomposition_temp_c``: the "thermal decomposition temperature" a paper reports.
  **Default: T5%** (``decomposition="t5"``), the figure most solid polymer electrolyte
  papers quote, and one that needs no tangent construction (so it does not move with the
  smoothing or with a second overlapping step); ``decomposition="onset"`` uses the
  tangent onset instead. Which one was used is in ``method``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

_NAN = float("nan")


@dataclass(kw_only=True)
class TGAResult(AnalysisResult):
    """TGA decomposition temperatures and residue.

    Attributes
    ----------
    decomposition_temp_c : float
        T5% (default) or the tangent onset, °C.
    t_5pct_loss_c : float
        Temperature at 5 % mass loss from the reference mass, °C.
    onset_temp_c : float
        Extrapolated onset of the steepest step, °C.
    dtg_peak_temp_c : float
        Temperature of the fastest mass loss, °C.
    residual_mass_pct : float
        Mass at the end of the run, % of the reference mass.
    reference_mass_pct : float
        The raw ``mass_pct`` taken as 100 %.
    """

    decomposition_temp_c: float
    t_5pct_loss_c: float
    onset_temp_c: float
    dtg_peak_temp_c: float
    residual_mass_pct: float
    reference_mass_pct: float


def _crossing(t: np.ndarray, m: np.ndarray, level: float, start: int) -> float:
    """First temperature from index ``start`` on at which ``m`` falls to ``level``."""
    below = np.flatnonzero(m[start:] <= level)
    if not below.size:
        return _NAN
    k = start + int(below[0])
    if k == 0:
        return float(t[0])
    m0, m1 = m[k - 1], m[k]
    frac = (m0 - level) / (m0 - m1) if m0 != m1 else 1.0
    return float(t[k - 1] + frac * (t[k] - t[k - 1]))


def _dtg(t: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed mass and dm/dT (%/°C); Savitzky-Golay, window ~2 % of the points."""
    window = max(5, (t.size // 50) | 1)
    if t.size > window + 2:
        m = savgol_filter(m, window, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.gradient(m, t)
    return m, np.where(np.isfinite(d), d, 0.0)


def analyze_tga(data: pd.DataFrame, *, reference_temp_c: float | None = None,
                decomposition: str = "t5",
                source: str | None = None) -> TGAResult:
    """Decomposition temperatures and residual mass from a TGA heating ramp.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``temperature_c`` (°C) and ``mass_pct`` (% of the initial mass).
    reference_temp_c : float, optional
        Normalize to the mass at this temperature (interpolated) instead of the first
        point, and look for the 5 % loss only above it.
    decomposition : {"t5", "onset"}
        Which temperature becomes ``decomposition_temp_c`` (default ``"t5"``).
    source : str, optional

    Returns
    -------
    TGAResult

    Raises
    ------
    AnalysisError
        Missing columns, fewer than 10 points, a temperature that does not rise, or a
        reference temperature outside the data.
    """
    _checks.one_of(decomposition, "decomposition", ("t5", "onset"))
    loss = 5.0
    table = _checks.frame(data, "data", ["temperature_c", "mass_pct"], "TGA", min_rows=10)
    t = table["temperature_c"].to_numpy()
    m_raw = table["mass_pct"].to_numpy()
    if t[-1] - t[0] <= 0:
        raise AnalysisError("data: temperature_c does not rise; expected a heating ramp")
    warnings: list[str] = []
    if (np.diff(t) < 0).mean() > 0.05:
        warnings.append("temperature_c decreases in places (cooling segment?); data used "
                        "in recorded order")
    start = 0
    if reference_temp_c is None:
        m_ref = float(m_raw[0])
    else:
        t_ref = _checks.finite_number(reference_temp_c, "reference_temp_c")
        if not t.min() <= t_ref <= t.max():
            raise AnalysisError(f"reference_temp_c: {t_ref} °C outside the data "
                                f"({t.min():.1f} to {t.max():.1f} °C)")
        start = int(np.argmax(t >= t_ref))
        m_ref = float(np.interp(t_ref, t[: start + 1], m_raw[: start + 1])) if start else \
            float(m_raw[0])
    if m_ref <= 0:
        raise AnalysisError(f"data: reference mass {m_ref} is not positive")
    if reference_temp_c is None and not 90.0 <= m_ref <= 110.0:
        warnings.append(f"first mass_pct is {m_ref:.4g}, not ~100: masses in mg instead of "
                        "%? values normalized to the first point")
    m = m_raw / m_ref * 100.0
    if m[start:].max() > 101.0:
        warnings.append(f"mass rises to {m[start:].max():.1f} % (buoyancy or oxidation)")

    t5 = _crossing(t, m, 100.0 - loss, start)
    if math.isnan(t5):
        warnings.append(f"mass never falls {loss:g} % below the reference up to "
                        f"{t[-1]:.0f} °C: stable over the whole run")

    m_smooth, dtg = _dtg(t, m)
    k = start + int(np.argmin(dtg[start:]))
    slope = dtg[k]
    if slope < 0 and m[-1] < 100.0 - loss:
        # the tangent through the smoothed point of steepest loss
        onset = float(t[k] + (100.0 - m_smooth[k]) / slope)
        peak = float(t[k])
    else:
        onset, peak = _NAN, _NAN
        warnings.append("no decomposition step found: onset not determined")
    decomp = t5 if decomposition == "t5" else onset
    return TGAResult(
        decomposition_temp_c=decomp, t_5pct_loss_c=t5, onset_temp_c=onset,
        dtg_peak_temp_c=peak, residual_mass_pct=float(m[-1]), reference_mass_pct=m_ref,
        method=f"tga_decomposition_{decomposition}",
        warnings=warnings, source=source)
