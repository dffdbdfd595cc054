"""Tensile properties of an electrolyte film from a uniaxial tension test.

Input is either engineering stress-strain (``strain_pct``, ``stress_mpa``) or the raw
force-displacement record (``force_n``, ``displacement_mm``) plus the specimen geometry
(``width_mm``, ``thickness_um``, ``gauge_length_mm``), converted as::

    stress (MPa) = force (N) / (width (mm) * thickness (mm))
    strain (%)   = 100 * displacement (mm) / gauge length (mm)

Quantities, following the definitions of ASTM D882 / ISO 527-3 (thin plastic films):

* ``tensile_strength_mpa``: the maximum engineering stress.
* ``elongation_at_break_pct``: the strain of the last point before the stress falls below
  ``break_fraction`` (default 10 %) of the maximum after the maximum; the last point of the
  record when it never does (the record ends at break).
* ``youngs_modulus_mpa``: slope (MPa per unit strain) of the initial linear region. Rule:
  straight lines are fitted to every seed window of ``window_fraction`` (default 1 %, at
  least 5 points) of the points up to the maximum stress; among seeds with
  R² >= ``min_r2`` (0.995) the steepest is taken (the "steepest linear segment", which
  skips the toe region of a slack specimen and the softening past yield), then grown
  point by point, forwards and backwards, while each new point lies on the line
  (within 3 residual standard deviations of the fit, or 1 % of the window's stress rise)
  and the fit keeps R² >= ``min_r2``; the slope of the grown window is the modulus and
  its strain range is reported. If no seed reaches ``min_r2`` the most linear seed is used with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError


@dataclass(kw_only=True)
class TensileResult(AnalysisResult):
    """Tensile strength, Young's modulus and elongation at break.

    Attributes
    ----------
    tensile_strength_mpa : float
        Maximum engineering stress, MPa.
    youngs_modulus_mpa : float
        Slope of the initial linear region, MPa.
    elongation_at_break_pct : float
        Engineering strain at break, %.
    strain_at_max_stress_pct : float
    modulus_strain_start_pct, modulus_strain_end_pct : float
        Strain range of the window the modulus was fitted on, %.
    modulus_r_squared : float
        R² of that straight-line fit.
    """

    tensile_strength_mpa: float
    youngs_modulus_mpa: float
    elongation_at_break_pct: float
    strain_at_max_stress_pct: float
    modulus_strain_start_pct: float
    modulus_strain_end_pct: float
    modulus_r_squared: float


def _stress_strain(data: pd.DataFrame, width_mm: float | None, thickness_um: float | None,
                   gauge_length_mm: float | None) -> tuple[np.ndarray, np.ndarray, str]:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if {"strain_pct", "stress_mpa"} <= set(data.columns):
        table = _checks.frame(data, "data", ["strain_pct", "stress_mpa"], "a tensile test",
                              min_rows=10)
        return table["strain_pct"].to_numpy(), table["stress_mpa"].to_numpy(), "stress_strain"
    if {"force_n", "displacement_mm"} <= set(data.columns):
        table = _checks.frame(data, "data", ["force_n", "displacement_mm"], "a tensile test",
                              min_rows=10)
        missing = [n for n, v in (("width_mm", width_mm), ("thickness_um", thickness_um),
                                  ("gauge_length_mm", gauge_length_mm)) if v is None]
        if missing:
            raise AnalysisError(f"{', '.join(missing)}: required to convert force_n and "
                                "displacement_mm to stress and strain")
        w = _checks.positive_number(width_mm, "width_mm")
        th = _checks.positive_number(thickness_um, "thickness_um") / 1000.0
        l0 = _checks.positive_number(gauge_length_mm, "gauge_length_mm")
        stress = table["force_n"].to_numpy() / (w * th)
        strain = 100.0 * table["displacement_mm"].to_numpy() / l0
        return strain, stress, "force_displacement"
    # neither pair complete: name what is missing
    _checks.frame(data, "data", ["strain_pct", "stress_mpa"],
                  "a tensile test (or force_n + displacement_mm with geometry)")
    raise AssertionError("unreachable")  # pragma: no cover


class _LineFits:
    """O(1) least-squares line fits over any index range, from cumulative sums."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x = x - x.mean()
        self._y = y - y.mean()
        self._c = [np.concatenate([[0.0], np.cumsum(v)])
                   for v in (self._x, self._y, self._x ** 2, self._x * self._y, self._y ** 2)]

    def _moments(self, start, stop):  # noqa: ANN001, ANN202
        n = np.asarray(stop) - np.asarray(start)
        sx, sy, sxx, sxy, syy = (c[stop] - c[start] for c in self._c)
        return n, sx, sy, sxx - sx * sx / n, sxy - sx * sy / n, syy - sy * sy / n, syy

    def fit(self, start: np.ndarray | int, stop: np.ndarray | int) -> tuple:
        """Slope, R² and validity of the fits over ``start:stop`` (arrays or ints)."""
        _, _, _, vxx, vxy, vyy, syy = self._moments(start, stop)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = vxy / vxx
            r2 = np.where(vyy <= 1e-24 * np.maximum(syy, 1.0), 1.0, vxy * vxy / (vxx * vyy))
        ok = (vxx > 1e-300) & np.isfinite(slope) & np.isfinite(r2)
        return slope, np.where(ok, r2, np.nan), ok

    def fits_next(self, start: int, stop: int, k: int, rel_tol: float) -> bool:
        """Whether point ``k`` lies on the line fitted to ``start:stop``.

        Accepted when its deviation is within 3 residual standard deviations of the fit,
        or within ``rel_tol`` of the stress rise over the window (floor for noise-free data).
        """
        n, sx, sy, vxx, vxy, vyy, _ = self._moments(start, stop)
        if vxx <= 0:
            return False
        slope = vxy / vxx
        predicted = sy / n + slope * (self._x[k] - sx / n)
        s_res = np.sqrt(max(vyy - slope * vxy, 0.0) / max(n - 2, 1))
        rise = abs(slope * (self._x[stop - 1] - self._x[start]))
        tolerance = max(3.0 * s_res, rel_tol * rise)
        return bool(abs(self._y[k] - predicted) <= tolerance)


