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
    "Circuit",
    "parse_circuit",
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


def _sqrt_jwt(freq_hz, tau_s):
    return np.sqrt(1j * _omega(freq_hz) * tau_s)


@element("Wo", params=("Z0", "tau"), units=("Ohm", "s"))
def warburg_open(freq_hz, z0, tau_s):
    """Finite-space (open, reflective) Warburg: Z = Z0 coth(sqrt(j w tau)) / sqrt(j w tau)."""
    x = _sqrt_jwt(freq_hz, tau_s)
    return z0 / (x * np.tanh(x))


@element("Ws", params=("Z0", "tau"), units=("Ohm", "s"))
def warburg_short(freq_hz, z0, tau_s):
    """Finite-length (short, transmissive) Warburg: Z = Z0 tanh(sqrt(j w tau)) / sqrt(j w tau)."""
    x = _sqrt_jwt(freq_hz, tau_s)
    return z0 * np.tanh(x) / x


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


# ------------------------------------------------------------------ circuit strings
#
# A small, readable syntax for arbitrary circuits, e.g. ``"R0-p(R1,C1)-p(R2-W1,C2)"``:
#
# * an element is a registry symbol followed by an index: ``R0``, ``CPE1``, ``Wo2``;
# * ``a-b`` puts a and b in series; ``p(a,b,...)`` puts them in parallel (two or more
#   branches, each itself a circuit, nesting allowed);
# * white space is ignored; element names must be unique within a circuit.
#
# Parameters are named after their element: one-parameter elements by the element name
# itself (``R0``, ``C1``, ``L0``, ``W1``), others as ``<element>_<param>`` (``CPE1_Q``,
# ``CPE1_n``, ``Wo1_Z0``, ``Wo1_tau``).


@dataclass(frozen=True)
class _Node:
    kind: str                       # "el", "series", "parallel"
    name: str = ""                  # element name for "el"
    children: tuple = ()


class Circuit:
    """A circuit parsed from a string; evaluates with :func:`series` / :func:`parallel`.

    Build it with :func:`parse_circuit`. ``str(circuit)`` gives the canonical string
    (white space removed), which parses back to the same circuit.

    Attributes
    ----------
    text : str
        Canonical circuit string.
    elements : list of (str, Element)
        Element names (e.g. ``"CPE1"``) with their registry entries, in string order.
    param_names : list of str
        Parameter names in vector order (see the module notes).
    param_units : list of str
        Unit of each parameter.
    """

    def __init__(self, root: _Node, elements: list[tuple[str, Element]]):
        self._root = root
        self.elements = elements
        self.param_names: list[str] = []
        self.param_units: list[str] = []
        self._slices: dict[str, slice] = {}
        for name, el in elements:
            start = len(self.param_names)
            if len(el.params) == 1:
                self.param_names.append(name)
            else:
                self.param_names.extend(f"{name}_{p}" for p in el.params)
            self.param_units.extend(el.units)
            self._slices[name] = slice(start, len(self.param_names))
        self._registry = dict(elements)
        self.text = self._format(root)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Circuit) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.param_names)

    def element_of(self, param: str) -> tuple[str, Element, int]:
        """Element name, registry entry and parameter index of parameter ``param``."""
        i = self.param_names.index(param)
        for name, sl in self._slices.items():
            if sl.start <= i < sl.stop:
                return name, self._registry[name], i - sl.start
        raise KeyError(param)  # pragma: no cover - index() raised already

    def in_parallel(self, name: str) -> bool:
        """True when element ``name`` sits inside a ``p(...)`` block."""
        def walk(node: _Node, inside: bool) -> bool | None:
            if node.kind == "el":
                return inside if node.name == name else None
            for c in node.children:
                r = walk(c, inside or node.kind == "parallel")
                if r is not None:
                    return r
            return None
        return bool(walk(self._root, False))

    def interchangeable_blocks(self) -> list[list[tuple[list[int], str]]]:
        """Groups of blocks in series that differ only in their element indices.

        ``R0-p(R1,C1)-p(R2,C2)`` has one group, the two ``p(R,C)`` blocks: swapping
        their parameter values leaves the impedance unchanged (series is commutative),
        so a fit cannot tell them apart. Each block is given as the indices of its
        parameters in :attr:`param_names` (in string order) and its own circuit string.

        Returns
        -------
        list of list of (list of int, str)
            One inner list per group of two or more interchangeable blocks.
        """
        groups: list[list[tuple[list[int], str]]] = []

        def shape(node: _Node) -> str:
            if node.kind == "el":
                return self._registry[node.name].name
            sep = "-" if node.kind == "series" else ","
            inner = sep.join(shape(c) for c in node.children)
            return inner if node.kind == "series" else f"p({inner})"

        def names_in(node: _Node) -> list[str]:
            if node.kind == "el":
                return [node.name]
            return [n for c in node.children for n in names_in(c)]

        def walk(node: _Node) -> None:
            for c in node.children:
                walk(c)
            if node.kind != "series":
                return
            by_shape: dict[str, list[_Node]] = {}
            for c in node.children:
                by_shape.setdefault(shape(c), []).append(c)
            for blocks in by_shape.values():
                if len(blocks) > 1:
                    groups.append([
                        ([i for n in names_in(b)
                          for i in range(self._slices[n].start, self._slices[n].stop)],
                         self._format(b)) for b in blocks])

        walk(self._root)
        return groups

    def impedance(self, freq_hz, params) -> np.ndarray:
        """Impedance (ohm) at ``freq_hz`` (Hz) for the parameter vector ``params``.

        Parameters
        ----------
        freq_hz : array_like
            Frequencies in Hz.
        params : sequence of float or mapping
            Values in the order of :attr:`param_names` (SI units), or a mapping by name.

        Returns
        -------
        ndarray of complex
            Impedance in ohm.
        """
        if isinstance(params, dict):
            missing = [n for n in self.param_names if n not in params]
            if missing:
                raise ValueError(f"circuit {self.text}: missing parameter(s) {missing}")
            params = [params[n] for n in self.param_names]
        p = np.asarray(params, dtype=float)
        if p.size != self.n_params:
            raise ValueError(f"circuit {self.text} takes {self.n_params} parameters "
                             f"({', '.join(self.param_names)}), got {p.size}")
        f = np.asarray(freq_hz, dtype=float)
        return self._eval(self._root, f, p)

    __call__ = impedance

    def _eval(self, node: _Node, f: np.ndarray, p: np.ndarray) -> np.ndarray:
        if node.kind == "el":
            return self._registry[node.name](f, *p[self._slices[node.name]])
        parts = [self._eval(c, f, p) for c in node.children]
        return series(*parts) if node.kind == "series" else parallel(*parts)

    def _format(self, node: _Node) -> str:
        if node.kind == "el":
            return node.name
        if node.kind == "series":
            return "-".join(self._format(c) for c in node.children)
        return "p(" + ",".join(self._format(c) for c in node.children) + ")"


