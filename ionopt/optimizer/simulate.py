"""Simulated campaigns: run an optimization strategy against an emulated lab, many seeds.

A lab deciding how to run its next campaign asks which strategy finds a good film in the
fewest experiments. :func:`simulate` answers it on an emulator
(:mod:`ionopt.datasets.emulators`): for each seed it makes the same seeded initial
design for every strategy, then asks the strategy for the next batch, "makes" it with the
emulator, appends the results to the campaign table and asks again, until the budget of
experiments is spent. It records, per seed and per experiment, the recipe, the measured
targets, the best-so-far value of the primary objective and the wall time of every
proposal; per strategy, the experiments needed to reach a target (come within X % of the
optimum) and, for emulators with two objectives, the hypervolume after each experiment.

Strategies
----------
``backend`` is any optimizer backend (``native``, ``optuna-tpe``, ``optuna-gp``,
``skopt``; :func:`ionopt.optimizer.backends.get_backend`) or one of two pseudo-backends
that need no model:

``random``
    Independent uniform draws from the feasible space (``space.sample(n, seed,
    method="random")``: uniform in the equality null space, rejection of rows breaking a
    bound or inequality). On a pool: unused rows uniformly at random.
``sobol``
    The rows of one scrambled Sobol sequence over the feasible space, in order
    (``space.sample(budget, seed, method="sobol")``, the same constraint-honouring
    sampler as the initial designs; rejection keeps the order of the accepted points, so
    the design stays space-filling but is not exactly a (t, m, s)-net after rejection).
    On a pool: each Sobol row is mapped to the nearest unused pool row (as peers are).

Rules every strategy follows (fairness)
---------------------------------------
* The initial design of a seed is the same for every strategy: ``n_initial`` rows of a
  scrambled Sobol design (``space.sample(n_initial, seed=...)``), or ``n_initial``
  distinct pool rows drawn at random on pool emulators. Backends are told
  ``n_initial`` too, so none of them adds its own initial design on top.
* The same budget (total experiments, the initial design included) and batch size.
* Pool emulators: every strategy must choose unused pool rows. The native backend
  scores the pool itself (``ask_pool``); Optuna and scikit-optimize cannot, so their
  free proposals are mapped to the nearest unused pool row in the encoded space
  (:meth:`~ionopt.optimizer.backends.base.Backend.ask_pool`); random picks unused rows.
* Rows a backend returns within its tolerance of the space are projected onto it
  (:func:`~ionopt.optimizer.sampling.nearest_feasible`) before they are measured.
* Every proposal runs with single-threaded BLAS (and torch) so that two parallel seeds
  do not oversubscribe two cores; the time per proposal excludes the emulator.
* Scores use the emulator's noise-free values even when ``noise=True`` (the strategy
  sees noisy measurements; the lab's question is how good the films really are).

Metrics
-------
*Best so far* is the best value of the primary (first) objective, in its transformed
units (log10 S/cm for a ``log10`` conductivity), over the experiments so far that did
not fail and meet every outcome threshold (the same definition as
:meth:`~ionopt.datasets.emulators.Emulator.optimum`).

*Experiments to target* is the 1-based number of the first experiment after which the
best so far reaches the target (the initial design counts); ``nan`` when the budget ends
first (a censored run: "more than the budget"). Targets (:func:`target_for`):

``"sigma_2pct"``
    Within 2 % of the optimum in the target's own units, for objectives with a true zero
    and a physical unit (conductivity): ``sigma >= 0.98 sigma*`` (``log10 sigma >=
    log10 sigma* + log10 0.98``, 0.0088 decade).
``"regret_2pct"``
    Within 2 % of the gap between the optimum and the *median* film of the space:
    ``|f* - f_best| <= 0.02 |f* - f_median|``, the median over 20,000 uniform random
    feasible films (or over the pool). For dimensionless test functions whose offset and
    scale are arbitrary (Branin's 0.398 could be any number), so a percentage of the
    optimum itself means nothing; the median, unlike the worst value, is not dominated by
    extreme corners of the space.
``"auto"``
    ``sigma_2pct`` when the primary target is a conductivity (``*_s_cm``), else
    ``regret_2pct``.

*Hypervolume* (two-objective emulators): area dominated by the measured films that did
not fail and meet every threshold, in the oriented objective space (transformed,
larger is better), above a reference point (:func:`reference_point`; for the virtual
labs log10 sigma = -4 -- 0.1 mS/cm, about the filler-free SPE -- and tensile strength
= the 4 MPa threshold). Computed exactly (:func:`hypervolume_2d`).
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ionopt.errors import DataError, SpaceError

#: Pseudo-backends handled by the simulator itself.
PSEUDO_BACKENDS = ("random", "sobol")
#: Fraction used by the 2 % targets.
TARGET_FRACTION = 0.02
#: Uniform random films used for the median of a continuous space (``regret_2pct``).
MEDIAN_SAMPLES = 20_000
#: Seed of those films (fixed: the target must not depend on the run).
MEDIAN_SEED = 20240601

# Seeds derived from the campaign seed: design, proposals and noise live on separate
# streams so that changing one strategy never changes another strategy's design.
_DESIGN_STREAM = 1
_PROPOSAL_STREAM = 2
_NOISE_STREAM = 3
_PEER_STREAM = 4


def _derived_seed(seed: int, stream: int, step: int = 0) -> int:
    """A 31-bit seed from (campaign seed, stream, step), stable across runs."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, stream, step])
    return int(ss.generate_state(1)[0] & 0x7FFFFFFF)


