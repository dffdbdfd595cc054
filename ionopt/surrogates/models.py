"""Regression models with uncertainty, on encoded features (floats, inputs in [0, 1]).

Every model follows the scikit-learn API (parameters in ``__init__``, ``fit`` returns
``self``, fitted state ends in ``_``) plus three methods the surrogates rely on:

``predict_latent(X) -> (mean, std)``
    the noise-free function and its standard deviation, in the modelled space;
``predict(X, return_std=True) -> (mean, std)``
    the predictive distribution of a new *measurement* (latent + observation noise);
``condition_on(X, y, noise=True) -> model``
    a copy that has also seen ``(X, y)``, hyper-parameters unchanged (for fantasies;
    ``noise=False``: ``y`` are values of the noise-free function, exact for the GP);
and the attribute ``noise_std_`` (observation noise sd, modelled space).

Models
------
:class:`MaternGP`
    Exact Gaussian process, ARD Matern 5/2 + white noise, targets standardised,
    hyper-parameters by maximum a posteriori with weak log-normal priors (or by maximum
    likelihood with ``priors=False``) inside hard bounds. The priors keep it sane on 5–10
    points: length scales cannot collapse below 0.05 of the input range and are pulled
    towards ~0.5·sqrt(g) (g = number of length scales: one per recipe parameter when
    one-hot columns share one), the noise is pulled towards the measurement's known
    replicate scatter (``noise_prior``, modelled units) or, for unknown targets, towards
    2 % of the target variance, and never falls below 0.01 % of it.
:class:`CalibratedForest`
    Random forest or extra-trees with an uncertainty from the spread of its trees,
    calibrated on out-of-bag residuals: ``var = a · var_trees + b``.
:class:`BayesLinear`
    Bayesian ridge regression (optionally on degree-2 features): a well-understood
    probabilistic baseline that extrapolates linearly.
"""

from __future__ import annotations

import copy
import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import linalg, optimize
from sklearn.base import BaseEstimator, RegressorMixin

from ionopt.errors import ModelError

_SQRT5 = math.sqrt(5.0)
_SQRT3 = math.sqrt(3.0)
#: Rows per block when predicting: bounds memory to ~ chunk x n_train x 8 bytes.
CHUNK_ROWS = 32768


