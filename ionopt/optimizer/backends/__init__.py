"""Optimizer backends behind one interface, imported lazily by name.

=============  ==========================================================  ==============
name           what                                                        needs
=============  ==========================================================  ==============
native         ionopt's own BO on the surrogates (EI/UCB x feasibility)    --
optuna-tpe     Optuna's TPESampler, ask/tell over the campaign's trials    optuna
optuna-gp      Optuna's GPSampler                                          optuna, torch
skopt          scikit-optimize ``Optimizer`` with a GP, ask/tell           scikit-optimize
=============  ==========================================================  ==============

Every backend implements :class:`~ionopt.optimizer.backends.base.Backend`; see that module
for the contract and shared helpers (distinctness, repair, pool snapping).
"""

from __future__ import annotations

import importlib

from ionopt.errors import SpaceError
from ionopt.optimizer.backends.base import Backend

#: backend name -> "module:Class", imported on first use.
BACKENDS: dict[str, str] = {
    "native": "ionopt.optimizer.native:NativeBackend",
    "optuna-tpe": "ionopt.optimizer.backends.optuna_backend:OptunaTPEBackend",
    "optuna-gp": "ionopt.optimizer.backends.optuna_backend:OptunaGPBackend",
    "skopt": "ionopt.optimizer.backends.skopt_backend:SkoptBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The backend class registered as ``name`` (imports its module).

    Raises
    ------
    SpaceError
        For an unknown name (the message lists the valid ones) or a backend whose optional
        dependency is missing (the message says what to install).
    """
    if not isinstance(name, str) or name not in BACKENDS:
        raise SpaceError(f"backend: unknown backend {name!r}; expected one of "
                         f"{', '.join(BACKENDS)}")
    module_name, _, attribute = BACKENDS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        missing = getattr(err, "name", None) or str(err)
        raise SpaceError(f"backend {name!r} is not available: cannot import {missing} "
                         "(install the optional extra, e.g. pip install 'ionopt[gp]' for "
                         "optuna-gp)") from err
    return getattr(module, attribute)


def get_backend(name: str = "native", **options) -> Backend:
    """An instance of the backend called ``name`` configured with ``options``."""
    return backend_class(name)(**options)


def available_backends() -> list[str]:
    """Names whose module imports in this environment."""
    out = []
    for name in BACKENDS:
        try:
            backend_class(name)
        except SpaceError:
            continue
        out.append(name)
    return out


__all__ = ["BACKENDS", "Backend", "available_backends", "backend_class", "get_backend"]