# ------------------------------------------------------------------------------------------
# Strategy
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    """How a simulated lab runs its campaign.

    Parameters
    ----------
    backend : str
        ``"native"``, ``"optuna-tpe"``, ``"optuna-gp"``, ``"skopt"`` or a pseudo-backend
        ``"random"`` / ``"sobol"``.
    batch_size : int
        Experiments proposed (and made) together.
    n_initial : int, optional
        Size of the shared initial design; default ``max(5, free parameters + 1)`` (the
        backends' own default).
    options : mapping
        Passed to the backend (e.g. ``{"acquisition": "ucb"}``); must be empty for the
        pseudo-backends.
    label : str, optional
        Name in tables and plots (default: ``backend`` plus non-default options).
    """

    backend: str
    batch_size: int = 1
    n_initial: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.backend, str) or not self.backend:
            raise SpaceError(f"strategy: backend: expected a name, got {self.backend!r}")
        if int(self.batch_size) < 1:
            raise SpaceError(f"strategy: batch_size: expected >= 1, got {self.batch_size}")
        object.__setattr__(self, "batch_size", int(self.batch_size))
        if self.n_initial is not None:
            if int(self.n_initial) < 1:
                raise SpaceError(f"strategy: n_initial: expected >= 1, got {self.n_initial}")
            object.__setattr__(self, "n_initial", int(self.n_initial))
        object.__setattr__(self, "options", dict(self.options))
        if self.backend in PSEUDO_BACKENDS and self.options:
            raise SpaceError(f"strategy: the {self.backend} pseudo-backend takes no options, "
                             f"got {sorted(self.options)}")

    @property
    def name(self) -> str:
        """Label used in tables and plots."""
        if self.label:
            return self.label
        if not self.options:
            return self.backend
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.backend}[{opts}]"

    def initial_size(self, space) -> int:
        """The shared initial design size on ``space``."""
        if self.n_initial is not None:
            return self.n_initial
        return max(5, len(space.free_names) + 1)

    def check(self) -> None:
        """Raise :class:`~ionopt.errors.SpaceError` if the backend cannot be built here
        (unknown name, missing optional dependency such as torch for ``optuna-gp``)."""
        if self.backend in PSEUDO_BACKENDS:
            return
        from ionopt.optimizer.backends import backend_class

        backend_class(self.backend)


# ------------------------------------------------------------------------------------------
# Metrics
# ------------------------------------------------------------------------------------------