def _check_xy(X, y=None):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ModelError(f"expected a 2-D feature matrix, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ModelError("features contain NaN or infinite values")
    if y is None:
        return X
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.shape[0] != X.shape[0]:
        raise ModelError(f"expected as many targets as rows, got {y.shape[0]} and "
                         f"{X.shape[0]}")
    if not np.isfinite(y).all():
        raise ModelError("targets contain NaN or infinite values")
    if X.shape[0] == 0:
        raise ModelError("no rows to fit on")
    return X, y


def _few_blas_threads(n: int):
    """One BLAS thread for small matrices: thread start-up and contention cost far more
    than they save below a few hundred rows (10x slower fits on a busy 2-core machine)."""
    import contextlib

    if n > 400:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _fallback_scale(y: np.ndarray, scale: float | None) -> float:
    if scale is not None and scale > 0:
        return float(scale)
    m = float(np.mean(np.abs(y))) if y.size else 0.0
    return 0.1 * m if m > 0 else 1.0


class _UncertainRegressor(RegressorMixin, BaseEstimator):
    """Shared predict / chunking logic."""

    #: Rows predicted per block (bounds the memory of 1e6-row predictions).
    _chunk_rows = CHUNK_ROWS

    def predict(self, X, return_std: bool = False):
        """Predictive mean (and sd of a new measurement: latent and noise) in the
        modelled space."""
        mean, std = self.predict_latent(X)
        if not return_std:
            return mean
        return mean, np.sqrt(std ** 2 + self.noise_std_ ** 2)

    def predict_latent(self, X):
        """Mean and sd of the noise-free function, modelled space, in row chunks."""
        X = _check_xy(X)
        self._check_fitted()
        if X.shape[1] != self.n_features_in_:
            raise ModelError(f"expected {self.n_features_in_} encoded features, got "
                             f"{X.shape[1]}")
        n = X.shape[0]
        mean = np.empty(n)
        std = np.empty(n)
        step = self._chunk_rows
        for start in range(0, n, step):
            sl = slice(start, min(start + step, n))
            mean[sl], std[sl] = self._predict_block(X[sl])
        return mean, std

    def _check_fitted(self):
        if not hasattr(self, "n_features_in_"):
            raise ModelError(f"{type(self).__name__} is not fitted yet; call fit first")


# ======================================================================================
# Gaussian process
# ======================================================================================


class MaternGP(_UncertainRegressor):
    """Exact GP regression: ARD Matern (5/2 by default) + white noise, MAP
    hyper-parameters.

    Inputs are expected in the unit cube (see :class:`~ionopt.surrogates.FeatureSpec`);
    targets are standardised inside. Hyper-parameters (signal variance ``s2``, one length
    scale per input or per group of inputs, noise variance ``sn2``; the variances in units
    of the standardised target) are fitted by L-BFGS-B in log space with analytic
    gradients, from the prior centre plus ``n_restarts`` starts drawn from the prior.

    On 5–10 points the noise prior decides what a GP does with a peak: centred on 2 % of
    the target variance (the generic default) it lets a one-point peak be explained as
    noise; centred on the replicate scatter of the measurement (``noise_prior``, in the
    modelled units; :func:`~ionopt.surrogates.fit_surrogates` sets it per known target,
    see :mod:`ionopt.surrogates.priors`) it keeps the peak as signal unless the data
    insist otherwise (replicates that disagree still pull the noise up).

    Parameters
    ----------
    length_scale_bounds : (float, float)
        Hard bounds on every length scale, in unit-scaled inputs.
    signal_variance_bounds : (float, float)
        Hard bounds on ``s2`` (standardised target).
    noise_variance_bounds : (float, float)
        Hard bounds on ``sn2`` (standardised target); the lower bound is the noise floor.
    priors : bool
        ``True``: MAP with log-normal priors — log l ~ N(log(0.5 sqrt(g)), 1) with ``g``
        the number of length scales (groups), log s2 ~ N(0, 1), and log sn2 ~
        N(log 0.02, 1.5) or, with ``noise_prior``, N(log((noise_prior / sd_y)^2),
        ``noise_prior_width``). ``False``: maximum likelihood.
    n_restarts : int
        Extra optimiser starts drawn from the prior (or uniformly in log bounds).
    fallback_scale : float or None
        Target spread (modelled space) assumed when the data cannot tell (n < 3 or a
        constant target); ``None``: 10 % of the mean magnitude (1 when the mean is 0).
    max_train_rows : int
        Larger training sets are subsampled (with a warning): an exact GP is O(n^3).
    max_fit_rows : int
        Hyper-parameters are fitted on at most this many rows (random subset).
    init_theta : array-like or None
        Warm start (log hyper-parameters, as ``theta_`` of an earlier fit), tried first.
    random_state : int or None
        Seed for restarts and subsampling.
    noise_prior : float or None
        Expected observation-noise sd in the modelled space (e.g. 0.04 decades for a
        log10 conductivity): centre of the noise prior. ``None``: 2 % of the target
        variance (relative, for targets nothing is known about).
    noise_prior_width : float
        Sd of that prior on log sn2 (1.0: the noise sd within a factor ~2.7 at 95 %).
    length_scale_groups : sequence or None
        One label per encoded column; columns with the same label share one length
        scale (e.g. the one-hot columns of a categorical). ``None``: one per column.
    nu : {2.5, 1.5, 0.5}
        Matern smoothness. 0.5 (exponential kernel) interpolates almost piecewise
        linearly and does not overshoot between points; 2.5 gives smooth peaks the
        optimiser can refine between measured recipes.
    mean : {"data", "min", "max"} or float
        Constant prior mean: the mean of the training targets (default), their minimum
        or maximum (the worst observed value of a maximised / minimised objective, which
        De Ath et al. 2020, arXiv:2004.08349, found a robust choice for Bayesian
        optimisation), or a number in the modelled space. Far from the data predictions
        revert to it.

    Attributes
    ----------
    theta_ : ndarray
        Fitted log hyper-parameters ``[log s2, log l_1..l_g, log sn2]`` (one length scale
        per group; per column without ``length_scale_groups``).
    length_scales_ : ndarray
        One length scale per encoded column (shared within a group).
    groups_ : ndarray
        Length-scale index of each encoded column.
    noise_std_ : float
        Observation noise sd in the modelled (unstandardised) space.
    fallback_ : bool
        True when hyper-parameters were fixed at the prior (too few or constant data).
    """

    def __init__(self, length_scale_bounds=(0.05, 20.0), signal_variance_bounds=(0.05, 20.0),
                 noise_variance_bounds=(1e-4, 1.0), priors=True, n_restarts=2,
                 fallback_scale=None, max_train_rows=4000, max_fit_rows=1000,
                 init_theta=None, random_state=None, noise_prior=None,
                 noise_prior_width=1.0, length_scale_groups=None, nu=2.5, mean="data"):
        self.length_scale_bounds = length_scale_bounds
        self.signal_variance_bounds = signal_variance_bounds
        self.noise_variance_bounds = noise_variance_bounds
        self.priors = priors
        self.noise_prior = noise_prior
        self.noise_prior_width = noise_prior_width
        self.length_scale_groups = length_scale_groups
        self.nu = nu
        self.mean = mean
        self.n_restarts = n_restarts
        self.fallback_scale = fallback_scale
        self.max_train_rows = max_train_rows
        self.max_fit_rows = max_fit_rows
        self.init_theta = init_theta
        self.random_state = random_state

    # ---- priors and bounds -------------------------------------------------------------
    def _groups(self, d):
        """Length-scale index of every encoded column and the number of length scales."""
        if self.length_scale_groups is None:
            return np.arange(d), d
        labels = list(self.length_scale_groups)
        if len(labels) != d:
            raise ModelError(f"length_scale_groups: expected one label per encoded column "
                             f"({d}), got {len(labels)}")
        _, idx = np.unique(np.array([str(v) for v in labels]), return_inverse=True)
        # number the groups in order of first appearance (stable, readable theta_)
        order = {}
        for i in idx:
            order.setdefault(int(i), len(order))
        idx = np.array([order[int(i)] for i in idx], dtype=int)
        return idx, len(order)

    def _prior_mean(self, y):
        """The constant prior mean (modelled space) for training targets ``y``."""
        m = self.mean
        if isinstance(m, str):
            if m == "data":
                return float(np.mean(y))
            if m == "min":
                return float(np.min(y))
            if m == "max":
                return float(np.max(y))
        elif isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m):
            return float(m)
        raise ModelError(f"mean: expected 'data', 'min', 'max' or a number, got {m!r}")

    def _noise_centre(self, y_scale=None):
        """Prior centre and width of log sn2 (standardised target)."""
        if self.noise_prior is None:
            return math.log(0.02), 1.5
        sd = float(self.noise_prior)
        if not (math.isfinite(sd) and sd > 0):
            raise ModelError(f"noise_prior: expected a positive sd in the modelled space, "
                             f"got {self.noise_prior!r}")
        scale = self.y_scale_ if y_scale is None else y_scale
        return 2.0 * math.log(sd / scale), float(self.noise_prior_width)

    def _prior(self, d, y_scale=1.0):
        """Prior centres and sds of the log hyper-parameters for ``d`` encoded columns
        (``y_scale``: target sd, converts a noise prior in modelled units)."""
        _, g = self._groups(d)
        noise_mu, noise_sig = self._noise_centre(y_scale)
        mu = np.concatenate([[0.0], np.full(g, math.log(0.5 * math.sqrt(g))), [noise_mu]])
        sig = np.concatenate([[1.0], np.full(g, 1.0), [noise_sig]])
        return mu, sig

    def _bounds(self, d):
        _, g = self._groups(d)
        lo = np.concatenate([[self.signal_variance_bounds[0]],
                             np.full(g, self.length_scale_bounds[0]),
                             [self.noise_variance_bounds[0]]])
        hi = np.concatenate([[self.signal_variance_bounds[1]],
                             np.full(g, self.length_scale_bounds[1]),
                             [self.noise_variance_bounds[1]]])
        return np.log(lo), np.log(hi)

    # ---- kernel ------------------------------------------------------------------------
    def _matern(self, R2, s2, grad=False):
        """Kernel values from squared scaled distances; with ``grad`` also
        ``G = -2 dK/dR2`` (so that dK/dlog l_k = G * d_k^2 / l_k^2)."""
        nu = getattr(self, "nu", 2.5)
        r = np.sqrt(R2)
        if nu == 2.5:
            e = np.exp(-_SQRT5 * r)
            K = s2 * (1.0 + _SQRT5 * r + (5.0 / 3.0) * R2) * e
            G = s2 * (5.0 / 3.0) * (1.0 + _SQRT5 * r) * e if grad else None
        elif nu == 1.5:
            e = np.exp(-_SQRT3 * r)
            K = s2 * (1.0 + _SQRT3 * r) * e
            G = 3.0 * s2 * e if grad else None
        elif nu == 0.5:
            K = s2 * np.exp(-r)
            if grad:
                with np.errstate(divide="ignore", invalid="ignore"):
                    # d_k^2 / (l_k^2 r) <= r -> 0 for (near-)duplicates, where rounding
                    # of the expanded distances would otherwise be amplified by 1/r
                    G = np.where(r > 1e-6, K / np.maximum(r, 1e-6), 0.0)
            else:
                G = None
        else:
            raise ModelError(f"nu: expected 0.5, 1.5 or 2.5, got {nu!r}")
        return (K, G) if grad else K

    def _neg_log_post(self, u, X, y, prior, groups=None):
        """Negative log posterior (or likelihood) of log hyper-parameters ``u`` and its
        gradient; O(n^2 d) memory-free in d (no n x n x d tensor). ``groups``: length-scale
        index of each column (``None``: one length scale per column)."""
        n = y.shape[0]
        s2, sn2 = math.exp(u[0]), math.exp(u[-1])
        inv_l2 = np.exp(-2.0 * (u[1:-1] if groups is None else u[1:-1][groups]))
        Xs = X * np.sqrt(inv_l2)
        sq = np.einsum("ij,ij->i", Xs, Xs)
        R2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (Xs @ Xs.T), 0.0)
        np.fill_diagonal(R2, 0.0)  # exact zeros, not rounding residue (matters for nu=0.5)
        Km, G = self._matern(R2, s2, grad=True)
        K = Km.copy()
        K[np.diag_indices(n)] += sn2 + 1e-8
        try:
            cf = linalg.cho_factor(K, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return 1e25, np.zeros_like(u)
        alpha = linalg.cho_solve(cf, y, check_finite=False)
        value = 0.5 * y @ alpha + np.log(np.diag(cf[0])).sum() + 0.5 * n * math.log(2 * math.pi)
        Kinv = linalg.cho_solve(cf, np.eye(n), check_finite=False)
        W = np.outer(alpha, alpha) - Kinv
        M = W * G  # symmetric
        # sum_ij M_ij (x_ik - x_jk)^2 = 2 sum_i x_ik^2 (M 1)_i - 2 x_k^T M x_k
        quad = 2.0 * (X ** 2).T @ M.sum(axis=1) - 2.0 * np.einsum("ik,ik->k", X, M @ X)
        grad = np.empty_like(u)
        grad[0] = -0.5 * np.sum(W * Km)
        col = -0.5 * quad * inv_l2
        grad[1:-1] = col if groups is None else np.bincount(groups, weights=col,
                                                            minlength=len(u) - 2)
        grad[-1] = -0.5 * np.trace(W) * sn2
        if prior is not None:
            mu, sig = prior
            z = (u - mu) / sig
            value += 0.5 * float(z @ z)
            grad += z / sig
        return value, grad

    # ---- fit ---------------------------------------------------------------------------
    def fit(self, X, y):
        """Fit hyper-parameters and condition on ``(X, y)``; ``y`` in the modelled space.

        With fewer than 3 rows or a constant target the hyper-parameters stay at the
        prior centre and a :class:`UserWarning` says so (``fallback_ = True``).
        """
        X, y = _check_xy(X, y)
        rng = np.random.default_rng(self.random_state)
        n, d = X.shape
        if n > self.max_train_rows:
            warnings.warn(f"GP: {n} training rows, using a random subset of "
                          f"{self.max_train_rows} (exact GPs scale as n^3)", UserWarning,
                          stacklevel=2)
            keep = np.sort(rng.choice(n, self.max_train_rows, replace=False))
            X, y = X[keep], y[keep]
            n = X.shape[0]
        self.n_features_in_ = d
        self.noise_free_ = None  # every training row is a noisy measurement
        sd = float(np.std(y, ddof=1)) if n >= 2 else 0.0
        self.y_mean_ = self._prior_mean(y)
        fallback = _fallback_scale(y, self.fallback_scale)
        self.groups_, _ = self._groups(d)
        lo, hi = self._bounds(d)
        with _few_blas_threads(n):
            self.fallback_ = n < 3 or sd <= 1e-12 * max(1.0, abs(self.y_mean_))
            if self.fallback_:
                why = (f"only {n} row{'s' if n != 1 else ''}" if n < 3 else "a constant target")
                warnings.warn(f"GP: {why}; hyper-parameters fixed at the prior and a target "
                              f"spread of {max(sd, fallback):.3g} assumed, so predictions are "
                              "the prior, conditioned on these points", UserWarning, stacklevel=2)
                self.y_scale_ = max(sd, fallback)
                mu, sig = self._prior(d, self.y_scale_)
                self.theta_ = np.clip(mu, lo, hi)
            else:
                self.y_scale_ = sd
                mu, sig = self._prior(d, self.y_scale_)
                ys = (y - self.y_mean_) / self.y_scale_
                self.theta_ = self._optimise(X, ys, mu, sig, lo, hi, rng)
            self.X_train_ = X
            self.y_train_ = y
            self._condition()
        return self

    def _optimise(self, X, ys, mu, sig, lo, hi, rng):
        n = X.shape[0]
        if n > self.max_fit_rows:
            sub = rng.choice(n, self.max_fit_rows, replace=False)
            X, ys = X[sub], ys[sub]
        prior = (mu, sig) if self.priors else None
        starts = []
        if self.init_theta is not None:
            init = np.asarray(self.init_theta, dtype=float)
            if init.shape == mu.shape:
                starts.append(np.clip(init, lo, hi))
        starts.append(np.clip(mu, lo, hi))
        if self.noise_prior is not None:
            # also start from the generic noise level (2 % of the variance): with a small
            # noise prior the centre alone can settle in a worse local optimum of the
            # length scales on large, heterogeneous data (the best posterior still wins)
            alt = mu.copy()
            alt[-1] = math.log(0.02)
            starts.append(np.clip(alt, lo, hi))
        for _ in range(int(self.n_restarts)):
            if self.priors:
                starts.append(np.clip(rng.normal(mu, sig), lo, hi))
            else:
                starts.append(rng.uniform(lo, hi))
        best, best_val = starts[0], np.inf
        bounds = list(zip(lo, hi))
        for u0 in starts:
            try:
                res = optimize.minimize(self._neg_log_post, u0,
                                        args=(X, ys, prior, self._group_arg()),
                                        jac=True, method="L-BFGS-B", bounds=bounds,
                                        options={"maxiter": 200})
            except (ValueError, FloatingPointError):  # pragma: no cover - defensive
                continue
            if np.isfinite(res.fun) and res.fun < best_val:
                best, best_val = res.x, res.fun
        return np.clip(np.asarray(best, dtype=float), lo, hi)

    def _condition(self):
        s2 = math.exp(self.theta_[0])
        self.length_scales_ = np.exp(self.theta_[1:-1][self._column_groups()])
        sn2 = math.exp(self.theta_[-1])
        self.signal_std_ = math.sqrt(s2) * self.y_scale_
        self.noise_std_ = math.sqrt(sn2) * self.y_scale_
        Xs = self.X_train_ / self.length_scales_
        sq = np.sum(Xs ** 2, axis=1)
        R2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * Xs @ Xs.T, 0.0)
        np.fill_diagonal(R2, 0.0)
        K = self._matern(R2, s2)
        # Latent fantasies (noise_free_) get a jitter of 1e-6 of the signal variance only.
        K[np.diag_indices_from(K)] += np.where(self._noise_free_rows(), 1e-6 * s2,
                                               sn2 + 1e-8)
        L = linalg.cholesky(K, lower=True, check_finite=False)
        ys = (self.y_train_ - self.y_mean_) / self.y_scale_
        self.alpha_ = linalg.cho_solve((L, True), ys, check_finite=False)
        self.L_inv_ = linalg.solve_triangular(L, np.eye(L.shape[0]), lower=True,
                                              check_finite=False)
        self._Xs_train = Xs
        self._sq_train = sq

    def _noise_free_rows(self) -> np.ndarray:
        # Absent in fits and in models saved before latent fantasies existed: all noisy.
        nf = getattr(self, "noise_free_", None)
        return np.zeros(len(self.y_train_), dtype=bool) if nf is None else nf

    def _predict_block(self, X):
        s2 = math.exp(self.theta_[0])
        Xs = X / self.length_scales_
        R2 = np.maximum(np.sum(Xs ** 2, axis=1)[:, None] + self._sq_train[None, :]
                        - 2.0 * Xs @ self._Xs_train.T, 0.0)
        Ks = self._matern(R2, s2)
        mean = Ks @ self.alpha_
        V = Ks @ self.L_inv_.T
        var = np.maximum(s2 - np.einsum("ij,ij->i", V, V), 1e-12 * s2)
        return mean * self.y_scale_ + self.y_mean_, np.sqrt(var) * self.y_scale_

    def condition_on(self, X, y, noise: bool = True):
        """A copy conditioned on extra observations ``(X, y)`` (modelled space) with the
        hyper-parameters and target standardisation unchanged; O(n^3), no optimisation.

        ``noise=False``: ``y`` are values of the latent (noise-free) function, as a
        Monte-Carlo fantasy of q-EI needs; they get only a small jitter on the diagonal.
        """
        self._check_fitted()
        X, y = _check_xy(X, y)
        new = copy.copy(self)
        new.X_train_ = np.vstack([self.X_train_, X])
        new.y_train_ = np.concatenate([self.y_train_, y])
        new.noise_free_ = np.concatenate([self._noise_free_rows(),
                                          np.full(len(y), not noise)])
        with _few_blas_threads(new.X_train_.shape[0]):
            new._condition()
        return new

    def log_marginal_likelihood(self):
        """Log marginal likelihood of the standardised training targets at ``theta_``."""
        self._check_fitted()
        ys = (self.y_train_ - self.y_mean_) / self.y_scale_
        return -self._neg_log_post(self.theta_, self.X_train_, ys, None, self._group_arg())[0]

    def _column_groups(self):
        g = getattr(self, "groups_", None)  # absent in models saved before groups existed
        return np.arange(len(self.theta_) - 2) if g is None else g

    def _group_arg(self):
        g = self._column_groups()
        return None if len(g) == 0 or (len(g) == g[-1] + 1 and np.array_equal(
            g, np.arange(len(g)))) else g


