"""Bayesian optimization of film recipes: search spaces, objectives, proposals, scoring.

The two calls the rest of ionopt uses::

    from ionopt.optimizer import SearchSpace, propose, score
    space = SearchSpace.from_yaml("space.yaml")
    proposals = propose(space, data, n=4, seed=0)        # next recipes, in grams
    scored = score(candidates, space, data, seed=0)      # predictions, P(ok), rank

How each backend honours the space (the same behavioural tests run on all of them):

===========  =================================================================
backend      constraints
===========  =================================================================
native       exact: equalities (mixtures) by sampling in their null space, bounds
             and linear inequalities by rejection; outcome thresholds as
             probability of feasibility; failed runs through a made-vs-failed
             classifier multiplied into the acquisition
optuna-tpe   mixtures reparameterized by bounded stick-breaking; inequalities
optuna-gp    filtered (small violations projected); thresholds as Optuna trial
             constraints (see ``backends/optuna_backend.py``)
skopt        stick-breaking; inequalities filtered through skopt's
             ``space_constraint``; thresholds/failures told as the worst value
             (see ``backends/skopt_backend.py``)
===========  =================================================================

Modules: ``space`` (parameters, SearchSpace, YAML), ``constraints``, ``objectives``,
``sampling`` (constrained Sobol/LHS), ``acquisition`` (EI, UCB, PoF, ParEGO maths),
``feasibility`` (made-vs-failed classifier), ``context`` (fitted state), ``candidates``
(array-level candidate handling), ``native`` (the native backend), ``backends``
(registry and contract), ``proposals`` (``propose``, grams), ``scoring`` (``score``).
Everything is imported lazily so ``import ionopt.optimizer`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SearchSpace": "ionopt.optimizer.space",
    "Continuous": "ionopt.optimizer.space",
    "Discrete": "ionopt.optimizer.space",
    "Categorical": "ionopt.optimizer.space",
    "Fixed": "ionopt.optimizer.space",
    "OptimizerWarning": "ionopt.optimizer.space",
    "example_space": "ionopt.optimizer.space",
    "example_space_path": "ionopt.optimizer.space",
    "LinearEquality": "ionopt.optimizer.constraints",
    "LinearInequality": "ionopt.optimizer.constraints",
    "Objective": "ionopt.optimizer.objectives",
    "Objectives": "ionopt.optimizer.objectives",
    "Backend": "ionopt.optimizer.backends",
    "BACKENDS": "ionopt.optimizer.backends",
    "get_backend": "ionopt.optimizer.backends",
    "available_backends": "ionopt.optimizer.backends",
    "NativeBackend": "ionopt.optimizer.native",
    "FeasibilityModel": "ionopt.optimizer.feasibility",
    "propose": "ionopt.optimizer.proposals",
    "score": "ionopt.optimizer.scoring",
    "Strategy": "ionopt.optimizer.simulate",
    "simulate": "ionopt.optimizer.simulate",
    "SimulationResult": "ionopt.optimizer.simulate",
    "run_suite": "ionopt.optimizer.simulate_suite",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ionopt.optimizer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
