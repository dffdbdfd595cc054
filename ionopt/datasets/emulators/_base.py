"""The common interface of every emulator, and the helpers they share.

An emulator is a stand-in for the lab: it takes a table of recipes (one row per film, one
column per design parameter) and returns a table of measured targets, so that an optimizer
can be benchmarked without making films. The vocabulary follows Optuna and BayBE, in lab
words: a *space* (parameters, constraints, objectives, in the ``space.yaml`` form of
issue #8), ``evaluate`` (make and measure), ``optimum`` (what a perfect campaign would
find) and, for pool emulators, ``candidates`` (the finite set of films that exist).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ionopt.errors import DataError

#: Objective transforms understood by :func:`objective_values` (names as in space.yaml).
TRANSFORMS = {
    None: lambda v: v,
    "none": lambda v: v,
    "log10": lambda v: np.log10(np.where(v > 0, v, np.nan)),
}


@dataclass(frozen=True)
class Optimum:
    """The best achievable value of an emulator's primary objective, and where it is.

    Attributes
    ----------
    target : str
        Target column of the primary (first) objective.
    direction : str
        ``"maximize"`` or ``"minimize"``.
    value : float
        Best objective value, in the objective's transformed units (e.g. log10 S/cm
        for ``transform: log10``).
    location : dict
        Parameter values (one film) at which ``value`` is reached.
    targets : dict
        Every target of :meth:`Emulator.evaluate` at ``location`` (untransformed, no noise).
    constrained : bool
        True if the thresholds of the other objectives were respected.
    method : str
        How it was found: ``"known"`` (analytic), ``"dense search"`` or ``"pool"``.
    """

    target: str
    direction: str
    value: float
    location: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    constrained: bool = True
    method: str = "dense search"


def as_generator(rng: Any) -> np.random.Generator:
    """A numpy Generator from ``None`` (fresh entropy), an int seed or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise DataError(f"rng: expected None, an int seed or a numpy Generator, got {rng!r}")


def objective_values(values: np.ndarray, transform: str | None) -> np.ndarray:
    """Apply a space.yaml objective transform (``None``/``"none"`` or ``"log10"``)."""
    try:
        func = TRANSFORMS[transform]
    except KeyError:
        raise DataError(f"transform: unknown objective transform {transform!r}; "
                        f"expected one of none, log10") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        return func(np.asarray(values, dtype=float))


