"""Input checks shared by the non-EIS analyses (private).

Every failure raises :class:`ionopt.errors.AnalysisError` naming the argument or column
and what was expected, so the message alone tells a researcher what to fix.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ionopt.errors import AnalysisError

#: Column names that reveal an impedance table handed to a DC analysis.
_EIS_HINTS = ("freq_hz", "frequency_hz", "z_real_ohm", "z_imag_ohm", "zreal_ohm", "zimag_ohm")


def positive_number(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), else raise AnalysisError."""
    number = finite_number(value, name)
    if number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise AnalysisError(f"{name}: expected a number {bound}, got {number!r}")
    return number


def finite_number(value: object, name: str) -> float:
    """Return ``value`` as a finite float, else raise AnalysisError."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AnalysisError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise AnalysisError(f"{name}: expected a finite number, got {number!r}")
    return number


def fraction(value: object, name: str) -> float:
    """Return ``value`` as a float strictly between 0 and 1."""
    number = finite_number(value, name)
    if not 0.0 < number < 1.0:
        raise AnalysisError(f"{name}: expected a fraction between 0 and 1, got {number!r}")
    return number


def float_array(values: object, name: str, *, min_points: int = 1) -> np.ndarray:
    """1-D float array of finite values with at least ``min_points`` entries."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError(f"{name}: expected a sequence of numbers") from None
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise AnalysisError(f"{name}: expected a 1-D sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise AnalysisError(f"{name}: entry {bad} is not a finite number ({arr[bad]!r})")
    if arr.size < min_points:
        raise AnalysisError(f"{name}: expected at least {min_points} points, got {arr.size}")
    return arr


def frame(df: object, name: str, required: Sequence[str], technique: str,
          *, min_rows: int = 2) -> pd.DataFrame:
    """Check ``df`` is a DataFrame holding ``required`` numeric columns.

    Rows with a missing value in a required column are dropped; if fewer than
    ``min_rows`` rows remain an AnalysisError says so. An impedance table (``freq_hz``
    ...) gets a message naming the wrong technique.
    """
    if not isinstance(df, pd.DataFrame):
        raise AnalysisError(f"{name}: expected a pandas DataFrame with columns "
                            f"{list(required)} ({technique}), got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = ""
        if any(c in df.columns for c in _EIS_HINTS):
            hint = " (this looks like an impedance/EIS table, not " + technique + " data)"
        raise AnalysisError(
            f"{name}: missing column(s) {missing} for {technique}; expected {list(required)}, "
            f"found {list(map(str, df.columns))}{hint}")
    out = df.loc[:, list(required)].copy()
    for col in required:
        try:
            out[col] = pd.to_numeric(out[col], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise AnalysisError(f"{name}: column {col!r} must be numeric") from None
        if np.isinf(out[col].to_numpy()).any():
            raise AnalysisError(f"{name}: column {col!r} holds infinite values")
    out = out.dropna().reset_index(drop=True)
    if len(out) < min_rows:
        raise AnalysisError(f"{name}: expected at least {min_rows} rows with numbers in "
                            f"{list(required)} for {technique}, got {len(out)}")
    return out


def one_of(value: object, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise AnalysisError."""
    options = list(choices)
    if value not in options:
        raise AnalysisError(f"{name}: expected one of {options}, got {value!r}")
    return str(value)


def r_squared(y: np.ndarray, y_fit: np.ndarray) -> float:
    """Coefficient of determination of ``y_fit`` against ``y`` (NaN if ``y`` is constant)."""
    ss_res = float(np.sum((y - y_fit) ** 2))
    ss_tot = float(np.sum((y - np.mean(y)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