def best_so_far(values, valid=None, *, direction: str = "maximize") -> np.ndarray:
    """Running best of ``values`` over the rows where ``valid`` is True.

    Parameters
    ----------
    values : array (n,)
        Objective values in experiment order (transformed units).
    valid : array of bool (n,), optional
        Rows that count (not failed, thresholds met); default: finite values.
    direction : {"maximize", "minimize"}

    Returns
    -------
    ndarray (n,)
        Best value after each experiment; NaN until the first valid one. Monotone
        (non-decreasing when maximizing, non-increasing when minimizing).
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) if valid is None else (np.asarray(valid, dtype=bool) & np.isfinite(v))
    sign = _sign(direction)
    oriented = np.where(ok, sign * v, -np.inf)
    run = np.maximum.accumulate(oriented) if len(v) else oriented
    out = sign * run
    out[~np.isfinite(run)] = np.nan
    return out


def experiments_to_target(trace, target: float, *, direction: str = "maximize") -> float:
    """1-based index of the first experiment whose best-so-far reaches ``target``.

    Parameters
    ----------
    trace : array (n,)
        Best-so-far values (NaN before the first valid experiment).
    target : float
        Value to reach (``>=`` when maximizing, ``<=`` when minimizing).
    direction : {"maximize", "minimize"}

    Returns
    -------
    float
        The experiment number, or NaN if the trace never reaches the target (censored).
    """
    t = _sign(direction) * np.asarray(trace, dtype=float)
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(np.isfinite(t) & (t >= _sign(direction) * float(target) - 1e-12))
    return float(hit[0] + 1) if hit.size else math.nan


def hypervolume_2d(points, reference) -> float:
    """Exact area dominated by ``points`` above ``reference`` (both objectives maximized).

    Parameters
    ----------
    points : array (n, 2)
        Oriented objective values (larger is better); rows with NaN are ignored.
    reference : (float, float)
        Reference point; only the part of the dominated region above it counts.

    Returns
    -------
    float
        The hypervolume (0 when no point dominates the reference).
    """
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    r = np.asarray(reference, dtype=float)
    p = p[np.isfinite(p).all(axis=1) & (p[:, 0] > r[0]) & (p[:, 1] > r[1])]
    if not len(p):
        return 0.0
    order = np.argsort(-p[:, 0], kind="stable")  # sweep from the largest first objective
    area, top = 0.0, r[1]
    xs, ys = p[order, 0], p[order, 1]
    for i in range(len(xs)):
        if ys[i] > top:
            area += (xs[i] - r[0]) * (ys[i] - top)
            top = ys[i]
    return float(area)


def hypervolume_trace(points, reference) -> np.ndarray:
    """Hypervolume after each row of ``points`` (n, 2) (non-decreasing)."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    return np.array([hypervolume_2d(p[: i + 1], reference) for i in range(len(p))])


def censored_quantiles(values, qs=(0.25, 0.5, 0.75)) -> np.ndarray:
    """Quantiles where NaN means "more than the budget" (censored, treated as +inf).

    Linear interpolation between order statistics; a quantile that touches a censored
    value is +inf (read "> budget").
    """
    v = np.asarray(values, dtype=float)
    v = np.sort(np.where(np.isnan(v), np.inf, v))
    out = []
    for q in np.atleast_1d(qs):
        if not len(v):
            out.append(math.nan)
            continue
        pos = q * (len(v) - 1)
        lo, hi = int(math.floor(pos)), int(math.ceil(pos))
        a, b = v[lo], v[hi]
        if not (np.isfinite(a) and np.isfinite(b)):
            out.append(math.inf)
        else:
            out.append(a + (b - a) * (pos - lo))
    return np.asarray(out, dtype=float)


def _sign(direction: str) -> float:
    if direction not in ("maximize", "minimize"):
        raise SpaceError(f"direction: expected 'maximize' or 'minimize', got {direction!r}")
    return 1.0 if direction == "maximize" else -1.0


# ------------------------------------------------------------------------------------------
# Targets and reference points
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The value a campaign must reach, with how it was defined.

    Attributes
    ----------
    value : float
        Threshold on the best-so-far primary objective (transformed units).
    rule : str
        ``"sigma_2pct"``, ``"regret_2pct"`` or ``"value"`` (given by the caller).
    description : str
        One line for reports.
    optimum : float
        The emulator's optimum (transformed units).
    median : float
        Median film of the space (transformed units; NaN when not needed).
    """

    value: float
    rule: str
    description: str
    optimum: float
    median: float = math.nan


def primary_objective(emulator) -> dict:
    """The emulator's first objective (``target``, ``direction``, ``transform``...)."""
    return dict(emulator.objectives[0])


def _transformed(values, transform) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if transform == "log10":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
    return v


def space_median(emulator, *, n: int = MEDIAN_SAMPLES, seed: int = MEDIAN_SEED) -> float:
    """Median primary objective (transformed) over uniform random feasible films.

    Films that fail or miss a threshold are left out (they are not films a lab keeps).
    On pool emulators the median is over the whole pool.
    """
    from ionopt.optimizer.space import SearchSpace

    obj = primary_objective(emulator)
    if hasattr(emulator, "candidates"):
        films = emulator.candidates()
    else:
        space = SearchSpace.from_dict(emulator.space_dict())
        films = space.sample(n, seed=seed, method="random")
    measured = emulator.evaluate(films)
    ok = _valid_mask(emulator, measured)
    values = _transformed(measured[obj["target"]], obj.get("transform"))
    return float(np.median(values[ok & np.isfinite(values)]))


