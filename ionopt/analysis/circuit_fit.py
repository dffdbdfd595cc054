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
lowest cost wins. Interchangeable blocks (two ``p(R,C)`` in series fit equally well either
way round) are returned fastest first: sorted by the apex frequency of their ``-Z''``, so
``R1`` of ``R0-p(R1,C1)-p(R2,C2)`` is the high-frequency arc whichever start won (unless
one of them has a fixed or bounded parameter: then the user's labels stand).

Fixed parameters
----------------
``fixed={"R0": 12.0, "C1": 2e-6}`` holds those parameters at the given values (SI units)
and fits only the others, like impedance.py's ``CustomCircuit(constants=...)`` -- for a
series resistance measured separately, or a known electrode capacitance. Held parameters
are not free: they are left out of the optimisation vector, of the points-per-parameter
checks and of the degrees of freedom ``2 * n_points - n_free_params`` that scale the
standard errors. They are reported in ``parameters`` with exactly the value given, a
standard error of ``0.0`` (they carry no uncertainty *from this fit*; the free parameters'
errors are conditional on the fixed values being right) and ``parameter_fixed[name] is
True``. Fixing a parameter at a wrong value is not detected as such: the free parameters
compensate as best they can and ``rel_residual`` grows.

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
        and the residual variance; ``inf`` when a parameter is not determined; ``0.0``
        for a parameter held fixed).
    parameter_fixed : dict of str to bool
        True for the parameters held at the value given in ``fit_circuit(fixed=...)``,
        False for the fitted ones.
    n_free_params : int
        Parameters actually fitted (all parameters minus the fixed ones); the degrees of
        freedom of the residual variance are ``2 * n_points - n_free_params``.
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
    parameter_fixed: dict = field(default_factory=dict, metadata={"export": False})
    n_free_params: int = 0
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
        ``<key>_stderr`` companion. ``fixed_parameters`` lists the names of the
        parameters held fixed (empty when all were fitted). Non-finite values become
        None.
        """
        out = super().to_dict()
        out["fixed_parameters"] = [n for n, is_fixed in self.parameter_fixed.items()
                                   if is_fixed]
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


def _residual_fn(circ: Circuit, f: np.ndarray, z: np.ndarray, weighting: str,
                 free: np.ndarray, full: np.ndarray):
    """Residuals as a function of the log of the *free* parameters only.

    ``full`` is the complete parameter vector with the fixed values in place; the free
    entries (mask ``free``) are overwritten on each call. Keeping fixed parameters out of
    the optimisation vector (rather than pinning them with tight bounds) gives a Jacobian
    with exactly one column per fitted parameter, so the covariance and the degrees of
    freedom below count only those.
    """
    wt = 1.0 / np.abs(z) if weighting == "modulus" else np.ones(z.size)
    values = full.astype(float).copy()

    def resid(logp: np.ndarray) -> np.ndarray:
        values[free] = np.exp(logp)
        with np.errstate(all="ignore"):
            d = (circ.impedance(f, values) - z) * wt
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
        hints = [h for h in (_index_name_hint(k, circ) for k in unknown) if h]
        raise AnalysisError(f"{what} names unknown parameter(s) {unknown}; circuit "
                            f"{circ.text} has {circ.param_names}"
                            + (f" ({'; '.join(hints)})" if hints else ""))
    return dict(mapping)


def _index_name_hint(key, circ: Circuit) -> str:
    """Translation of an impedance.py-style name (``"Wo1_0"``) to ionopt's, or ``""``.

    impedance.py numbers the parameters of multi-parameter elements (``Wo1_0``,
    ``Wo1_1``); ionopt names them (``Wo1_Z0``, ``Wo1_tau``). Users porting a
    ``constants=`` dict hit exactly this, so the error says what to write instead.
    """
    m = re.fullmatch(r"(.+)_(\d+)", str(key))
    if not m:
        return ""
    el = dict(circ.elements).get(m.group(1))
    idx = int(m.group(2))
    if el is None or len(el.params) < 2 or idx >= len(el.params):
        return ""
    return (f"{key!r} is impedance.py's numbering; ionopt calls it "
            f"{m.group(1) + '_' + el.params[idx]!r}")


def _fixed_values(fixed, circ: Circuit) -> dict[str, float]:
    """Checked ``fixed`` mapping: known names, finite values in each parameter's domain."""
    out = {}
    for name, value in _lookup(fixed, "fixed", circ).items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise AnalysisError(f"fixed[{name!r}] is not a number: {value!r}") from None
        el_name, el, k = circ.element_of(name)
        unit = circ.param_units[circ.param_names.index(name)]
        if el.name == "CPE" and el.params[k] == "n":
            # The element is defined for 0 < n <= 1 (n = 1: ideal capacitor; the default
            # bounds keep a fitted n there too); a held value outside it is a mistake.
            if not (math.isfinite(v) and 0 < v <= 1):
                raise AnalysisError(f"fixed[{name!r}] = {v:g}: a CPE exponent must satisfy "
                                    "0 < n <= 1")
        elif not (math.isfinite(v) and v > 0):
            # Every element parameter (R, C, L, Q, sigma, Z0, tau) is a positive
            # physical quantity; zero or negative would also make 1/Z or log(p) blow up.
            raise AnalysisError(f"fixed[{name!r}] = {v:g} must be positive and finite "
                                f"({name} of element {el_name} is in {unit or '1'})")
        out[name] = v
    if out and len(out) == circ.n_params:
        raise AnalysisError(f"fixed holds every parameter of {circ.text} "
                            f"({circ.param_names}); leave at least one free to fit, or "
                            "evaluate it directly with parse_circuit(...).impedance")
    return out