# ======================================================================================
# Tree ensemble
# ======================================================================================


class CalibratedForest(_UncertainRegressor):
    """Random forest / extra-trees with an out-of-bag calibrated uncertainty.

    The latent variance is ``a * var_trees(x)`` (spread of the trees' predictions) and the
    noise variance ``b``; ``a`` and ``b`` maximise the Gaussian likelihood of the
    out-of-bag residuals, so intervals are calibrated on data the trees did not see.

    Parameters
    ----------
    kind : {"random", "extra"}
        ``RandomForestRegressor`` or ``ExtraTreesRegressor`` (both bootstrapped).
    n_estimators, min_samples_leaf, max_features : see scikit-learn.
    n_jobs : int
        Threads for fitting and predicting.
    random_state : int or None

    Notes
    -----
    :meth:`condition_on` refits the trees on the augmented data but keeps ``a`` and ``b``:
    an approximation (the calibration is not redone on fantasies).
    """

    # Larger blocks than the GP: trees are cheap per row, threads amortise better.
    _chunk_rows = 8 * CHUNK_ROWS

    def __init__(self, kind="random", n_estimators=100, min_samples_leaf=1,
                 max_features=1.0, n_jobs=2, random_state=None):
        self.kind = kind
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _make(self, n_rows=0):
        from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

        if self.kind not in ("random", "extra"):
            raise ModelError(f"forest kind: expected 'random' or 'extra', got {self.kind!r}")
        cls = RandomForestRegressor if self.kind == "random" else ExtraTreesRegressor
        return cls(n_estimators=self.n_estimators, min_samples_leaf=self.min_samples_leaf,
                   max_features=self.max_features, bootstrap=True,
                   n_jobs=self.n_jobs if n_rows >= 2000 else 1,  # threads cost more on small data
                   random_state=self.random_state)

    def fit(self, X, y):
        """Fit the trees, then calibrate ``a`` and ``b`` on out-of-bag residuals."""
        X, y = _check_xy(X, y)
        n = X.shape[0]
        self.n_features_in_ = X.shape[1]
        self.X_train_, self.y_train_ = X, y
        self.forest_ = self._make(n).fit(X, y)
        var_y = float(np.var(y)) if n > 1 else 0.0
        scale2 = max(var_y, _fallback_scale(y, None) ** 2 * 1e-2)
        oob = np.zeros((n, len(self.forest_.estimators_)), dtype=bool)
        preds = np.empty_like(oob, dtype=float)
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        for t, (tree, inbag) in enumerate(zip(self.forest_.estimators_,
                                              self.forest_.estimators_samples_)):
            mask = np.ones(n, dtype=bool)
            mask[inbag] = False
            oob[:, t] = mask
            preds[:, t] = tree.predict(X32, check_input=False)
        count = oob.sum(axis=1)
        ok = count >= 2
        if ok.sum() >= 3:
            p = np.where(oob, preds, 0.0)
            m = p.sum(axis=1)[ok] / count[ok]
            v = (np.where(oob, preds ** 2, 0.0).sum(axis=1)[ok] / count[ok]) - m ** 2
            v = np.maximum(v, 0.0)
            r2 = (y[ok] - m) ** 2
            if len(v) > 2000:  # bounds the grid's memory; 2000 residuals pin (a, b) down
                pick = np.random.default_rng(self.random_state).choice(len(v), 2000,
                                                                       replace=False)
                v, r2 = v[pick], r2[pick]

            # maximum likelihood of (a, b) on a log grid (2 parameters: a grid is robust
            # and, vectorised, faster than an optimiser)
            log_a = np.linspace(math.log(1e-3), math.log(1e3), 61)
            log_b = np.linspace(math.log(scale2 * 1e-6), math.log(scale2 * 4.0), 61)
            A, B = np.meshgrid(np.exp(log_a), np.exp(log_b), indexing="ij")
            S = A[..., None] * v[None, None, :] + B[..., None]
            nll = np.sum(np.log(S) + r2[None, None, :] / S, axis=-1)
            i, j = np.unravel_index(int(np.argmin(nll)), nll.shape)
            self.a_, self.b_ = float(A[i, j]), float(B[i, j])
        else:
            self.a_, self.b_ = 1.0, scale2 * 0.05
        self.noise_std_ = math.sqrt(self.b_)
        return self

    def _tree_moments(self, X):
        trees = self.forest_.estimators_
        X = np.ascontiguousarray(X, dtype=np.float32)
        s = np.zeros(X.shape[0])
        s2 = np.zeros(X.shape[0])

        def one(tree):
            return tree.predict(X, check_input=False)

        workers = max(1, int(self.n_jobs or 1)) if X.shape[0] >= 20000 else 1
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                for p in pool.map(one, trees):
                    s += p
                    s2 += p * p
        else:
            for tree in trees:
                p = one(tree)
                s += p
                s2 += p * p
        k = len(trees)
        m = s / k
        return m, np.maximum(s2 / k - m * m, 0.0)

    def _predict_block(self, X):
        m, v = self._tree_moments(X)
        return m, np.sqrt(self.a_ * v)


    def condition_on(self, X, y, noise: bool = True):
        """Refit the trees on the augmented data, calibration ``a``, ``b`` kept
        (``noise`` is ignored: the trees fit the values either way)."""
        self._check_fitted()
        X, y = _check_xy(X, y)
        new = copy.copy(self)
        Xa = np.vstack([self.X_train_, X])
        ya = np.concatenate([self.y_train_, y])
        new.forest_ = self._make(len(ya)).fit(Xa, ya)
        new.X_train_, new.y_train_ = Xa, ya
        return new


