"""Standard optimization test functions in mixture form, with known optima.

They show that the optimizer is general: the same space.yaml machinery (a mixture
equality, process variables, a categorical) on functions whose optimum is known exactly.
Formulas are the standard definitions as given in the Virtual Library of Simulation
Experiments (S. Surjanovic and D. Bingham, Simon Fraser University,
https://www.sfu.ca/~ssurjano/), written here from those definitions:

* Hartmann-6: ``f(x) = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)`` on [0, 1]^6,
  global minimum -3.32237 at x* = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652,
  0.6573).
* Branin: ``f = a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s`` with a = 1,
  b = 5.1 / (4 pi^2), c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi), on x1 in [-5, 10],
  x2 in [0, 15]; global minimum 10 / (8 pi) = 0.397887 at (-pi, 12.275), (pi, 2.275)
  and (9.42478, 2.475).

Both are minimized. Noise is additive Gaussian (``noise_sd``); nothing ever fails.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ionopt.datasets.emulators._base import (
    Emulator, Optimum, _make_optimum, check_columns, require_finite,
)
from ionopt.errors import DataError

SOURCE = ("Surjanovic, S. and Bingham, D., Virtual Library of Simulation Experiments: Test "
          "Functions and Datasets, https://www.sfu.ca/~ssurjano/")

HARTMANN6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN6_A = np.array([[10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
                        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
                        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
                        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0]])
HARTMANN6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                               [2329, 4135, 8307, 3736, 1004, 9991],
                               [2348, 1451, 3522, 2883, 3047, 6650],
                               [4047, 8828, 8732, 5743, 1091, 381]], dtype=float)
HARTMANN6_ARGMIN = np.array([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])
HARTMANN6_MIN = -3.32237

BRANIN_MIN = 10.0 / (8.0 * np.pi)
BRANIN_ARGMINS = ((-np.pi, 12.275), (np.pi, 2.275), (9.42478, 2.475))
BRANIN_X1, BRANIN_X2 = (-5.0, 10.0), (0.0, 15.0)


def hartmann6(x: np.ndarray) -> np.ndarray:
    """Hartmann-6 at points ``x`` of shape (n, 6) in [0, 1]^6; returns shape (n,)."""
    x = np.atleast_2d(np.asarray(x, float))
    if x.shape[-1] != 6:
        raise DataError(f"hartmann6: expected points with 6 coordinates, got {x.shape[-1]}")
    inner = np.einsum("ij,nij->ni", HARTMANN6_A, (x[:, None, :] - HARTMANN6_P[None]) ** 2)
    return -np.exp(-inner) @ HARTMANN6_ALPHA


def branin(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Branin(-Hoo) function at x1 in [-5, 10], x2 in [0, 15] (arrays broadcast)."""
    x1 = np.asarray(x1, float)
    x2 = np.asarray(x2, float)
    b = 5.1 / (4.0 * np.pi ** 2)
    c = 5.0 / np.pi
    t = 1.0 / (8.0 * np.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x1) + 10.0


def stick_breaking(w: np.ndarray) -> np.ndarray:
    """Map mixture fractions (n, k) on the simplex to the unit cube (n, k - 1).

    ``x_j = w_j / (1 - w_1 - ... - w_{j-1})``: a bijection between the interior of the
    simplex and of the cube. Where the remaining stick is empty (a vertex or edge) the
    coordinate is set to 0.
    """
    w = np.asarray(w, float)
    left = 1.0 - np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(w[:, :-2], axis=1)],
                                axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(left > 1e-12, w[:, :-1] / np.where(left > 1e-12, left, 1.0), 0.0)
    return np.clip(x, 0.0, 1.0)


