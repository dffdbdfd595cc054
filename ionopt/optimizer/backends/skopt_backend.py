"""scikit-optimize backend (``skopt``): ``skopt.Optimizer`` with a GP, ask/tell.

Each :meth:`SkoptBackend.ask` builds a fresh ``Optimizer(dimensions,
base_estimator="GP", acq_func="EI", random_state=seed, n_initial_points=0)``, tells it the
campaign's data in one batch, and asks for the batch with the constant liar
(``ask(n_points=n, strategy="cl_min")``). Nothing is kept between calls: same seed and
same data -> same proposals.

What the optimizer is told
--------------------------
skopt minimizes one number, so it is told ``y = -score``, where the score is the oriented
value (transformed, larger is better) of the single optimized objective, or the weighted
desirability (:meth:`~ionopt.optimizer.objectives.Objectives.desirability`) when several
objectives are optimized -- skopt has no multi-objective mode.

* outcome thresholds (an objective's ``threshold``, including weight-0 pure constraints):
  skopt cannot express them. A measured row that misses a threshold is told the *worst*
  value among the measured rows (pessimistic imputation), so the GP learns that region is
  bad; the threshold's size is not modelled (unlike Optuna's constraint models).
* failed rows (``failed`` column true): skopt has no notion of failure either. With
  ``failed="worst"`` (default) they are told the worst measured value too, which steers
  the GP away from recipes that could not be made, at the price of a pessimistic bias
  near them; ``failed="skip"`` leaves them out of the model (they are still never
  re-proposed, by the distinctness rule).
* pending experiments, and data rows whose optimized targets are still blank, are told
  the constant-liar value ``min(y)`` (the best score so far, as skopt's ``cl_min``
  strategy does for the points of a batch), so the batch moves away from them.

Search space and constraints
----------------------------
The variables are those of :class:`~ionopt.optimizer.backends._peer.FreeSpace` (shared
with the Optuna backends): ``Continuous`` -> ``Real(low, high)``; ``Discrete`` ->
``Integer(0, m - 1)``, the index of the value (order kept, uneven spacing not seen);
``Categorical`` -> ``Categorical(labels)``; fixed and one-value parameters are left out
and filled in afterwards.

* ``LinearEquality`` (mixtures, and any equality over continuous parameters):
  **reparameterized** by bounded stick-breaking (k-1 ``Real(0, 1)`` sticks per k-part
  equality, mapped one-to-one onto the simplex within the components' bounds), so sums
  and bounds hold by construction; null-space coordinates when two equalities share a
  parameter (bounds then filtered as below).
* ``LinearInequality``: **filtered natively** -- skopt's ``space_constraint`` rejects
  infeasible points while drawing the candidates the acquisition function is maximized
  over (``acq_optimizer="sampling"``, the default here, so the chosen point is always a
  feasible candidate). With ``acq_optimizer="lbfgs"`` the local refinement may leave the
  region; such points are then **repaired** by projection when the move is at most
  ``repair_radius`` of each range, else rejected.

A proposal within ``tolerance`` of a measured, failed, pending or already proposed recipe
is rejected; every candidate of a round (kept or rejected) is told the liar value and the
optimizer asked again, for at most ``max_rounds`` rounds; any shortfall is filled with
space-filling samples far from everything (:meth:`Backend.finalize`). Below ``n_initial``
complete observations no optimizer is built: the shared space-filling initial design is
proposed.

Compatibility: scikit-optimize 0.10.2 runs unchanged with numpy 2 and scikit-learn 1.9 (no
shim); its "point evaluated before" and scikit-learn's convergence warnings are silenced
during an ask. scikit-optimize is imported lazily, inside the methods. BLAS/OpenMP thread
pools are limited to ``blas_threads`` (default 1) during an ask, which makes the small GP
fits several times faster on few cores; the previous limits are restored afterwards.
"""

from __future__ import annotations

import warnings

import numpy as np

from ionopt.errors import SpaceError
from ionopt.optimizer.backends._peer import (DEFAULT_REPAIR_RADIUS, FreeSpace, Observations,
                                             PeerBackend, pending_table, screen)
from ionopt.optimizer.backends.base import DEFAULT_TOLERANCE, known_rows


def dimensions(free: FreeSpace) -> list:
    """skopt dimensions of the sampler's variables, in ``free.dims`` order."""
    from skopt.space import Categorical, Integer, Real

    out = []
    for d in free.dims:
        if d.kind == "float":
            out.append(Real(d.low, d.high, name=d.name))
        elif d.kind == "index":
            out.append(Integer(0, len(d.values) - 1, name=d.name))
        else:
            out.append(Categorical(list(d.values), name=d.name))
    return out


def _as_point(free: FreeSpace, values: dict) -> list:
    return [values[d.name] for d in free.dims]


def _as_dict(free: FreeSpace, point) -> dict:
    out = {}
    for d, v in zip(free.dims, point):
        if d.kind == "float":
            out[d.name] = float(v)
        elif d.kind == "index":
            out[d.name] = int(v)
        else:
            out[d.name] = str(v)
    return out


