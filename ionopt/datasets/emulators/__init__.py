"""Emulators for benchmarking the optimizer (issue #6): virtual labs, test functions, pools.

Every emulator follows one small interface (:class:`Emulator`):

* ``name`` and ``targets`` (columns with units in their names);
* ``space_dict()`` -- parameters, constraints and objectives in the space.yaml form;
* ``evaluate(df, *, noise=False, rng=None)`` -- target columns plus a bool ``failed``;
* ``optimum()`` -- the best value of the primary objective and where it is (cached);
* ``sample(n, rng)`` -- random films from the space (or pool);
* pools only: ``candidates()`` -- the finite set of formulations that may be chosen.

Families
--------
``virtual_lab``, ``virtual_lab_mixture``
    The seed paper's system (Fang et al. 2024), anchored to every number of the seed
    dataset, with documented assumed physics elsewhere (:mod:`.virtual_lab`).
``hartmann6_mixture``, ``branin_mixture``, ``branin_mixture_categorical``
    Standard test functions in mixture form with known optima (:mod:`.synthetic`).
``calisol_lipf6_ec_pc_dec``, ``olympus_p3ht``
    Real measurements of others; choose only from the pool (:mod:`.pools`).

See ``EMULATORS.md`` beside this file for the data card of each emulator.
"""

from __future__ import annotations

from typing import Any, Callable

from ionopt.datasets.emulators._base import Emulator, Optimum
from ionopt.datasets.emulators.pools import (
    CALiSolPool, OlympusP3HTPool, PoolEmulator, default_path, picks_to_top_k,
    rank_of_best_found,
)
from ionopt.datasets.emulators.synthetic import (
    BraninMixture, BraninMixtureCategorical, Hartmann6Mixture, branin, hartmann6,
)
from ionopt.datasets.emulators.virtual_lab import VirtualLab, VirtualLabMixture
from ionopt.errors import DataError


def _calisol(path: Any = None, **kwargs: Any) -> CALiSolPool:
    return CALiSolPool(default_path("calisol23") if path is None else path, **kwargs)


def _olympus(path: Any = None, **kwargs: Any) -> OlympusP3HTPool:
    return OlympusP3HTPool(default_path("olympus_p3ht") if path is None else path, **kwargs)


#: Registry: emulator name -> factory taking keyword arguments.
EMULATORS: dict[str, Callable[..., Emulator]] = {
    "virtual_lab": VirtualLab,
    "virtual_lab_mixture": VirtualLabMixture,
    "hartmann6_mixture": Hartmann6Mixture,
    "branin_mixture": BraninMixture,
    "branin_mixture_categorical": BraninMixtureCategorical,
    "calisol_lipf6_ec_pc_dec": _calisol,
    "olympus_p3ht": _olympus,
}


def get_emulator(name: str, **kwargs: Any) -> Emulator:
    """A fresh emulator by registry name.

    Parameters
    ----------
    name : str
        One of :data:`EMULATORS`.
    **kwargs
        Passed to the emulator's constructor. Pools take ``path``; without it they use
        :func:`default_path` (the shared data beside a checkout -- benchmarks and tests).
    """
    try:
        factory = EMULATORS[name]
    except KeyError:
        raise DataError(f"emulator: unknown name {name!r}; expected one of "
                        f"{', '.join(EMULATORS)}") from None
    return factory(**kwargs)


__all__ = [
    "BraninMixture", "BraninMixtureCategorical", "CALiSolPool", "EMULATORS", "Emulator",
    "Hartmann6Mixture", "OlympusP3HTPool", "Optimum", "PoolEmulator", "VirtualLab",
    "VirtualLabMixture", "branin", "default_path", "get_emulator", "hartmann6",
    "picks_to_top_k", "rank_of_best_found",
]
