"""Fit any equivalent circuit, written as a string, to an impedance spectrum.

:func:`ionopt.analysis.eis.fit_bulk_resistance` fits one fixed blocking-cell model. This
module fits the circuit the user names, e.g. a Randles cell ``"R0-p(R1,C1)-Wo1"`` or
``"R0-p(R1,C1)-p(R2-Wo1,C2)"``, written in the syntax of
:func:`ionopt.analysis.circuits.parse_circuit` (``-`` series, ``p(a,b)`` parallel,
elements = registry symbol + index: R, C, L, CPE, W, Wo, Ws).

How it is fitted
----------------
Every parameter is positive and is fitted as its natural logarithm with bounded
``scipy.optimize.least_squares`` (trust-region reflective). Residuals are the real and
imaginary parts of ``Z_fit - Z``, by default divided by ``|Z|`` of the data
(``weighting="modulus"``: proportional noise, every decade of |Z| counts alike);
``weighting="unit"`` leaves them unweighted (absolute noise; what impedance.py's
``CustomCircuit.fit`` does by default). Without ``initial_guess`` a start is built from
the spectrum's shape: series resistances from the high-frequency real-axis intercept,
resistances in parallel blocks and Warburg amplitudes from the real-axis span, time
constants (capacitances, CPE coefficients) from the apex frequencies of ``-Z''`` (faster
processes for the elements written first), Warburg time constants from the lowest
frequency, an inductance from the inductive points. Further starts perturb that one
(random factors up to 10 per parameter, fixed seed) and swap time-constant order; the
lowest cost wins. Interchangeable blocks (two ``p(R,C)`` in series) may come back with
their labels swapped: compare them by time constant, not by name.

Inductive points
----------------
High-frequency points with ``Z'' > 0`` (cable inductance) cannot be described by a
circuit without an inductor. When the circuit has an ``L`` element every point is
fitted; otherwise points with ``Z'' > 0`` are dropped, with a warning, exactly as
impedance.py's ``preprocessing.ignoreBelowX`` does before its fits.

Reproducing impedance.py on its ``exampleData.csv``
--------------------------------------------------
impedance.py's Randles model is ``"R0-p(R1,C1)-Wo1"`` fitted after ``ignoreBelowX`` with
unweighted residuals; ``fit_circuit(spec, "R0-p(R1,C1)-Wo1", weighting="unit")``
reproduces its R0 ≈ 0.0186 ohm (see ``tests/analysis/test_circuit_fit.py`` for the
tolerance).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ionopt.analysis._result import AnalysisResult
from ionopt.analysis.circuits import Circuit, parse_circuit
from ionopt.errors import AnalysisError

__all__ = ["CircuitFitResult", "fit_circuit", "WEIGHTINGS"]

#: Residual weightings accepted by :func:`fit_circuit`.
WEIGHTINGS = ("modulus", "unit")

_POOR_FIT = 0.05          # rel_residual above this: warn
_N_BOUNDS = (0.2, 1.0)    # CPE exponent
_SEED = 20240601


@dataclass(kw_only=True)
class CircuitFitResult(AnalysisResult):
    """Parameters of an equivalent circuit fitted to one spectrum.

    Attributes
    ----------
    circuit : str
        Canonical circuit string that was fitted.
    parameters : dict of str to float
        Fitted values by parameter name (``"R0"``, ``"CPE1_Q"``, ``"Wo1_tau"``, ...), SI
        units (ohm, F, H, s, S s^n, ohm s^-1/2; exponents dimensionless).
    parameter_units : dict of str to str
        Unit of each parameter.
    parameter_stderr : dict of str to float
        Standard errors in the same units (linearised, from the Jacobian at the optimum
        and the residual variance; ``inf`` when a parameter is not determined).
    rel_residual : float
        RMS of ``|Z - Z_fit| / |Z|`` over the fitted points (fraction).
    weighting : str
        Residual weighting used (see :data:`WEIGHTINGS`).
    n_points : int
        Points fitted.
    n_dropped_inductive : int
        Points with ``Z'' > 0`` dropped because the circuit has no inductor.
    freq_min_hz, freq_max_hz : float
        Frequency window fitted, Hz.
    n_starts : int
        Starts tried.
    """

    circuit: str
    parameters: dict = field(default_factory=dict, metadata={"export": False})
    parameter_units: dict = field(default_factory=dict, metadata={"export": False})
    parameter_stderr: dict = field(default_factory=dict, metadata={"export": False})
    rel_residual: float = math.nan
    weighting: str = "modulus"
    n_points: int = 0
    n_dropped_inductive: int = 0
    freq_min_hz: float = math.nan
    freq_max_hz: float = math.nan
    n_starts: int = 0
    freq_hz: np.ndarray = field(default=None, repr=False, metadata={"export": False})
    z_ohm: np.ndarray = field(default=None, repr=False, metadata={"export": False})
    z_fit_ohm: np.ndarray = field(default=None, repr=False, metadata={"export": False})

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON-ready mapping: scalar fields plus one key per parameter.

        Parameter keys are the lower-case parameter name with its unit, e.g.
        ``r0_ohm``, ``c1_f``, ``cpe1_q_s_sn``, ``cpe1_n``, ``wo1_tau_s``; each has a
        ``<key>_stderr`` companion. Non-finite values become None.
        """
        out = super().to_dict()
        for name, value in self.parameters.items():
            key = export_key(name, self.parameter_units.get(name, ""))
            err = self.parameter_stderr.get(name, math.nan)
            out[key] = float(value) if math.isfinite(value) else None
            out[key + "_stderr"] = float(err) if math.isfinite(err) else None
        return out

    def model_impedance(self, freq_hz) -> np.ndarray:
        """Impedance (ohm) of the fitted circuit at ``freq_hz`` (Hz)."""
        return parse_circuit(self.circuit).impedance(freq_hz, self.parameters)


