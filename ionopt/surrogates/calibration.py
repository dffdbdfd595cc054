"""Recalibrated uncertainty: widen (or narrow) a model's predictive sd by what
cross-validation says it gets wrong.

A model's own uncertainty only knows the variation it has seen. Data pooled from many
studies (a literature database, several labs, several batches of precursor) differ
*between* studies by more than any study's own scatter, and a model that is confident
within studies is overconfident for a new one: on the polymer-electrolyte database,
grouped by paper, a GP's 95 % interval held 69 % of the measurements of an unseen paper.

:class:`Recalibrated` wraps any surrogate model. At ``fit`` it cross-validates the model
on the training data -- by group (``groups``, e.g. the paper's doi) when given, so each
held-out residual is one of a study the model did not see -- and sets one factor ``f``
so that the central ``coverage`` interval of the held-out predictions, ``f`` times wider,
holds that share of them: ``f = quantile(|y - mean| / sd, coverage) / z``, ``z`` the
normal quantile (1.96 for 95 %); with groups, every study weighs the same in that
quantile. It then fits the model on all rows and multiplies its
latent and noise sds by ``f`` (the predictive sd scales by ``f``; the mean is
untouched). This is cross-validated recalibration in the spirit of Kuleshov, Fenner &
Ermon (2018, arXiv:1807.00263) with one scale factor, and the split-conformal rule of
Vovk et al. applied to standardised residuals (Lei et al. 2018, "Distribution-free
predictive inference for regression", JASA 113:1094); with group folds the held-out
residuals are exchangeable at the level of studies, not rows.

Because the factor is estimated from the training data only, a report that
cross-validates a :class:`Recalibrated` model (``Surrogates.report``) calibrates inside
each training fold again: its coverage figures are honest held-out figures.
"""

from __future__ import annotations

import copy
import inspect
import math

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from ionopt.errors import ModelError
from ionopt.surrogates.models import _check_xy, _UncertainRegressor

#: Held-out residuals needed before a factor is estimated (fewer: factor 1, no change).
MIN_CALIBRATION_ROWS = 20
#: The factor is kept inside these bounds (a guard against a degenerate fold).
FACTOR_BOUNDS = (0.2, 50.0)


def calibration_factor(y, mean, std, coverage: float = 0.95, groups=None) -> float:
    """The sd factor that makes the central ``coverage`` interval of held-out predictions
    hold that share of them (1 when fewer than :data:`MIN_CALIBRATION_ROWS` are finite).

    Parameters
    ----------
    y, mean, std : array-like
        Held-out values, predictive means and predictive sds (same space).
    coverage : float
        The interval the factor is set for.
    groups : array-like, optional
        Study of each held-out row. Each study then weighs the same in the quantile,
        whatever its number of rows: with group folds the exchangeable units are studies,
        and one large paper must not set the width for every new one (on the polymer
        database, row weights gave a GP 86 % coverage of unseen papers, study weights
        95 %; ``benchmarks/results/surrogates.md``).
    """
    z = np.abs(np.asarray(y, float) - np.asarray(mean, float)) / np.maximum(
        np.asarray(std, float), 1e-300)
    ok = np.isfinite(z)
    if ok.sum() < MIN_CALIBRATION_ROWS:
        return 1.0
    z = z[ok]
    if groups is None:
        q = float(np.quantile(z, coverage))
    else:
        labels = pd.Series(np.asarray(groups)[ok])
        w = 1.0 / labels.map(labels.value_counts()).to_numpy(dtype=float)
        order = np.argsort(z)
        cum = np.cumsum(w[order]) / w.sum()
        q = float(z[order][min(np.searchsorted(cum, coverage), len(z) - 1)])
    target = float(stats.norm.ppf(0.5 + coverage / 2.0))
    return float(np.clip(q / target, *FACTOR_BOUNDS))


def held_out_factor(pred, groups=None, coverage: float = 0.95) -> float:
    """:func:`calibration_factor` of the held-out predictions of
    :func:`~ionopt.surrogates.validation.cross_validate` (columns ``row``, ``y``,
    ``mean``, ``std``); ``groups`` are aligned with the cross-validated rows."""
    held_groups = None if groups is None else np.asarray(groups)[pred["row"].to_numpy()]
    return calibration_factor(pred["y"], pred["mean"], pred["std"], coverage,
                              groups=held_groups)


