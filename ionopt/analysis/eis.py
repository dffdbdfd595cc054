"""Bulk resistance and ionic conductivity from EIS of a blocking cell (SS | electrolyte | SS).

The spectrum of a blocking cell is, from high to low frequency, an optional inductive
tail (cables), the bulk arc ``R_b || CPE_b`` offset by a small series resistance ``R_s``
(leads, contacts), then the blocking-electrode spike ``CPE_dl``. A film conductive enough
has its arc above the highest measured frequency and shows only the spike, starting on
the real axis at ``R_s + R_b``.

What is reported
----------------
``r_bulk_ohm`` follows the lab convention: the real-axis value where the bulk arc ends and
the spike begins (the low-frequency intercept of the arc), i.e. ``R_s + R_b`` of the
circuit. It is measurable whether or not the arc itself is visible, and ``R_s`` is
normally negligible for stainless-steel blocking electrodes. When the arc's apex lies
inside the measured window, ``R_s`` and the arc diameter ``R_b`` are separable and given
as ``r_series_ohm`` and ``r_arc_ohm`` (``subtract_series=True`` then reports the arc
diameter as ``r_bulk_ohm``); otherwise those two are NaN and a warning says why.

How it is fitted
----------------
The model ``Z = R_s + R_b / (1 + (j w tau)^n_b) + k_dl (j w)^-n_dl + j w L`` is linear in
``R_s, R_b, k_dl = 1/Q_dl, L`` once ``tau, n_b, n_dl`` are fixed. The fit therefore
projects the linear parameters out (variable projection with non-negative least squares)
and searches only ``(log tau, n_b, n_dl)``: first on a grid covering the whole window,
solved exactly for every grid point at once, then by bounded ``least_squares`` from the
best few distinct grid points. No initial guess is asked of the user, and the arc/spike
ordering is enforced (the electrode CPE may not dominate at the arc's apex). A spike-only
model ``R + CPE_dl (+ L)`` is fitted too and preferred by AIC when the arc adds nothing.
Residuals are weighted by ``|Z|`` (proportional noise). When no model describes the data
the result falls back to model-free estimators: the minimum of ``-Z''`` between arc and
spike, or the high-frequency real-axis intercept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

__all__ = [
    "EISResult",
    "fit_bulk_resistance",
    "conductivity_s_cm",
    "analyze_eis",
    "hf_intercept",
    "min_neg_imag_intercept",
]

#: Method names reported in :attr:`EISResult.method`.
METHODS = ("circuit_fit", "spike_fit", "hf_intercept", "minimum_neg_imag")

_MIN_POINTS = 3          # below this nothing can be said
_MIN_POINTS_FIT = 8      # 3 nonlinear + up to 4 linear parameters need 2N >> 7
_FEW_POINTS = 20         # below this the fit is poorly constrained: warn
_ARC_DECADES_ABOVE = 3.0  # arc apex searched up to 10^3 x f_max (its tail is still seen)
_N_B_BOUNDS = (0.4, 1.0)
_N_DL_BOUNDS = (0.3, 1.0)
_N_B_GRID = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
_N_DL_GRID = np.array([0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
_TAU_PER_DECADE = 4


@dataclass(kw_only=True)
class EISResult(AnalysisResult):
    """Bulk resistance (and conductivity) of a blocking cell from one spectrum.

    Attributes
    ----------
    r_bulk_ohm : float
        Bulk resistance in ohm: the real-axis value where the bulk arc ends and the spike
        starts (``R_s + R_b``), or the arc diameter alone with ``subtract_series=True``
        when the arc is resolved.
    r_series_ohm : float
        Series (lead/contact) resistance in ohm; NaN when the arc is not resolved.
    r_arc_ohm : float
        Diameter of the bulk arc in ohm; NaN when the arc is not resolved.
    r_hf_intercept_ohm : float
        Model-free high-frequency real-axis intercept in ohm (interpolated where ``Z''``
        changes sign, else extrapolated from the highest-frequency points).
    conductivity_s_cm : float
        Ionic conductivity in S/cm; NaN without geometry.
    thickness_um, area_cm2 : float
        Geometry used for the conductivity (NaN when not given).
    rel_residual : float
        RMS of ``|Z - Z_fit| / |Z|`` over the points (fraction; ~0.014 for 1 % noise per
        component); NaN for the model-free methods.
    kk_residual_max_pct, kk_residual_rms_pct : float
        Largest and RMS relative residual of the linear Kramers–Kronig test, percent.
    n_points : int
        Finite points used.
    n_inductive : int
        High-frequency points with ``Z'' > 0``.
    freq_min_hz, freq_max_hz : float
        Measured frequency window.
    arc_freq_hz : float
        Apex frequency of the fitted bulk arc, ``1 / (2 pi tau)``; NaN for a spike fit.
    n_bulk, q_bulk : float
        Bulk CPE exponent and coefficient (S s^n); NaN for a spike fit.
    n_dl, q_dl : float
        Electrode CPE exponent and coefficient (S s^n); ``q_dl`` is inf when no spike.
    inductance_h : float
        Fitted series inductance in H (0 when no inductive points).
    """

    r_bulk_ohm: float
    r_series_ohm: float = math.nan
    r_arc_ohm: float = math.nan
    r_hf_intercept_ohm: float = math.nan
    conductivity_s_cm: float = math.nan
    thickness_um: float = math.nan
    area_cm2: float = math.nan
    rel_residual: float = math.nan
    kk_residual_max_pct: float = math.nan
    kk_residual_rms_pct: float = math.nan
    n_points: int = 0
    n_inductive: int = 0
    freq_min_hz: float = math.nan
    freq_max_hz: float = math.nan
    arc_freq_hz: float = math.nan
    n_bulk: float = math.nan
    q_bulk: float = math.nan
    n_dl: float = math.nan
    q_dl: float = math.nan
    inductance_h: float = 0.0
    # Arrays for plots and the fitted model; kept out of to_dict().
    freq_hz: np.ndarray = field(default=None, repr=False, metadata={"export": False})
    z_ohm: np.ndarray = field(default=None, repr=False, metadata={"export": False})
    z_fit_ohm: np.ndarray = field(default=None, repr=False, metadata={"export": False})
    model: str = field(default="", metadata={"export": False})
    model_params: dict = field(default_factory=dict, repr=False,
                               metadata={"export": False})

    def model_impedance(self, freq_hz) -> np.ndarray:
        """Impedance (ohm) of the fitted circuit at ``freq_hz`` (Hz); NaN without a fit."""
        from ionopt.analysis import circuits

        f = np.asarray(freq_hz, dtype=float)
        p = self.model_params
        if self.model == "blocking":
            return circuits.blocking_cell(f, p["r_s"], p["r_b"], p["q_b"], p["n_b"],
                                          p["q_dl"], p["n_dl"], p["l"])
        if self.model == "spike":
            return circuits.spike_cell(f, p["r"], p["q_dl"], p["n_dl"], p["l"])
        return np.full(f.shape, np.nan, dtype=complex)


# --------------------------------------------------------------------------- input


def _column(spectrum, name: str) -> np.ndarray:
    try:
        return np.asarray(spectrum[name], dtype=float)
    except KeyError:
        cols = list(getattr(spectrum, "columns", getattr(spectrum, "keys", list)()))
        raise AnalysisError(
            f"spectrum has no column {name!r}; expected freq_hz, z_real_ohm, z_imag_ohm "
            f"(got {cols})") from None
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"spectrum column {name!r} is not numeric: {exc}") from None


def _as_arrays(spectrum) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) and complex impedance (ohm) from a table or arrays, as given."""
    if hasattr(spectrum, "columns") or isinstance(spectrum, Mapping):
        f = _column(spectrum, "freq_hz")
        z = _column(spectrum, "z_real_ohm") + 1j * _column(spectrum, "z_imag_ohm")
        return f.ravel(), z.ravel()
    if isinstance(spectrum, tuple | list) and len(spectrum) in (2, 3):
        parts = [np.asarray(p) for p in spectrum]
        f = parts[0].astype(float)
        if len(parts) == 2:
            z = parts[1].astype(complex)
        else:
            z = parts[1].astype(float) + 1j * parts[2].astype(float)
        if f.shape != z.shape:
            raise AnalysisError(
                f"spectrum arrays differ in length: {f.size} frequencies, {z.size} "
                "impedances")
        return f.ravel(), z.ravel()
    arr = np.asarray(spectrum)
    if arr.ndim == 2 and arr.shape[1] == 3 and np.isrealobj(arr):
        arr = arr.astype(float)
        return arr[:, 0], arr[:, 1] + 1j * arr[:, 2]
    raise AnalysisError(
        "spectrum must be a table with freq_hz, z_real_ohm, z_imag_ohm, a tuple "
        "(freq_hz, z_complex) or (freq_hz, z_real, z_imag), or an (N, 3) array")