def target_for(emulator, rule: str | float = "auto", *,
               fraction: float = TARGET_FRACTION) -> Target:
    """The target a campaign on ``emulator`` must reach (see the module docstring).

    Parameters
    ----------
    emulator : Emulator
    rule : {"auto", "sigma_2pct", "regret_2pct"} or float
        A float is taken as the target value itself (transformed units).
    fraction : float
        The "2 %" (0.02).
    """
    obj = primary_objective(emulator)
    opt = float(emulator.optimum().value)
    sign = _sign(obj["direction"])
    transform = obj.get("transform")
    if isinstance(rule, (int, float, np.floating)) and not isinstance(rule, bool):
        return Target(float(rule), "value", f"{obj['target']} reaches {float(rule):g}", opt)
    if rule == "auto":
        rule = "sigma_2pct" if obj["target"].endswith("_s_cm") else "regret_2pct"
    if rule == "sigma_2pct":
        if sign < 0:
            raise SpaceError("target sigma_2pct: expected a maximized quantity")
        if transform == "log10":
            value = opt + math.log10(1.0 - fraction)
            unit = f"log10 {obj['target']} >= {value:.4f}"
        else:
            if opt <= 0:
                raise SpaceError("target sigma_2pct: expected a positive optimum")
            value = opt * (1.0 - fraction)
            unit = f"{obj['target']} >= {value:.5g}"
        desc = f"best {obj['target']} >= {1 - fraction:.2f} x optimum ({unit})"
        return Target(float(value), rule, desc, opt)
    if rule == "regret_2pct":
        med = space_median(emulator)
        value = opt - sign * fraction * abs(opt - med)
        op = ">=" if sign > 0 else "<="
        desc = (f"gap to optimum <= {fraction:.0%} of |optimum - median film| "
                f"({obj['target']} {op} {value:.4g}; median {med:.4g})")
        return Target(float(value), rule, desc, opt, med)
    raise SpaceError(f"target: expected auto, sigma_2pct, regret_2pct or a number, "
                     f"got {rule!r}")


def random_search_median(emulator, target: float, *, n: int = 1_000_000,
                         seed: int = MEDIAN_SEED + 1) -> dict:
    """Median experiments random search needs to reach ``target``, from the hit rate.

    Simulated random search is censored at the budget when the target is tight; this
    gives the yardstick anyway. Continuous spaces: the share ``p`` of ``n`` uniform random
    feasible films (the ``random`` strategy's sampler) that are valid and reach the
    target; with independent draws the experiments needed are geometric, median
    ``ceil(ln 0.5 / ln(1 - p))``. Pools: exact, drawing rows without replacement (``m`` of
    ``N`` rows reach the target). The shared Sobol initial design is treated as random
    draws here.

    Returns
    -------
    dict
        ``p``, ``hits``, ``n``, ``median`` (inf when no film of the sample reaches the
        target: the median is then above ``ln 2 * n``) and ``exact`` (pools).
    """
    from ionopt.optimizer.space import SearchSpace

    obj = primary_objective(emulator)
    sign = _sign(obj["direction"])
    if hasattr(emulator, "candidates"):
        measured = emulator.evaluate(emulator.candidates())
        v = _transformed(measured[obj["target"]], obj.get("transform"))
        with np.errstate(invalid="ignore"):
            good = _valid_mask(emulator, measured) & (sign * v >= sign * target - 1e-12)
        N, m = len(v), int(good.sum())
        if m == 0:
            return {"p": 0.0, "hits": 0, "n": N, "median": math.inf, "exact": True}
        miss = 1.0
        for k in range(1, N + 1):
            miss *= (N - m - (k - 1)) / (N - (k - 1))
            if miss <= 0.5:
                return {"p": m / N, "hits": m, "n": N, "median": float(k), "exact": True}
        return {"p": m / N, "hits": m, "n": N, "median": float(N), "exact": True}
    space = SearchSpace.from_dict(emulator.space_dict())
    hits, drawn, chunk = 0, 0, 200_000
    rng = np.random.default_rng(seed)
    while drawn < n:
        size = min(chunk, n - drawn)
        films = space.sample(size, seed=int(rng.integers(2**31)), method="random")
        measured = emulator.evaluate(films)
        v = _transformed(measured[obj["target"]], obj.get("transform"))
        with np.errstate(invalid="ignore"):
            hits += int((_valid_mask(emulator, measured) & (sign * v >= sign * target
                                                            - 1e-12)).sum())
        drawn += size
    p = hits / drawn
    median = math.inf if hits == 0 else (1.0 if p >= 0.5 else
                                         float(math.ceil(math.log(0.5) / math.log1p(-p))))
    return {"p": p, "hits": hits, "n": drawn, "median": median, "exact": False}


#: Hypervolume reference points (oriented units) for emulators with two objectives.
REFERENCE_POINTS: dict[str, tuple[float, float]] = {
    "virtual_lab": (-4.0, 4.0),
    "virtual_lab_mixture": (-4.0, 4.0),
}