_UNIT_KEYS = {"Ohm": "ohm", "F": "f", "H": "h", "s": "s", "S s^n": "s_sn",
              "Ohm s^-1/2": "ohm_s-0.5", "": ""}


def export_key(name: str, unit: str) -> str:
    """Flat export key of a parameter, e.g. ``("R0", "Ohm") -> "r0_ohm"``."""
    suffix = _UNIT_KEYS.get(unit)
    if suffix is None:
        suffix = re.sub(r"[^0-9a-z^.-]+", "_", unit.lower()).strip("_")
    return f"{name.lower()}_{suffix}" if suffix else name.lower()


# --------------------------------------------------------------------------- input


def _spectrum(spectrum) -> tuple[np.ndarray, np.ndarray]:
    from ionopt.analysis.eis import _as_arrays

    f, z = _as_arrays(spectrum)
    keep = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag)
    if not keep.any():
        raise AnalysisError("spectrum has no row with finite frequency and impedance")
    f, z = f[keep], z[keep]
    if np.any(f <= 0):
        raise AnalysisError(f"spectrum has non-positive frequencies (min {f.min():g} Hz)")
    order = np.argsort(f, kind="stable")
    return f[order], z[order]


def _bounds_for(unit: str, scale: float) -> tuple[float, float]:
    """Default (low, high) of a parameter by its unit; ``scale`` = max |Z| in ohm."""
    if unit == "Ohm":
        return scale * 1e-9, scale * 1e4
    if unit == "Ohm s^-1/2":
        return scale * 1e-9, scale * 1e6
    if unit in ("F", "S s^n"):
        return 1e-18, 1e6
    if unit == "H":
        return 1e-15, 1e3
    if unit == "s":
        return 1e-12, 1e9
    if unit == "":
        return _N_BOUNDS
    return 1e-30, 1e30


# ----------------------------------------------------------------- initial guesses


def _apex_freqs(f: np.ndarray, z: np.ndarray) -> list[float]:
    """Frequencies (Hz) of local maxima of -Z'' (high to low), for time constants."""
    y = -z.imag
    out = []
    for i in range(1, y.size - 1):
        lo, hi = max(0, i - 2), min(y.size, i + 3)
        if y[i] > 0 and y[i] == y[lo:hi].max():
            out.append(float(f[i]))
    return sorted(out, reverse=True)