def _split_element(token: str, pos: int, text: str) -> Element:
    """Registry entry of an element name like ``CPE1`` (symbol + index)."""
    i = len(token)
    while i > 0 and token[i - 1].isdigit():
        i -= 1
    symbol, index = token[:i], token[i:]
    if not index:
        raise ValueError(f"circuit {text!r}: element {token!r} at position {pos} needs an "
                         "index after its symbol (e.g. R0, CPE1)")
    if symbol not in ELEMENTS:
        raise ValueError(f"circuit {text!r}: unknown element {token!r} at position {pos} "
                         f"(known symbols: {', '.join(sorted(ELEMENTS))})")
    return ELEMENTS[symbol]


def parse_circuit(text: str) -> Circuit:
    """Parse a circuit string such as ``"R0-p(R1,C1)-p(R2-W1,C2)"``.

    Parameters
    ----------
    text : str
        ``-`` joins in series, ``p(a,b,...)`` joins in parallel, elements are a registry
        symbol (:data:`ELEMENTS`) plus an index. White space is ignored.

    Returns
    -------
    Circuit
        The parsed circuit.

    Raises
    ------
    ValueError
        Empty string, unknown or duplicated element, unbalanced parentheses, a ``p(``
        with fewer than two branches, or any other token out of place; the message names
        the offending token and its position.
    """
    if not isinstance(text, str):
        raise ValueError(f"circuit must be a string, got {type(text).__name__}")
    src = "".join(text.split())
    if not src:
        raise ValueError("circuit string is empty")
    # Tokens: names (letters+digits), '-', ',', '(', ')', with 'p(' as a parallel opener.
    tokens: list[tuple[str, int]] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch.isalnum() or ch == "_":
            j = i
            while j < len(src) and (src[j].isalnum() or src[j] == "_"):
                j += 1
            tok = src[i:j]
            if tok == "p" and j < len(src) and src[j] == "(":
                tokens.append(("p(", i))
                j += 1
            else:
                tokens.append((tok, i))
            i = j
        elif ch in "-,()":
            tokens.append((ch, i))
            i += 1
        else:
            raise ValueError(f"circuit {text!r}: unexpected character {ch!r} at position {i}")
    elements: list[tuple[str, Element]] = []
    seen: set[str] = set()
    k = 0

    def peek() -> tuple[str, int] | None:
        return tokens[k] if k < len(tokens) else None

    def fail(tok: tuple[str, int] | None, expected: str) -> ValueError:
        if tok is None:
            return ValueError(f"circuit {text!r}: ended early, expected {expected}")
        return ValueError(f"circuit {text!r}: unexpected token {tok[0]!r} at position "
                          f"{tok[1]}, expected {expected}")

    def parse_series() -> _Node:
        nonlocal k
        items = [parse_term()]
        while (t := peek()) is not None and t[0] == "-":
            k += 1
            items.append(parse_term())
        flat: list[_Node] = []
        for it in items:
            flat.extend(it.children if it.kind == "series" else (it,))
        return flat[0] if len(flat) == 1 else _Node("series", children=tuple(flat))

    def parse_term() -> _Node:
        nonlocal k
        t = peek()
        if t is None or t[0] in "-,()":
            raise fail(t, "an element or p(")
        k += 1
        if t[0] == "p(":
            branches = [parse_series()]
            while (u := peek()) is not None and u[0] == ",":
                k += 1
                branches.append(parse_series())
            u = peek()
            if u is None or u[0] != ")":
                raise fail(u, "',' or ')' closing p( at position " f"{t[1]}")
            k += 1
            if len(branches) < 2:
                raise ValueError(f"circuit {text!r}: p( at position {t[1]} has one branch; "
                                 "a parallel block needs at least two")
            return _Node("parallel", children=tuple(branches))
        el = _split_element(t[0], t[1], text)
        if t[0] in seen:
            raise ValueError(f"circuit {text!r}: element {t[0]!r} at position {t[1]} is "
                             "used twice; give each element its own index")
        seen.add(t[0])
        elements.append((t[0], el))
        return _Node("el", name=t[0])

    root = parse_series()
    if k != len(tokens):
        raise fail(tokens[k], "'-' or the end of the circuit")
    return Circuit(root, elements)