def stick_joining(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`stick_breaking`: cube (n, k - 1) to simplex fractions (n, k)."""
    x = np.atleast_2d(np.asarray(x, float))
    out = np.empty((x.shape[0], x.shape[1] + 1))
    left = np.ones(x.shape[0])
    for j in range(x.shape[1]):
        out[:, j] = x[:, j] * left
        left = left * (1.0 - x[:, j])
    out[:, -1] = left
    return out


class _Synthetic(Emulator):
    """Shared plumbing: validation of numeric columns and mixture sums, additive noise."""

    def __init__(self, noise_sd: float) -> None:
        super().__init__()
        if not noise_sd >= 0:
            raise DataError(f"noise_sd: expected >= 0, got {noise_sd}")
        self.noise_sd = float(noise_sd)

    def _check_input(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        where = f"{self.name}.evaluate"
        space = self.space_dict()
        arrays = check_columns(df, space["parameters"], where=where)
        for p in space["parameters"]:
            if p["type"] == "continuous":
                lo, hi = p["bounds"]
                require_finite(arrays[p["name"]], p["name"], df.index, where=where,
                               low=lo - 1e-9, high=hi + 1e-9)
        for c in space["constraints"]:
            names = list(c["coefficients"])
            total = sum(arrays[n] for n in names)
            bad = np.abs(total - c["rhs"]) > 1e-6
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(f"{where}: row {df.index[i]!r}: {' + '.join(names)}: expected "
                                f"a sum of {c['rhs']:g}, got {total[i]:.6g}")
        return arrays

    def _add_noise(self, result, rng):
        out = dict(result)
        target = self.targets[0]
        out[target] = result[target] + rng.normal(0.0, self.noise_sd, len(result[target]))
        return out


class Hartmann6Mixture(_Synthetic):
    """Hartmann-6 on a 4-component mixture plus 3 process variables (minimize).

    Parameters: ``w_a, w_b, w_c, w_d`` in [0, 1] with ``w_a + w_b + w_c + w_d == 1`` and
    ``process_1..3`` in [0, 1]. The mixture gives the first three Hartmann coordinates by
    stick breaking (``x1 = w_a``, ``x2 = w_b / (1 - w_a)``, ``x3 = w_c / (1 - w_a - w_b)``),
    a smooth bijection of the open simplex onto the open unit cube; ``x4..x6`` are the
    process variables. The known minimum -3.32237 is therefore reachable, at
    w = (0.20169, 0.11975, 0.32359, 0.35497), process = (0.275332, 0.311652, 0.6573).

    Parameters
    ----------
    noise_sd : float
        Standard deviation of additive Gaussian noise (``evaluate(noise=True)``).
    """

    name = "hartmann6_mixture"
    targets = ("hartmann6",)
    MIXTURE = ("w_a", "w_b", "w_c", "w_d")
    PROCESS = ("process_1", "process_2", "process_3")

    def __init__(self, *, noise_sd: float = 0.05) -> None:
        super().__init__(noise_sd)

    def space_dict(self) -> dict:
        return {
            "parameters": [{"name": n, "type": "continuous", "bounds": [0.0, 1.0]}
                           for n in self.MIXTURE + self.PROCESS],
            "constraints": [{"type": "linear_equality",
                             "coefficients": {n: 1.0 for n in self.MIXTURE}, "rhs": 1.0}],
            "objectives": [{"target": "hartmann6", "direction": "minimize"}],
        }

    def to_unit_cube(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Hartmann coordinates (n, 6) of films given as parameter arrays."""
        w = np.column_stack([np.asarray(arrays[n], float) for n in self.MIXTURE])
        p = np.column_stack([np.asarray(arrays[n], float) for n in self.PROCESS])
        return np.column_stack([stick_breaking(w), p])

    def _evaluate_arrays(self, arrays):
        x = self.to_unit_cube(arrays)
        return {"hartmann6": hartmann6(x), "failed": np.zeros(len(x), bool)}

    def _compute_optimum(self) -> Optimum:
        w = stick_joining(HARTMANN6_ARGMIN[None, :3])[0]
        location = dict(zip(self.MIXTURE, w.tolist()))
        location.update(zip(self.PROCESS, HARTMANN6_ARGMIN[3:].tolist()))
        return _make_optimum(self, location, self.space_dict()["objectives"], True, "known")


class BraninMixture(_Synthetic):
    """Branin on a 3-component mixture (minimize).

    Parameters ``w_a, w_b, w_c`` in [0, 1], ``w_a + w_b + w_c == 1``; two of them are
    free and are scaled linearly onto Branin's domain: ``x1 = -5 + 15 w_a``,
    ``x2 = 15 w_b`` (``w_c`` is the balance). Two of Branin's three global minima
    (0.397887) lie inside the simplex: w = (0.54277, 0.15167, 0.30556) and
    (0.12386, 0.81833, 0.05781); the third (x1 = 9.42478) needs w_a + w_b > 1.

    Parameters
    ----------
    noise_sd : float
        Standard deviation of additive Gaussian noise.
    """

    name = "branin_mixture"
    targets = ("branin",)
    MIXTURE = ("w_a", "w_b", "w_c")

    def __init__(self, *, noise_sd: float = 0.5) -> None:
        super().__init__(noise_sd)

    def space_dict(self) -> dict:
        return {
            "parameters": [{"name": n, "type": "continuous", "bounds": [0.0, 1.0]}
                           for n in self.MIXTURE],
            "constraints": [{"type": "linear_equality",
                             "coefficients": {n: 1.0 for n in self.MIXTURE}, "rhs": 1.0}],
            "objectives": [{"target": "branin", "direction": "minimize"}],
        }

    @staticmethod
    def to_branin(w_a: np.ndarray, w_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Branin coordinates of mixture fractions."""
        return (BRANIN_X1[0] + (BRANIN_X1[1] - BRANIN_X1[0]) * np.asarray(w_a, float),
                BRANIN_X2[0] + (BRANIN_X2[1] - BRANIN_X2[0]) * np.asarray(w_b, float))

    @staticmethod
    def from_branin(x1: float, x2: float) -> dict[str, float]:
        """Mixture fractions of a Branin point (may lie outside the simplex)."""
        w_a = (x1 - BRANIN_X1[0]) / (BRANIN_X1[1] - BRANIN_X1[0])
        w_b = (x2 - BRANIN_X2[0]) / (BRANIN_X2[1] - BRANIN_X2[0])
        return {"w_a": w_a, "w_b": w_b, "w_c": 1.0 - w_a - w_b}

    def _evaluate_arrays(self, arrays):
        x1, x2 = self.to_branin(arrays["w_a"], arrays["w_b"])
        value = branin(x1, x2)
        return {"branin": value, "failed": np.zeros(value.shape, bool)}

    def _compute_optimum(self) -> Optimum:
        location = self.from_branin(*BRANIN_ARGMINS[1])
        return _make_optimum(self, location, self.space_dict()["objectives"], True, "known")


class BraninMixtureCategorical(BraninMixture):
    """Branin mixture with a categorical ``grade``: shifted, offset copies per category.

    ``f(w, k) = branin(x1 + dx_k, x2 + dy_k) + offset_k`` with, per grade,
    ``A: (0, 0, +0.6)``, ``B: (+1.0, -0.5, 0)`` and ``C: (-1.5, +1.0, +1.5)``
    (dx, dy in Branin units). The global minimum 0.397887 is in grade ``B`` (not the
    first listed) at x = (pi - 1, 2.775), i.e. w = (0.47611, 0.185, 0.33889); A's best
    is 0.997887 and C's 1.897887. Exercises categorical handling: a method that ignores
    the category, or only searches one, cannot find it.
    """

    name = "branin_mixture_categorical"
    GRADES = {"A": (0.0, 0.0, 0.6), "B": (1.0, -0.5, 0.0), "C": (-1.5, 1.0, 1.5)}

    def space_dict(self) -> dict:
        space = super().space_dict()
        space["parameters"].append({"name": "grade", "type": "categorical",
                                    "values": list(self.GRADES)})
        return space

    def _evaluate_arrays(self, arrays):
        grade = np.asarray(arrays["grade"], dtype=object)
        shifts = np.array([self.GRADES[g] for g in grade], float).reshape(-1, 3)
        x1, x2 = self.to_branin(arrays["w_a"], arrays["w_b"])
        value = branin(x1 + shifts[:, 0], x2 + shifts[:, 1]) + shifts[:, 2]
        return {"branin": value, "failed": np.zeros(value.shape, bool)}

    def _compute_optimum(self) -> Optimum:
        dx, dy, _ = self.GRADES["B"]
        x1, x2 = BRANIN_ARGMINS[1]
        location: dict[str, Any] = self.from_branin(x1 - dx, x2 - dy)
        location["grade"] = "B"
        return _make_optimum(self, location, self.space_dict()["objectives"], True, "known")


__all__ = ["BRANIN_MIN", "BraninMixture", "BraninMixtureCategorical", "HARTMANN6_MIN",
           "Hartmann6Mixture", "SOURCE", "branin", "hartmann6", "stick_breaking",
           "stick_joining"]