# ======================================================================================
# Bayesian linear
# ======================================================================================


class BayesLinear(_UncertainRegressor):
    """Bayesian ridge regression on the encoded features (degree 1) or on all degree-2
    monomials (``degree=2``), evidence-maximised priors (scikit-learn ``BayesianRidge``).

    Parameters
    ----------
    degree : {1, 2}
    """

    def __init__(self, degree=1):
        self.degree = degree

    def _design(self, X):
        if self.degree == 1:
            return X
        if self.degree != 2:
            raise ModelError(f"BayesLinear degree: expected 1 or 2, got {self.degree!r}")
        iu = np.triu_indices(X.shape[1])
        return np.hstack([X, X[:, iu[0]] * X[:, iu[1]]])

    def fit(self, X, y):
        """Fit by evidence maximisation; ``y`` in the modelled space."""
        from sklearn.linear_model import BayesianRidge

        X, y = _check_xy(X, y)
        self.n_features_in_ = X.shape[1]
        self.X_train_, self.y_train_ = X, y
        self.y_mean_ = float(np.mean(y))
        self.y_scale_ = float(np.std(y)) or _fallback_scale(y, None)
        self.model_ = BayesianRidge().fit(self._design(X), (y - self.y_mean_) / self.y_scale_)
        self.noise_std_ = float(self.y_scale_ / math.sqrt(self.model_.alpha_))
        return self

    def _predict_block(self, X):
        mean, std = self.model_.predict(self._design(X), return_std=True)
        noise = 1.0 / math.sqrt(self.model_.alpha_)
        latent = np.sqrt(np.maximum(std ** 2 - noise ** 2, 0.0))
        return mean * self.y_scale_ + self.y_mean_, latent * self.y_scale_

    def condition_on(self, X, y, noise: bool = True):
        """Refit on the augmented data (cheap; priors re-estimated; ``noise`` ignored)."""
        self._check_fitted()
        X, y = _check_xy(X, y)
        return copy.deepcopy(self).fit(np.vstack([self.X_train_, X]),
                                       np.concatenate([self.y_train_, y]))


