"""ionopt: formulation optimization for solid-state battery electrolytes.

Raw instrument files -> :mod:`ionopt.analysis` -> targets table -> :mod:`ionopt.surrogates`
-> :mod:`ionopt.optimizer` -> proposals in grams, with :mod:`ionopt.campaign` keeping every
step. Heavy libraries are imported lazily so ``import ionopt`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from ionopt._version import __version__
from ionopt.errors import IonoptError

# Public names re-exported lazily: name -> module that defines it.
_LAZY = {
    "Recipe": "ionopt.recipes",
    "load_seed_dataset": "ionopt.datasets",
    "example_files": "ionopt.datasets",
    "fit_surrogates": "ionopt.surrogates",
    "load_surrogates": "ionopt.surrogates",
    "FeatureSpec": "ionopt.surrogates",
    "Surrogates": "ionopt.surrogates",
    "SearchSpace": "ionopt.optimizer",
    "propose": "ionopt.optimizer",
    "score": "ionopt.optimizer",
    "Campaign": "ionopt.campaign",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ionopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["IonoptError", "__version__", *_LAZY]
