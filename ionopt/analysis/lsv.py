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
* **Tangent** (``onset_tangent_v``): the intersection of the baseline tangent with the
  steep-rise tangent, both straight lines through |j| vs potential.

  - The *steep-rise tangent* is fitted where the oxidation current takes off, not at the
    end of the sweep. Its anchor is the first potential where the rise of |j| above the
    initial background (the smallest |j| of the first 10 % of points) reaches
    ``threshold_ma_cm2`` and stays there for ``min_consecutive`` points - normally the
    threshold onset. The line is fitted to the contiguous points around the anchor whose
    rise lies between ``threshold / sqrt(rise_ratio)`` and ``threshold * sqrt(rise_ratio)``
    (default ``rise_ratio`` = 3: 0.58-1.73 x the threshold). A ratio of currents is
    scale-free: the window means the same whatever the units, the scan limit or the
    Tafel slope. Why anchor at all: a decomposition current is close to exponential
    (Tafel-like, ``j ~ exp(E / b)``) and has no kink; the tangent at any point of it meets
    the baseline one ``b`` (V per e-fold) before that point, so a line fitted to the
    steepest points - the last ones - follows the scan limit (on the bundled example it
    gave 5.84 V for the sweep to 6 V and 5.34 V for the same sweep cut at 5.5 V). Anchored
    at a fixed current it does not move: for an exponential rise the tangent onset lies
    about ``b`` below the threshold onset, for a linear (kinked) rise it is the kink
    whatever the threshold. If the rise never reaches the threshold the window is taken
    at the largest current instead, and a warning says the tangent onset then depends on
    the scan limit.
  - The *baseline tangent* is fitted to the points up to where, walking back from the
    steep-rise window, the rise first drops below ``baseline_fraction`` (default 5 %) of
    the threshold (walking back, so that baseline noise cannot end the baseline early),
    then refitted to the points before the resulting intersection until it no longer
    moves.

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


def _first_sustained_rise(rise: np.ndarray, level: float, min_consecutive: int) -> int | None:
    """Index where ``rise`` first climbs to ``level`` and stays there, else None.

    Only an upward crossing counts: a sweep that *starts* above ``level`` (a capacitive
    spike at the start, say) is skipped until it has dropped below it.
    """
    run = 0
    seen_below = False
    for k, flag in enumerate(rise >= level):
        if not flag:
            seen_below, run = True, 0
            continue
        run += 1
        if seen_below and run >= min_consecutive:
            return k - min_consecutive + 1
    return None


def _tangent_onset(v: np.ndarray, j: np.ndarray, threshold: float, min_consecutive: int,
                   baseline_fraction: float, rise_ratio: float,
                   warnings: list[str]) -> tuple[float, dict]:
    """Intersection of the baseline and steep-rise straight lines (|j| vs potential).

    See the module docstring for how the two fitting windows are chosen.
    """
    n = j.size
    j_min = float(np.min(j[: max(3, n // 10)]))
    rise = j - j_min  # current above the initial background, mA/cm²
    k_max = int(np.argmax(j))
    height = rise[k_max]
    if height <= 0:
        return _NAN, {}
    anchor = _first_sustained_rise(rise, threshold, min_consecutive)
    if anchor is None:
        # No take-off at the threshold: the best we can do is the top of the sweep, which
        # is exactly the end-dependent construction the anchored window avoids.
        warnings.append(f"tangent method: the current rise never reaches {threshold} mA/cm²;"
                        " steep-rise tangent taken at the largest current, so "
                        "onset_tangent_v depends on the scan limit")
        anchored, anchor, centre, k_top = False, k_max, float(height), k_max
    else:
        # the window never runs past the top of the rise (a start-up capacitive spike can
        # be the largest current of the sweep, hence the top after the anchor)
        anchored, centre = True, threshold
        k_top = anchor + int(np.argmax(j[anchor:]))
    lo_band, hi_band = centre / math.sqrt(rise_ratio), centre * math.sqrt(rise_ratio)

    def in_band(k: int) -> bool:
        return bool(lo_band <= rise[k] <= hi_band)

    lo = hi = anchor
    while lo - 1 >= 0 and in_band(lo - 1):
        lo -= 1
    while hi + 1 <= k_top and in_band(hi + 1):
        hi += 1
    if anchored and anchor >= 1:
        # A coarse sweep can jump across the whole band in one step: the chord between the
        # two points bracketing the threshold is then the best estimate of the tangent.
        lo = min(lo, anchor - 1)
    if anchored and hi == n - 1 and rise[hi] < hi_band:
        warnings.append(f"tangent method: the sweep ends at {v[-1]:.3f} V before the rise "
                        f"reaches {hi_band:.3g} mA/cm², so the steep-rise tangent is cut "
                        "short by the scan limit")
    steep_idx = np.arange(lo, hi + 1)
    # Baseline: up to the last point, walking back from the steep window, whose rise is
    # below baseline_fraction of the centre current (walking back, not forward, so that a
    # noise excursion early in the baseline does not end it).
    first_rise = lo
    while first_rise > 0 and rise[first_rise - 1] >= baseline_fraction * centre:
        first_rise -= 1
    base_idx = np.arange(0, first_rise)
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
                rise_ratio: float = 3.0, source: str | None = None) -> LSVResult:
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
        Tangent method: the baseline ends where the rise above the background, going back
        from the steep-rise window, drops below this fraction of ``threshold_ma_cm2``
        (default 0.05). A fraction of the threshold, not of the maximum current, because
        the maximum grows with the scan limit.
    rise_ratio : float
        Tangent method: width of the steep-rise window as a ratio of currents, > 1
        (default 3). The line is fitted to the points around the threshold crossing whose
        rise above the background lies between ``threshold_ma_cm2 / sqrt(rise_ratio)``
        and ``threshold_ma_cm2 * sqrt(rise_ratio)``; on an exponential rise with ``b`` V
        per e-fold that is ``b * ln(rise_ratio)`` V wide. Widen it for noisy data; a
        narrower window is closer to the tangent at the threshold point itself (with the
        default the fitted line meets the baseline about 0.02 ``b`` before the exact
        tangent at the threshold point would).
    source : str, optional

    Returns
    -------
    LSVResult

    Raises
    ------
    AnalysisError
        Missing columns (or an EIS table), fewer than 10 points, non-positive or NaN
        area, ``rise_ratio`` not a number > 1, or a potential range that does not sweep
        in ``direction``.
    """
    area = _checks.positive_number(area_cm2, "area_cm2")
    threshold = _checks.positive_number(threshold_ma_cm2, "threshold_ma_cm2")
    _checks.one_of(direction, "direction", ("anodic", "cathodic"))
    _checks.one_of(primary, "primary", ("threshold", "tangent"))
    bf = _checks.fraction(baseline_fraction, "baseline_fraction")
    ratio = _checks.finite_number(rise_ratio, "rise_ratio")
    if ratio <= 1.0:
        raise AnalysisError(f"rise_ratio: expected a ratio of currents > 1, got {ratio!r}")
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
    onset_tan, lines = _tangent_onset(v, j, threshold, int(min_consecutive), bf, ratio,
                                       warnings)
    window = onset_thr if primary == "threshold" else onset_tan
    return LSVResult(
        stability_window_v=float(window), onset_threshold_v=float(onset_thr),
        onset_tangent_v=float(onset_tan), threshold_ma_cm2=threshold,
        direction=direction, scan_limit_v=float(v[-1]),
        max_current_density_ma_cm2=float(np.max(np.abs(j))),
        tangents={**lines, "area_cm2": area, "sign": sign},
        method=f"lsv_{primary}", warnings=warnings, source=source)
