"""Electrochemical stability window from linear sweep voltammetry (LSV).

Potentials are taken as given, vs Li+/Li (the usual Li | SPE | stainless-steel cell).
Two onsets are reported for the oxidative (``direction="anodic"``, default) or reductive
limit:

* **Threshold** (``onset_threshold_v``): the first potential of the sweep at which the
  current density ``|j| = |I| / area`` reaches ``threshold_ma_cm2`` and stays there for
  ``min_consecutive`` (default 3) points, linearly interpolated between points. Default
  threshold 0.01 mA/cm² (10 µA/cm²). The cutoff is a convention, not a material
  property: values between about 0.01 and 0.1 mA/cm² are in use, and the apparent
  window shifts with cutoff, scan rate and electrode (Méry, Rousselot, Lepage & Dollé,
  *Materials* 14 (2021) 3840, doi:10.3390/ma14143840, a review of ESW measurements on
  solid polymer and composite electrolytes). We take the low end because the slow
  scans (0.1-1 mV/s) used on polymer electrolytes give small currents, so a 0.1 mA/cm²
  cutoff would report onsets well past the start of decomposition.
* **Tangent** (``onset_tangent_v``): the intersection of the baseline tangent (straight
  line fitted to the points before |j| first exceeds ``baseline_fraction`` = 5 % of
  its maximum rise, then refitted to the points before the resulting intersection until
  it no longer moves) with the steep-rise tangent (straight line fitted to the points from
  50 % of the maximum up to the maximum current).

``stability_window_v`` is the threshold onset (or the tangent onset with
``primary="tangent"``). When the threshold is never reached it is NaN and a warning says
the window extends beyond the scanned range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

_NAN = float("nan")
#: Default onset criterion, mA/cm² (see the module docstring for the source).
DEFAULT_THRESHOLD_MA_CM2 = 0.01


@dataclass(kw_only=True)
class LSVResult(AnalysisResult):
    """Stability limit of an LSV sweep.

    Attributes
    ----------
    stability_window_v : float
        Onset potential by the primary method, V vs Li+/Li.
    onset_threshold_v : float
        Potential where |j| reaches ``threshold_ma_cm2``, V.
    onset_tangent_v : float
        Intersection of baseline and steep-rise tangents, V.
    threshold_ma_cm2 : float
        Current-density criterion used, mA/cm².
    direction : str
        ``"anodic"`` or ``"cathodic"``.
    scan_limit_v : float
        The furthest potential of the sweep, V.
    max_current_density_ma_cm2 : float
        Largest |j| in the sweep, mA/cm².
    """

    stability_window_v: float
    onset_threshold_v: float
    onset_tangent_v: float
    threshold_ma_cm2: float
    direction: str
    scan_limit_v: float
    max_current_density_ma_cm2: float
    tangents: dict = field(default_factory=dict, repr=False, metadata={"export": False})


def _sweep(table: pd.DataFrame, direction: str) -> pd.DataFrame:
    """The forward part of the sweep: from the start to the furthest potential."""
    v = table["potential_v"].to_numpy()
    end = int(np.argmax(v)) if direction == "anodic" else int(np.argmin(v))
    return table.iloc[: end + 1].reset_index(drop=True)


def _threshold_onset(v: np.ndarray, j: np.ndarray, threshold: float,
                     min_consecutive: int) -> float:
    above = j >= threshold
    run = 0
    for k, flag in enumerate(above):
        run = run + 1 if flag else 0
        if run >= min_consecutive:
            first = k - min_consecutive + 1
            if first == 0:
                return float(v[0])
            j0, j1 = j[first - 1], j[first]
            frac = (threshold - j0) / (j1 - j0) if j1 != j0 else 1.0
            return float(v[first - 1] + frac * (v[first] - v[first - 1]))
    return _NAN


def _tangent_onset(v: np.ndarray, j: np.ndarray, baseline_fraction: float,
                   warnings: list[str]) -> tuple[float, dict]:
    """Intersection of the baseline and steep-rise straight lines (|j| vs potential)."""
    j_min = float(np.min(j[: max(3, j.size // 10)]))
    rise = j - j_min
    k_max = int(np.argmax(j))
    height = rise[k_max]
    if height <= 0:
        return _NAN, {}
    first_rise = int(np.argmax(rise >= baseline_fraction * height))
    base_idx = np.arange(0, first_rise)
    steep_idx = np.arange(int(np.argmax(rise >= 0.5 * height)), k_max + 1)
    if base_idx.size < 3 or steep_idx.size < 2:
        warnings.append("tangent method: too few points in the baseline or the steep rise")
        return _NAN, {}
    s_slope, s_icpt = np.polyfit(v[steep_idx], j[steep_idx], 1)
    onset = _NAN
    for _ in range(10):  # refit the baseline on the points before the current estimate
        b_slope, b_icpt = np.polyfit(v[base_idx], j[base_idx], 1)
        if s_slope == b_slope:
            return _NAN, {}
        new = float((b_icpt - s_icpt) / (s_slope - b_slope))
        before = np.flatnonzero((v - new) * np.sign(v[-1] - v[0]) < 0)
        before = before[before < first_rise] if before.size else before
        converged = math.isfinite(onset) and abs(new - onset) < 1e-6
        onset = new
        if converged or before.size < 3 or before.size == base_idx.size:
            break
        base_idx = before
    lines = {"baseline": (float(b_slope), float(b_icpt)), "rise": (float(s_slope), float(s_icpt))}
    if not (min(v[0], v[-1]) <= onset <= max(v[0], v[-1])):
        warnings.append(f"tangent onset {onset:.3f} V lies outside the sweep")
    return onset, lines


def analyze_lsv(data: pd.DataFrame, area_cm2: float, *,
                threshold_ma_cm2: float = DEFAULT_THRESHOLD_MA_CM2,
                direction: str = "anodic", primary: str = "threshold",
                min_consecutive: int = 3, baseline_fraction: float = 0.05,
                source: str | None = None) -> LSVResult:
    """Onset potential of electrolyte decomposition from an LSV sweep.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``potential_v`` (V vs Li+/Li) and ``current_a`` (A).
    area_cm2 : float
        Working-electrode area, cm² (required: the criterion is a current density).
    threshold_ma_cm2 : float
        Current-density criterion, mA/cm² (default 0.01).
    direction : {"anodic", "cathodic"}
        Oxidative sweep towards higher potential (default) or reductive sweep.
    primary : {"threshold", "tangent"}
        Which onset becomes ``stability_window_v``.
    min_consecutive : int
        Points that must stay above the threshold (default 3; guards against spikes).
    baseline_fraction : float
        Rise fraction (of the maximum) ending the baseline for the tangent method.
    source : str, optional

    Returns
    -------
    LSVResult

    Raises
    ------
    AnalysisError
        Missing columns (or an EIS table), fewer than 10 points, non-positive or NaN
        area, or a potential range that does not sweep in ``direction``.
    """
    area = _checks.positive_number(area_cm2, "area_cm2")
    threshold = _checks.positive_number(threshold_ma_cm2, "threshold_ma_cm2")
    _checks.one_of(direction, "direction", ("anodic", "cathodic"))
    _checks.one_of(primary, "primary", ("threshold", "tangent"))
    bf = _checks.fraction(baseline_fraction, "baseline_fraction")
    if not isinstance(min_consecutive, (int, np.integer)) or min_consecutive < 1:
        raise AnalysisError(f"min_consecutive: expected an integer >= 1, got {min_consecutive!r}")
    table = _checks.frame(data, "data", ["potential_v", "current_a"], "LSV", min_rows=10)
    sweep = _sweep(table, direction)
    if len(sweep) < 10:
        raise AnalysisError(f"data: the {direction} sweep holds {len(sweep)} points before "
                            f"turning back; expected at least 10 (wrong direction?)")
    v = sweep["potential_v"].to_numpy()
    sign = 1.0 if direction == "anodic" else -1.0
    j = sign * sweep["current_a"].to_numpy() * 1000.0 / area  # mA/cm², decomposition > 0
    warnings: list[str] = []
    if abs(v[-1] - v[0]) < 0.1:
        raise AnalysisError(f"data: potential_v spans only {abs(v[-1] - v[0]) * 1000:.0f} mV; "
                            "not an LSV sweep")
    if (np.diff(v) * sign < 0).mean() > 0.1:
        warnings.append("potential_v is not monotonic over the sweep; noisy or a CV segment")

    onset_thr = _threshold_onset(v, j, threshold, int(min_consecutive))
    if math.isnan(onset_thr):
        warnings.append(f"|j| never reaches {threshold} mA/cm² up to {v[-1]:.3f} V: the "
                        "window extends beyond the scanned range")
    elif onset_thr == v[0]:
        warnings.append(f"|j| already exceeds {threshold} mA/cm² at the start of the sweep; "
                        "high background current (capacitive, wrong area or units?)")
    onset_tan, lines = _tangent_onset(v, j, bf, warnings)
    window = onset_thr if primary == "threshold" else onset_tan
    return LSVResult(
        stability_window_v=float(window), onset_threshold_v=float(onset_thr),
        onset_tangent_v=float(onset_tan), threshold_ma_cm2=threshold,
        direction=direction, scan_limit_v=float(v[-1]),
        max_current_density_ma_cm2=float(np.max(np.abs(j))),
        tangents={**lines, "area_cm2": area, "sign": sign},
        method=f"lsv_{primary}", warnings=warnings, source=source)