def reference_point(emulator) -> tuple[float, float] | None:
    """Hypervolume reference point of a two-objective emulator (oriented units), else None.

    The virtual labs: log10 sigma = -4 (0.1 mS/cm, about the filler-free SPE's
    0.095 mS/cm) and tensile strength = its threshold (4 MPa), so only films that meet the
    threshold and beat the SPE count. Other two-objective emulators: each threshold if
    any, else the worst value of the initial design is *not* used (it would differ per
    seed) -- no hypervolume is reported.
    """
    objs = emulator.objectives
    if len(objs) != 2:
        return None
    if emulator.name in REFERENCE_POINTS:
        return REFERENCE_POINTS[emulator.name]
    refs = []
    for o in objs:
        if o.get("threshold") is None:
            return None
        refs.append(_sign(o["direction"]) * float(_transformed([o["threshold"]],
                                                               o.get("transform"))[0]))
    return tuple(refs)  # type: ignore[return-value]


def _valid_mask(emulator, measured) -> np.ndarray:
    """Rows that did not fail and meet every threshold of the emulator's objectives."""
    ok = ~np.asarray(measured["failed"], dtype=bool)
    for o in emulator.objectives:
        if o.get("threshold") is None:
            continue
        v = _transformed(measured[o["target"]], None)
        thr = float(o["threshold"])
        with np.errstate(invalid="ignore"):
            ok &= (v >= thr) if o["direction"] == "maximize" else (v <= thr)
    return ok


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One simulated campaign (one seed).

    Attributes
    ----------
    seed : int
    experiments : DataFrame
        One row per experiment in order: ``experiment`` (1-based), ``batch`` (0 = the
        initial design), ``candidate_id`` (pools), the parameters, the objective targets
        as measured (noisy when ``noise=True``), their noise-free values ``<target>_true``,
        ``failed``, ``valid`` (not failed, thresholds met), ``objective`` (primary,
        transformed, noise-free), ``best_so_far`` and ``hypervolume`` (two-objective
        emulators).
    proposal_seconds : ndarray
        Wall time of each proposal (one per batch after the initial design).
    error : str or None
        Why the campaign stopped early (a backend error), if it did.
    """

    seed: int
    experiments: Any
    proposal_seconds: np.ndarray
    error: str | None = None

    @property
    def trace(self) -> np.ndarray:
        """Best so far after each experiment."""
        return self.experiments["best_so_far"].to_numpy(dtype=float)


@dataclass
class SimulationResult:
    """All campaigns of one strategy on one emulator.

    Attributes
    ----------
    emulator : str
    strategy : Strategy
    budget : int
    target : Target
    direction : str
    runs : list of Run
    noise : bool
    reference : tuple or None
        Hypervolume reference point (two-objective emulators).
    """

    emulator: str
    strategy: Strategy
    budget: int
    target: Target
    direction: str
    runs: list
    noise: bool = False
    reference: tuple | None = None

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    def traces(self) -> np.ndarray:
        """(seeds, budget) best so far; NaN-padded when a run stopped early."""
        out = np.full((len(self.runs), self.budget), np.nan)
        for i, r in enumerate(self.runs):
            t = r.trace[: self.budget]
            out[i, : len(t)] = t
            if len(t) < self.budget and len(t):
                out[i, len(t):] = t[-1]  # an early stop keeps its best (it finds nothing more)
        return out

    def regrets(self) -> np.ndarray:
        """(seeds, budget) gap to the optimum, ``|optimum - best so far|`` (+inf before
        the first valid experiment)."""
        t = self.traces()
        gap = _sign(self.direction) * (self.target.optimum - t)
        return np.where(np.isnan(gap), np.inf, np.maximum(gap, 0.0))

    def experiments_to_target(self, target: float | None = None) -> np.ndarray:
        """Per seed, experiments needed to reach ``target`` (default the result's target);
        NaN when not reached within the budget."""
        value = self.target.value if target is None else float(target)
        return np.array([experiments_to_target(r.trace[: self.budget], value,
                                               direction=self.direction) for r in self.runs])

    def hypervolumes(self) -> np.ndarray | None:
        """(seeds, budget) hypervolume after each experiment, or None."""
        if self.reference is None:
            return None
        out = np.full((len(self.runs), self.budget), np.nan)
        for i, r in enumerate(self.runs):
            h = r.experiments["hypervolume"].to_numpy(dtype=float)[: self.budget]
            out[i, : len(h)] = h
            if len(h) < self.budget and len(h):
                out[i, len(h):] = h[-1]
        return out

    def proposal_seconds(self) -> np.ndarray:
        """Every proposal's wall time, all seeds."""
        parts = [np.asarray(r.proposal_seconds, dtype=float) for r in self.runs]
        return np.concatenate(parts) if parts else np.zeros(0)

    def summary(self) -> dict:
        """Medians and IQRs: experiments to target, final gap, hypervolume, time."""
        ett = self.experiments_to_target()
        q = censored_quantiles(ett)
        reg = self.regrets()[:, -1] if self.runs else np.array([])
        secs = self.proposal_seconds()
        out = {
            "emulator": self.emulator, "strategy": self.strategy.name,
            "seeds": len(self.runs), "budget": self.budget,
            "batch_size": self.strategy.batch_size,
            "to_target_q1": q[0], "to_target_median": q[1], "to_target_q3": q[2],
            "reached": float(np.mean(np.isfinite(ett))) if len(ett) else math.nan,
            "final_gap_median": float(np.median(reg)) if len(reg) else math.nan,
            "final_gap_q1": float(np.quantile(reg, 0.25)) if len(reg) else math.nan,
            "final_gap_q3": float(np.quantile(reg, 0.75)) if len(reg) else math.nan,
            "seconds_per_proposal_median": float(np.median(secs)) if len(secs) else math.nan,
            "errors": sum(r.error is not None for r in self.runs),
        }
        hv = self.hypervolumes()
        if hv is not None and len(hv):
            out["hypervolume_median"] = float(np.median(hv[:, -1]))
            out["hypervolume_q1"] = float(np.quantile(hv[:, -1], 0.25))
            out["hypervolume_q3"] = float(np.quantile(hv[:, -1], 0.75))
        return out

    def to_frame(self):
        """Every experiment of every seed in one table (``seed`` column first)."""
        import pandas as pd

        parts = []
        for r in self.runs:
            df = r.experiments.copy()
            df.insert(0, "seed", r.seed)
            parts.append(df)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ------------------------------------------------------------------------------------------
# One campaign
# ------------------------------------------------------------------------------------------


def _limit_threads():
    """Single-threaded BLAS/OpenMP (and torch when loaded) for the duration of a block."""
    if "torch" in sys.modules:
        try:
            sys.modules["torch"].set_num_threads(1)
        except Exception:  # pragma: no cover - torch without threading controls
            pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1)


