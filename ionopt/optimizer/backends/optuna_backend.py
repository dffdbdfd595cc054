"""Optuna backends: ``optuna-tpe`` (TPESampler) and ``optuna-gp`` (GPSampler).

Each :meth:`~OptunaBackend.ask` builds a fresh in-memory study from the campaign's data
(nothing is kept between calls, so same seed + same data -> same proposals), then asks
the sampler for trials one at a time and turns them back into recipes.

How the campaign becomes a study
--------------------------------
* measured rows -> ``COMPLETE`` trials (``optuna.trial.create_trial``). With one optimized
  objective the study maximizes its *oriented* value (transformed, sign-flipped, larger is
  better; :meth:`~ionopt.optimizer.objectives.Objectives.oriented_values`). With several,
  by default (``multi_objective="pareto"``) the study is multi-objective with one
  ``maximize`` direction per optimized objective (MOTPE / GP with expected hypervolume
  improvement); ``multi_objective="desirability"`` maximizes the weighted desirability
  instead.
* failed rows (``failed`` column true) -> ``FAIL`` trials. Optuna's samplers ignore failed
  trials when modelling, so a failed recipe is only kept out of the proposals by the
  distinctness rule (no proposal within ``tolerance`` of it).
* pending experiments, and data rows whose optimized targets are still blank ->
  ``RUNNING`` trials, which TPE's constant liar (``constant_liar=True``) and the GP's
  batch acquisition (qLogEI / qLogEHVI) both steer away from.
* outcome thresholds (``threshold`` on an objective, including weight-0 pure constraints)
  -> Optuna trial constraints (``create_trial(constraints=...)``, the Optuna 5 replacement
  of the deprecated ``constraints_func``): the value is the threshold violation in oriented
  units, ``oriented_threshold - oriented_value`` (<= 0 means met; a missing value counts as
  violated). Both TPE and GPSampler model these natively.

Search-space mapping (shared with the skopt backend, :class:`FreeSpace`)
-----------------------------------------------------------------------
=============================  ========================================================
space element                  what the sampler sees
=============================  ========================================================
``Continuous``                 ``FloatDistribution(low, high)`` -- native
``Discrete`` (m values)        ``IntDistribution(0, m - 1)``: the *index* of the value,
                               so order is kept (neighbouring values are close for TPE
                               and the GP) and only listed values can come out; uneven
                               spacing between values is not seen
``Categorical``                ``CategoricalDistribution(labels)`` -- native
``Fixed`` / one-value params   nothing: filled in on the way back
``LinearEquality`` (mixture)   **reparameterized** by bounded stick-breaking: a k-part
                               equality becomes k-1 free "stick" variables in [0, 1]
                               (named ``stick:<component>``) mapped one-to-one onto the
                               part of the simplex inside the components' bounds, so
                               every sample sums exactly to the rhs *and* respects each
                               component's bounds. Any equality over continuous
                               parameters (any coefficients, fixed parameters moved to
                               the rhs) is handled the same way when no continuous
                               parameter is shared between two equalities; otherwise all
                               continuous parameters are sampled in the equalities'
                               null-space coordinates (``z:<i>``), bounds then filtered
``LinearInequality``           **filtered**: a decoded sample that breaks an inequality
                               is projected onto the feasible polytope
                               (:func:`~ionopt.optimizer.sampling.nearest_feasible`)
                               when that moves it by at most ``repair_radius`` (fraction
                               of each range), else rejected and the sampler asked again
=============================  ========================================================

Rejected samples (infeasible, or within ``tolerance`` of a measured, failed, pending or
already proposed recipe) stay ``RUNNING`` in the throwaway study, so the sampler is pushed
away from them on the next ask; after ``max_tries`` asks the remaining rows are filled with
space-filling samples far from everything (:meth:`Backend.finalize`). Below ``n_initial``
usable (complete) observations no study is built: the proposals are the shared
space-filling initial design, as for every backend.

Optuna (>= 5) is imported lazily, inside the methods, so ``import ionopt.optimizer`` stays
light; its log messages and experimental/deprecation warnings are silenced for the
duration of an ask only (the global verbosity is restored afterwards). During an ask the
BLAS/OpenMP thread pools are limited to ``blas_threads`` (default 1; restored afterwards):
the GP fits are tiny, and threaded BLAS made them 3-10x slower on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ionopt.errors import SpaceError
from ionopt.optimizer.backends.base import (DEFAULT_TOLERANCE, Backend, close_mask,
                                            encode_for_distance, known_rows, usable_data)

#: Default fraction of each range a decoded sample may be moved to satisfy inequalities.
DEFAULT_REPAIR_RADIUS = 0.1

GP_EXTRA_MESSAGE = "backend optuna-gp needs torch: pip install 'ionopt[gp]'"


# ------------------------------------------------------------------------------------------
# Bounded stick-breaking
# ------------------------------------------------------------------------------------------


def _interval(rem, i, low, high):
    """Feasible range of part ``i`` given the remainder ``rem`` to distribute."""
    after_low = low[i + 1:].sum()
    after_high = high[i + 1:].sum()
    lo = np.maximum(low[i], rem - after_high)
    hi = np.minimum(high[i], rem - after_low)
    return lo, np.maximum(hi, lo)


def sticks_to_parts(u, low, high, total: float) -> np.ndarray:
    """Map stick variables in [0, 1] to parts that sum to ``total`` within bounds.

    Bounded stick-breaking: part ``i`` (``i < k - 1``) takes a fraction of its feasible
    interval given what is left, ``[max(low_i, rem - sum(high_{>i})),
    min(high_i, rem - sum(low_{>i}))]``, and the last part takes the remainder, so every
    output meets ``low <= parts <= high`` and ``sum(parts) == total`` whenever the bounds
    allow it at all. Fractions are warped with the Beta(1, k-1-i) quantile function,
    ``f = 1 - (1 - u) ** (1 / (k - 1 - i))``, so that uniform sticks give uniform
    points on the (unbounded) simplex. The map is a bijection from ``(0, 1)^(k-1)`` onto
    the relative interior of the bounded simplex; :func:`parts_to_sticks` is its inverse.

    Parameters
    ----------
    u : array (m, k - 1)
        Stick variables.
    low, high : array (k,)
        Bounds of each part (``low <= high``).
    total : float
        Required sum, ``sum(low) <= total <= sum(high)``.

    Returns
    -------
    ndarray (m, k)
        The parts.
    """
    u = np.atleast_2d(np.asarray(u, dtype=float))
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    k = len(low)
    out = np.empty((len(u), k))
    rem = np.full(len(u), float(total))
    for i in range(k - 1):
        lo, hi = _interval(rem, i, low, high)
        frac = 1.0 - (1.0 - np.clip(u[:, i], 0.0, 1.0)) ** (1.0 / (k - 1 - i))
        out[:, i] = lo + frac * (hi - lo)
        rem = rem - out[:, i]
    out[:, k - 1] = rem
    return out


def parts_to_sticks(parts, low, high, total: float | None = None) -> np.ndarray:
    """Inverse of :func:`sticks_to_parts`: parts (m, k) -> stick variables (m, k - 1).

    Parts slightly off the constraint (rounding in a data file) give the sticks of a
    nearby point: each fraction is clipped to [0, 1] and the last part absorbs the
    difference. A part whose feasible interval is a single point gets the stick 0.5.

    Parameters
    ----------
    parts : array (m, k)
    low, high : array (k,)
    total : float, optional
        Required sum; defaults to each row's own sum.
    """
    parts = np.atleast_2d(np.asarray(parts, dtype=float))
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    k = len(low)
    u = np.empty((len(parts), k - 1))
    rem = parts.sum(axis=1) if total is None else np.full(len(parts), float(total))
    for i in range(k - 1):
        lo, hi = _interval(rem, i, low, high)
        span = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (parts[:, i] - lo) / np.where(span > 0, span, 1.0), 0.5)
        frac = np.clip(frac, 0.0, 1.0)
        m = k - 1 - i
        u[:, i] = np.where(span > 0, 1.0 - (1.0 - frac) ** m, 0.5)
        rem = rem - (lo + frac * span)
    return u


# ------------------------------------------------------------------------------------------
# The free space a sampler sees
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeDim:
    """One variable of the sampler's space.

    ``kind`` is ``"float"`` (``low``..``high``), ``"index"`` (integer ``0..len(values)-1``
    picking a discrete value) or ``"categorical"`` (one of ``values``).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    values: tuple = ()