def _clean(f: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite rows, sorted by increasing frequency; errors for unusable spectra."""
    keep = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag)
    if not keep.any():
        raise AnalysisError("spectrum has no row with finite frequency and impedance")
    f, z = f[keep], z[keep]
    if np.any(f <= 0):
        raise AnalysisError(f"spectrum has non-positive frequencies (min {f.min():g} Hz)")
    if f.size < _MIN_POINTS:
        raise AnalysisError(
            f"spectrum has {f.size} finite point(s); at least {_MIN_POINTS} are needed")
    if not np.any(z.imag < 0):
        raise AnalysisError(
            "spectrum has no capacitive point (Z'' < 0 nowhere): not a blocking-cell "
            "spectrum, or the sign of Z'' is flipped (ionopt expects Z'' < 0 for "
            "capacitive behaviour)")
    order = np.argsort(f, kind="stable")
    return f[order], z[order]


def _n_inductive(z: np.ndarray) -> int:
    """Number of points with Z'' > 0 at the top of the (ascending) frequency array."""
    cap = np.nonzero(z.imag < 0)[0]
    top = cap[-1]  # highest-frequency capacitive point
    return int(np.sum(z.imag[top + 1:] > 0))


# ------------------------------------------------------------ model-free estimators


def hf_intercept(freq_hz, z) -> float:
    """High-frequency real-axis intercept of a spectrum, ohm.

    Where ``Z''`` changes sign at the high-frequency end (inductive tail), ``Z'`` is
    interpolated linearly to ``Z'' = 0`` between the two bracketing points; otherwise the
    line through the three highest-frequency points in the Nyquist plane is extrapolated
    to the real axis (never below zero nor above the smallest of their ``Z'``).

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz.
    z : array_like of complex
        Impedance in ohm, ``Z'' < 0`` capacitive.

    Returns
    -------
    float
        Intercept in ohm.
    """
    f = np.asarray(freq_hz, dtype=float)
    zc = np.asarray(z, dtype=complex)
    order = np.argsort(f)
    f, zc = f[order], zc[order]
    cap = np.nonzero(zc.imag < 0)[0]
    if cap.size == 0:
        return float(np.min(zc.real))
    top = cap[-1]
    if top + 1 < zc.size:
        # Z'' goes from < 0 (top) to >= 0 (top + 1): interpolate the crossing.
        z0, z1 = zc[top], zc[top + 1]
        t = -z0.imag / (z1.imag - z0.imag)
        return float(z0.real + t * (z1.real - z0.real))
    idx = cap[-3:] if cap.size >= 3 else cap
    x, y = -zc.imag[idx], zc.real[idx]
    if idx.size < 2 or np.ptp(x) == 0:
        return float(y.min())
    slope, icpt = np.polyfit(x, y, 1)
    return float(np.clip(icpt, 0.0, y.min()))


def _local_max_index(y: np.ndarray, half_width: int = 2) -> list[int]:
    """Indices of points that are the maximum of their +-half_width neighbourhood."""
    out = []
    for i in range(y.size):
        lo, hi = max(0, i - half_width), min(y.size, i + half_width + 1)
        if y[i] == y[lo:hi].max() and 0 < i < y.size - 1:
            out.append(i)
    return out


def min_neg_imag_intercept(freq_hz, z) -> float:
    """Real part at the minimum of ``-Z''`` between the bulk arc and the spike, ohm.

    Walking from high to low frequency, the first local maximum of ``-Z''`` is taken as
    the arc's apex and the lowest ``-Z''`` after it as the arc/spike junction, provided
    ``-Z''`` rises again by at least 20 % below it. A parabola through the minimum and its
    neighbours (in log frequency) refines where the junction is, and ``Z'`` is
    interpolated there.

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz.
    z : array_like of complex
        Impedance in ohm.

    Returns
    -------
    float
        ``Z'`` at the junction in ohm, or NaN when no junction is seen.
    """
    f = np.asarray(freq_hz, dtype=float)
    zc = np.asarray(z, dtype=complex)
    order = np.argsort(f)[::-1]  # high to low frequency: the Nyquist path
    f, zc = f[order], zc[order]
    y = -zc.imag
    apexes = [i for i in _local_max_index(y) if y[i] > 0]
    if not apexes:
        return math.nan
    start = apexes[0]
    j = start + int(np.argmin(y[start:]))
    if j >= y.size - 1 or y[j + 1:].max() < 1.2 * max(y[j], 0.0) or y[j + 1:].max() <= 0:
        return math.nan
    # Parabola in log f through (j-1, j, j+1) to place the minimum between points.
    lf = np.log10(f[j - 1:j + 2])
    coef = np.polyfit(lf, y[j - 1:j + 2], 2)
    x_min = -coef[1] / (2 * coef[0]) if coef[0] > 0 else lf[1]
    x_min = float(np.clip(x_min, lf.min(), lf.max()))
    asc = np.argsort(lf)
    return float(np.interp(x_min, lf[asc], zc.real[j - 1:j + 2][asc]))


# ------------------------------------------------------------------ circuit fits


@dataclass
class _Fit:
    model: str                 # "blocking" or "spike"
    tau: float                 # s (NaN for spike)
    n_b: float
    n_dl: float
    coef: np.ndarray           # R_s, R_b, k_dl[, L] or R, k_dl[, L]
    cost: float                # weighted sum of squares
    n_params: int


class _Problem:
    """Weighted data and design pieces shared by every fit of one spectrum."""

    def __init__(self, f: np.ndarray, z: np.ndarray, with_l: bool):
        self.f = f
        self.w = 2.0 * np.pi * f
        self.z = z
        self.mod = np.abs(z)
        self.b = np.concatenate([(z / self.mod).real, (z / self.mod).imag])
        self.with_l = with_l
        self.jw = 1j * self.w
        w_min, w_max = self.w.min(), self.w.max()
        # Arc apex from the bottom of the window to 10^3 above its top.
        self.log_tau_bounds = (math.log10(1.0 / (w_max * 10 ** _ARC_DECADES_ABOVE)),
                               math.log10(1.0 / w_min))

    def _stack(self, cols: list[np.ndarray]) -> np.ndarray:
        a = np.column_stack(cols) / self.mod[:, None]
        return np.vstack([a.real, a.imag])

    def blocking_design(self, tau: float, n_b: float, n_dl: float) -> np.ndarray:
        cols = [np.ones_like(self.jw), 1.0 / (1.0 + (self.jw * tau) ** n_b),
                self.jw ** (-n_dl)]
        if self.with_l:
            cols.append(self.jw)
        return self._stack(cols)

    def spike_design(self, n_dl: float) -> np.ndarray:
        cols = [np.ones_like(self.jw), self.jw ** (-n_dl)]
        if self.with_l:
            cols.append(self.jw)
        return self._stack(cols)


def _nnls(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Non-negative least squares with unit-norm columns (their scales differ wildly)."""
    from scipy.optimize import nnls

    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    coef, _ = nnls(a / norms, b, maxiter=50 * a.shape[1])
    return coef / norms


def _order_penalty(tau: float, n_dl: float, coef: np.ndarray) -> float:
    """How far the electrode CPE dominates at the arc's apex (0 when it does not).

    The arc must be the faster process: at w = 1/tau the spike's |Z| must stay below the
    arc diameter, otherwise the 'arc' column is describing the spike (a slow, huge
    pseudo-arc) and R_b would be meaningless.
    """
    r_b, k_dl = coef[1], coef[2]
    if k_dl <= 0:
        return 0.0
    z_dl_at_apex = k_dl * tau ** n_dl
    if r_b <= 0:
        return 1.0
    return max(0.0, math.log10(z_dl_at_apex / r_b))


def _grid_blocking(prob: _Problem, n_dl_grid: np.ndarray = _N_DL_GRID
                   ) -> list[tuple[float, float, float, float]]:
    """Exact NNLS cost on the (tau, n_b, n_dl) grid; returns (cost, log tau, n_b, n_dl).

    For every grid point every subset of the optional columns (R_s, CPE_dl, L; the arc
    is always kept) is solved by normal equations at once; the cheapest subset whose
    coefficients are all non-negative is the NNLS solution of that grid point.
    ``n_dl_grid`` should hold the spike fit's exponent: where the spike spans most of the
    window a 0.1 step in n_dl misfits it by a factor ~2 at the ends, and the coarse grid
    alone would then prefer a slow pseudo-arc imitating the spike.
    """
    lo, hi = prob.log_tau_bounds
    n_tau = max(4, int(round((hi - lo) * _TAU_PER_DECADE)) + 1)
    log_tau = np.linspace(lo, hi, n_tau)
    tau = 10.0 ** log_tau
    jw, mod = prob.jw, prob.mod
    arc = 1.0 / (1.0 + (jw[None, None, :] * tau[:, None, None]) ** _N_B_GRID[None, :, None])
    dl = jw[None, :] ** (-n_dl_grid[:, None])
    t_, b_, d_ = tau.size, _N_B_GRID.size, n_dl_grid.size
    n = jw.size

    def real_stack(c: np.ndarray) -> np.ndarray:
        c = c / mod
        return np.concatenate([c.real, c.imag], axis=-1)

    cols = [np.broadcast_to(real_stack(np.ones(n, complex)), (t_, b_, d_, 2 * n)),
            np.broadcast_to(real_stack(arc)[:, :, None, :], (t_, b_, d_, 2 * n)),
            np.broadcast_to(real_stack(dl)[None, None, :, :], (t_, b_, d_, 2 * n))]
    if prob.with_l:
        cols.append(np.broadcast_to(real_stack(jw), (t_, b_, d_, 2 * n)))
    a = np.stack(cols, axis=-1)                      # (T, B, D, 2N, k)
    norms = np.linalg.norm(a, axis=-2)               # (T, B, D, k)
    a = a / norms[..., None, :]
    gram = np.einsum("...ni,...nj->...ij", a, a)
    rhs = np.einsum("...ni,n->...i", a, prob.b)
    bb = float(prob.b @ prob.b)
    k = a.shape[-1]
    best = np.full((t_, b_, d_), np.inf)
    optional = [i for i in range(k) if i != 1]
    for mask in range(1 << len(optional)):
        idx = [1] + [optional[j] for j in range(len(optional)) if mask >> j & 1]
        idx.sort()
        g = gram[..., idx, :][..., :, idx] + 1e-12 * np.eye(len(idx))
        r = rhs[..., idx]
        try:
            c = np.linalg.solve(g, r[..., None])[..., 0]
        except np.linalg.LinAlgError:
            continue
        cost = bb - np.einsum("...i,...i->...", c, r)
        feasible = np.all(c >= 0, axis=-1)
        # Arc/spike ordering: CPE_dl must not dominate at the arc's apex.
        if 2 in idx:
            pos_arc, pos_dl = idx.index(1), idx.index(2)
            r_b = c[..., pos_arc] / norms[..., 1]
            k_dl = c[..., pos_dl] / norms[..., 2]
            z_dl = k_dl * tau[:, None, None] ** n_dl_grid[None, None, :]
            feasible &= z_dl <= r_b
        better = feasible & (cost < best)
        best = np.where(better, cost, best)
    out = []
    it = np.argsort(best, axis=None)
    for flat in it[: min(200, it.size)]:
        i, j, m = np.unravel_index(flat, best.shape)
        if not np.isfinite(best[i, j, m]):
            break
        out.append((float(best[i, j, m]), float(log_tau[i]), float(_N_B_GRID[j]),
                    float(n_dl_grid[m])))
    return out


def _distinct_starts(cands, n_starts: int):
    """Up to n_starts grid minima that differ in log tau by >= 1 decade or n_b by >= 0.2."""
    starts = []
    for c in cands:
        if all(abs(c[1] - s[1]) >= 1.0 or abs(c[2] - s[2]) >= 0.2 for s in starts):
            starts.append(c)
        if len(starts) == n_starts:
            break
    return starts


def _polish_blocking(prob: _Problem, start) -> _Fit | None:
    from scipy.optimize import least_squares

    def residual(x):
        a = prob.blocking_design(10.0 ** x[0], x[1], x[2])
        coef = _nnls(a, prob.b)
        r = a @ coef - prob.b
        pen = _order_penalty(10.0 ** x[0], x[2], coef)
        # The penalty enters as one extra residual, scaled to the data's size.
        return np.append(r, 10.0 * pen * math.sqrt(prob.b.size))

    lo_t, hi_t = prob.log_tau_bounds
    x0 = np.array([start[1], start[2], start[3]])
    lb = np.array([lo_t, _N_B_BOUNDS[0], _N_DL_BOUNDS[0]])
    ub = np.array([hi_t, _N_B_BOUNDS[1], _N_DL_BOUNDS[1]])
    x0 = np.clip(x0, lb + 1e-9, ub - 1e-9)
    try:
        sol = least_squares(residual, x0, bounds=(lb, ub), method="trf",
                            x_scale=np.array([1.0, 0.1, 0.1]), diff_step=1e-5,
                            xtol=1e-10, ftol=1e-10, max_nfev=200)
    except (ValueError, np.linalg.LinAlgError):
        return None
    x = sol.x
    a = prob.blocking_design(10.0 ** x[0], x[1], x[2])
    coef = _nnls(a, prob.b)
    cost = float(np.sum((a @ coef - prob.b) ** 2))
    if _order_penalty(10.0 ** x[0], x[2], coef) > 0 or not np.all(np.isfinite(coef)):
        return None
    return _Fit("blocking", 10.0 ** x[0], x[1], x[2], coef, cost,
                n_params=6 + int(prob.with_l))


def _fit_spike(prob: _Problem) -> _Fit | None:
    from scipy.optimize import least_squares

    costs = []
    for n_dl in _N_DL_GRID:
        a = prob.spike_design(n_dl)
        c = _nnls(a, prob.b)
        costs.append(float(np.sum((a @ c - prob.b) ** 2)))
    x0 = float(_N_DL_GRID[int(np.argmin(costs))])

    def residual(x):
        a = prob.spike_design(x[0])
        return a @ _nnls(a, prob.b) - prob.b

    try:
        sol = least_squares(residual, [min(max(x0, 0.3 + 1e-9), 1 - 1e-9)],
                            bounds=([_N_DL_BOUNDS[0]], [_N_DL_BOUNDS[1]]), method="trf",
                            diff_step=1e-5, xtol=1e-10, ftol=1e-10, max_nfev=100)
    except (ValueError, np.linalg.LinAlgError):
        return None
    a = prob.spike_design(sol.x[0])
    coef = _nnls(a, prob.b)
    cost = float(np.sum((a @ coef - prob.b) ** 2))
    return _Fit("spike", math.nan, math.nan, float(sol.x[0]), coef, cost,
                n_params=3 + int(prob.with_l))


def _fit_blocking(prob: _Problem, n_starts: int, spike: _Fit | None) -> _Fit | None:
    n_dl_grid = _N_DL_GRID
    if spike is not None:
        extra = spike.n_dl + np.array([-0.02, 0.0, 0.02])
        n_dl_grid = np.unique(np.concatenate([_N_DL_GRID, np.clip(extra, *_N_DL_BOUNDS)]))
    cands = _grid_blocking(prob, n_dl_grid)
    best = None
    for start in _distinct_starts(cands, n_starts):
        fit = _polish_blocking(prob, start)
        if fit is not None and (best is None or fit.cost < best.cost):
            best = fit
    return best


def _aic(fit: _Fit, n_resid: int) -> float:
    return n_resid * math.log(max(fit.cost, 1e-300) / n_resid) + 2 * fit.n_params


def _model_params(fit: _Fit, with_l: bool) -> dict:
    """Circuit parameters (ohm, S s^n, H) of a fit, named as in ionopt.analysis.circuits."""
    l_h = float(fit.coef[-1]) if with_l else 0.0
    if fit.model == "blocking":
        r_s, r_b, k_dl = (float(v) for v in fit.coef[:3])
        q_b = fit.tau ** fit.n_b / r_b if r_b > 0 else math.inf
        q_dl = 1.0 / k_dl if k_dl > 0 else math.inf
        return {"r_s": r_s, "r_b": r_b, "q_b": float(q_b), "n_b": float(fit.n_b),
                "q_dl": q_dl, "n_dl": float(fit.n_dl), "l": l_h}
    r, k_dl = (float(v) for v in fit.coef[:2])
    return {"r": r, "q_dl": 1.0 / k_dl if k_dl > 0 else math.inf,
            "n_dl": float(fit.n_dl), "l": l_h}


# ---------------------------------------------------------------------- public API


def _check_positive(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise AnalysisError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise AnalysisError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _area_cm2(area_cm2, diameter_mm) -> float:
    if area_cm2 is not None and diameter_mm is not None:
        raise AnalysisError("give either area_cm2 or diameter_mm, not both")
    if area_cm2 is not None:
        return _check_positive(area_cm2, "area_cm2")
    if diameter_mm is not None:
        d_cm = _check_positive(diameter_mm, "diameter_mm") / 10.0
        return math.pi * d_cm ** 2 / 4.0
    raise AnalysisError("electrode size missing: give area_cm2 or diameter_mm")


def conductivity_s_cm(r_bulk_ohm: float, thickness_um: float, area_cm2: float | None = None,
                      diameter_mm: float | None = None) -> float:
    """Ionic conductivity ``sigma = L / (R_b S)`` in S/cm.

    Parameters
    ----------
    r_bulk_ohm : float
        Bulk resistance in ohm.
    thickness_um : float
        Electrolyte thickness L in micrometres.
    area_cm2 : float, optional
        Electrode area S in cm^2.
    diameter_mm : float, optional
        Diameter of a circular electrode in mm (instead of ``area_cm2``).

    Returns
    -------
    float
        Conductivity in S/cm.

    Raises
    ------
    AnalysisError
        A non-positive or non-finite argument (named in the message), both or neither
        of ``area_cm2`` / ``diameter_mm``.
    """
    r = _check_positive(r_bulk_ohm, "r_bulk_ohm")
    length_cm = _check_positive(thickness_um, "thickness_um") * 1e-4
    return length_cm / (r * _area_cm2(area_cm2, diameter_mm))


def fit_bulk_resistance(spectrum, *, subtract_series: bool = False, n_starts: int = 3,
                        max_rel_residual: float = 0.10, kk_tolerance_pct: float = 6.0,
                        kk: bool = True) -> EISResult:
    """Bulk resistance of a blocking cell from its impedance spectrum.

    Parameters
    ----------
    spectrum : DataFrame, mapping, tuple or ndarray
        Columns ``freq_hz`` (Hz), ``z_real_ohm``, ``z_imag_ohm`` (ohm, ``Z'' < 0`` for
        capacitive behaviour); or ``(freq_hz, z_complex)``, ``(freq_hz, z_real,
        z_imag)``, or an (N, 3) array in that order. Any frequency order; rows with NaN
        are dropped.
    subtract_series : bool, optional
        Report the arc diameter (without ``R_s``) as ``r_bulk_ohm`` when the arc is
        resolved. Default False: the lab convention ``R_s + R_b``.
    n_starts : int, optional
        Distinct grid minima polished by least squares (at least 1).
    max_rel_residual : float, optional
        Fits whose RMS relative residual exceeds this (fraction) are rejected in favour
        of the model-free estimators.
    kk_tolerance_pct : float, optional
        Warn when a lin-KK residual exceeds this, percent.
    kk : bool, optional
        Run the linear Kramers–Kronig test.

    Returns
    -------
    EISResult
        ``method`` is ``"circuit_fit"``, ``"spike_fit"``, ``"hf_intercept"`` or
        ``"minimum_neg_imag"``; ``conductivity_s_cm`` is NaN (see :func:`analyze_eis`).

    Raises
    ------
    AnalysisError
        Missing columns, fewer than 3 finite points, non-positive frequencies, or no
        capacitive point.
    """
    f, z = _clean(*_as_arrays(spectrum))
    source = None
    attrs = getattr(spectrum, "attrs", None)
    if isinstance(attrs, Mapping) and attrs.get("source") is not None:
        source = str(attrs["source"])
    warnings: list[str] = []
    n_ind = _n_inductive(z)
    if n_ind:
        f_ind = f[z.imag > 0].min()
        warnings.append(
            f"inductive tail: {n_ind} point(s) with Z'' > 0 from {f_ind:.3g} Hz up "
            "(cables/fixture); fitted with a series inductance")
    r_hf = hf_intercept(f, z)
    base = dict(n_points=int(f.size), n_inductive=n_ind, freq_min_hz=float(f.min()),
                freq_max_hz=float(f.max()), r_hf_intercept_ohm=r_hf, freq_hz=f, z_ohm=z,
                source=source)

    if kk and f.size >= 5:
        from ionopt.analysis.kramers_kronig import lin_kk

        kkr = lin_kk(f, z)
        base.update(kk_residual_max_pct=kkr.max_residual_pct,
                    kk_residual_rms_pct=kkr.rms_residual_pct)
        if kkr.max_residual_pct > kk_tolerance_pct:
            warnings.append(
                f"Kramers-Kronig check: residuals up to {kkr.max_residual_pct:.1f} % "
                f"(tolerance {kk_tolerance_pct:g} %): drift, non-linearity or artefacts; "
                "treat the numbers with care")

    if f.size < _MIN_POINTS_FIT:
        warnings.append(f"too few points ({f.size}) for a circuit fit; "
                        f"at least {_MIN_POINTS_FIT} needed")
        return _fallback(f, z, r_hf, warnings, base)
    if f.size < _FEW_POINTS:
        warnings.append(f"few points ({f.size}); fitted parameters are poorly constrained")

    prob = _Problem(f, z, with_l=n_ind > 0)
    spike = _fit_spike(prob)
    fits = [fit for fit in (_fit_blocking(prob, max(1, n_starts), spike), spike)
            if fit is not None]
    if not fits:
        warnings.append("circuit fits failed")
        return _fallback(f, z, r_hf, warnings, base)
    n_resid = prob.b.size
    fit = min(fits, key=lambda ft: _aic(ft, n_resid))
    params = _model_params(fit, prob.with_l)
    res = _make_result(fit, params, prob, subtract_series, warnings, base)
    if not math.isfinite(res.rel_residual) or res.rel_residual > max_rel_residual:
        warnings.append(
            f"circuit model does not describe the spectrum (relative residual "
            f"{res.rel_residual:.1%} > {max_rel_residual:.0%}); model-free estimate used")
        return _fallback(f, z, r_hf, warnings, base)
    return res


def _make_result(fit: _Fit, params: dict, prob: _Problem, subtract_series: bool,
                 warnings: list[str], base: dict) -> EISResult:
    from ionopt.analysis import circuits

    warnings = list(warnings)  # the caller may still reject this fit and fall back
    f, z = prob.f, prob.z
    f_max, f_min = f.max(), f.min()
    if fit.model == "spike":
        z_fit = circuits.spike_cell(f, params["r"], params["q_dl"], params["n_dl"],
                                    params["l"])
        r_bulk = params["r"]
        method = "spike_fit"
        r_series = r_arc = math.nan
        warnings.append(
            "bulk arc not visible (above the highest frequency): R_b is the real-axis "
            "value where the spike starts and includes any series (lead) resistance")
        extra = dict(n_dl=params["n_dl"], q_dl=params["q_dl"])
    else:
        z_fit = circuits.blocking_cell(f, **{k: params[k] for k in
                                             ("r_s", "r_b", "q_b", "n_b", "q_dl", "n_dl")},
                                       l_h=params["l"])
        f_arc = 1.0 / (2 * math.pi * fit.tau)
        method = "circuit_fit"
        r_total = params["r_s"] + params["r_b"]
        if f_arc <= f_max:
            r_series, r_arc = params["r_s"], params["r_b"]
            r_bulk = r_arc if subtract_series else r_total
        else:
            r_series = r_arc = math.nan
            r_bulk = r_total
            warnings.append(
                f"bulk arc not visible in full: its apex ({f_arc:.3g} Hz) is above the highest "
                f"frequency ({f_max:.3g} Hz); R_b is the arc's low-frequency intercept "
                "and includes any series (lead) resistance")
        # Has the arc closed (within 5 %) before the spike or the window's end?
        z_arc_lo = params["r_b"] / (1 + (1j * 2 * math.pi * f_min * fit.tau) ** fit.n_b)
        if abs(z_arc_lo - params["r_b"]) > 0.05 * params["r_b"]:
            warnings.append(
                f"bulk arc not closed at the lowest frequency ({f_min:.3g} Hz): R_b is "
                "extrapolated by the circuit model")
        if not math.isfinite(params["q_dl"]):
            warnings.append("no blocking-electrode spike seen in the window")
        extra = dict(arc_freq_hz=f_arc, n_bulk=params["n_b"], q_bulk=params["q_b"],
                     n_dl=params["n_dl"], q_dl=params["q_dl"])
    rel = float(np.sqrt(np.mean(np.abs(z - z_fit) ** 2 / np.abs(z) ** 2)))
    return EISResult(r_bulk_ohm=float(r_bulk), r_series_ohm=float(r_series),
                     r_arc_ohm=float(r_arc), rel_residual=rel, method=method,
                     warnings=warnings, inductance_h=params["l"], z_fit_ohm=z_fit,
                     model=fit.model, model_params=params, **extra, **base)


def _fallback(f, z, r_hf, warnings, base) -> EISResult:
    r_min = min_neg_imag_intercept(f, z)
    if math.isfinite(r_min):
        return EISResult(r_bulk_ohm=r_min, method="minimum_neg_imag", warnings=warnings,
                         **base)
    warnings.append("no arc/spike junction seen; R_b is the high-frequency intercept")
    return EISResult(r_bulk_ohm=r_hf, method="hf_intercept", warnings=warnings, **base)


def analyze_eis(spectrum, thickness_um: float | None = None, area_cm2: float | None = None,
                diameter_mm: float | None = None, **fit_options) -> EISResult:
    """Bulk resistance and ionic conductivity of a blocking cell.

    Parameters
    ----------
    spectrum : DataFrame, mapping, tuple or ndarray
        As for :func:`fit_bulk_resistance`.
    thickness_um : float, optional
        Electrolyte thickness in micrometres.
    area_cm2 : float, optional
        Electrode area in cm^2.
    diameter_mm : float, optional
        Electrode diameter in mm (instead of ``area_cm2``).
    **fit_options
        Passed to :func:`fit_bulk_resistance`.

    Returns
    -------
    EISResult
        With ``conductivity_s_cm`` (S/cm), ``thickness_um`` and ``area_cm2`` filled when
        the geometry is complete; otherwise NaN and a warning.

    Raises
    ------
    AnalysisError
        Invalid geometry (non-positive or NaN, both area and diameter), named in the
        message; or a spectrum :func:`fit_bulk_resistance` rejects.
    """
    # Validate the geometry first: a typo should not cost a fit.
    length = _check_positive(thickness_um, "thickness_um") if thickness_um is not None else None
    area = (_area_cm2(area_cm2, diameter_mm)
            if area_cm2 is not None or diameter_mm is not None else None)
    res = fit_bulk_resistance(spectrum, **fit_options)
    if length is not None:
        res.thickness_um = length
    if area is not None:
        res.area_cm2 = area
    if length is None or area is None:
        missing = [n for n, v in (("thickness_um", length), ("area_cm2 or diameter_mm", area))
                   if v is None]
        res.warnings.append(f"no conductivity: {' and '.join(missing)} not given")
        return res
    if res.r_bulk_ohm > 0 and math.isfinite(res.r_bulk_ohm):
        res.conductivity_s_cm = conductivity_s_cm(res.r_bulk_ohm, length, area_cm2=area)
    else:
        res.warnings.append(f"no conductivity: R_b = {res.r_bulk_ohm!r} ohm")
    return res


def interfacial_resistance_ohm(spectrum) -> tuple[float, list[str]]:
    """Interfacial resistance of a Li | electrolyte | Li cell from its impedance, ohm.

    Model-free: the real-axis width of the low-frequency (interfacial) arc,
    ``Z'(f_min) - R_hf``, where ``R_hf`` is the junction between the bulk and the
    interfacial arc (the minimum of ``-Z''`` between them) when the bulk arc is visible,
    else the high-frequency real-axis intercept
    (:func:`min_neg_imag_intercept`, :func:`hf_intercept`).

    Parameters
    ----------
    spectrum : DataFrame or arrays
        As for :func:`fit_bulk_resistance` (``Z'' < 0`` capacitive).

    Returns
    -------
    (float, list of str)
        The resistance in ohm and QC warnings (an arc not closed at the lowest frequency).

    Raises
    ------
    AnalysisError
        Too few finite points, no capacitive point, or a non-positive width.
    """
    f, z = _clean(*_as_arrays(spectrum))
    r_lf = float(z[0].real)
    r_hf = _bulk_junction(f, z, r_lf, min_neg_imag_intercept(f, z))
    if not math.isfinite(r_hf):
        r_hf = hf_intercept(f, z)
    width = r_lf - r_hf
    if not width > 0:
        raise AnalysisError(f"no interfacial arc: Z' at the lowest frequency ({r_lf:.4g} ohm) "
                            f"is not above the high-frequency end ({r_hf:.4g} ohm)")
    warnings = []
    if -z[0].imag > 0.05 * width:
        warnings.append(f"interfacial arc not closed at {f[0]:.3g} Hz (-Z'' = "
                        f"{-z[0].imag:.3g} ohm): R_int underestimated")
    return float(width), warnings


def _bulk_junction(f: np.ndarray, z: np.ndarray, r_lf: float, r_junction: float) -> float:
    """``r_junction`` when a real arc (apex >= 20 % of its width) lies below it, else NaN.

    Guards against a "junction" found in the noise of the low-frequency tail.
    """
    if not math.isfinite(r_junction) or not r_lf > r_junction:
        return math.nan
    below = z.real >= r_junction  # the points on the low-frequency side of the junction
    apex = float(np.max(-z.imag[below])) if below.any() else 0.0
    return r_junction if apex >= 0.2 * (r_lf - r_junction) else math.nan
