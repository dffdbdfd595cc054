"""Will the film form? A classifier on made vs failed experiments.

A recipe that could not be made or measured (the film did not form, cracked, shorted) is
recorded with ``failed = true``. :class:`FeasibilityModel` estimates the probability that
a recipe can be made, and :func:`ionopt.optimizer.propose` multiplies it into the
acquisition, so proposals move away from regions where films fail.

The model is a kernel (Nadaraya-Watson) Beta-Bernoulli classifier in the encoded
feature space (continuous parameters scaled to [0, 1], categoricals one-hot)::

    p(x) = (a + sum_i k(x, x_i) * made_i) / (a + b + sum_i k(x, x_i))

with ``k`` a Gaussian kernel of length scale ``l`` and a Beta prior (a, b) centred on the
overall success rate (Laplace-smoothed). Far from every
experiment ``p`` returns to that overall rate; next to failures it drops towards 0. The
length scale and the prior's weight are chosen by leave-one-out log likelihood on a
small grid. With no failure
recorded the model predicts 1 everywhere (nothing to learn).
"""

from __future__ import annotations

import numpy as np

#: Length scales tried (encoded space, where one parameter's range is 1).
LENGTH_SCALES = (0.05, 0.08, 0.12, 0.18, 0.25, 0.35, 0.5, 0.7, 1.0)
#: Prior pseudo-counts tried (a small weight lets a few clear failures dominate).
PRIOR_WEIGHTS = (0.25, 0.5, 1.0, 2.0)


class FeasibilityModel:
    """Probability that a recipe can be made, learnt from made vs failed rows.

    Parameters
    ----------
    length_scale : float, optional
        Kernel length scale in encoded units; chosen by leave-one-out when None.
    prior_weight : float, optional
        Total pseudo-count of the Beta prior; chosen by leave-one-out with the length
        scale when None.

    Attributes
    ----------
    length_scale_ : float
    base_rate_ : float
        Laplace-smoothed fraction of made recipes.
    trivial_ : bool
        True when no failure was recorded (predicts 1).
    """

    def __init__(self, length_scale: float | None = None,
                 prior_weight: float | None = None) -> None:
        self.length_scale = length_scale
        self.prior_weight = prior_weight

    def fit(self, X: np.ndarray, failed: np.ndarray) -> "FeasibilityModel":
        """Fit on encoded recipes ``X`` (n, d) and a boolean ``failed`` (n,) mask."""
        X = np.asarray(X, dtype=float)
        failed = np.asarray(failed, dtype=bool)
        self.X_ = X
        self.made_ = (~failed).astype(float)
        n = len(failed)
        self.base_rate_ = (self.made_.sum() + 1.0) / (n + 2.0)
        self.trivial_ = not failed.any()
        self.prior_weight_ = self.prior_weight if self.prior_weight is not None else 2.0
        if self.trivial_:
            self.length_scale_ = self.length_scale or 0.2
            return self
        if self.length_scale is not None and self.prior_weight is not None:
            self.length_scale_ = float(self.length_scale)
            return self
        D2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
        best, best_ll = (LENGTH_SCALES[0], self.prior_weight), -np.inf
        weights = PRIOR_WEIGHTS if self.prior_weight is None else (self.prior_weight,)
        for ls in (LENGTH_SCALES if self.length_scale is None else (self.length_scale,)):
            K = np.exp(-0.5 * D2 / ls ** 2)
            np.fill_diagonal(K, 0.0)  # leave one out
            for w in weights:
                p = self._posterior(K, self.made_, w)
                p = np.clip(p, 1e-6, 1 - 1e-6)
                ll = np.sum(self.made_ * np.log(p) + (1 - self.made_) * np.log(1 - p))
                if ll > best_ll + 1e-9:
                    best, best_ll = (ls, w), ll
        self.length_scale_, self.prior_weight_ = best
        return self

    def _posterior(self, K: np.ndarray, made: np.ndarray,
                   weight: float | None = None) -> np.ndarray:
        weight = self.prior_weight_ if weight is None else weight
        a = weight * self.base_rate_
        b = weight * (1.0 - self.base_rate_)
        return (a + K @ made) / (a + b + K.sum(axis=1))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability (m,) that each encoded recipe can be made."""
        X = np.asarray(X, dtype=float)
        if self.trivial_:
            return np.ones(len(X))
        out = np.empty(len(X))
        chunk = max(1, 4_000_000 // max(1, len(self.X_) * max(1, X.shape[1])))
        sq_train = (self.X_ ** 2).sum(axis=1)
        for start in range(0, len(X), chunk):
            Xc = X[start:start + chunk]
            D2 = np.maximum((Xc ** 2).sum(axis=1)[:, None] + sq_train[None, :]
                            - 2.0 * Xc @ self.X_.T, 0.0)
            K = np.exp(-0.5 * D2 / self.length_scale_ ** 2)
            out[start:start + chunk] = self._posterior(K, self.made_)
        return out


__all__ = ["FeasibilityModel", "LENGTH_SCALES", "PRIOR_WEIGHTS"]