def _auto_guess(circ: Circuit, f: np.ndarray, z: np.ndarray,
                tau_order: list[int] | None = None) -> np.ndarray:
    """Start vector from the spectrum's shape (see the module notes)."""
    from ionopt.analysis.eis import hf_intercept

    cap = z.imag < 0
    zc = z[cap] if cap.any() else z
    fc = f[cap] if cap.any() else f
    span = float(max(np.ptp(zc.real), 1e-3 * np.abs(zc).max()))
    r_hf = hf_intercept(f, z) if cap.any() else float(np.min(z.real))
    r_hf = max(r_hf, 1e-3 * float(np.abs(z).min()))
    w_min = 2 * np.pi * float(fc.min())

    names = [n for n, _ in circ.elements]
    kinds = {n: el.name for n, el in circ.elements}
    series_r = [n for n in names if kinds[n] == "R" and not circ.in_parallel(n)]
    arc_like = [n for n in names if (kinds[n] == "R" and circ.in_parallel(n))
                or kinds[n] in ("W", "Wo", "Ws")]
    r_arc = span / max(1, len(arc_like))
    caps = [n for n in names if kinds[n] in ("C", "CPE")]
    apex = _apex_freqs(fc, zc)
    n_c = len(caps)
    if len(apex) < n_c:  # fill with log-spaced frequencies across the window
        grid = np.geomspace(fc.max(), fc.min(), n_c + 2)[1:-1]
        apex = sorted(set(apex) | {float(g) for g in grid}, reverse=True)
        idx = np.round(np.linspace(0, len(apex) - 1, n_c)).astype(int) if n_c else []
        apex = [apex[i] for i in idx]
    freqs = apex[:n_c]
    if tau_order is not None:
        freqs = [freqs[i] for i in tau_order]
    cap_freq = dict(zip(caps, freqs))

    induct = (z.imag > 0) & (f >= np.median(f))
    l_guess = (float(np.max(z.imag[induct] / (2 * np.pi * f[induct]))) if induct.any()
               else 1e-4 * float(np.abs(z).min()) / (2 * np.pi * f.max()))

    x: list[float] = []
    for name, el in circ.elements:
        k = el.name
        if k == "R":
            x.append(r_hf / len(series_r) if name in series_r else r_arc)
        elif k in ("C", "CPE"):
            fk = cap_freq[name]
            r_ref = r_arc if circ.in_parallel(name) else float(np.abs(zc).max())
            c = 1.0 / (2 * np.pi * fk * r_ref)
            x.extend([c] if k == "C" else [c, 0.9])
        elif k == "L":
            x.append(max(l_guess, 1e-15))
        elif k == "W":
            x.append(r_arc * math.sqrt(w_min) / math.sqrt(2.0))
        elif k in ("Wo", "Ws"):
            x.extend([r_arc, 1.0 / w_min])
        else:  # an element registered later: unit-based middle of its bounds
            for u in el.units:
                lo, hi = _bounds_for(u, float(np.abs(z).max()))
                x.append(math.sqrt(lo * hi))
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- fit