# ======================================================================================
# Registry
# ======================================================================================

def _quantile_boosting(seed):
    # imported here: ionopt.surrogates.boosting imports this module
    from ionopt.surrogates.boosting import QuantileBoosting

    return QuantileBoosting(random_state=seed)


#: model name -> (factory(seed) -> estimator, minimum rows for a meaningful fit)
MODELS = {
    "gp": (lambda seed: MaternGP(random_state=seed), 1),
    "gp_mle": (lambda seed: MaternGP(priors=False, random_state=seed), 1),
    "forest": (lambda seed: CalibratedForest(kind="random", random_state=seed), 5),
    "extra_trees": (lambda seed: CalibratedForest(kind="extra", random_state=seed), 5),
    "linear": (lambda seed: BayesLinear(degree=1), 3),
    "quadratic": (lambda seed: BayesLinear(degree=2), 4),
    # Leave-one-out below 30 rows trains on n - 1: 9 keeps every fold at 8 rows or more.
    "boosting": (_quantile_boosting, 9),
}
#: Candidates that ``model="auto"`` compares by cross-validation.
AUTO_CANDIDATES = ("gp", "forest", "linear")


def make_model(name: str, seed: int | None = 0):
    """A fresh, unfitted estimator for a registered model name."""
    if name not in MODELS:
        raise ModelError(f"model: unknown model {name!r}; expected auto or one of "
                         f"{', '.join(MODELS)}")
    return MODELS[name][0](seed)


__all__ = ["AUTO_CANDIDATES", "BayesLinear", "CalibratedForest", "MODELS", "MaternGP",
           "make_model"]