class Emulator:
    """Base class: a virtual lab that makes and measures films on demand.

    Subclasses set :attr:`name`, :attr:`targets`, implement :meth:`space_dict` and
    :meth:`_evaluate_arrays` (vectorised physics, no validation), and may override
    :meth:`_compute_optimum`.

    Attributes
    ----------
    name : str
        Registry name (see :func:`ionopt.datasets.emulators.get_emulator`).
    targets : tuple of str
        Columns :meth:`evaluate` returns besides ``failed``, with units in the names.
    """

    name: str = "emulator"
    targets: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._optimum_cache: Optimum | None = None

    # ---- the space ---------------------------------------------------------------------
    def space_dict(self) -> dict:
        """The search space as a dict in the space.yaml form (issue #8).

        Keys ``parameters`` (each ``{name, type, bounds|values}``), ``constraints``
        (``linear_equality`` / ``linear_inequality`` with ``coefficients`` and ``rhs``)
        and ``objectives`` (``{target, direction[, transform][, threshold]}``); loadable by
        ``ionopt.optimizer.SearchSpace.from_dict``. A fresh copy on every call.
        """
        raise NotImplementedError

    @property
    def parameters(self) -> list[str]:
        """Names of the design parameters, in space order."""
        return [p["name"] for p in self.space_dict()["parameters"]]

    @property
    def objectives(self) -> list[dict]:
        """The objectives of :meth:`space_dict` (the first is the primary one)."""
        return copy.deepcopy(self.space_dict()["objectives"])

    # ---- make and measure --------------------------------------------------------------
    def evaluate(self, df: pd.DataFrame, *, noise: bool = False,
                 rng: Any = None) -> pd.DataFrame:
        """Make and measure the films of ``df``.

        Parameters
        ----------
        df : DataFrame
            One row per film, with a column per parameter of :meth:`space_dict` (extra
            columns are ignored).
        noise : bool
            Add the emulator's measurement noise (see its docstring); default noise-free.
        rng : None, int or numpy.random.Generator
            Source of the noise; an int seed makes it reproducible.

        Returns
        -------
        DataFrame
            Same index as ``df``; the :attr:`targets` columns and a bool ``failed`` column.
            Targets of failed films are NaN.
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"{self.name}.evaluate: expected a pandas DataFrame of recipes, "
                            f"got {type(df).__name__}")
        arrays = self._check_input(df)
        result = self._evaluate_arrays(arrays)
        if noise:
            result = self._add_noise(result, as_generator(rng))
        failed = np.asarray(result.pop("failed"), dtype=bool)
        out = pd.DataFrame({t: np.asarray(result[t], dtype=float) for t in self.targets},
                           index=df.index)
        out.loc[failed, list(self.targets)] = np.nan
        out["failed"] = failed
        return out

    def _check_input(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        """Validate ``df`` against the parameters; return one array per parameter."""
        return check_columns(df, self.space_dict()["parameters"], where=f"{self.name}.evaluate")

    def _evaluate_arrays(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _add_noise(self, result: dict[str, np.ndarray],
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
        return result

    # ---- what a perfect campaign finds -------------------------------------------------
    def optimum(self) -> Optimum:
        """The best value of the primary objective and its location (computed once, cached).

        The primary objective is the first of :attr:`objectives`; failed films are
        excluded and every other objective with a ``threshold`` must reach it (an outcome
        constraint: at least the threshold when maximized, at most when minimized).
        """
        if self._optimum_cache is None:
            self._optimum_cache = self._compute_optimum()
        return self._optimum_cache

    def _compute_optimum(self) -> Optimum:
        return dense_search(self)

    # ---- sampling ----------------------------------------------------------------------
    def sample(self, n: int, rng: Any = None) -> pd.DataFrame:
        """``n`` random films from the space (uniform; mixtures uniform on the simplex
        within bounds), e.g. for a random-search baseline or an initial design."""
        return sample_space(self.space_dict(), int(n), as_generator(rng))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def check_columns(df: pd.DataFrame, parameters: Sequence[Mapping[str, Any]], *,
                  where: str, optional: Sequence[str] = (),
                  accept: Mapping[str, Sequence] | None = None) -> dict[str, np.ndarray]:
    """Arrays of the parameter columns of ``df``; raise :class:`DataError` on anything off.

    Categorical values must be among the parameter's ``values`` (or ``accept[name]`` when
    given: an emulator may measure more than its space offers); numeric columns must parse
    as numbers. NaN and range checks are left to the emulator (see :func:`require_finite`):
    its domain may be wider than the space, and some columns apply only to some rows.
    """
    names = [p["name"] for p in parameters]
    missing = [n for n in names if n not in df.columns and n not in optional]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}; "
                        f"expected columns {', '.join(names)}")
    arrays: dict[str, np.ndarray] = {}
    for p in parameters:
        name = p["name"]
        if name not in df.columns:
            continue
        column = df[name]
        if p["type"] == "categorical":
            values = column.to_numpy(dtype=object)
            allowed = set((accept or {}).get(name, p["values"]))
            bad = [i for i, v in enumerate(values) if v not in allowed]
            if bad:
                i = bad[0]
                raise DataError(f"{where}: row {df.index[i]!r}: {name}: unknown value "
                                f"{values[i]!r}; expected one of "
                                f"{', '.join(map(str, sorted(allowed, key=str)))}")
            arrays[name] = values
        else:
            try:
                values = pd.to_numeric(column, errors="raise").to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise DataError(f"{where}: {name}: expected numbers, got "
                                f"{column.tolist()[:3]!r}...") from None
            arrays[name] = values
    return arrays


def require_finite(values: np.ndarray, name: str, index: pd.Index | Sequence, *, where: str,
                   low: float | None = None, high: float | None = None,
                   mask: np.ndarray | None = None, unit: str = "") -> None:
    """Raise :class:`DataError` naming the first row where ``values`` is NaN/inf or out of
    ``[low, high]`` (only rows where ``mask`` is True are checked)."""
    values = np.asarray(values, dtype=float)
    check = np.ones(values.shape, bool) if mask is None else np.asarray(mask, bool)
    bad = check & ~np.isfinite(values)
    if low is not None:
        bad |= check & np.isfinite(values) & (values < low)
    if high is not None:
        bad |= check & np.isfinite(values) & (values > high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        unit = f" {unit}" if unit else ""
        span = ""
        if low is not None or high is not None:
            span = f" in [{low if low is not None else '-inf'}, " \
                   f"{high if high is not None else 'inf'}]{unit}"
        raise DataError(f"{where}: row {list(index)[i]!r}: {name}: expected a finite "
                        f"number{span}, got {values[i]!r}")


# --------------------------------------------------------------------------------------
# Sampling and dense search over a space dict
# --------------------------------------------------------------------------------------


def _equalities(space: Mapping[str, Any]) -> list[dict]:
    return [c for c in space.get("constraints", []) if c["type"] == "linear_equality"]


def _inequalities(space: Mapping[str, Any]) -> list[dict]:
    return [c for c in space.get("constraints", []) if c["type"] == "linear_inequality"]


def _satisfies_inequalities(space: Mapping[str, Any], table: Mapping[str, np.ndarray],
                            tol: float = 1e-9) -> np.ndarray:
    n = len(next(iter(table.values())))
    ok = np.ones(n, bool)
    for c in _inequalities(space):
        lhs = sum(coef * np.asarray(table[name], float)
                  for name, coef in c["coefficients"].items())
        ok &= lhs <= c["rhs"] + tol
    return ok


def sample_space(space: Mapping[str, Any], n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Uniform random points of a space dict.

    Categorical/discrete parameters are drawn uniformly from their values; continuous ones
    uniformly within bounds. Parameters tied by a ``linear_equality`` with unit coefficients
    (a mixture) are drawn uniformly on the simplex (Dirichlet(1) scaled to ``rhs``) and
    rejected until inside their bounds; ``linear_inequality`` rows are rejected too.
    """
    params = {p["name"]: p for p in space["parameters"]}
    mixtures = _equalities(space)
    for c in mixtures:
        if any(abs(v - 1.0) > 1e-12 for v in c["coefficients"].values()):
            raise DataError("sample_space: only mixtures (linear equalities with unit "
                            "coefficients) can be sampled")
    out: dict[str, list] = {name: [] for name in params}
    have, rounds = 0, 0
    while have < n:
        rounds += 1
        if rounds > 1000:
            raise DataError("sample_space: the constraints reject nearly every random point; "
                            "check bounds and constraints")
        m = max(2 * (n - have), 64)
        draw: dict[str, np.ndarray] = {}
        for name, p in params.items():
            if p["type"] in ("categorical", "discrete"):
                values = np.asarray(p["values"], dtype=object if p["type"] == "categorical"
                                    else float)
                draw[name] = values[rng.integers(0, len(values), m)]
            else:
                lo, hi = p["bounds"]
                draw[name] = rng.uniform(lo, hi, m)
        ok = np.ones(m, bool)
        for c in mixtures:
            names = list(c["coefficients"])
            w = rng.dirichlet(np.ones(len(names)), m) * c["rhs"]
            for j, name in enumerate(names):
                lo, hi = params[name]["bounds"]
                draw[name] = w[:, j]
                ok &= (w[:, j] >= lo) & (w[:, j] <= hi)
        ok &= _satisfies_inequalities(space, draw)
        take = np.flatnonzero(ok)[: n - have]
        for name in params:
            out[name].extend(draw[name][take].tolist())
        have += len(take)
    return pd.DataFrame(out)