def campaign_space(emulator, objectives: str = "primary"):
    """The :class:`~ionopt.optimizer.space.SearchSpace` every strategy is given.

    Parameters
    ----------
    emulator : Emulator
    objectives : {"primary", "all"}
        ``"primary"``: optimize the first objective only; later objectives with a
        threshold become pure outcome constraints (weight 0), those without are dropped --
        the strategies then pursue exactly what :meth:`Emulator.optimum` and the targets
        measure. ``"all"``: the emulator's objectives as they are (multi-objective).
    """
    from ionopt.optimizer.space import SearchSpace

    spec = emulator.space_dict()
    if objectives == "primary":
        objs = [dict(o) for o in spec["objectives"]]
        kept = [objs[0]]
        for o in objs[1:]:
            if o.get("threshold") is not None:
                kept.append({**o, "weight": 0.0})
        spec["objectives"] = kept
    elif objectives != "all":
        raise SpaceError(f"objectives: expected 'primary' or 'all', got {objectives!r}")
    return SearchSpace.from_dict(spec)


def _resolve_emulator(emulator):
    if isinstance(emulator, str):
        from ionopt.datasets.emulators import get_emulator

        return get_emulator(emulator)
    return emulator


def _measure(emulator, rows, *, noise: bool, rng_seed: int):
    """Emulator values (noise-free and as measured) for parameter ``rows``."""
    truth = emulator.evaluate(rows)
    seen = emulator.evaluate(rows, noise=True, rng=rng_seed) if noise else truth
    return truth, seen


def _initial_design(emulator, space, n: int, seed: int, pool):
    if pool is not None:
        if n > len(pool):
            raise DataError(f"n_initial: {n} exceeds the pool's {len(pool)} rows")
        rng = np.random.default_rng(_derived_seed(seed, _DESIGN_STREAM))
        take = np.sort(rng.choice(len(pool), size=n, replace=False))
        return pool.iloc[take]
    return space.sample(n, seed=_derived_seed(seed, _DESIGN_STREAM), method="sobol")


