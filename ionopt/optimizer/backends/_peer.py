"""Shared machinery of the peer backends (``optuna-tpe``, ``optuna-gp``, ``skopt``).

These backends drive an outside ask/tell optimizer. What they share lives here and knows
nothing of Optuna or scikit-optimize:

* :class:`FreeSpace` -- the variables a sampler sees, and the way back to recipes:
  ``Continuous`` -> a float in its bounds; ``Discrete`` (m values) -> the *index*
  ``0..m-1`` of the value (order kept, only listed values come out); ``Categorical`` -> its
  labels; ``Fixed`` and one-value parameters -> nothing (filled in on the way back);
  ``LinearEquality`` -> bounded stick-breaking (:func:`sticks_to_parts`: k-1
  ``stick:<component>`` variables in [0, 1] per k-part equality, so sums and bounds hold
  by construction), or null-space coordinates ``z:<i>`` when two equalities share a
  continuous parameter (bounds then filtered); ``LinearInequality`` is left to
  :func:`screen` (and, for skopt, to :meth:`FreeSpace.point_check`). Each backend's module
  docstring says how its library sees these variables.
* :class:`Observations` -- the campaign's rows sorted into complete, failed and waiting,
  with oriented values, a scalar score and threshold violations; :func:`pending_table`.
* :func:`screen` -- repair (within ``repair_radius``) or reject decoded candidates, and
  enforce distinctness.
* :func:`limit_threads` -- BLAS/OpenMP thread limits during an ask.
* :class:`PeerBackend` -- the shared ``ask``: it checks ``n``, limits threads, proposes
  the shared space-filling initial design while there are fewer than ``n_initial``
  complete observations (or nothing is free to sample), and otherwise hands over to the
  backend's :meth:`PeerBackend._propose`, whose rows :meth:`Backend.finalize` makes a
  valid answer.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ionopt.errors import SpaceError
from ionopt.optimizer.backends.base import (Backend, close_mask, encode_for_distance,
                                            usable_data)

#: Default fraction of each range a decoded sample may be moved to satisfy inequalities.
DEFAULT_REPAIR_RADIUS = 0.1


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


# ------------------------------------------------------------------------------------------
# The shared ask
# ------------------------------------------------------------------------------------------


class PeerBackend(Backend):
    """Base of the backends that drive an outside ask/tell optimizer.

    Subclasses set :attr:`blas_threads` and :attr:`repair_radius` in their constructor and
    implement :meth:`_propose`.
    """

    #: BLAS/OpenMP threads during an ask (see :func:`limit_threads`); None: unchanged.
    blas_threads: int | None
    #: Largest move (fraction of each range) allowed to repair an infeasible candidate.
    repair_radius: float

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
            Seed of the sampler (Optuna) or ``random_state`` of the optimizer (skopt):
            same seed and inputs -> same recipes.
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
        obs = Observations.from_data(space, data)
        if (obs.n_complete == 0 or obs.n_complete < self.initial_size(space)
                or not FreeSpace(space).dims):
            return self.finalize(space, empty, data, pending, n, seed=seed)
        rows = self._propose(space, data, n, pending, seed, empty)
        return self.finalize(space, rows.iloc[:n], data, pending, n, seed=seed)

    def _propose(self, space, data, n, pending, seed, empty):
        """Up to ``n`` screened proposals from the backend's optimizer (a DataFrame like
        ``empty``); rows past the ``n``-th are dropped and any shortfall is filled by
        :meth:`Backend.finalize`.

        Called only with enough complete observations and at least one free variable.
        """
        raise NotImplementedError


__all__ = ["DEFAULT_REPAIR_RADIUS", "FreeDim", "FreeSpace", "Observations", "PeerBackend",
           "limit_threads", "parts_to_sticks", "pending_table", "screen", "sticks_to_parts"]