def _continuous_grid(space: Mapping[str, Any], points_per_dim: int) -> dict[str, np.ndarray]:
    """A grid over the continuous parameters; one variable of each mixture is solved from
    its equality and grid points outside bounds or inequalities are dropped."""
    params = {p["name"]: p for p in space["parameters"] if p["type"] == "continuous"}
    solved: dict[str, tuple[dict, str]] = {}
    for c in _equalities(space):
        last = list(c["coefficients"])[-1]
        solved[last] = (c, last)
    free = [name for name in params if name not in solved]
    axes = [np.linspace(*params[name]["bounds"], points_per_dim) for name in free]
    mesh = np.meshgrid(*axes, indexing="ij") if axes else []
    table = {name: m.ravel() for name, m in zip(free, mesh)}
    n = len(next(iter(table.values()))) if table else 1
    ok = np.ones(n, bool)
    for name, (c, last) in solved.items():
        coefs = c["coefficients"]
        rest = sum(coef * table[other] for other, coef in coefs.items() if other != last)
        value = (c["rhs"] - rest) / coefs[last]
        lo, hi = params[name]["bounds"]
        ok &= (value >= lo - 1e-12) & (value <= hi + 1e-12)
        table[name] = np.clip(value, lo, hi)
    ok &= _satisfies_inequalities(space, table) if table else ok
    return {name: values[ok] for name, values in table.items()}


