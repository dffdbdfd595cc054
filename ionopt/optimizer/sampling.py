"""Constraint-honouring samplers over a :class:`~ionopt.optimizer.space.SearchSpace`.

The continuous parameters live in a polytope: box bounds, linear equalities (mixtures)
and linear inequalities. :class:`LinearStructure` writes the equalities' solution set as
``x = x0 + N z`` (``N`` an orthonormal basis of their null space), so any ``z`` gives a
recipe whose equalities hold to rounding error; mixture fractions therefore sum to 1
within ~1e-12 by construction. The tightest box around the feasible ``z`` is found with
linear programs (discrete parameters relaxed to their range), a space-filling design
(scrambled Sobol, or Latin hypercube) is drawn in that box together with the discrete and
categorical choices, and rows breaking a bound or an inequality are rejected. For a
3-component mixture the acceptance rate is about 1/2; for ``m`` free components about
``1/(m-1)!`` before other constraints -- fine up to six or seven components.

:func:`perturb` moves feasible rows a little inside the polytope (local refinement of an
acquisition function); :func:`nearest_feasible` repairs rows slightly outside (rounding,
reparameterised backends) by a small least-squares projection.
"""

from __future__ import annotations

import numpy as np

from ionopt.errors import SpaceError

_MAX_POINTS = 1 << 21