@dataclass
class _Group:
    names: list[str]
    coefs: np.ndarray
    low: np.ndarray    # bounds of the scaled parts coef * x
    high: np.ndarray
    total: float
    dims: list[str] = field(default_factory=list)


class FreeSpace:
    """Maps recipes to the unconstrained-as-possible variables a sampler sees, and back.

    See the module docstring for the mapping of each kind of parameter and constraint.

    Parameters
    ----------
    space : SearchSpace

    Attributes
    ----------
    dims : list of FreeDim
        The sampler's variables, in a fixed order.
    mode : {"box", "sticks", "nullspace"}
        How continuous parameters are represented: plain bounds (no equalities), bounded
        stick-breaking per equality, or null-space coordinates (equalities sharing a
        parameter).
    """

    def __init__(self, space) -> None:
        from ionopt.optimizer.constraints import LinearEquality

        self.space = space
        params = space.parameters
        fixed = {p.name: p.value for p in params if p.kind == "fixed" and p.numeric}
        continuous = [p.name for p in params if p.kind == "continuous"]
        equalities = [c for c in space.constraints if isinstance(c, LinearEquality)]
        groups: list[_Group] = []
        seen: dict[str, int] = {}
        shared = False
        for c in equalities:
            names = [n for n, v in c.coefficients.items() if n in continuous and v != 0]
            total = c.rhs - sum(v * fixed[n] for n, v in c.coefficients.items() if n in fixed)
            coefs = np.array([c.coefficients[n] for n in names], dtype=float)
            lo = np.array([space.parameter(n).low for n in names], dtype=float) * coefs
            hi = np.array([space.parameter(n).high for n in names], dtype=float) * coefs
            for n in names:
                if n in seen:
                    shared = True
                seen[n] = len(groups)
            groups.append(_Group(names, coefs, np.minimum(lo, hi), np.maximum(lo, hi),
                                 float(total)))
        self.mode = "nullspace" if shared else ("sticks" if groups else "box")
        self.groups = [] if shared else groups
        in_group = set(seen) if not shared else set()
        self.dims: list[FreeDim] = []
        self._constant: dict[str, Any] = {}
        if shared:
            ls = space.linear_structure
            for j in range(ls.r):
                if ls.z_hi[j] > ls.z_lo[j]:
                    self.dims.append(FreeDim(f"z:{j}", "float", float(ls.z_lo[j]),
                                             float(ls.z_hi[j])))
        for p in params:
            if p.kind == "fixed":
                self._constant[p.name] = p.value
            elif p.kind == "continuous":
                if shared or p.name in in_group:
                    continue
                self.dims.append(FreeDim(p.name, "float", p.low, p.high))
            elif p.kind == "discrete":
                if len(p.values) == 1:
                    self._constant[p.name] = p.values[0]
                else:
                    self.dims.append(FreeDim(p.name, "index", 0, len(p.values) - 1,
                                             tuple(p.values)))
            else:
                if len(p.values) == 1:
                    self._constant[p.name] = p.values[0]
                else:
                    self.dims.append(FreeDim(p.name, "categorical", values=tuple(p.values)))
        for g in self.groups:
            g.dims = [f"stick:{n}" for n in g.names[:-1]]
            for d in g.dims:
                self.dims.append(FreeDim(d, "float", 0.0, 1.0))
        self._by_name = {d.name: d for d in self.dims}

    @property
    def names(self) -> list[str]:
        """Names of the sampler's variables."""
        return [d.name for d in self.dims]

    def encode(self, table) -> list[dict[str, Any]]:
        """Parameter rows (validated, see ``SearchSpace.validate_table``) -> free values.

        Values are clipped into each variable's range so that recipes slightly outside
        the space (older bounds, rounding) can still be registered with a sampler.
        """
        m = len(table)
        cols: dict[str, np.ndarray] = {}
        if self.mode == "nullspace":
            ls = self.space.linear_structure
            x = table[ls.cont].to_numpy(dtype=float)
            z = np.clip(ls.to_z(x), ls.z_lo, ls.z_hi)
            for j in range(ls.r):
                if f"z:{j}" in self._by_name:
                    cols[f"z:{j}"] = z[:, j]
        for g in self.groups:
            parts = table[g.names].to_numpy(dtype=float) * g.coefs
            u = parts_to_sticks(parts, g.low, g.high, g.total)
            for j, d in enumerate(g.dims):
                cols[d] = u[:, j]
        out: list[dict[str, Any]] = [{} for _ in range(m)]
        for d in self.dims:
            if d.kind == "float":
                v = cols[d.name] if d.name in cols else table[d.name].to_numpy(dtype=float)
                v = np.clip(v, d.low, d.high)
                for i in range(m):
                    out[i][d.name] = float(v[i])
            elif d.kind == "index":
                v = table[d.name].to_numpy(dtype=float)
                idx = np.abs(v[:, None] - np.asarray(d.values)[None, :]).argmin(axis=1)
                for i in range(m):
                    out[i][d.name] = int(idx[i])
            else:
                for i, v in enumerate(table[d.name]):
                    out[i][d.name] = str(v)
        return out

    def _columns(self, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        """Free values -> one array per free (non-constant) parameter."""
        m = len(rows)
        cols: dict[str, Any] = {}
        for d in self.dims:
            if d.kind == "float":
                cols[d.name] = np.array([float(r[d.name]) for r in rows], dtype=float)
            elif d.kind == "index":
                idx = np.clip(np.array([int(r[d.name]) for r in rows], dtype=int), 0,
                              len(d.values) - 1)
                cols[d.name] = np.asarray(d.values, dtype=float)[idx]
            else:
                cols[d.name] = np.array([str(r[d.name]) for r in rows], dtype=object)
        if self.mode == "nullspace":
            ls = self.space.linear_structure
            z = np.tile((ls.z_lo + ls.z_hi) / 2, (m, 1))
            for j in range(ls.r):
                if f"z:{j}" in cols:
                    z[:, j] = cols.pop(f"z:{j}")
            x = ls.to_x(z)
            for j, n in enumerate(ls.cont):
                cols[n] = x[:, j]
        for g in self.groups:
            u = (np.column_stack([cols.pop(d) for d in g.dims]) if g.dims
                 else np.zeros((m, 0)))
            parts = sticks_to_parts(u, g.low, g.high, g.total)
            for j, n in enumerate(g.names):
                cols[n] = parts[:, j] / g.coefs[j]
        return cols

    def decode(self, rows: list[dict[str, Any]]):
        """Free values -> DataFrame of recipes in ``space.names`` order."""
        import pandas as pd

        m = len(rows)
        cols = self._columns(rows)
        out = {}
        for p in self.space.parameters:
            if p.name in cols:
                out[p.name] = cols[p.name]
            else:
                value = self._constant[p.name]
                out[p.name] = np.full(m, value, dtype=object if isinstance(value, str)
                                      else float)
        return pd.DataFrame(out, columns=self.space.names)

    @property
    def needs_check(self) -> bool:
        """True when some decoded samples can fall outside the space (inequalities, or
        bounds in null-space mode)."""
        return self.mode == "nullspace" or len(self.space.linear_structure.h) > 0

    def feasible(self, rows: list[dict[str, Any]], tol: float = 1e-9) -> np.ndarray:
        """Fast check (numpy only) that decoded free values meet bounds and inequalities."""
        ls = self.space.linear_structure
        cols = self._columns(rows)
        m = len(rows)

        def value(name: str) -> np.ndarray:
            return cols[name] if name in cols else np.full(m, float(self._constant[name]))

        x = (np.column_stack([value(n) for n in ls.cont]) if ls.cont
             else np.zeros((m, 0)))
        xd = (np.column_stack([value(p.name) for p in ls.disc]) if ls.disc
              else np.zeros((m, 0)))
        return ls.feasible_arrays(x, xd, tol)

    def point_check(self, tol: float = 1e-9):
        """A fast predicate ``f(point) -> bool`` for one point given as a sequence in
        :attr:`dims` order (what skopt's ``space_constraint`` calls, thousands of times).

        Same result as :meth:`feasible` on one row, in plain Python for speed.
        """
        if self.mode == "nullspace":
            names = self.names
            return lambda point: bool(self.feasible([dict(zip(names, point))], tol)[0])
        ls = self.space.linear_structure
        pos = {d.name: j for j, d in enumerate(self.dims)}
        index_values = {d.name: d.values for d in self.dims if d.kind == "index"}
        groups = [([pos[s] for s in g.dims], g) for g in self.groups]
        cont_index = {n: j for j, n in enumerate(ls.cont)}
        box = [(j, float(ls.lo[cont_index[d.name]]), float(ls.hi[cont_index[d.name]]))
               for j, d in enumerate(self.dims) if d.name in cont_index]
        rows = []
        for gc, gd, h in zip(ls.G_c, ls.G_d if ls.G_d.size else [None] * len(ls.h), ls.h):
            terms = []
            for n, c in zip(ls.cont, gc):
                if c != 0:
                    terms.append((n, float(c)))
            for p, c in zip(ls.disc, gd if gd is not None else []):
                if c != 0:
                    terms.append((p.name, float(c)))
            rows.append((terms, float(h)))
        constant = {k: float(v) for k, v in self._constant.items()
                    if not isinstance(v, str)}

        def check(point) -> bool:
            values = dict(constant)
            for j, lo, hi in box:
                v = float(point[j])
                if v < lo - tol * (hi - lo) or v > hi + tol * (hi - lo):
                    return False
                values[self.dims[j].name] = v
            for name, vals in index_values.items():
                values[name] = float(vals[int(point[pos[name]])])
            for idx, g in groups:
                rem = g.total
                k = len(g.names)
                for i in range(k - 1):
                    lo = max(g.low[i], rem - g.high[i + 1:].sum())
                    hi = max(lo, min(g.high[i], rem - g.low[i + 1:].sum()))
                    u = min(max(float(point[idx[i]]), 0.0), 1.0)
                    part = lo + (1.0 - (1.0 - u) ** (1.0 / (k - 1 - i))) * (hi - lo)
                    values[g.names[i]] = part / g.coefs[i]
                    rem -= part
                values[g.names[-1]] = rem / g.coefs[-1]
            for terms, h in rows:
                if sum(c * values[n] for n, c in terms) > h + tol:
                    return False
            return True

        return check


# ------------------------------------------------------------------------------------------
# Campaign data -> what a sampler is told
# ------------------------------------------------------------------------------------------


@dataclass
class Observations:
    """The campaign's rows sorted into what a sampler is told.

    Attributes
    ----------
    table : DataFrame
        Validated parameter + target rows.
    complete : bool array
        Rows with every optimized target measured (and not failed).
    failed : bool array
        Rows marked failed.
    waiting : bool array
        Rows neither failed nor complete (targets still blank): treated as pending.
    values : array (n, k)
        Oriented values of the optimized objectives (larger is better).
    scalar : array (n,)
        One score per row: the oriented value with one optimized objective, else the
        weighted desirability (NaN where not complete).
    violations : array (n, c)
        Threshold violations, ``oriented_threshold - oriented_value`` (> 0: missed; a
        missing value counts as violated by ``max(1, largest violation seen)``).
    constraint_names : list of str
        Target of each violation column.
    """

    table: Any
    complete: np.ndarray
    failed: np.ndarray
    waiting: np.ndarray
    values: np.ndarray
    scalar: np.ndarray
    violations: np.ndarray
    constraint_names: list[str]

    @classmethod
    def from_data(cls, space, data) -> "Observations":
        """Sort ``data`` (the data.csv frame) for ``space`` (which must have objectives)."""
        objectives = space.require_objectives()
        table, failed = usable_data(space, data)
        oriented = (objectives.oriented_values(table) if len(table)
                    else np.zeros((0, len(objectives))))
        opt_cols = [j for j, o in enumerate(objectives) if o.optimized]
        values = oriented[:, opt_cols]
        complete = ~failed & np.isfinite(values).all(axis=1)
        if len(opt_cols) == 1:
            scalar = values[:, 0].copy()
        else:
            scalar = np.full(len(table), np.nan)
            if complete.any():
                scalar = objectives.desirability(table, reference=table.loc[complete])
        scalar[~complete] = np.nan
        cons = objectives.constrained
        viol = np.zeros((len(table), len(cons)))
        for j, o in enumerate(cons):
            col = oriented[:, objectives.targets.index(o.target)]
            viol[:, j] = o.oriented_threshold - col
        finite = viol[np.isfinite(viol)]
        worst = max(1.0, float(finite.max())) if finite.size else 1.0
        viol = np.where(np.isfinite(viol), viol, worst)
        return cls(table=table, complete=complete, failed=failed,
                   waiting=~failed & ~complete, values=values, scalar=scalar,
                   violations=viol, constraint_names=[o.target for o in cons])

    @property
    def n_complete(self) -> int:
        """Number of usable (complete) observations."""
        return int(self.complete.sum())


def pending_table(space, data, pending, observations: Observations):
    """Pending recipes plus data rows still waiting for their targets (parameters only)."""
    import pandas as pd

    parts = []
    if observations.waiting.any():
        parts.append(observations.table.loc[observations.waiting, space.names])
    if pending is not None and len(pending):
        table, _ = usable_data(space, pending)
        parts.append(table[space.names])
    if not parts:
        return pd.DataFrame({name: [] for name in space.names})
    return pd.concat(parts, ignore_index=True)


def screen(space, rows, accepted, known, *, tolerance: float, repair_radius: float):
    """Repair or reject decoded candidates; returns (kept rows, mask of kept candidates).

    A candidate outside the space is projected onto it
    (:func:`~ionopt.optimizer.sampling.nearest_feasible`) when that moves no numeric
    parameter by more than ``repair_radius`` of its range; it is then kept if it is not
    within ``tolerance`` of a known recipe (``known``) or of an accepted one.
    """
    import pandas as pd

    from ionopt.optimizer.sampling import nearest_feasible

    ok = space.is_feasible(rows)
    if not ok.all():
        fixed = nearest_feasible(space, rows)
        moved = np.abs(encode_for_distance(space, fixed) - encode_for_distance(space, rows))
        small = (moved.max(axis=1) if moved.size else np.zeros(len(rows))) <= repair_radius
        rows = fixed
        ok = space.is_feasible(rows) & small
    others = pd.concat([x for x in (known, accepted) if x is not None and len(x)],
                       ignore_index=True) if (len(known) or len(accepted)) else None
    if others is not None:
        ok &= ~close_mask(space, rows, others, tolerance)
    # Candidates of the same batch must differ from each other too.
    keep = []
    for i in np.flatnonzero(ok):
        if keep and close_mask(space, rows.iloc[[i]], rows.iloc[keep], tolerance)[0]:
            ok[i] = False
            continue
        keep.append(i)
    return rows.loc[ok].reset_index(drop=True), ok


# ------------------------------------------------------------------------------------------
# Optuna
# ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def quiet_optuna():
    """Silence Optuna's log and warnings for the duration of the block only."""
    import optuna

    level = optuna.logging.get_verbosity()
    # ERROR, not WARNING: Optuna logs advice at WARNING level (e.g. "greenlet is
    # unavailable") and library code must not print.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"optuna\..*")
            warnings.filterwarnings("ignore", category=UserWarning, module=r"optuna\..*")
            yield
    finally:
        optuna.logging.set_verbosity(level)


def limit_threads(n: int | None):
    """Context limiting BLAS/OpenMP thread pools to ``n`` threads (None: unchanged).

    The GP fits behind these backends work on matrices of a few dozen rows, where
    threaded BLAS only adds overhead: on a 2-core machine one thread makes an ask 3-10x
    faster, with identical results. The previous limits are restored on exit.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(n))


def require_optuna5() -> None:
    """Raise :class:`~ionopt.errors.SpaceError` unless Optuna >= 5 is installed.

    The backends rely on Optuna 5: trial constraints given to ``create_trial`` and a
    GPSampler that sees RUNNING trials (batch acquisition).
    """
    import optuna

    major = int(str(optuna.__version__).split(".")[0])
    if major < 5:
        raise SpaceError(f"backends optuna-tpe/optuna-gp need optuna>=5 (found "
                         f"{optuna.__version__}): pip install 'optuna>=5'")


def distributions(free: FreeSpace) -> dict:
    """Optuna distributions of the sampler's variables."""
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)

    out = {}
    for d in free.dims:
        if d.kind == "float":
            out[d.name] = FloatDistribution(d.low, d.high)
        elif d.kind == "index":
            out[d.name] = IntDistribution(0, len(d.values) - 1)
        else:
            out[d.name] = CategoricalDistribution(list(d.values))
    return out