def run_campaign(emulator, strategy: Strategy, *, budget: int, seed: int,
                 noise: bool = False, objectives: str = "primary"):
    """One simulated campaign (see the module docstring); returns a :class:`Run`.

    Parameters
    ----------
    emulator : Emulator or str
    strategy : Strategy
    budget : int
        Total experiments, the initial design included.
    seed : int
        Campaign seed (initial design, proposals, noise).
    noise : bool
        Strategies see noisy measurements (scores stay noise-free).
    objectives : {"primary", "all"}
        See :func:`campaign_space`.
    """
    import pandas as pd

    from ionopt.optimizer.sampling import nearest_feasible

    emulator = _resolve_emulator(emulator)
    space = campaign_space(emulator, objectives)
    budget = int(budget)
    n_init = strategy.initial_size(space)
    if budget < n_init:
        raise SpaceError(f"budget: {budget} is smaller than the initial design ({n_init})")
    pool = emulator.candidates() if hasattr(emulator, "candidates") else None
    names = space.names
    obj_targets = [o.target for o in space.objectives]
    primary = primary_objective(emulator)
    reference = reference_point(emulator)
    engine = None
    if strategy.backend not in PSEUDO_BACKENDS:
        from ionopt.optimizer.backends import get_backend

        engine = get_backend(strategy.backend, n_initial=n_init, **strategy.options)

    used = np.zeros(len(pool), dtype=bool) if pool is not None else None
    sobol_rows = None
    if strategy.backend == "sobol":
        sobol_rows = space.sample(budget, seed=_derived_seed(seed, _PEER_STREAM),
                                  method="sobol")
    sobol_next = 0

    records: list = []
    times: list[float] = []
    error = None
    data = pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    batch_no = 0
    while sum(len(r) for r in records) < budget:
        done = sum(len(r) for r in records)
        if done == 0:
            rows = _initial_design(emulator, space, n_init, seed, pool)
        else:
            n = min(strategy.batch_size, budget - done)
            step_seed = _derived_seed(seed, _PROPOSAL_STREAM, batch_no)
            start = time.perf_counter()
            try:
                with warnings.catch_warnings(), _limit_threads():
                    warnings.simplefilter("ignore")
                    rows = _propose(strategy, engine, space, data, n, step_seed, pool, used,
                                    sobol_rows, sobol_next, seed)
            except Exception as err:  # a backend bug must not kill the whole suite
                error = f"{type(err).__name__}: {err}".splitlines()[0]
                break
            times.append(time.perf_counter() - start)
            if strategy.backend == "sobol":
                sobol_next += n
        if pool is not None:
            ids = rows.index.to_numpy(dtype=int)
            if used[ids].any() or len(set(ids.tolist())) != len(ids):
                error = "the strategy chose a pool row twice"
                break
            used[ids] = True
            rows = pool.loc[ids]
            params = rows[names].reset_index(drop=True)
            cand_ids = rows["candidate_id"].to_numpy(dtype=int)
        else:
            params = rows[names].reset_index(drop=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params = nearest_feasible(space, params)[names]
            cand_ids = None
        measure_rows = params.copy()
        if cand_ids is not None:
            measure_rows["candidate_id"] = cand_ids
        truth, seen = _measure(emulator, measure_rows, noise=noise,
                               rng_seed=_derived_seed(seed, _NOISE_STREAM, batch_no))
        block = params.copy()
        if cand_ids is not None:
            block.insert(0, "candidate_id", cand_ids)
        for t in obj_targets:
            block[t] = seen[t].to_numpy(dtype=float)
        block["failed"] = seen["failed"].to_numpy(dtype=bool)
        for o in emulator.objectives:
            block[f"{o['target']}_true"] = truth[o["target"]].to_numpy(dtype=float)
        block["valid"] = _valid_mask(emulator, truth)
        block["objective"] = _transformed(truth[primary["target"]], primary.get("transform"))
        block.insert(0, "batch", batch_no)
        records.append(block)
        new = block[names + obj_targets + ["failed"]]
        data = new if data.empty else pd.concat([data, new], ignore_index=True)
        batch_no += 1

    table = pd.concat(records, ignore_index=True) if records else pd.DataFrame()
    if len(table):
        table.insert(0, "experiment", np.arange(1, len(table) + 1))
        table["best_so_far"] = best_so_far(table["objective"], table["valid"],
                                           direction=primary["direction"])
        if reference is not None:
            pts = []
            for o in emulator.objectives:
                v = _sign(o["direction"]) * _transformed(table[f"{o['target']}_true"],
                                                         o.get("transform"))
                pts.append(np.where(table["valid"], v, np.nan))
            table["hypervolume"] = hypervolume_trace(np.column_stack(pts), reference)
    return Run(int(seed), table, np.asarray(times, dtype=float), error)


def _propose(strategy, engine, space, data, n, step_seed, pool, used, sobol_rows,
             sobol_next, seed):
    """The next ``n`` rows of a strategy (pool rows keep the pool's index)."""
    if strategy.backend == "random":
        if pool is not None:
            free = np.flatnonzero(~used)
            rng = np.random.default_rng(step_seed)
            return pool.iloc[rng.choice(free, size=n, replace=False)]
        return space.sample(n, seed=step_seed, method="random")
    if strategy.backend == "sobol":
        rows = sobol_rows.iloc[sobol_next: sobol_next + n]
        if pool is not None:
            from ionopt.optimizer.backends.base import nearest_unused_rows

            return nearest_unused_rows(space, pool, rows, used)
        return rows
    if pool is not None:
        avail = pool.loc[~used]
        return engine.ask_pool(space, data, avail, n, seed=step_seed)
    return engine.ask(space, data, n, seed=step_seed)


# ------------------------------------------------------------------------------------------
# Many seeds
# ------------------------------------------------------------------------------------------


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise SpaceError(f"seeds: expected at least 1, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise SpaceError("seeds: expected at least one seed")
    return out


def _worker(emulator, strategy, budget, seed, noise, objectives):
    """Top-level (picklable) task for joblib."""
    return run_campaign(emulator, strategy, budget=budget, seed=seed, noise=noise,
                        objectives=objectives)


def run_tasks(tasks: Sequence[tuple], *, n_jobs: int = 2,
              progress: Callable[[int, int], None] | None = None,
              on_result: Callable[[int, Any], None] | None = None) -> list:
    """Run ``run_campaign`` argument tuples ``(emulator, strategy, budget, seed, noise,
    objectives)`` in parallel (joblib, loky processes); results in task order.

    Parameters
    ----------
    tasks : sequence of tuple
    n_jobs : int
        Worker processes (at most the number of cores); 1 runs in this process.
    progress : callable, optional
        ``progress(done, total)``, called in this process as tasks finish.
    on_result : callable, optional
        ``on_result(index, run)`` as each task finishes (e.g. to cache it).
    """
    tasks = list(tasks)
    total = len(tasks)
    n_jobs = max(1, min(int(n_jobs), os.cpu_count() or 1, total or 1))
    results: list = [None] * total
    if progress is not None:
        progress(0, total)
    if n_jobs == 1:
        for i, t in enumerate(tasks):
            results[i] = _worker(*t)
            if on_result is not None:
                on_result(i, results[i])
            if progress is not None:
                progress(i + 1, total)
        return results
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    done = 0
    for i, res in par(delayed(_indexed)(i, *t) for i, t in enumerate(tasks)):
        results[i] = res
        done += 1
        if on_result is not None:
            on_result(i, res)
        if progress is not None:
            progress(done, total)
    return results


def _indexed(i, *args):
    return i, _worker(*args)


def simulate(emulator, strategy: Strategy, *, budget: int, seeds=20, noise: bool = False,
             n_jobs: int = 2, progress: Callable[[int, int], None] | None = None,
             target: str | float = "auto", objectives: str = "primary") -> SimulationResult:
    """Run ``strategy`` against ``emulator`` for several seeds.

    Parameters
    ----------
    emulator : Emulator or str
        An emulator or its registry name (:func:`ionopt.datasets.emulators.get_emulator`).
    strategy : Strategy
        Backend, batch size, initial design size, options.
    budget : int
        Total experiments per campaign (initial design included).
    seeds : int or iterable of int
        Number of seeds (0..n-1) or the seeds themselves.
    noise : bool
        Strategies see the emulator's measurement noise (scores stay noise-free).
    n_jobs : int
        Parallel processes over seeds (joblib/loky; each single-threaded BLAS). 1 runs in
        this process.
    progress : callable, optional
        ``progress(done, total)`` after each finished campaign (e.g. a tqdm bar's update).
    target : {"auto", "sigma_2pct", "regret_2pct"} or float
        What "reached" means (:func:`target_for`).
    objectives : {"primary", "all"}
        What the strategies optimize (:func:`campaign_space`).

    Returns
    -------
    SimulationResult
    """
    emulator = _resolve_emulator(emulator)
    strategy.check()
    seed_list = _seed_list(seeds)
    tasks = [(emulator, strategy, int(budget), s, bool(noise), objectives) for s in seed_list]
    runs = run_tasks(tasks, n_jobs=n_jobs, progress=progress)
    return SimulationResult(
        emulator=emulator.name, strategy=strategy, budget=int(budget),
        target=target_for(emulator, target), direction=primary_objective(emulator)["direction"],
        runs=runs, noise=bool(noise), reference=reference_point(emulator))


__all__ = ["MEDIAN_SAMPLES", "PSEUDO_BACKENDS", "REFERENCE_POINTS", "Run",
           "SimulationResult", "Strategy", "Target", "best_so_far", "campaign_space",
           "censored_quantiles", "experiments_to_target", "hypervolume_2d",
           "hypervolume_trace", "primary_objective", "reference_point", "run_campaign",
           "run_tasks", "simulate", "space_median", "target_for"]
