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

Search-space mapping (shared with the skopt backend)
----------------------------------------------------
The sampler's variables come from :class:`~ionopt.optimizer.backends._peer.FreeSpace`;
Optuna sees them as follows.

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

from ionopt.errors import SpaceError
from ionopt.optimizer.backends._peer import (DEFAULT_REPAIR_RADIUS, FreeSpace, Observations,
                                             PeerBackend, screen)
from ionopt.optimizer.backends.base import DEFAULT_TOLERANCE, known_rows, usable_data

GP_EXTRA_MESSAGE = "backend optuna-gp needs torch: pip install 'ionopt[gp]'"


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


class OptunaBackend(PeerBackend):
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
        BLAS/OpenMP threads during an ask (default 1, see
        :func:`~ionopt.optimizer.backends._peer.limit_threads`); None leaves the process's
        setting alone.
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

    # ---- the PeerBackend hook (PeerBackend.ask calls it) ----------------------------------
    def _propose(self, space, data, n, pending, seed, empty):
        import pandas as pd

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
        return accepted


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


__all__ = ["OptunaBackend", "OptunaGPBackend", "OptunaTPEBackend"]