class SkoptBackend(PeerBackend):
    """``skopt``: scikit-optimize's GP optimizer behind ionopt's backend interface.

    Parameters
    ----------
    tolerance : float
        Distinctness tolerance (fraction of each range).
    n_initial : int, optional
        Complete observations needed before the GP is used; below, the shared
        space-filling initial design is proposed.
    acq_func : str
        skopt acquisition function (``"EI"``, ``"PI"``, ``"LCB"``, ``"gp_hedge"``).
    acq_optimizer : {"sampling", "lbfgs"}
        How skopt maximizes the acquisition; ``"sampling"`` keeps linear inequalities
        binding (see the module docstring).
    n_points : int
        Candidates drawn per acquisition maximization.
    failed : {"worst", "skip"}
        What failed rows are told (see the module docstring).
    max_rounds : int
        Ask rounds per call before the space-filling fill-up.
    repair_radius : float
        Largest move (fraction of each range) allowed to repair an infeasible point.
    blas_threads : int or None
        BLAS/OpenMP threads during an ask (default 1: several times faster for these
        small GP fits); None leaves the process's setting alone.
    """

    name = "skopt"
    constraint_handling = ("mixtures/equalities reparameterized by bounded stick-breaking; "
                           "linear inequalities filtered through skopt's space_constraint "
                           "(candidates), then repaired or rejected; outcome thresholds and "
                           "failures told as the worst measured value")

    def __init__(self, *, tolerance: float = DEFAULT_TOLERANCE, n_initial: int | None = None,
                 acq_func: str = "EI", acq_optimizer: str = "sampling", n_points: int = 2000,
                 failed: str = "worst", max_rounds: int = 5,
                 repair_radius: float = DEFAULT_REPAIR_RADIUS, blas_threads: int | None = 1,
                 **options) -> None:
        if options:
            raise SpaceError(f"skopt: unknown option {sorted(options)[0]!r}; expected "
                             "tolerance, n_initial, acq_func, acq_optimizer, n_points, failed, "
                             "max_rounds, repair_radius, blas_threads")
        super().__init__(tolerance=tolerance, n_initial=n_initial)
        if failed not in ("worst", "skip"):
            raise SpaceError(f"failed: expected 'worst' or 'skip', got {failed!r}")
        if acq_optimizer not in ("sampling", "lbfgs"):
            raise SpaceError(f"acq_optimizer: expected 'sampling' or 'lbfgs', got "
                             f"{acq_optimizer!r}")
        self.acq_func = acq_func
        self.acq_optimizer = acq_optimizer
        self.n_points = int(n_points)
        self.failed = failed
        self.max_rounds = max(1, int(max_rounds))
        self.repair_radius = float(repair_radius)
        self.blas_threads = blas_threads

    # ---- optimizer ----------------------------------------------------------------------
    def told(self, space, data, pending=None):
        """What the optimizer is told: (free space, points, y values, liar value).

        Points are lists in ``free.dims`` order; ``y`` is minimized.
        """
        free = FreeSpace(space)
        obs = Observations.from_data(space, data)
        encoded = free.encode(obs.table) if len(obs.table) else []
        y = -obs.scalar
        measured = obs.complete
        worst = float(np.max(y[measured])) if measured.any() else np.nan
        missed = measured & (obs.violations > 0).any(axis=1) if obs.violations.size \
            else np.zeros(len(y), dtype=bool)
        y = np.where(missed, worst, y)
        # Liar: the best value told (skopt's cl_min), threshold misses included as worst.
        liar = float(np.min(y[measured])) if measured.any() else np.nan
        points, values = [], []
        for i, params in enumerate(encoded):
            if measured[i]:
                points.append(_as_point(free, params))
                values.append(float(y[i]))
            elif obs.failed[i] and self.failed == "worst" and np.isfinite(worst):
                points.append(_as_point(free, params))
                values.append(worst)
        waiting = pending_table(space, data, pending, obs)
        if len(waiting) and np.isfinite(liar):
            for params in free.encode(waiting):
                points.append(_as_point(free, params))
                values.append(liar)
        return free, points, values, liar

    def build_optimizer(self, space, data, pending=None, *, seed: int | None = None):
        """A fresh ``skopt.Optimizer`` told the campaign; returns (optimizer, free, liar)."""
        from skopt import Optimizer

        free, points, values, liar = self.told(space, data, pending)
        constraint = free.point_check() if free.needs_check else None
        with _quiet():
            opt = Optimizer(dimensions(free), base_estimator="GP", acq_func=self.acq_func,
                            acq_optimizer=self.acq_optimizer, random_state=seed,
                            n_initial_points=0, space_constraint=constraint,
                            acq_optimizer_kwargs={"n_points": self.n_points})
            if points:
                opt.tell(points, values)
        return opt, free, liar

    # ---- the PeerBackend hook (PeerBackend.ask calls it) ----------------------------------
    def _propose(self, space, data, n, pending, seed, empty):
        import pandas as pd

        opt, free, liar = self.build_optimizer(space, data, pending, seed=seed)
        known = known_rows(space, data, pending)
        accepted = empty
        with _quiet():
            for _ in range(self.max_rounds):
                need = n - len(accepted)
                try:
                    points = ([opt.ask()] if need == 1
                              else opt.ask(n_points=need, strategy="cl_min"))
                except RuntimeError:
                    # skopt could not draw feasible candidates (a tiny region under
                    # space_constraint): leave the rest to the space-filling fill-up.
                    break
                rows = free.decode([_as_dict(free, p) for p in points])
                kept, _ = screen(space, rows, accepted, known, tolerance=self.tolerance,
                                 repair_radius=self.repair_radius)
                accepted = pd.concat([accepted, kept], ignore_index=True)
                if len(accepted) >= n:
                    break
                # Every candidate of the round, kept or not, becomes a constant-liar
                # point, so the next round looks elsewhere.
                opt.tell([list(p) for p in points], [liar] * len(points))
        return accepted


class _quiet(warnings.catch_warnings):
    """Silence skopt's duplicate-point and scikit-learn's convergence warnings."""

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", category=UserWarning, module=r"skopt\..*")
        try:
            from sklearn.exceptions import ConvergenceWarning

            warnings.simplefilter("ignore", ConvergenceWarning)
        except ImportError:  # pragma: no cover - sklearn is a dependency of skopt
            pass
        return out


__all__ = ["SkoptBackend", "dimensions"]