def _residual_fn(circ: Circuit, f: np.ndarray, z: np.ndarray, weighting: str):
    wt = 1.0 / np.abs(z) if weighting == "modulus" else np.ones(z.size)

    def resid(logp: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            d = (circ.impedance(f, np.exp(logp)) - z) * wt
        out = np.concatenate([d.real, d.imag])
        return np.where(np.isfinite(out), out, 1e10)

    return resid


def _lookup(mapping, what: str, circ: Circuit) -> dict:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise AnalysisError(f"{what} must be a mapping from parameter name to value; "
                            f"got {type(mapping).__name__}")
    unknown = [k for k in mapping if k not in circ.param_names]
    if unknown:
        raise AnalysisError(f"{what} names unknown parameter(s) {unknown}; circuit "
                            f"{circ.text} has {circ.param_names}")
    return dict(mapping)


def fit_circuit(spectrum, circuit: str, *, initial_guess: Mapping[str, float] | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None, n_starts: int = 8,
                weighting: str = "modulus") -> CircuitFitResult:
    """Fit the named equivalent circuit to an impedance spectrum.

    Parameters
    ----------
    spectrum : DataFrame, mapping, tuple or ndarray
        Table with ``freq_hz`` (Hz), ``z_real_ohm``, ``z_imag_ohm`` (ohm, ``Z'' < 0``
        capacitive) as returned by :func:`ionopt.analysis.io.read_eis`, or
        ``(freq_hz, z_complex)``, ``(freq_hz, z_real, z_imag)``, or an (N, 3) array.
    circuit : str
        Circuit string, e.g. ``"R0-p(R1,C1)-Wo1"`` (see
        :func:`ionopt.analysis.circuits.parse_circuit`).
    initial_guess : mapping of str to float, optional
        Start values (SI units) for some or all parameters by name; the others come from
        the automatic guess. The given values are used in the first start.
    bounds : mapping of str to (float, float), optional
        ``(low, high)`` for some parameters (SI units, ``0 < low < high``); defaults are
        wide and unit-based (resistances 1e-9 to 1e4 times max |Z|, CPE exponent 0.2–1).
    n_starts : int, default 8
        Number of starts (the first is the guess, the rest perturb it).
    weighting : {"modulus", "unit"}, default "modulus"
        Residuals divided by the data's ``|Z|`` (proportional noise), or unweighted
        (absolute noise; impedance.py's default).

    Returns
    -------
    CircuitFitResult
        Fitted parameters with standard errors, ``method = "circuit_fit:<circuit>"``.

    Raises
    ------
    AnalysisError
        Unparsable circuit (the message names the bad token), unusable spectrum, more
        parameters than data, bad guesses or bounds, unknown weighting.
    """
    from scipy.optimize import least_squares

    try:
        circ = parse_circuit(circuit)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    if weighting not in WEIGHTINGS:
        raise AnalysisError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    if not isinstance(n_starts, int | np.integer) or n_starts < 1:
        raise AnalysisError(f"n_starts must be a positive integer, got {n_starts!r}")
    f, z = _spectrum(spectrum)
    warnings: list[str] = []

    has_l = any(el.name == "L" for _, el in circ.elements)
    if not np.any(z.imag < 0) and not has_l:
        raise AnalysisError("spectrum has no capacitive point (Z'' < 0 nowhere); the sign "
                            "of Z'' may be flipped (ionopt expects Z'' < 0 capacitive)")
    n_drop = 0
    if not has_l:
        ind = z.imag > 0
        n_drop = int(ind.sum())
        if n_drop:
            warnings.append(
                f"{n_drop} inductive point(s) (Z'' > 0, {f[ind].min():.3g}–"
                f"{f[ind].max():.3g} Hz) dropped: the circuit has no L element; add one "
                "(e.g. 'L0-...') to fit them")
            f, z = f[~ind], z[~ind]
    p = circ.n_params
    if 2 * f.size < p + 1 or f.size < 3:
        raise AnalysisError(
            f"spectrum has {f.size} usable point(s) ({2 * f.size} real residuals) for "
            f"{p} parameters of {circ.text}: too few to fit")
    if f.size < 2 * p:
        warnings.append(f"only {f.size} points for {p} parameters: the fit is poorly "
                        "constrained")

    guess = _lookup(initial_guess, "initial_guess", circ)
    user_bounds = _lookup(bounds, "bounds", circ)
    scale = float(np.abs(z).max())
    lo = np.empty(p)
    hi = np.empty(p)
    for i, (name, unit) in enumerate(zip(circ.param_names, circ.param_units)):
        lo[i], hi[i] = _bounds_for(unit, scale)
        if name in user_bounds:
            try:
                b_lo, b_hi = (float(v) for v in user_bounds[name])
            except (TypeError, ValueError):
                raise AnalysisError(f"bounds[{name!r}] must be a (low, high) pair of "
                                    f"numbers, got {user_bounds[name]!r}") from None
            if not (0 < b_lo < b_hi) or not math.isfinite(b_hi):
                raise AnalysisError(f"bounds[{name!r}] = ({b_lo:g}, {b_hi:g}) must satisfy "
                                    "0 < low < high < inf (parameters are fitted in log)")
            lo[i], hi[i] = b_lo, b_hi
    for name, value in guess.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise AnalysisError(f"initial_guess[{name!r}] is not a number: {value!r}") from None
        if not (math.isfinite(v) and v > 0):
            raise AnalysisError(f"initial_guess[{name!r}] = {v:g} must be positive and "
                                "finite (parameters are fitted in log)")
        guess[name] = v

    log_lo, log_hi = np.log(lo), np.log(hi)
    margin = 1e-9 * (log_hi - log_lo)

    def clip(x: np.ndarray) -> np.ndarray:
        return np.clip(np.log(x), log_lo + margin, log_hi - margin)

    base = _auto_guess(circ, f, z)
    for name, v in guess.items():
        base[circ.param_names.index(name)] = v
    starts = [clip(base)]
    n_caps = sum(el.name in ("C", "CPE") for _, el in circ.elements)
    if n_caps >= 2 and n_starts > 1:
        rev = _auto_guess(circ, f, z, tau_order=list(range(n_caps))[::-1])
        for name, v in guess.items():
            rev[circ.param_names.index(name)] = v
        starts.append(clip(rev))
    rng = np.random.default_rng(_SEED)
    is_exp = np.array([u == "" for u in circ.param_units])
    while len(starts) < n_starts:
        step = rng.uniform(-1.0, 1.0, p) * np.log(10.0)
        step[is_exp] = rng.uniform(-0.3, 0.0, int(is_exp.sum()))
        starts.append(np.clip(starts[len(starts) % max(1, min(2, len(starts)))] + step,
                              log_lo + margin, log_hi - margin))

    resid = _residual_fn(circ, f, z, weighting)
    best = None
    for x0 in starts[:n_starts]:
        try:
            sol = least_squares(resid, x0, bounds=(log_lo, log_hi), method="trf",
                                x_scale=1.0, ftol=1e-12, xtol=1e-12, gtol=1e-12,
                                max_nfev=300 * (p + 1))
        except (ValueError, np.linalg.LinAlgError):
            continue
        if best is None or sol.cost < best.cost:
            best = sol
    if best is None:
        raise AnalysisError(f"no start of the fit of {circ.text} converged")

    values = np.exp(best.x)
    m = best.fun.size
    dof = max(1, m - p)
    s2 = 2.0 * best.cost / dof
    jtj = best.jac.T @ best.jac
    with np.errstate(all="ignore"):
        cov = np.linalg.pinv(jtj) * s2
        rank = np.linalg.matrix_rank(jtj)
    var_log = np.clip(np.diag(cov), 0.0, None)
    stderr = values * np.sqrt(var_log)
    if rank < p:
        # Directions the data do not constrain at all: no meaningful error bar.
        _, s, vt = np.linalg.svd(best.jac, full_matrices=False)
        null = np.abs(vt[s < s.max() * 1e-10 * max(best.jac.shape)]).max(axis=0) \
            if np.any(s < s.max() * 1e-10 * max(best.jac.shape)) else np.zeros(p)
        stderr = np.where(null > 1e-3, np.inf, stderr)

    z_fit = circ.impedance(f, values)
    rel = float(np.sqrt(np.mean(np.abs(z_fit - z) ** 2 / np.abs(z) ** 2)))
    names = circ.param_names
    for i, name in enumerate(names):
        at_lo = best.x[i] - log_lo[i] < 1e-3 * (log_hi[i] - log_lo[i])
        at_hi = log_hi[i] - best.x[i] < 1e-3 * (log_hi[i] - log_lo[i])
        if circ.param_units[i] == "" and at_hi and name not in user_bounds:
            continue  # CPE exponent at 1 is an ideal capacitor, not a problem
        if at_lo or at_hi:
            warnings.append(f"{name} = {values[i]:.4g} {circ.param_units[i]} is at its "
                            f"{'lower' if at_lo else 'upper'} bound "
                            f"({(lo if at_lo else hi)[i]:.3g}): the circuit may have an "
                            "element the data do not need, or the bounds are too tight")
        elif not np.isfinite(stderr[i]) or stderr[i] > values[i]:
            warnings.append(f"{name} is poorly determined (standard error "
                            f"{stderr[i]:.3g} vs value {values[i]:.4g})")
    if rel > _POOR_FIT:
        warnings.append(f"poor fit: RMS relative residual {rel:.3f} > {_POOR_FIT}; the "
                        f"circuit {circ.text} may not describe this spectrum")

    return CircuitFitResult(
        method=f"circuit_fit:{circ.text}",
        warnings=warnings,
        source=getattr(getattr(spectrum, "attrs", {}), "get", lambda *_: None)("source"),
        circuit=circ.text,
        parameters={n: float(v) for n, v in zip(names, values)},
        parameter_units=dict(zip(names, circ.param_units)),
        parameter_stderr={n: float(e) for n, e in zip(names, stderr)},
        rel_residual=rel,
        weighting=weighting,
        n_points=int(f.size),
        n_dropped_inductive=n_drop,
        freq_min_hz=float(f.min()),
        freq_max_hz=float(f.max()),
        n_starts=min(n_starts, len(starts)),
        freq_hz=f,
        z_ohm=z,
        z_fit_ohm=z_fit,
    )
