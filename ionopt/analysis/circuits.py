"""Equivalent-circuit elements and the model circuits fitted to blocking-cell spectra.

Every element is a plain vectorised function ``f(freq_hz, *params) -> complex ndarray``
registered once with :func:`element`, which records its parameter names and units so a
reader (or a plot legend) can ask :data:`ELEMENTS` what ``"CPE"`` means. Impedances use
the electrochemical convention ``Z = Z' + jZ''`` with ``Z'' < 0`` for capacitive
behaviour.

The model circuits used by :mod:`ionopt.analysis.eis` are written out explicitly below
(:func:`blocking_cell`, :func:`spike_cell`) rather than parsed from a string: there are
only two, and explicit code is easier to read and to differentiate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ELEMENTS",
    "Element",
    "element",
    "series",
    "parallel",
    "zarc",
    "blocking_cell",
    "spike_cell",
    "BLOCKING_CELL_PARAMS",
    "SPIKE_CELL_PARAMS",
]


@dataclass(frozen=True)
class Element:
    """One registered circuit element.

    Attributes
    ----------
    name : str
        Short symbol, e.g. ``"CPE"``.
    params : tuple of str
        Parameter names in call order.
    units : tuple of str
        Unit of each parameter.
    func : callable
        ``func(freq_hz, *params)`` returning the complex impedance in ohm.
    description : str
        One line saying what the element is.
    """

    name: str
    params: tuple[str, ...]
    units: tuple[str, ...]
    func: Callable[..., np.ndarray]
    description: str

    def __call__(self, freq_hz, *params) -> np.ndarray:
        """Impedance (ohm) of the element at ``freq_hz``."""
        if len(params) != len(self.params):
            raise TypeError(
                f"element {self.name} takes {len(self.params)} parameters "
                f"({', '.join(self.params)}), got {len(params)}")
        return self.func(np.asarray(freq_hz, dtype=float), *params)


#: Registry of circuit elements by symbol.
ELEMENTS: dict[str, Element] = {}


def element(name: str, params: tuple[str, ...], units: tuple[str, ...]):
    """Register an impedance function as circuit element ``name``.

    Parameters
    ----------
    name : str
        Symbol of the element; must be new to :data:`ELEMENTS`.
    params, units : tuple of str
        Parameter names and their units, same length, in call order.

    Returns
    -------
    callable
        Decorator returning the registered :class:`Element`.
    """
    if len(params) != len(units):
        raise ValueError(f"element {name}: {len(params)} params but {len(units)} units")

    def register(func: Callable[..., np.ndarray]) -> Element:
        if name in ELEMENTS:
            raise ValueError(f"circuit element {name!r} is already registered")
        doc = (func.__doc__ or "").strip().splitlines()
        el = Element(name, tuple(params), tuple(units), func, doc[0] if doc else "")
        ELEMENTS[name] = el
        return el

    return register


def _omega(freq_hz: np.ndarray) -> np.ndarray:
    return 2.0 * np.pi * freq_hz


@element("R", params=("R",), units=("Ohm",))
def resistor(freq_hz, r):
    """Resistor: Z = R."""
    return np.full(np.shape(freq_hz), r, dtype=complex)


@element("C", params=("C",), units=("F",))
def capacitor(freq_hz, c):
    """Capacitor: Z = 1 / (j omega C)."""
    return 1.0 / (1j * _omega(freq_hz) * c)


@element("L", params=("L",), units=("H",))
def inductor(freq_hz, l_h):
    """Inductor (cables, fixture): Z = j omega L."""
    return 1j * _omega(freq_hz) * l_h


@element("CPE", params=("Q", "n"), units=("S s^n", ""))
def cpe(freq_hz, q, n):
    """Constant-phase element: Z = 1 / (Q (j omega)^n), 0 < n <= 1 (n = 1: capacitor)."""
    return 1.0 / (q * (1j * _omega(freq_hz)) ** n)


@element("W", params=("sigma",), units=("Ohm s^-1/2",))
def warburg(freq_hz, sigma):
    """Semi-infinite Warburg: Z = sigma (1 - j) / sqrt(omega)."""
    return sigma * (1.0 - 1j) / np.sqrt(_omega(freq_hz))


def series(*impedances: np.ndarray) -> np.ndarray:
    """Impedance (ohm) of elements in series: the sum."""
    return np.sum(np.stack(np.broadcast_arrays(*impedances)), axis=0)


def parallel(*impedances: np.ndarray) -> np.ndarray:
    """Impedance (ohm) of elements in parallel: inverse of the summed admittances."""
    return 1.0 / np.sum(1.0 / np.stack(np.broadcast_arrays(*impedances)), axis=0)


def zarc(freq_hz, r, tau_s, n):
    """Impedance (ohm) of R in parallel with a CPE, written with its time constant.

    ``R || CPE(Q, n)`` equals ``R / (1 + (j omega tau)^n)`` with ``tau = (R Q)^(1/n)``;
    the apex of the arc (``-Z'' = (R/2) tan(n pi/4)``) sits at ``omega = 1/tau``. Using
    tau rather than Q decouples the parameters, which is what a fit wants.

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz.
    r : float
        Arc diameter in ohm.
    tau_s : float
        Characteristic time constant in s.
    n : float
        CPE exponent (1: ideal R || C semicircle).
    """
    w = _omega(np.asarray(freq_hz, dtype=float))
    return r / (1.0 + (1j * w * tau_s) ** n)


#: Parameter names (and units) of :func:`blocking_cell`, in order.
BLOCKING_CELL_PARAMS = (("r_s", "Ohm"), ("r_b", "Ohm"), ("q_b", "S s^n"), ("n_b", ""),
                        ("q_dl", "S s^n"), ("n_dl", ""), ("l", "H"))
#: Parameter names (and units) of :func:`spike_cell`, in order.
SPIKE_CELL_PARAMS = (("r", "Ohm"), ("q_dl", "S s^n"), ("n_dl", ""), ("l", "H"))


def blocking_cell(freq_hz, r_s, r_b, q_b, n_b, q_dl, n_dl, l_h=0.0):
    """Blocking cell ``L - R_s - (R_b || CPE_b) - CPE_dl``: bulk arc plus electrode spike.

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz.
    r_s : float
        Series (lead/contact) resistance in ohm.
    r_b : float
        Bulk resistance in ohm (the arc's diameter).
    q_b, n_b : float
        Bulk CPE (S s^n, exponent).
    q_dl, n_dl : float
        Electrode (double-layer) CPE; ``q_dl = inf`` removes it.
    l_h : float, optional
        Series inductance in H (cables); 0 by default.

    Returns
    -------
    ndarray of complex
        Impedance in ohm.
    """
    f = np.asarray(freq_hz, dtype=float)
    z = r_s + parallel(resistor(f, r_b), cpe(f, q_b, n_b))
    if np.isfinite(q_dl):
        z = z + cpe(f, q_dl, n_dl)
    return z + inductor(f, l_h)


def spike_cell(freq_hz, r, q_dl, n_dl, l_h=0.0):
    """Film too conductive to show its arc: ``L - R - CPE_dl`` (the spike alone).

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz.
    r : float
        Real-axis value where the spike starts (bulk plus series) in ohm.
    q_dl, n_dl : float
        Electrode CPE (S s^n, exponent).
    l_h : float, optional
        Series inductance in H.

    Returns
    -------
    ndarray of complex
        Impedance in ohm.
    """
    f = np.asarray(freq_hz, dtype=float)
    return r + cpe(f, q_dl, n_dl) + inductor(f, l_h)