def _modulus(strain_pct: np.ndarray, stress: np.ndarray, k_max: int, window_fraction: float,
             min_r2: float, warnings: list[str]) -> tuple[float, float, float, float]:
    eps = strain_pct[: k_max + 1] / 100.0
    sig = stress[: k_max + 1]
    n = eps.size
    width = max(5, int(round(window_fraction * n)))
    if n < width:
        raise AnalysisError(f"data: only {n} points up to the maximum stress; need at least "
                            "5 to fit the initial linear region")
    fits = _LineFits(eps, sig)
    starts = np.arange(0, n - width + 1)
    slopes, r2s, valid = fits.fit(starts, starts + width)
    if not valid.any():
        raise AnalysisError("data: strain does not increase up to the maximum stress; "
                            "cannot fit a modulus")
    good = valid & (r2s >= min_r2)
    if good.any():
        lo = int(starts[good][np.argmax(slopes[good])])
    else:
        lo = int(starts[valid][np.nanargmax(r2s[valid])])
        warnings.append(f"no window reaches R² >= {min_r2}; modulus from the most linear "
                        f"window (R² = {r2s[lo]:.3f})")
        return float(slopes[lo]), float(r2s[lo]), float(eps[lo] * 100), \
            float(eps[lo + width - 1] * 100)
    hi = lo + width
    # grow the seed window while the straight line still fits (R² >= min_r2)
    while hi < n and fits.fits_next(lo, hi, hi, 0.01) and fits.fit(lo, hi + 1)[1] >= min_r2:
        hi += 1
    while lo > 0 and fits.fits_next(lo, hi, lo - 1, 0.01) and fits.fit(lo - 1, hi)[1] >= min_r2:
        lo -= 1
    slope, r2, _ = fits.fit(lo, hi)
    return float(slope), float(r2), float(eps[lo] * 100), float(eps[hi - 1] * 100)


def analyze_tensile(data: pd.DataFrame, *, width_mm: float | None = None,
                    thickness_um: float | None = None, gauge_length_mm: float | None = None,
                    break_fraction: float = 0.1, window_fraction: float = 0.01,
                    min_r2: float = 0.995, source: str | None = None) -> TensileResult:
    """Tensile strength, Young's modulus and elongation at break.

    Parameters
    ----------
    data : pandas.DataFrame
        ``strain_pct`` and ``stress_mpa``, or ``force_n`` and ``displacement_mm``.
    width_mm, thickness_um, gauge_length_mm : float, optional
        Specimen width (mm), thickness (µm) and initial gauge length (mm); required with
        force-displacement data.
    break_fraction : float
        Break = stress falling below this fraction of the maximum (default 0.1).
    window_fraction : float
        Width of the modulus seed window as a fraction of the points up to the maximum
        stress (default 0.01; at least 5 points).
    min_r2 : float
        Linearity a window needs for the modulus (default 0.995).
    source : str, optional

    Returns
    -------
    TensileResult

    Raises
    ------
    AnalysisError
        Missing columns, fewer than 10 points, missing/NaN/non-positive geometry, or a
        curve without positive stress.
    """
    bf = _checks.fraction(break_fraction, "break_fraction")
    wf = _checks.fraction(window_fraction, "window_fraction")
    r2_min = _checks.fraction(min_r2, "min_r2")
    strain, stress, kind = _stress_strain(data, width_mm, thickness_um, gauge_length_mm)
    warnings: list[str] = []
    k_max = int(np.argmax(stress))
    uts = float(stress[k_max])
    if uts <= 0:
        raise AnalysisError("data: stress never positive; not a tensile test")
    if np.any(np.diff(strain[: k_max + 1]) < 0):
        order = np.argsort(strain[: k_max + 1], kind="stable")
        warnings.append("strain decreases before the maximum stress; points sorted by strain "
                        "for the modulus")
        strain_m, stress_m = strain[: k_max + 1][order], stress[: k_max + 1][order]
    else:
        strain_m, stress_m = strain, stress
    modulus, r2, eps0, eps1 = _modulus(strain_m, stress_m, k_max, wf, r2_min, warnings)
    after = np.flatnonzero(stress[k_max:] < bf * uts)
    if after.size:
        k_break = k_max + int(after[0]) - 1
    else:
        k_break = stress.size - 1
    elongation = float(strain[k_break])
    if k_break == k_max and k_max == stress.size - 1:
        warnings.append("the record ends at the maximum stress: the specimen may not have "
                        "broken (test stopped early?)")
    if strain.max() > 0 and strain.max() < 0.5:
        warnings.append(f"largest strain {strain.max():.3g} %: strain given as a fraction "
                        "instead of percent?")
    return TensileResult(
        tensile_strength_mpa=uts, youngs_modulus_mpa=modulus,
        elongation_at_break_pct=elongation, strain_at_max_stress_pct=float(strain[k_max]),
        modulus_strain_start_pct=eps0, modulus_strain_end_pct=eps1, modulus_r_squared=r2,
        method=f"tensile_{kind}_steepest_linear_window", warnings=warnings, source=source)
