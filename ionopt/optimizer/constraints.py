"""Linear constraints on recipe parameters: mixture sums and bounds on combinations.

Two kinds, in the lab's words:

* :class:`LinearEquality` -- ``sum(coefficient * parameter) == rhs``; a *mixture* is an
  equality whose coefficients are all 1 over mass fractions (``w_filler + w_litfsi +
  w_pvdf_hfp == 1``).
* :class:`LinearInequality` -- ``sum(coefficient * parameter) <= rhs`` by default, or
  ``>= rhs`` with ``sense=">="`` (``w_filler + w_litfsi >= 0.3``).

Constraints act on numeric parameters (continuous, discrete or fixed). Equalities must
involve at least one continuous parameter and no discrete one, so that they can be met
exactly by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ionopt.errors import SpaceError

#: Absolute tolerance used when checking a constraint on a table of recipes.
DEFAULT_TOLERANCE = 1e-6


def _check_coefficients(coefficients: object, where: str) -> dict[str, float]:
    if not isinstance(coefficients, Mapping) or not coefficients:
        raise SpaceError(f"{where}: expected a non-empty mapping parameter -> coefficient, "
                         f"got {coefficients!r}")
    out: dict[str, float] = {}
    for name, value in coefficients.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpaceError(f"{where}.{name}: expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise SpaceError(f"{where}.{name}: expected a finite number, got {value!r}")
        out[str(name)] = number
    if all(v == 0 for v in out.values()):
        raise SpaceError(f"{where}: every coefficient is 0; expected at least one non-zero")
    return out


def _finite(value: object, where: str) -> float:
    """``value`` as a finite float; otherwise a :class:`~ionopt.errors.SpaceError` naming
    ``where`` (also used by :mod:`ionopt.optimizer.space` for bounds and values)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SpaceError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise SpaceError(f"{where}: expected a finite number, got {value!r}")
    return number


@dataclass(frozen=True)
class LinearEquality:
    """``sum(coefficients[p] * p) == rhs`` -- e.g. mass fractions of a mixture summing to 1.

    Parameters
    ----------
    coefficients : mapping of str to float
        Parameter name -> coefficient (dimensionless, or 1/unit of the parameter).
    rhs : float
        Right-hand side, in the units of the weighted sum.
    """

    coefficients: Mapping[str, float]
    rhs: float = 1.0
    kind: str = field(default="linear_equality", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients",
                           _check_coefficients(self.coefficients, "coefficients"))
        object.__setattr__(self, "rhs", _finite(self.rhs, "rhs"))

    @property
    def names(self) -> list[str]:
        """Parameters this constraint involves."""
        return list(self.coefficients)

    def residual(self, table) -> np.ndarray:
        """``sum(c * p) - rhs`` per row (0 when the constraint holds)."""
        total = 0.0
        for name, coef in self.coefficients.items():
            total = total + coef * np.asarray(table[name], dtype=float)
        return np.asarray(total - self.rhs, dtype=float)

    def holds(self, table, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask of rows meeting the constraint within ``tol`` (absolute)."""
        r = self.residual(table)
        return np.abs(r) <= tol

    def as_rows(self) -> tuple[dict[str, float], float]:
        """``(coefficients, rhs)`` of the equality."""
        return dict(self.coefficients), self.rhs

    def describe(self) -> str:
        """The constraint as a readable formula."""
        return f"{_formula(self.coefficients)} == {self.rhs:g}"

    def to_dict(self) -> dict:
        """YAML-ready mapping."""
        return {"type": self.kind, "coefficients": dict(self.coefficients), "rhs": self.rhs}


@dataclass(frozen=True)
class LinearInequality:
    """``sum(coefficients[p] * p) <= rhs`` (or ``>= rhs`` with ``sense=">="``).

    Parameters
    ----------
    coefficients : mapping of str to float
        Parameter name -> coefficient.
    rhs : float
        Bound on the weighted sum.
    sense : {"<=", ">="}
        Direction of the inequality; ``"<="`` by default.
    """

    coefficients: Mapping[str, float]
    rhs: float
    sense: str = "<="
    kind: str = field(default="linear_inequality", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients",
                           _check_coefficients(self.coefficients, "coefficients"))
        object.__setattr__(self, "rhs", _finite(self.rhs, "rhs"))
        if self.sense not in ("<=", ">="):
            raise SpaceError(f"sense: expected '<=' or '>=', got {self.sense!r}")

    @property
    def names(self) -> list[str]:
        """Parameters this constraint involves."""
        return list(self.coefficients)

    def as_rows(self) -> tuple[dict[str, float], float]:
        """The constraint in ``<=`` form: ``(coefficients, rhs)``, negated for ``>=``."""
        if self.sense == "<=":
            return dict(self.coefficients), self.rhs
        return {k: -v for k, v in self.coefficients.items()}, -self.rhs

    def residual(self, table) -> np.ndarray:
        """Amount by which each row exceeds the bound (<= 0 when the constraint holds)."""
        coefs, rhs = self.as_rows()
        total = 0.0
        for name, coef in coefs.items():
            total = total + coef * np.asarray(table[name], dtype=float)
        return np.asarray(total - rhs, dtype=float)

    def holds(self, table, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask of rows meeting the constraint within ``tol`` (absolute)."""
        return self.residual(table) <= tol

    def describe(self) -> str:
        """The constraint as a readable formula."""
        return f"{_formula(self.coefficients)} {self.sense} {self.rhs:g}"

    def to_dict(self) -> dict:
        """YAML-ready mapping."""
        out = {"type": self.kind, "coefficients": dict(self.coefficients), "rhs": self.rhs}
        if self.sense != "<=":
            out["sense"] = self.sense
        return out


def _formula(coefficients: Mapping[str, float]) -> str:
    parts = []
    for name, coef in coefficients.items():
        if coef == 1:
            term = name
        elif coef == -1:
            term = f"-{name}"
        else:
            term = f"{coef:g}*{name}"
        parts.append(term)
    return " + ".join(parts).replace("+ -", "- ")


Constraint = LinearEquality | LinearInequality

__all__ = ["Constraint", "DEFAULT_TOLERANCE", "LinearEquality", "LinearInequality"]
