"""Surrogate models: fit, validate and persist composition–property models with calibrated
uncertainty.

>>> from ionopt.surrogates import fit_surrogates
>>> sur = fit_surrogates(table, targets=["conductivity_s_cm"])   # doctest: +SKIP
>>> sur.report                                                   # doctest: +SKIP
>>> sur.predict(candidates)                                      # doctest: +SKIP

See :func:`fit_surrogates` for the inputs, :class:`Surrogates` and :class:`TargetModel`
for predictions, :mod:`ionopt.surrogates.models` for the models and their priors,
:mod:`ionopt.surrogates.priors` for the measurement-noise priors of known targets.
"""

from ionopt.surrogates.boosting import QuantileBoosting
from ionopt.surrogates.calibration import Recalibrated
from ionopt.surrogates.features import FeatureSpec, default_feature_columns
from ionopt.surrogates.fit import Surrogates, TargetModel, fit_surrogates
from ionopt.surrogates.models import (
    AUTO_CANDIDATES, MODELS, BayesLinear, CalibratedForest, MaternGP,
)
from ionopt.surrogates.persistence import load_surrogates, read_manifest
from ionopt.surrogates.priors import NOISE_LEVELS, PRIOR_MEANS, NoiseLevel
from ionopt.surrogates.transforms import Identity, Log10, Logit, Transform, get_transform
from ionopt.surrogates.validation import ValidationReport

__all__ = [
    "AUTO_CANDIDATES", "BayesLinear", "CalibratedForest", "FeatureSpec", "Identity", "Log10",
    "Logit", "MODELS", "MaternGP", "NOISE_LEVELS", "NoiseLevel", "PRIOR_MEANS",
    "QuantileBoosting",
    "Recalibrated", "Surrogates", "TargetModel", "Transform",
    "ValidationReport", "default_feature_columns", "fit_surrogates", "get_transform",
    "load_surrogates", "read_manifest",
]