def _score(emulator: Emulator, table: Mapping[str, np.ndarray],
           objectives: Sequence[Mapping[str, Any]], constrained: bool) -> np.ndarray:
    """Primary objective as a quantity to maximize; -inf where failed or a threshold fails."""
    result = emulator._evaluate_arrays(table)
    first = objectives[0]
    sign = 1.0 if first["direction"] == "maximize" else -1.0
    score = sign * objective_values(result[first["target"]], first.get("transform"))
    bad = np.asarray(result["failed"], bool) | ~np.isfinite(score)
    if constrained:
        for obj in objectives[1:]:
            if obj.get("threshold") is None:
                continue
            value = np.asarray(result[obj["target"]], float)
            if obj["direction"] == "maximize":
                bad |= ~(value >= obj["threshold"])
            else:
                bad |= ~(value <= obj["threshold"])
    return np.where(bad, -np.inf, score)


def dense_search(emulator: Emulator, *, points_per_dim: int | None = None,
                 n_random: int = 20000, refine: int = 5, constrained: bool = True,
                 seed: int = 0) -> Optimum:
    """Best primary objective over the space: grid (low dimension) or random points (high
    dimension) for every categorical/discrete combination, then the best few polished by
    SLSQP (bounds, linear constraints and thresholds respected; a polish that fails or
    lands on a failed film is discarded).
    """
    from scipy.optimize import minimize

    space = emulator.space_dict()
    objectives = space["objectives"]
    params = space["parameters"]
    fixed = [p for p in params if p["type"] in ("categorical", "discrete")]
    cont = [p["name"] for p in params if p["type"] == "continuous"]
    n_free = len(cont) - len(_equalities(space))
    if points_per_dim is None:
        points_per_dim = {0: 1, 1: 2001, 2: 241, 3: 61}.get(n_free, 0)
    rng = np.random.default_rng(seed)

    candidates: list[tuple[float, dict]] = []
    for combo in itertools.product(*[p["values"] for p in fixed]):
        if points_per_dim and n_free <= 3:
            table = _continuous_grid(space, points_per_dim)
        else:
            sub = {"parameters": [p for p in params if p["type"] == "continuous"],
                   "constraints": space.get("constraints", [])}
            frame = sample_space(sub, n_random, rng)
            table = {c: frame[c].to_numpy(float) for c in cont}
        n = len(next(iter(table.values()))) if table else 1
        for p, value in zip(fixed, combo):
            table[p["name"]] = np.full(n, value, dtype=object if p["type"] == "categorical"
                                       else float)
        score = _score(emulator, table, objectives, constrained)
        order = np.argsort(-score)[:refine]
        for i in order:
            if np.isfinite(score[i]):
                candidates.append((float(score[i]), {k: v[i] for k, v in table.items()}))
    if not candidates:
        raise DataError(f"{emulator.name}: no feasible film in the space; check thresholds")
    candidates.sort(key=lambda item: -item[0])
    best_score, best = candidates[0]

    if cont:
        bounds = [tuple(next(p for p in params if p["name"] == c)["bounds"]) for c in cont]
        lin = []
        for c in space.get("constraints", []):
            a = np.array([c["coefficients"].get(name, 0.0) for name in cont], float)
            if c["type"] == "linear_equality":
                lin.append({"type": "eq", "fun": lambda x, a=a, b=c["rhs"]: a @ x - b})
            else:
                lin.append({"type": "ineq", "fun": lambda x, a=a, b=c["rhs"]: b - a @ x})
        for start_score, start in candidates[: max(refine, 1) * 2]:
            point = dict(start)

            def table_at(x: np.ndarray, point: dict = point) -> dict[str, np.ndarray]:
                t = {k: np.array([v], dtype=object if isinstance(v, str) else float)
                     for k, v in point.items()}
                for name, value in zip(cont, x):
                    t[name] = np.array([value])
                return t

            def fun(x: np.ndarray) -> float:
                s = _score(emulator, table_at(x), objectives, False)[0]
                return -s if np.isfinite(s) else 1e6

            cons = list(lin)
            if constrained:
                for obj in objectives[1:]:
                    if obj.get("threshold") is None:
                        continue
                    sgn = 1.0 if obj["direction"] == "maximize" else -1.0

                    def g(x: np.ndarray, obj: Mapping = obj, sgn: float = sgn) -> float:
                        v = emulator._evaluate_arrays(table_at(x))[obj["target"]][0]
                        return sgn * (v - obj["threshold"]) if np.isfinite(v) else -1e6

                    cons.append({"type": "ineq", "fun": g})
            x0 = np.array([float(point[c]) for c in cont])
            try:
                res = minimize(fun, x0, method="SLSQP", bounds=bounds, constraints=cons,
                               options={"ftol": 1e-12, "maxiter": 300})
            except (ValueError, FloatingPointError):
                continue
            x = np.clip(res.x, [b[0] for b in bounds], [b[1] for b in bounds])
            feasible = all(abs(c["fun"](x)) <= 1e-7 if c["type"] == "eq"
                           else c["fun"](x) >= -1e-9 for c in cons)
            s = _score(emulator, table_at(x), objectives, constrained)[0]
            if feasible and np.isfinite(s) and s > best_score:
                best_score = float(s)
                best = {**point, **dict(zip(cont, (float(v) for v in x)))}
    return _make_optimum(emulator, best, objectives, constrained, "dense search")


def _make_optimum(emulator: Emulator, location: Mapping[str, Any],
                  objectives: Sequence[Mapping[str, Any]], constrained: bool,
                  method: str) -> Optimum:
    clean = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in location.items()}
    ordered = {name: clean[name] for name in emulator.parameters if name in clean}
    table = {k: np.array([v], dtype=object if isinstance(v, str) else float)
             for k, v in ordered.items()}
    result = emulator._evaluate_arrays(table)
    first = objectives[0]
    value = float(objective_values(result[first["target"]], first.get("transform"))[0])
    targets = {t: float(result[t][0]) for t in emulator.targets}
    return Optimum(target=first["target"], direction=first["direction"], value=value,
                   location=ordered, targets=targets, constrained=constrained, method=method)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), computed without overflow."""
    x = np.asarray(x, dtype=float)
    return np.logaddexp(0.0, x)


__all__ = ["Emulator", "Optimum", "as_generator", "check_columns", "dense_search",
           "objective_values", "require_finite", "sample_space", "softplus"]