class LinearStructure:
    """Null-space form of the continuous part of a space (built once per space)."""

    def __init__(self, space) -> None:
        from ionopt.optimizer.constraints import LinearEquality
        from ionopt.optimizer.space import Continuous, Discrete, Fixed

        params = space.parameters
        self.cont = [p.name for p in params if isinstance(p, Continuous)]
        self.disc = [p for p in params if isinstance(p, Discrete)]
        self.cat = [p for p in params if p.kind == "categorical"]
        self.lo = np.array([space.parameter(n).low for n in self.cont], dtype=float)
        self.hi = np.array([space.parameter(n).high for n in self.cont], dtype=float)
        fixed = {p.name: p.value for p in params if isinstance(p, Fixed) and p.numeric}
        cindex = {n: i for i, n in enumerate(self.cont)}
        dnames = [p.name for p in self.disc]
        dindex = {n: i for i, n in enumerate(dnames)}
        dc, dd = len(self.cont), len(self.disc)

        eq_rows, eq_rhs, in_c, in_d, in_rhs = [], [], [], [], []
        for c in space.constraints:
            coefs, rhs = c.as_rows()
            rc, rd = np.zeros(dc), np.zeros(dd)
            for name, coef in coefs.items():
                if name in fixed:
                    rhs -= coef * fixed[name]
                elif name in cindex:
                    rc[cindex[name]] += coef
                else:
                    rd[dindex[name]] += coef
            if isinstance(c, LinearEquality):
                eq_rows.append(rc)
                eq_rhs.append(rhs)
            else:
                in_c.append(rc)
                in_d.append(rd)
                in_rhs.append(rhs)
        self.G_c = np.array(in_c, dtype=float).reshape(len(in_c), dc)
        self.G_d = np.array(in_d, dtype=float).reshape(len(in_d), dd)
        self.h = np.array(in_rhs, dtype=float)
        self.d_lo = np.array([p.low for p in self.disc], dtype=float)
        self.d_hi = np.array([p.high for p in self.disc], dtype=float)

        if eq_rows:
            A = np.array(eq_rows, dtype=float)
            b = np.array(eq_rhs, dtype=float)
            x0, *_ = np.linalg.lstsq(A, b, rcond=None)
            if not np.allclose(A @ x0, b, atol=1e-9 * max(1.0, np.abs(b).max())):
                raise SpaceError("constraints: the linear equalities contradict each other")
            _, s, vt = np.linalg.svd(A)
            rank = int((s > 1e-10 * max(1.0, s.max())).sum())
            self.N = vt[rank:].T.copy()
            # Start from the point of the equality set nearest the box centre.
            centre = (self.lo + self.hi) / 2
            self.x0 = x0 + self.N @ (self.N.T @ (centre - x0))
            self.A, self.b = A, b
        else:
            self.N = np.eye(dc)
            self.x0 = (self.lo + self.hi) / 2 if dc else np.zeros(0)
            self.A, self.b = np.zeros((0, dc)), np.zeros(0)
        self.r = self.N.shape[1]
        self.z_lo, self.z_hi = self._bounding_box()

    def _bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        from scipy.optimize import linprog

        r, dd = self.r, len(self.disc)
        N, x0 = self.N, self.x0
        A_ub = [np.hstack([N, np.zeros((len(x0), dd))]),
                np.hstack([-N, np.zeros((len(x0), dd))])]
        b_ub = [self.hi - x0, x0 - self.lo]
        if len(self.h):
            A_ub.append(np.hstack([self.G_c @ N, self.G_d]))
            b_ub.append(self.h - self.G_c @ x0)
        A_ub = np.vstack(A_ub) if A_ub else np.zeros((0, r + dd))
        b_ub = np.concatenate(b_ub) if b_ub else np.zeros(0)
        bounds = [(None, None)] * r + list(zip(self.d_lo, self.d_hi))
        nvar = r + dd
        if nvar == 0:
            if np.any(b_ub < -1e-9):
                raise SpaceError("constraints: no recipe satisfies the bounds and constraints")
            return np.zeros(0), np.zeros(0)
        res = linprog(np.zeros(nvar), A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status != 0:
            raise SpaceError("constraints: no recipe satisfies the bounds and constraints "
                             "together; check the rhs values and parameter bounds")
        z_lo, z_hi = np.zeros(r), np.zeros(r)
        for i in range(r):
            c = np.zeros(nvar)
            c[i] = 1.0
            lo = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            hi = linprog(-c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            z_lo[i], z_hi[i] = lo.x[i], hi.x[i]
        return z_lo, z_hi

    # ---- conversions -----------------------------------------------------------------------
    def to_x(self, z: np.ndarray) -> np.ndarray:
        """Null-space coordinates (m, r) -> continuous values (m, dc)."""
        return self.x0 + z @ self.N.T

    def to_z(self, x: np.ndarray) -> np.ndarray:
        """Continuous values (m, dc) -> null-space coordinates (projects onto equalities)."""
        return (x - self.x0) @ self.N

    def feasible_arrays(self, x: np.ndarray, xd: np.ndarray, tol: float = 1e-10) -> np.ndarray:
        """Bounds and inequalities on continuous (m, dc) and discrete (m, dd) arrays."""
        span = np.maximum(self.hi - self.lo, 1e-300)
        ok = np.all((x >= self.lo - tol * span) & (x <= self.hi + tol * span), axis=1)
        if len(self.h):
            lhs = x @ self.G_c.T + (xd @ self.G_d.T if xd.size else 0.0)
            ok &= np.all(lhs <= self.h + tol, axis=1)
        return ok


def _engine(d: int, method: str, seed):
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    if method == "sobol":
        return qmc.Sobol(d, scramble=True, seed=rng)
    if method == "lhs":
        return qmc.LatinHypercube(d, seed=rng)
    if method == "random":
        return None
    raise SpaceError(f"method: expected sobol, lhs or random, got {method!r}")


def sample_space(space, n: int, *, seed=None, method: str = "sobol"):
    """``n`` feasible rows of ``space`` (see the module docstring); a DataFrame."""
    import warnings

    import pandas as pd

    n = int(n)
    if n < 0:
        raise SpaceError(f"n: expected a number of rows >= 0, got {n}")
    ls = space.linear_structure
    d = ls.r + len(ls.disc) + len(ls.cat)
    if n == 0:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in space.names})
    rng = np.random.default_rng(seed)
    engine = _engine(max(d, 1), method, rng)
    chunks_x, chunks_d, chunks_c = [], [], []
    got, drawn = 0, 0
    batch = 1 << max(6, int(np.ceil(np.log2(max(2 * n, 2)))))
    while got < n:
        if drawn >= _MAX_POINTS:
            raise SpaceError(
                f"the feasible region is too small to sample: {got} feasible rows out of "
                f"{drawn} tries; widen the bounds or relax the constraints")
        if engine is None:
            u = rng.random((batch, max(d, 1)))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Sobol balance warnings for odd sizes
                u = engine.random(batch)
        drawn += batch
        u = u[:, :d]
        z = ls.z_lo + u[:, :ls.r] * (ls.z_hi - ls.z_lo)
        x = ls.to_x(z)
        col = ls.r
        xd = np.empty((batch, len(ls.disc)))
        for j, p in enumerate(ls.disc):
            k = np.minimum((u[:, col] * len(p.values)).astype(int), len(p.values) - 1)
            xd[:, j] = np.asarray(p.values)[k]
            col += 1
        xc = np.empty((batch, len(ls.cat)), dtype=int)
        for j, p in enumerate(ls.cat):
            xc[:, j] = np.minimum((u[:, col] * len(p.values)).astype(int), len(p.values) - 1)
            col += 1
        ok = ls.feasible_arrays(x, xd)
        chunks_x.append(x[ok])
        chunks_d.append(xd[ok])
        chunks_c.append(xc[ok])
        got += int(ok.sum())
        batch = min(batch * 2, _MAX_POINTS)
    x = np.vstack(chunks_x)[:n]
    xd = np.vstack(chunks_d)[:n]
    xc = np.vstack(chunks_c)[:n]
    return assemble(space, x, xd, xc)