def accepts_groups(estimator) -> bool:
    """True when ``estimator.fit`` takes a ``groups`` argument."""
    try:
        return "groups" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def fit_with_groups(estimator, X, y, groups=None):
    """``estimator.fit(X, y)``, passing ``groups`` to models that calibrate themselves by
    group (:class:`Recalibrated`); returns the fitted estimator."""
    if groups is not None and accepts_groups(estimator):
        return estimator.fit(X, y, groups=groups)
    return estimator.fit(X, y)


class Recalibrated(_UncertainRegressor):
    """A surrogate whose predictive sd is rescaled by cross-validation.

    Parameters
    ----------
    estimator : estimator
        Any ionopt surrogate model (``fit``, ``predict_latent``, ``condition_on``,
        ``noise_std_``); cloned, never modified.
    coverage : float
        Central interval the factor is set for (0.95: the 95 % interval).
    cv : None, "loo" or int
        Cross-validation without groups (see
        :func:`ionopt.surrogates.validation.cv_splits`); with groups: group k-fold.
    random_state : int or None
        Seed of the folds.

    Attributes
    ----------
    factor_ : float
        The sd multiplier (1 when fewer than :data:`MIN_CALIBRATION_ROWS` held-out
        residuals were available).
    estimator_ : estimator
        The model fitted on every row.
    n_calibration_ : int
        Held-out residuals the factor came from.
    """

    def __init__(self, estimator=None, *, coverage: float = 0.95, cv=None,
                 random_state: int | None = 0) -> None:
        self.estimator = estimator
        self.coverage = coverage
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Cross-validate the estimator for the factor, then fit it on every row.

        Parameters
        ----------
        X : ndarray (n, d)
            Encoded features.
        y : ndarray (n,)
            Targets in the modelled space.
        groups : array-like, optional
            Study labels: held-out residuals then come from unseen studies.
        """
        from ionopt.surrogates.validation import cross_validate

        if self.estimator is None or not hasattr(self.estimator, "predict_latent"):
            raise ModelError("Recalibrated: expected a surrogate model with fit and "
                             "predict_latent")
        if not 0.5 < float(self.coverage) < 1.0:
            raise ModelError(f"Recalibrated: coverage: expected a fraction in (0.5, 1), got "
                             f"{self.coverage!r}")
        X, y = _check_xy(X, y)
        if groups is not None and len(groups) != len(y):
            raise ModelError(f"Recalibrated: expected {len(y)} group labels, got "
                             f"{len(groups)}")
        self.factor_, self.n_calibration_ = 1.0, 0
        if len(y) >= MIN_CALIBRATION_ROWS:
            use_groups = groups is not None and len(np.unique(np.asarray(groups))) >= 2
            pred, _ = cross_validate(lambda: clone(self.estimator), X, y,
                                     groups=groups if use_groups else None, cv=self.cv,
                                     seed=self.random_state)
            used = int((np.isfinite(pred["mean"]) & np.isfinite(pred["std"])).sum())
            if used >= MIN_CALIBRATION_ROWS:
                self.factor_ = held_out_factor(pred, groups if use_groups else None,
                                               self.coverage)
                self.n_calibration_ = used
        self.estimator_ = fit_with_groups(clone(self.estimator), X, y, groups)
        self.n_features_in_ = X.shape[1]
        self.noise_std_ = float(self.estimator_.noise_std_) * self.factor_
        return self

    def _predict_block(self, X):
        mean, std = self.estimator_.predict_latent(X)
        return mean, std * self.factor_

    def condition_on(self, X, y, noise: bool = True):
        """The wrapped model conditioned on ``(X, y)``; the factor kept."""
        self._check_fitted()
        new = copy.copy(self)
        new.estimator_ = (self.estimator_.condition_on(X, y) if noise
                          else self.estimator_.condition_on(X, y, noise=False))
        return new

    def __repr__(self) -> str:
        f = getattr(self, "factor_", math.nan)
        return f"Recalibrated({self.estimator!r}, factor={f:.3g})"


__all__ = ["FACTOR_BOUNDS", "MIN_CALIBRATION_ROWS", "Recalibrated", "accepts_groups",
           "calibration_factor", "fit_with_groups", "held_out_factor"]