class OptunaBackend(Backend):
    """Shared machinery of the Optuna backends (see the module docstring).

    Parameters
    ----------
    tolerance : float
        Distinctness tolerance (fraction of each range), see
        :class:`~ionopt.optimizer.backends.base.Backend`.
    n_initial : int, optional
        Complete observations needed before the sampler is used; below, the shared
        space-filling initial design is proposed.
    multi_objective : {"pareto", "desirability"}
        With several optimized objectives: a multi-objective study (default) or the
        single weighted desirability.
    max_tries : int, optional
        Trials asked per call before falling back to space-filling fill-up
        (default ``10 * n + 10``).
    repair_radius : float
        Largest move (fraction of each range) allowed to repair a sample breaking a
        linear inequality; farther samples are rejected.
    blas_threads : int or None
        BLAS/OpenMP threads during an ask (default 1, see :func:`limit_threads`); None
        leaves the process's setting alone.
    """

    name = "optuna"
    constraint_handling = ("mixtures/equalities reparameterized by bounded stick-breaking; "
                           "linear inequalities filtered (small violations projected, others "
                           "re-asked); outcome thresholds as Optuna trial constraints")

    def __init__(self, *, tolerance: float = DEFAULT_TOLERANCE, n_initial: int | None = None,
                 multi_objective: str = "pareto", max_tries: int | None = None,
                 repair_radius: float = DEFAULT_REPAIR_RADIUS, blas_threads: int | None = 1,
                 **options) -> None:
        if options:
            raise SpaceError(f"{self.name}: unknown option {sorted(options)[0]!r}; expected "
                             "tolerance, n_initial, multi_objective, max_tries, "
                             "repair_radius, blas_threads")
        super().__init__(tolerance=tolerance, n_initial=n_initial)
        if multi_objective not in ("pareto", "desirability"):
            raise SpaceError(f"multi_objective: expected 'pareto' or 'desirability', got "
                             f"{multi_objective!r}")
        self.multi_objective = multi_objective
        self.max_tries = None if max_tries is None else int(max_tries)
        self.repair_radius = float(repair_radius)
        self.blas_threads = blas_threads

    # ---- to be provided by subclasses ---------------------------------------------------
    def make_sampler(self, seed: int | None, n_startup: int):
        """The Optuna sampler for one ask."""
        raise NotImplementedError

    # ---- study ------------------------------------------------------------------------------
    def build_study(self, space, data, pending=None, *, seed: int | None = None):
        """The in-memory study an ask starts from.

        Returns
        -------
        study : optuna.Study
            Measured rows as COMPLETE, failed rows as FAIL, pending rows (and data rows
            with blank targets) as RUNNING trials.
        free : FreeSpace
            The variables the trials are expressed in.
        """
        import optuna
        from optuna.trial import TrialState, create_trial

        require_optuna5()
        free = FreeSpace(space)
        obs = Observations.from_data(space, data)
        dists = distributions(free)
        multi = obs.values.shape[1] > 1 and self.multi_objective == "pareto"
        with quiet_optuna():
            sampler = self.make_sampler(seed, self.initial_size(space))
            study = optuna.create_study(
                storage=optuna.storages.InMemoryStorage(), sampler=sampler,
                directions=["maximize"] * (obs.values.shape[1] if multi else 1))
            trials = []
            encoded = free.encode(obs.table) if len(obs.table) else []
            for i, params in enumerate(encoded):
                attrs = {"ionopt_row": i}
                if obs.complete[i]:
                    values = ([float(v) for v in obs.values[i]] if multi
                              else [float(obs.scalar[i])])
                    constraints = ({name: float(v) for name, v in
                                    zip(obs.constraint_names, obs.violations[i])}
                                   if obs.constraint_names else None)
                    trials.append(create_trial(state=TrialState.COMPLETE, values=values,
                                               params=params, distributions=dists,
                                               user_attrs=attrs, constraints=constraints))
                elif obs.failed[i]:
                    trials.append(create_trial(state=TrialState.FAIL, params=params,
                                               distributions=dists, user_attrs=attrs))
                else:  # made, targets still blank: as good as pending
                    trials.append(create_trial(state=TrialState.RUNNING, params=params,
                                               distributions=dists,
                                               user_attrs={**attrs, "ionopt_pending": "data"}))
            if pending is not None and len(pending):
                waiting, _ = usable_data(space, pending)
                for params in (free.encode(waiting) if len(waiting) else []):
                    trials.append(create_trial(state=TrialState.RUNNING, params=params,
                                               distributions=dists,
                                               user_attrs={"ionopt_pending": "pending"}))
            study.add_trials(trials)
        return study, free

    # ---- the contract ---------------------------------------------------------------------
    def ask(self, space, data, n: int, *, pending=None, seed: int | None = None):
        """The next ``n`` recipes (DataFrame, ``space.names`` columns).

        Parameters
        ----------
        space : SearchSpace
            With objectives.
        data : DataFrame or None
            The data.csv frame (parameters, targets, optional ``failed``).
        n : int
            Number of recipes.
        pending : DataFrame, optional
            Recipes being made or measured (parameter columns).
        seed : int, optional
            Sampler seed: same seed and inputs -> same recipes.
        """
        import pandas as pd

        n = int(n)
        if n < 0:
            raise SpaceError(f"n: expected a number of recipes >= 0, got {n}")
        empty = pd.DataFrame({name: [] for name in space.names})
        if n == 0:
            return empty
        with limit_threads(self.blas_threads):
            return self._ask(space, data, n, pending, seed, empty)

    def _ask(self, space, data, n, pending, seed, empty):
        import pandas as pd

        obs = Observations.from_data(space, data)
        if (obs.n_complete == 0 or obs.n_complete < self.initial_size(space)
                or not FreeSpace(space).dims):
            return self.finalize(space, empty, data, pending, n, seed=seed)
        study, free = self.build_study(space, data, pending, seed=seed)
        dists = distributions(free)
        known = known_rows(space, data, pending)
        accepted = empty
        max_tries = self.max_tries if self.max_tries is not None else 10 * n + 10
        tries = 0
        with quiet_optuna():
            while len(accepted) < n and tries < max_tries:
                tries += 1
                trial = study.ask(fixed_distributions=dists)
                # The trial stays RUNNING: later asks of the batch steer away from it,
                # whether it is kept or rejected.
                row = free.decode([trial.params])
                kept, _ = screen(space, row, accepted, known, tolerance=self.tolerance,
                                 repair_radius=self.repair_radius)
                if len(kept):
                    accepted = pd.concat([accepted, kept], ignore_index=True)
        return self.finalize(space, accepted, data, pending, n, seed=seed)


