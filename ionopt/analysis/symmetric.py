"""Li | electrolyte | Li symmetric-cell cycling: overpotential and short circuit.

Input: ``time_s`` and ``potential_v`` (cell voltage), plus ``current_a`` when available.
The record is split into half-cycles, runs of one current direction (rows with
|I| <= 1e-4 x max|I| are rest and belong to no half-cycle); without ``current_a`` the sign
of the voltage is used instead.

* Overpotential of a half-cycle: its largest |V|, in mV (``overpotential_*_mv``; the
  per-half-cycle table also gives the mean |V|). ``overpotential_initial_mv`` and
  ``overpotential_final_mv`` are medians over the first and last three half-cycles
  (before a short, if any).
* Short circuit (criterion, stated): a half-cycle whose largest |V| is below
  ``short_fraction`` (default 0.5) of the running median of the largest |V| of the
  preceding ``window`` (default 10, at least 3) half-cycles is *collapsed*; a short is
  ``consecutive`` (default 3) collapsed half-cycles in a row. ``short_circuit_h`` is the
  time the voltage collapsed: in the half-cycle before the run, the point after the last
  |V| above the threshold if the collapse started there, else the start of the first
  collapsed half-cycle. Without a short it is NaN and ``note`` says how long the cell
  cycled. Soft shorts that show only as voltage noise are not detected by this rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

_NAN = float("nan")
_REST_FRACTION = 1e-4


@dataclass(kw_only=True)
class SymmetricResult(AnalysisResult):
    """Overpotential history and short-circuit time of a symmetric Li cell.

    Attributes
    ----------
    short_circuit_h : float
        Time of the short circuit, h (NaN when none).
    cycling_time_h : float
        Duration of the record, h.
    n_half_cycles : int
    overpotential_initial_mv, overpotential_final_mv, overpotential_max_mv : float
        Largest |V| per half-cycle: median of the first three, of the last three (before
        the short), and the maximum, mV.
    note : str
        Plain-language finding (e.g. no short within the record).
    half_cycles : pandas.DataFrame
        Per half-cycle (not exported): ``index``, ``start_h``, ``end_h``, ``sign``,
        ``max_abs_v_mv``, ``mean_abs_v_mv``, ``collapsed``.
    """

    short_circuit_h: float
    cycling_time_h: float
    n_half_cycles: int
    overpotential_initial_mv: float
    overpotential_final_mv: float
    overpotential_max_mv: float
    note: str = ""
    half_cycles: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False,
                                      metadata={"export": False})


def _direction(table: pd.DataFrame) -> np.ndarray:
    source = table["current_a"] if "current_a" in table.columns else table["potential_v"]
    values = source.to_numpy()
    tol = _REST_FRACTION * float(np.max(np.abs(values)))
    return np.where(values > tol, 1, np.where(values < -tol, -1, 0))


def _half_cycles(t: np.ndarray, v: np.ndarray, sign: np.ndarray) -> pd.DataFrame:
    rows = []
    start = None
    for k in range(sign.size + 1):
        boundary = k == sign.size or (start is not None and sign[k] != sign[start])
        if start is not None and boundary:
            seg = np.abs(v[start:k]) * 1000.0
            rows.append({"first_row": start, "last_row": k - 1, "start_h": t[start] / 3600,
                         "end_h": t[k - 1] / 3600, "sign": int(sign[start]),
                         "max_abs_v_mv": float(seg.max()), "mean_abs_v_mv": float(seg.mean())})
            start = None
        if k < sign.size and start is None and sign[k] != 0:
            start = k
    return pd.DataFrame(rows)


def analyze_symmetric(data: pd.DataFrame, *, short_fraction: float = 0.5,
                      consecutive: int = 3, window: int = 10,
                      source: str | None = None) -> SymmetricResult:
    """Overpotential vs time and time to short circuit of a Li | Li cell.

    Parameters
    ----------
    data : pandas.DataFrame
        ``time_s`` and ``potential_v``; ``current_a`` if available (recommended).
    short_fraction : float
        Collapse threshold as a fraction of the running median (default 0.5).
    consecutive : int
        Collapsed half-cycles in a row that make a short (default 3).
    window : int
        Half-cycles in the running median (default 10; >= 3).
    source : str, optional

    Returns
    -------
    SymmetricResult

    Raises
    ------
    AnalysisError
        Missing columns, fewer than 10 rows, time that does not advance, fewer than two
        half-cycles, or bad options.
    """
    frac = _checks.fraction(short_fraction, "short_fraction")
    for name, value, low in (("consecutive", consecutive, 1), ("window", window, 3)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise AnalysisError(f"{name}: expected an integer >= {low}, got {value!r}")
    cols = ["time_s", "potential_v"]
    if isinstance(data, pd.DataFrame) and "current_a" in data.columns:
        cols.append("current_a")
    table = _checks.frame(data, "data", cols, "symmetric-cell cycling", min_rows=10)
    t = table["time_s"].to_numpy()
    v = table["potential_v"].to_numpy()
    if t[-1] <= t[0]:
        raise AnalysisError("data: time_s does not advance")
    t = t - t[0]  # hours are counted from the first record
    halves = _half_cycles(t, v, _direction(table))
    if len(halves) < 2:
        raise AnalysisError(f"data: found {len(halves)} half-cycle(s); a symmetric-cell test "
                            "alternates the current direction (need at least 2)")
    peaks = halves["max_abs_v_mv"].to_numpy()
    collapsed = np.zeros(peaks.size, dtype=bool)
    thresholds = np.full(peaks.size, np.nan)
    accepted: list[float] = []  # peaks of the half-cycles not collapsed, in order
    for k in range(peaks.size):
        if len(accepted) >= 3:
            thresholds[k] = frac * float(np.median(accepted[-window:]))
            collapsed[k] = peaks[k] < thresholds[k]
        if not collapsed[k]:
            accepted.append(float(peaks[k]))
    halves["collapsed"] = collapsed
    short_idx = None
    run = 0
    for k, flag in enumerate(collapsed):
        run = run + 1 if flag else 0
        if run >= consecutive:
            short_idx = k - consecutive + 1
            break
    warnings: list[str] = []
    duration_h = (t[-1] - t[0]) / 3600.0
    if short_idx is None:
        short_h = _NAN
        note = (f"no short circuit within {duration_h:.1f} h of cycling "
                f"({len(halves)} half-cycles; criterion: {consecutive} half-cycles below "
                f"{frac:.0%} of the running median overpotential)")
        if collapsed.any():
            warnings.append(f"{int(collapsed.sum())} isolated half-cycle(s) with collapsed "
                            "voltage: possible soft short")
        before = peaks
    else:
        first = halves.iloc[short_idx]
        short_h = float(first["start_h"])
        if short_idx > 0:
            prev = halves.iloc[short_idx - 1]
            seg = np.abs(v[int(prev["first_row"]):int(prev["last_row"]) + 1]) * 1000.0
            high = np.flatnonzero(seg >= thresholds[short_idx])
            if high.size and high[-1] < seg.size - 1:
                short_h = float(t[int(prev["first_row"]) + high[-1] + 1] / 3600.0)
        note = f"short circuit at {short_h:.2f} h (half-cycle {short_idx + 1})"
        before = peaks[:short_idx]
    if before.size == 0:
        before = peaks[:1]
    return SymmetricResult(
        short_circuit_h=short_h, cycling_time_h=float(duration_h),
        n_half_cycles=len(halves),
        overpotential_initial_mv=float(np.median(before[:3])),
        overpotential_final_mv=float(np.median(before[-3:])),
        overpotential_max_mv=float(before.max()),
        note=note, half_cycles=halves.drop(columns=["first_row", "last_row"]),
        method="symmetric_running_median_collapse", warnings=warnings, source=source)