def _canonical_order(circ: Circuit, f: np.ndarray, free: np.ndarray, full: np.ndarray,
                     x: np.ndarray, pinned) -> np.ndarray:
    """Permutation of the free vector that puts interchangeable blocks fastest first.

    Two ``p(R,C)`` in series fit equally well either way round, so which one a start
    lands on is an accident of floating point. Sorting each group of interchangeable
    blocks by the apex frequency of its ``-Z''`` (highest first, like the automatic
    guess: the element written first is the faster process, e.g. bulk before grain
    boundary) makes the labels mean something and the result reproducible. Groups with
    a fixed or user-bounded parameter keep the user's labels.
    """
    perm = np.arange(x.size)
    free_pos = np.cumsum(free) - 1  # circuit index -> index in the free vector
    values = full.copy()
    values[free] = np.exp(x)
    grid = np.geomspace(f.min() * 1e-3, f.max() * 1e3, 600)
    names = circ.param_names
    for group in circ.interchangeable_blocks():
        if any(names[i] in pinned for idx, _ in group for i in idx):
            continue
        apex = [float(grid[np.argmax(-parse_circuit(text).impedance(grid, values[idx]).imag)])
                for idx, text in group]
        order = sorted(range(len(group)), key=lambda b: -apex[b])
        for slot, src in zip(group, (group[b] for b in order)):
            perm[free_pos[slot[0]]] = free_pos[src[0]]
    return perm