class OptunaTPEBackend(OptunaBackend):
    """``optuna-tpe``: multivariate TPE with the constant liar.

    Parameters
    ----------
    n_ei_candidates : int
        Candidates TPE draws per suggestion (Optuna's default 24).
    **kwargs
        See :class:`OptunaBackend`.
    """

    name = "optuna-tpe"

    def __init__(self, *, n_ei_candidates: int = 24, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_ei_candidates = int(n_ei_candidates)

    def make_sampler(self, seed: int | None, n_startup: int):
        """``TPESampler(multivariate=True, constant_liar=True, seed=seed)``."""
        from optuna.samplers import TPESampler

        return TPESampler(seed=seed, multivariate=True, constant_liar=True,
                          n_startup_trials=n_startup, n_ei_candidates=self.n_ei_candidates,
                          warn_independent_sampling=False)


def require_torch() -> None:
    """Raise :class:`~ionopt.errors.SpaceError` when torch cannot be imported."""
    module = sys.modules.get("torch", False)
    if module is None or (module is False and importlib.util.find_spec("torch") is None):
        raise SpaceError(GP_EXTRA_MESSAGE)


class OptunaGPBackend(OptunaBackend):
    """``optuna-gp``: Optuna's GPSampler (log expected improvement, batch-aware).

    Needs torch (``pip install 'ionopt[gp]'``, which pins the CPU build).

    Parameters
    ----------
    deterministic_objective : bool
        Tell the GP the measurements are noise-free (default False: lab data are noisy).
    **kwargs
        See :class:`OptunaBackend`.
    """

    name = "optuna-gp"

    def __init__(self, *, deterministic_objective: bool = False, **kwargs) -> None:
        require_torch()
        super().__init__(**kwargs)
        self.deterministic_objective = bool(deterministic_objective)

    def make_sampler(self, seed: int | None, n_startup: int):
        """``GPSampler(seed=seed, n_startup_trials=n_startup)``."""
        require_torch()
        try:
            from optuna.samplers import GPSampler

            sampler = GPSampler(seed=seed, n_startup_trials=n_startup,
                                deterministic_objective=self.deterministic_objective,
                                warn_independent_sampling=False)
            import torch  # noqa: F401  (GPSampler imports it lazily; fail here, clearly)
        except ImportError as err:
            raise SpaceError(GP_EXTRA_MESSAGE) from err
        return sampler


__all__ = ["FreeDim", "FreeSpace", "Observations", "OptunaBackend", "OptunaGPBackend",
           "OptunaTPEBackend", "limit_threads", "parts_to_sticks", "pending_table", "screen",
           "sticks_to_parts"]
