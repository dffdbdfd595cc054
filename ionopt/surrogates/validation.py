"""Cross-validation of surrogates and the validation report.

Scheme (:func:`cv_splits`): leave-one-out when n < 30, 5-fold repeated twice otherwise,
or group k-fold when groups are given (e.g. the source paper, so no study leaks into its
own test). Every held-out prediction is the predictive distribution of a new measurement
(latent + noise), which is what a measured value should fall into.

Metrics per target and model: RMSE, MAE, R² and NLPD in the modelled space, RMSE and MAE
in the target's units (back-transformed median), and the empirical coverage of the
central 68 % and 95 % intervals.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import stats

from ionopt.errors import ModelError

Z68 = float(stats.norm.ppf(0.84))
Z95 = float(stats.norm.ppf(0.975))

#: Columns of the report, in order.
REPORT_COLUMNS = (
    "target", "model", "selected", "n", "cv", "transform", "rmse", "mae", "r2", "nlpd",
    "coverage_68", "coverage_95", "rmse_units", "mae_units", "noise_std",
    "replicate_sd",
)


def cv_splits(n: int, *, groups=None, cv=None, seed: int | None = 0):
    """Train/test index pairs and the scheme's name.

    Parameters
    ----------
    n : int
        Number of rows.
    groups : array-like or None
        Group labels: group k-fold (k = min(5, number of groups)).
    cv : None, "loo" or int
        ``None``: leave-one-out when n < 30, else 5-fold repeated twice; ``"loo"``;
        or an int k for k-fold (repeated twice).
    """
    from sklearn.model_selection import GroupKFold, LeaveOneOut, RepeatedKFold

    if n < 2:
        return [], "none (n < 2)"
    if groups is not None:
        groups = np.asarray(groups)
        n_groups = len(pd.unique(groups))
        if n_groups < 2:
            raise ModelError("groups: cross-validation by group needs at least 2 groups")
        k = min(5, n_groups)
        splits = list(GroupKFold(n_splits=k).split(np.zeros(n), groups=groups))
        return splits, f"group {k}-fold"
    if cv == "loo" or (cv is None and n < 30):
        return list(LeaveOneOut().split(np.zeros(n))), "leave-one-out"
    k = 5 if cv is None else int(cv)
    if not 2 <= k <= n:
        raise ModelError(f"cv: expected 'loo' or a number of folds in 2..{n}, got {cv!r}")
    rkf = RepeatedKFold(n_splits=k, n_repeats=2, random_state=seed)
    return list(rkf.split(np.zeros(n))), f"{k}-fold x2"


def cross_validate(make: Callable[[], Any], X: np.ndarray, z: np.ndarray, *, groups=None,
                   cv=None, seed: int | None = 0) -> tuple[pd.DataFrame, str]:
    """Held-out predictions of a model (modelled space).

    Returns
    -------
    predictions : DataFrame
        One row per held-out prediction: ``row`` (position in X), ``fold``, ``y``,
        ``mean``, ``std`` (predictive: latent and noise), ``std_latent``.
    scheme : str
    """
    from ionopt.surrogates.calibration import fit_with_groups

    splits, scheme = cv_splits(len(z), groups=groups, cv=cv, seed=seed)
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small folds trigger fallback warnings by design
        for fold, (train, test) in enumerate(splits):
            # A model that calibrates itself by group sees its training fold's groups.
            est = fit_with_groups(make(), X[train], z[train],
                                  None if groups is None else np.asarray(groups)[train])
            mean, std_lat = est.predict_latent(X[test])
            std = np.sqrt(std_lat ** 2 + est.noise_std_ ** 2)
            parts.append(pd.DataFrame({"row": test, "fold": fold, "y": z[test],
                                       "mean": mean, "std": std, "std_latent": std_lat}))
    if not parts:
        return pd.DataFrame(columns=["row", "fold", "y", "mean", "std", "std_latent"]), scheme
    return pd.concat(parts, ignore_index=True), scheme


def metrics(pred: pd.DataFrame, transform=None) -> dict[str, float]:
    """Point and probabilistic metrics of held-out predictions (see module doc)."""
    if len(pred) == 0:
        return {k: math.nan for k in ("rmse", "mae", "r2", "nlpd", "coverage_68",
                                      "coverage_95", "rmse_units", "mae_units")}
    y, m = pred["y"].to_numpy(float), pred["mean"].to_numpy(float)
    s = np.maximum(pred["std"].to_numpy(float), 1e-300)
    err = y - m
    sst = float(np.sum((y - y.mean()) ** 2))
    out = {
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1.0 - np.sum(err ** 2) / sst) if sst > 0 else math.nan,
        "nlpd": float(np.mean(0.5 * np.log(2 * np.pi * s ** 2) + 0.5 * (err / s) ** 2)),
        "coverage_68": float(np.mean(np.abs(err) <= Z68 * s)),
        "coverage_95": float(np.mean(np.abs(err) <= Z95 * s)),
    }
    if transform is not None:
        yu, mu = transform.inverse(y), transform.inverse(m)
        out["rmse_units"] = float(np.sqrt(np.mean((yu - mu) ** 2)))
        out["mae_units"] = float(np.mean(np.abs(yu - mu)))
    else:
        out["rmse_units"], out["mae_units"] = out["rmse"], out["mae"]
    return out


def replicate_sd(X: np.ndarray, z: np.ndarray) -> float:
    """Pooled within-replicate standard deviation (rows with identical features), or NaN
    when no recipe was measured twice."""
    if len(z) < 2:
        return math.nan
    _, key = np.unique(np.round(np.asarray(X, dtype=float), 12), axis=0, return_inverse=True)
    key = key.ravel()
    counts = np.bincount(key)
    if (counts > 1).sum() == 0:
        return math.nan
    means = np.bincount(key, weights=z) / counts
    ss = float(np.sum((z - means[key]) ** 2))
    dof = int(np.sum(counts - 1))
    return float(math.sqrt(ss / dof)) if dof else math.nan


class ValidationReport(pd.DataFrame):
    """The validation report: a DataFrame with one row per (target, model), read aloud.

    Columns: see :data:`REPORT_COLUMNS`. ``rmse``, ``mae``, ``nlpd`` and ``noise_std`` are
    in the modelled space (log10 units for conductivity); ``*_units`` in the target's own
    units; ``coverage_*`` is the fraction of held-out measurements inside the central
    68 % / 95 % predictive interval (ideal: 0.68 / 0.95).
    """

    @property
    def _constructor(self):
        return ValidationReport

    def _formatted(self) -> pd.DataFrame:
        df = pd.DataFrame(self).copy()
        for col in df.columns:
            if pd.api.types.is_float_dtype(df[col]):
                df[col] = df[col].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
        return df

    def __repr__(self) -> str:
        if len(self) == 0 or "target" not in self.columns:
            return pd.DataFrame.__repr__(self)
        head = ("Surrogate validation (held-out predictions; rmse/mae/nlpd in the modelled "
                "space, *_units in the target's units)")
        return head + "\n" + self._formatted().to_string(index=False)

    def _repr_html_(self) -> str:
        if len(self) == 0 or "target" not in self.columns:
            return pd.DataFrame._repr_html_(self)
        return ("<p><b>Surrogate validation</b> — held-out predictions; rmse/mae/nlpd in "
                "the modelled space, <code>*_units</code> in the target's units; coverage "
                "ideal 0.68 / 0.95.</p>" + self._formatted().to_html(index=False))


__all__ = ["REPORT_COLUMNS", "ValidationReport", "cross_validate", "cv_splits", "metrics",
           "replicate_sd"]