def assemble(space, x: np.ndarray, xd: np.ndarray, xc: np.ndarray):
    """DataFrame in ``space.names`` order from continuous, discrete, category-index arrays."""
    import pandas as pd

    ls = space.linear_structure
    m = len(x) if len(ls.cont) else (len(xd) if len(ls.disc) else len(xc))
    cols = {}
    ci = {n: i for i, n in enumerate(ls.cont)}
    di = {p.name: i for i, p in enumerate(ls.disc)}
    ki = {p.name: i for i, p in enumerate(ls.cat)}
    for p in space.parameters:
        if p.name in ci:
            cols[p.name] = x[:, ci[p.name]]
        elif p.name in di:
            cols[p.name] = xd[:, di[p.name]]
        elif p.name in ki:
            cols[p.name] = np.asarray(p.values, dtype=object)[xc[:, ki[p.name]]]
        else:
            cols[p.name] = np.full(m, p.value, dtype=float if p.numeric else object)
    return pd.DataFrame(cols)


def split(space, table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A parameter table -> continuous (m, dc), discrete (m, dd), category index (m, dk)."""
    ls = space.linear_structure
    x = table[ls.cont].to_numpy(dtype=float) if ls.cont else np.zeros((len(table), 0))
    xd = (table[[p.name for p in ls.disc]].to_numpy(dtype=float) if ls.disc
          else np.zeros((len(table), 0)))
    xc = np.zeros((len(table), len(ls.cat)), dtype=int)
    for j, p in enumerate(ls.cat):
        lookup = {v: i for i, v in enumerate(p.values)}
        xc[:, j] = [lookup.get(str(v), -1) for v in table[p.name]]
    return x, xd, xc


def perturb(space, table, scale: float, rng: np.random.Generator, *,
            n_per_row: int = 1, p_discrete: float = 0.2):
    """Feasible neighbours of feasible rows: Gaussian steps in the equality null space.

    Parameters
    ----------
    space : SearchSpace
    table : DataFrame
        Feasible rows to move.
    scale : float
        Step standard deviation as a fraction of each coordinate's feasible range.
    rng : numpy Generator
    n_per_row : int
        Neighbours drawn per row (infeasible ones are dropped).
    p_discrete : float
        Probability that each discrete parameter moves to an adjacent allowed value.

    Returns
    -------
    DataFrame
        Feasible neighbours (possibly fewer than ``len(table) * n_per_row``), with a
        ``_parent`` column giving the row position they came from.
    """
    ls = space.linear_structure
    x, xd, xc = split(space, table)
    parent = np.repeat(np.arange(len(table)), n_per_row)
    x, xd, xc = x[parent], xd[parent], xc[parent]
    if ls.r:
        z = ls.to_z(x)
        z = z + rng.normal(size=z.shape) * scale * np.maximum(ls.z_hi - ls.z_lo, 1e-12)
        x = ls.to_x(z)
    for j, p in enumerate(ls.disc):
        if len(p.values) < 2:
            continue
        move = rng.random(len(xd)) < p_discrete
        idx = np.searchsorted(np.asarray(p.values), xd[:, j])
        step = rng.choice([-1, 1], size=len(xd))
        idx = np.clip(idx + move * step, 0, len(p.values) - 1)
        xd[:, j] = np.asarray(p.values)[idx]
    ok = ls.feasible_arrays(x, xd)
    out = assemble(space, x[ok], xd[ok], xc[ok])
    out["_parent"] = parent[ok]
    return out


def nearest_feasible(space, table):
    """Repair rows slightly outside the space: snap discrete values, then project the
    continuous part onto the polytope (least squares, SLSQP). Categorical labels must
    already be valid. Rows already feasible are returned unchanged.
    """
    from scipy.optimize import minimize

    ls = space.linear_structure
    out = space.complete(table).copy()
    for p in ls.disc:
        out[p.name] = p.snap(out[p.name].to_numpy(dtype=float))
    ok = space.is_feasible(out, tol=1e-9)
    if ok.all() or not ls.cont:
        return out
    x, xd, _ = split(space, out)
    for i in np.flatnonzero(~ok):
        target = x[i]
        cons = []
        if len(ls.b):
            cons.append({"type": "eq", "fun": lambda v: ls.A @ v - ls.b,
                         "jac": lambda v: ls.A})
        if len(ls.h):
            slack = ls.h - (ls.G_d @ xd[i] if xd.size else 0.0)
            cons.append({"type": "ineq", "fun": lambda v, s=slack: s - ls.G_c @ v,
                         "jac": lambda v: -ls.G_c})
        start = np.clip(target, ls.lo, ls.hi)
        res = minimize(lambda v: 0.5 * np.sum((v - target) ** 2), start,
                       jac=lambda v: v - target, bounds=list(zip(ls.lo, ls.hi)),
                       constraints=cons, method="SLSQP", options={"ftol": 1e-14,
                                                                  "maxiter": 200})
        v = np.clip(res.x, ls.lo, ls.hi)
        if ls.r and len(ls.b):
            v = ls.to_x(ls.to_z(v[None, :]))[0]
        out.loc[out.index[i], ls.cont] = v
    return out


__all__ = ["LinearStructure", "assemble", "nearest_feasible", "perturb", "sample_space",
           "split"]
