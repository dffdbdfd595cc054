"""Li+ transference number by the Bruce-Vincent(-Evans) potentiostatic polarization.

A symmetric Li | electrolyte | Li cell is polarized by a small dc step ``delta_v``; the
current falls from ``I_0`` to a steady state ``I_s``. With the interfacial (passivation
layer) resistances ``R_0`` before and ``R_s`` after polarization, from impedance::

    t+ = I_s (delta_v - I_0 R_0) / (I_0 (delta_v - I_s R_s))

References: Evans, Vincent & Bruce, *Polymer* 28 (1987) 2324; Bruce & Vincent,
*J. Electroanal. Chem.* 225 (1987) 1. The method assumes dilute, ideal solutions and a
small step (about 10 mV) so that the response is linear; larger steps bias t+.

How the currents are taken from a chronoamperogram (``time_s``, ``current_a``):

* ``I_0``: ``i0_method="first"`` (default) takes the first recorded point at or after
  t = 0; ``"extrapolate"`` fits ``I(t) = I_s + a exp(-t/tau)`` to the record and takes
  ``I_s + a`` at the first time stamp; ``"ohmic"`` uses ``delta_v / (R_b + R_0)`` with the
  bulk resistance ``bulk_resistance_ohm`` from impedance (Evans et al. 1987), which avoids
  the double-layer charging spike of the first points.
* ``I_s``: mean current over the last ``steady_fraction`` (default 5 %) of the record's
  duration. Steady state is accepted when the relative drift of the current, a straight
  line fitted over the last ``drift_fraction`` (default 20 %) of the duration, is below
  ``max_drift_pct_per_h`` (default 1 %/h); otherwise the result carries a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

_NAN = float("nan")
_I0_METHODS = ("first", "extrapolate", "ohmic")
#: Attribute names read from an EIS result passed as ``r0_ohm``/``rss_ohm``.
_EIS_R_ATTRS = ("interfacial_resistance_ohm", "r_interface_ohm")
#: Above this step the linear-response assumption of Bruce-Vincent is doubtful.
_MAX_SMALL_STEP_V = 0.05


@dataclass(kw_only=True)
class TransferenceResult(AnalysisResult):
    """Bruce-Vincent transference number and the numbers it came from.

    Attributes
    ----------
    transference_number : float
        Li+ transference number t+ (dimensionless).
    initial_current_a, steady_current_a : float
        I_0 and I_s (absolute values), A.
    delta_v : float
        Polarization step (absolute value), V.
    r0_ohm, rss_ohm : float
        Interfacial resistance before and after polarization, ohm.
    current_ratio : float
        I_s / I_0, the uncorrected estimate of t+.
    drift_pct_per_h : float
        Relative drift of the current at the end of the record, %/h (NaN from numbers).
    steady_state_reached : bool or None
        Whether the drift criterion was met (None when the currents were given).
    polarization_time_h : float
        Duration of the chronoamperogram, h (NaN from numbers).
    """

    transference_number: float
    initial_current_a: float
    steady_current_a: float
    delta_v: float
    r0_ohm: float
    rss_ohm: float
    current_ratio: float
    drift_pct_per_h: float = _NAN
    steady_state_reached: bool | None = None
    polarization_time_h: float = _NAN


def bruce_vincent(i0_a: float, iss_a: float, delta_v: float, r0_ohm: float,
                  rss_ohm: float) -> float:
    """Closed-form Bruce-Vincent t+ = I_s (dV - I_0 R_0) / (I_0 (dV - I_s R_s)).

    Parameters
    ----------
    i0_a, iss_a : float
        Initial and steady-state current, A (signs ignored; both taken as magnitudes).
    delta_v : float
        Applied polarization, V (magnitude).
    r0_ohm, rss_ohm : float
        Interfacial resistance before and after polarization, ohm (>= 0).

    Returns
    -------
    float
        t+ (dimensionless).

    Raises
    ------
    AnalysisError
        A zero current or step, a negative resistance, or ``delta_v == I_s R_s``.
    """
    i0 = abs(_checks.finite_number(i0_a, "i0_a"))
    iss = abs(_checks.finite_number(iss_a, "iss_a"))
    dv = abs(_checks.finite_number(delta_v, "delta_v"))
    r0 = _checks.positive_number(r0_ohm, "r0_ohm", allow_zero=True)
    rs = _checks.positive_number(rss_ohm, "rss_ohm", allow_zero=True)
    if i0 == 0:
        raise AnalysisError("i0_a: the initial current must not be zero")
    if dv == 0:
        raise AnalysisError("delta_v: the polarization step must not be zero")
    denominator = i0 * (dv - iss * rs)
    if denominator == 0:
        raise AnalysisError("rss_ohm: delta_v - I_s R_s is zero; t+ undefined")
    return iss * (dv - i0 * r0) / denominator


def _resistance(value: Any, name: str) -> float:
    """A number, or the interfacial resistance of an EIS result object."""
    if isinstance(value, (int, float, np.floating, np.integer)):
        return _checks.positive_number(value, name, allow_zero=True)
    for attr in _EIS_R_ATTRS:
        if hasattr(value, attr):
            return _checks.positive_number(getattr(value, attr), f"{name}.{attr}",
                                           allow_zero=True)
    raise AnalysisError(f"{name}: expected a resistance in ohm or an EIS result with one of "
                        f"{list(_EIS_R_ATTRS)}, got {type(value).__name__}")


def _steady_state(t: np.ndarray, i: np.ndarray, steady_fraction: float,
                  drift_fraction: float) -> tuple[float, float]:
    """Mean of the last part of the record and the relative drift (%/h) at its end."""
    duration = t[-1] - t[0]
    tail = t >= t[-1] - steady_fraction * duration
    if tail.sum() < 2:
        tail[-2:] = True
    i_s = float(np.mean(i[tail]))
    window = t >= t[-1] - drift_fraction * duration
    if window.sum() < 3:
        window[-3:] = True
    slope = float(np.polyfit(t[window], i[window], 1)[0])  # A/s
    drift = slope * 3600.0 / i_s * 100.0 if i_s != 0 else _NAN
    return i_s, drift


def _extrapolated_i0(t: np.ndarray, i: np.ndarray, i_s: float,
                     warnings: list[str]) -> float:
    """I_0 from a single-exponential fit I = I_s + a exp(-(t - t0)/tau) at t0."""
    t_rel = t - t[0]
    a0 = max(i[0] - i_s, 1e-12 * max(abs(i[0]), 1e-30))
    # initial tau: time for the excess current to fall to 1/e
    excess = i - i_s
    below = np.flatnonzero(excess < a0 / math.e)
    tau0 = float(t_rel[below[0]]) if below.size and t_rel[below[0]] > 0 else t_rel[-1] / 5
    try:
        popt, _ = optimize.curve_fit(
            lambda x, ss, a, tau: ss + a * np.exp(-x / tau), t_rel, i,
            p0=[i_s, a0, max(tau0, 1e-9)],
            bounds=([-np.inf, 0.0, 1e-9], [np.inf, np.inf, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError):
        warnings.append("i0_method='extrapolate': exponential fit failed; used the first point")
        return float(i[0])
    fitted = popt[0] + popt[1] * np.exp(-t_rel / popt[2])
    r2 = _checks.r_squared(i, fitted)
    if not r2 >= 0.95:
        warnings.append(f"i0_method='extrapolate': single exponential describes the decay "
                        f"poorly (R² = {r2:.3f}); I_0 uncertain")
    return float(popt[0] + popt[1])


def analyze_transference(data: pd.DataFrame | None = None, *, delta_v: float,
                         r0_ohm: Any, rss_ohm: Any, i0_a: float | None = None,
                         iss_a: float | None = None, i0_method: str = "first",
                         bulk_resistance_ohm: Any = None,
                         steady_fraction: float = 0.05, drift_fraction: float = 0.2,
                         max_drift_pct_per_h: float = 1.0,
                         source: str | None = None) -> TransferenceResult:
    """Bruce-Vincent t+ from currents given as numbers or from a chronoamperogram.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Chronoamperometry with columns ``time_s`` and ``current_a``. Leave out to give
        ``i0_a`` and ``iss_a`` directly.
    delta_v : float
        Applied polarization step, V (typically 0.01 V).
    r0_ohm, rss_ohm : float or EIS result
        Interfacial resistance before/after polarization, ohm; or an EIS result object
        with an ``interfacial_resistance_ohm`` attribute.
    i0_a, iss_a : float, optional
        Initial and steady-state current, A (override the values taken from ``data``).
    i0_method : {"first", "extrapolate", "ohmic"}
        How I_0 is taken from ``data`` (see the module docstring).
    bulk_resistance_ohm : float or EIS result, optional
        Bulk electrolyte resistance, ohm (or an EIS result's ``r_bulk_ohm``); required
        for ``i0_method="ohmic"``.
    steady_fraction : float
        Fraction of the duration at the end averaged for I_s (default 0.05).
    drift_fraction : float
        Fraction of the duration at the end over which the drift is fitted (default 0.2).
    max_drift_pct_per_h : float
        Steady-state criterion: |drift| below this, %/h (default 1).
    source : str, optional

    Returns
    -------
    TransferenceResult

    Raises
    ------
    AnalysisError
        Missing currents, wrong columns, fewer than 10 points, bad resistances or options.
    """
    dv = abs(_checks.finite_number(delta_v, "delta_v"))
    if dv == 0:
        raise AnalysisError("delta_v: the polarization step must not be zero")
    r0 = _resistance(r0_ohm, "r0_ohm")
    rs = _resistance(rss_ohm, "rss_ohm")
    _checks.one_of(i0_method, "i0_method", _I0_METHODS)
    warnings: list[str] = []
    drift = _NAN
    steady: bool | None = None
    duration_h = _NAN
    method = "bruce_vincent"

    if data is None:
        if i0_a is None or iss_a is None:
            raise AnalysisError("data: give a chronoamperometry DataFrame (time_s, current_a) "
                                "or both i0_a and iss_a")
        i0 = abs(_checks.finite_number(i0_a, "i0_a"))
        i_s = abs(_checks.finite_number(iss_a, "iss_a"))
    else:
        sf = _checks.fraction(steady_fraction, "steady_fraction")
        df_ = _checks.fraction(drift_fraction, "drift_fraction")
        max_drift = _checks.positive_number(max_drift_pct_per_h, "max_drift_pct_per_h")
        table = _checks.frame(data, "data", ["time_s", "current_a"], "chronoamperometry",
                              min_rows=10)
        table = table.sort_values("time_s", kind="stable")
        table = table[table["time_s"] >= 0]
        if len(table) < 10:
            raise AnalysisError("data: expected at least 10 points at time_s >= 0")
        t = table["time_s"].to_numpy()
        i = table["current_a"].to_numpy()
        if t[-1] <= t[0]:
            raise AnalysisError("data: time_s does not advance")
        sign = np.sign(np.median(i))
        if sign == 0:
            raise AnalysisError("data: current_a is zero; no polarization current recorded")
        if np.any(np.sign(i[np.abs(i) > 0]) != sign):
            warnings.append("current_a changes sign during the polarization")
        i = np.abs(i)
        i_s, drift = _steady_state(t, i, sf, df_)
        steady = bool(abs(drift) < max_drift) if math.isfinite(drift) else False
        duration_h = (t[-1] - t[0]) / 3600.0
        if not steady:
            warnings.append(f"steady state not reached: current drifts {drift:+.2f} %/h over "
                            f"the last {df_:.0%} of {duration_h:.2f} h "
                            f"(criterion |drift| < {max_drift} %/h); I_s and t+ uncertain")
        if i0_method == "first":
            i0 = float(i[0])
            if t[0] > 1.0:
                warnings.append(f"first current point is at t = {t[0]:.3g} s, not at the "
                                "step; I_0 may be underestimated")
        elif i0_method == "extrapolate":
            i0 = _extrapolated_i0(t, i, i_s, warnings)
        else:
            if bulk_resistance_ohm is None:
                raise AnalysisError("bulk_resistance_ohm: required for i0_method='ohmic' "
                                    "(I_0 = delta_v / (R_b + R_0))")
            if hasattr(bulk_resistance_ohm, "r_bulk_ohm"):  # an EIS result
                rb = _checks.positive_number(bulk_resistance_ohm.r_bulk_ohm,
                                             "bulk_resistance_ohm.r_bulk_ohm")
            else:
                rb = _checks.positive_number(bulk_resistance_ohm, "bulk_resistance_ohm")
            i0 = dv / (rb + r0)
        method += f"_i0_{i0_method}"
        if i0_a is not None:
            i0 = abs(_checks.finite_number(i0_a, "i0_a"))
        if iss_a is not None:
            i_s = abs(_checks.finite_number(iss_a, "iss_a"))

    if dv > _MAX_SMALL_STEP_V:
        warnings.append(f"delta_v = {dv * 1000:.0f} mV is large; Bruce-Vincent assumes a "
                        "small (~10 mV) linear-response step")
    if i_s > i0:
        warnings.append(f"steady current {i_s:.4g} A exceeds initial current {i0:.4g} A")
    if dv - i0 * r0 <= 0:
        warnings.append("delta_v - I_0 R_0 <= 0: the interfacial drop exceeds the applied "
                        "step; check R_0 and I_0")
    t_plus = bruce_vincent(i0, i_s, dv, r0, rs)
    if not 0.0 < t_plus < 1.0:
        warnings.append(f"t+ = {t_plus:.3f} lies outside (0, 1): not physical for a "
                        "binary salt; check R_0, R_s, I_0, I_s")
    return TransferenceResult(
        transference_number=float(t_plus), initial_current_a=float(i0),
        steady_current_a=float(i_s), delta_v=dv, r0_ohm=r0, rss_ohm=rs,
        current_ratio=float(i_s / i0), drift_pct_per_h=float(drift),
        steady_state_reached=steady, polarization_time_h=float(duration_h),
        method=method, warnings=warnings, source=source)