def fit_circuit(spectrum, circuit: str, *, initial_guess: Mapping[str, float] | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None, n_starts: int = 8,
                weighting: str = "modulus",
                fixed: Mapping[str, float] | None = None) -> CircuitFitResult:
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
    fixed : mapping of str to float, optional
        Parameters held at known values during the fit, by the names of
        ``CircuitFitResult.parameters`` (e.g. ``{"R0": 12.0}`` in ohm, ``{"C1": 2e-6}``
        in F, ``{"Wo1_tau": 5.0}`` in s; SI units as in the class docstring). Values must
        be finite and positive (CPE exponents: ``0 < n <= 1``); default bounds do not
        apply to them, but a value outside explicit ``bounds`` for the same name is an
        error. An ``initial_guess`` entry for a fixed parameter is ignored. At least one
        parameter must stay free. Fixed parameters are reported with their given value,
        standard error ``0.0`` and ``parameter_fixed[name] = True``, and are not counted
        in ``n_free_params`` or the degrees of freedom. Like impedance.py's
        ``CustomCircuit(constants=...)``, but with ionopt's parameter names (``Wo1_Z0``,
        not ``Wo1_0``).

    Returns
    -------
    CircuitFitResult
        Fitted parameters with standard errors, ``method = "circuit_fit:<circuit>"``.

    Raises
    ------
    AnalysisError
        Unparsable circuit (the message names the bad token), unusable spectrum, more
        free parameters than data, bad guesses, bounds or fixed values (unknown name,
        non-numeric, non-finite or out of the parameter's domain, every parameter
        fixed), unknown weighting.
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
    held = _fixed_values(fixed, circ)
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
    names = circ.param_names
    n_all = circ.n_params
    free = np.array([n not in held for n in names])
    # Only free parameters consume data: all the counts below use p, not n_all.
    p = int(free.sum())
    what = (f"{p} free parameters of {circ.text} ({n_all - p} fixed)" if held
            else f"{p} parameters of {circ.text}")
    if 2 * f.size < p + 1 or f.size < 3:
        raise AnalysisError(
            f"spectrum has {f.size} usable point(s) ({2 * f.size} real residuals) for "
            f"{what}: too few to fit")
    if f.size < 2 * p:
        warnings.append(f"only {f.size} points for {what}: the fit is poorly "
                        "constrained")

    guess = _lookup(initial_guess, "initial_guess", circ)
    user_bounds = _lookup(bounds, "bounds", circ)
    scale = float(np.abs(z).max())
    lo = np.empty(n_all)
    hi = np.empty(n_all)
    for i, (name, unit) in enumerate(zip(names, circ.param_units)):
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
            if name in held and not b_lo <= held[name] <= b_hi:
                raise AnalysisError(f"fixed[{name!r}] = {held[name]:g} lies outside "
                                    f"bounds[{name!r}] = ({b_lo:g}, {b_hi:g}); drop one "
                                    "of the two")
    for name, value in guess.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise AnalysisError(f"initial_guess[{name!r}] is not a number: {value!r}") from None
        if not (math.isfinite(v) and v > 0):
            raise AnalysisError(f"initial_guess[{name!r}] = {v:g} must be positive and "
                                "finite (parameters are fitted in log)")
        guess[name] = v
    # A start value means nothing for a held parameter (checked above all the same, so
    # a garbage entry is still reported); dropping it lets users pass a previous fit's
    # ``parameters`` as ``initial_guess`` while fixing some of them.
    guess = {n: v for n, v in guess.items() if n not in held}

    # From here on bounds, starts and the solution live in the free subspace.
    full = np.array([held.get(n, np.nan) for n in names])
    log_lo, log_hi = np.log(lo[free]), np.log(hi[free])
    margin = 1e-9 * (log_hi - log_lo)

    def clip(x: np.ndarray) -> np.ndarray:
        return np.clip(np.log(x[free]), log_lo + margin, log_hi - margin)

    # The automatic guess is built for the whole circuit from the spectrum's shape and
    # then restricted to the free entries, so it works unchanged whatever is held.
    base = _auto_guess(circ, f, z)
    for name, v in guess.items():
        base[names.index(name)] = v
    starts = [clip(base)]
    n_caps = sum(el.name in ("C", "CPE") for _, el in circ.elements)
    if n_caps >= 2 and n_starts > 1:
        rev = _auto_guess(circ, f, z, tau_order=list(range(n_caps))[::-1])
        for name, v in guess.items():
            rev[names.index(name)] = v
        starts.append(clip(rev))
    rng = np.random.default_rng(_SEED)
    is_exp = np.array([u == "" for u in circ.param_units])[free]
    while len(starts) < n_starts:
        step = rng.uniform(-1.0, 1.0, p) * np.log(10.0)
        step[is_exp] = rng.uniform(-0.3, 0.0, int(is_exp.sum()))
        starts.append(np.clip(starts[len(starts) % max(1, min(2, len(starts)))] + step,
                              log_lo + margin, log_hi - margin))

    resid = _residual_fn(circ, f, z, weighting, free, full)
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

    perm = _canonical_order(circ, f, free, full, best.x,
                             set(held) | set(user_bounds))
    x, jac = best.x[perm], best.jac[:, perm]
    free_values = np.exp(x)
    m = best.fun.size
    dof = max(1, m - p)
    s2 = 2.0 * best.cost / dof
    jtj = jac.T @ jac
    with np.errstate(all="ignore"):
        cov = np.linalg.pinv(jtj) * s2
        rank = np.linalg.matrix_rank(jtj)
    var_log = np.clip(np.diag(cov), 0.0, None)
    free_stderr = free_values * np.sqrt(var_log)
    if rank < p:
        # Directions the data do not constrain at all: no meaningful error bar.
        _, s, vt = np.linalg.svd(jac, full_matrices=False)
        null = np.abs(vt[s < s.max() * 1e-10 * max(jac.shape)]).max(axis=0) \
            if np.any(s < s.max() * 1e-10 * max(jac.shape)) else np.zeros(p)
        free_stderr = np.where(null > 1e-3, np.inf, free_stderr)

    # Back to the whole circuit: fixed entries keep exactly the value given, and a zero
    # error (they were not estimated here; see the module notes).
    values = full.copy()
    values[free] = free_values
    stderr = np.zeros(n_all)
    stderr[free] = free_stderr
    z_fit = circ.impedance(f, values)
    rel = float(np.sqrt(np.mean(np.abs(z_fit - z) ** 2 / np.abs(z) ** 2)))
    free_idx = np.flatnonzero(free)
    for j, i in enumerate(free_idx):  # j: index in the free vector, i: in the circuit
        name = names[i]
        at_lo = x[j] - log_lo[j] < 1e-3 * (log_hi[j] - log_lo[j])
        at_hi = log_hi[j] - x[j] < 1e-3 * (log_hi[j] - log_lo[j])
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
                        f"circuit {circ.text} may not describe this spectrum"
                        + (f", or a fixed value ({', '.join(sorted(held))}) is wrong"
                           if held else ""))

    return CircuitFitResult(
        method=f"circuit_fit:{circ.text}",
        warnings=warnings,
        source=getattr(getattr(spectrum, "attrs", {}), "get", lambda *_: None)("source"),
        circuit=circ.text,
        parameters={n: float(v) for n, v in zip(names, values)},
        parameter_units=dict(zip(names, circ.param_units)),
        parameter_stderr={n: float(e) for n, e in zip(names, stderr)},
        parameter_fixed={n: n in held for n in names},
        n_free_params=p,
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
