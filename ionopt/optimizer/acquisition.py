"""Acquisition functions on predicted means and standard deviations (pure numpy).

Conventions: every value is *oriented* (transformed, sign-flipped so larger is better,
see :mod:`ionopt.optimizer.objectives`); ``std`` is the noise-free (latent) standard
deviation of the surrogate. All functions are vectorised over candidates.

* :func:`expected_improvement` -- EI over an incumbent. Noisy-aware use: the incumbent is
  the best *posterior mean* at the measured recipes (not the best noisy measurement), and
  ``std`` excludes the observation noise, so replicates of a lucky measurement are not
  chased.
* :func:`upper_confidence_bound` -- ``mean + beta * std``.
* :func:`probability_of_feasibility` -- ``P(value >= threshold)`` per outcome constraint;
  multiplied into the acquisition.
* :func:`augmented_chebyshev` / :func:`mc_expected_improvement` -- ParEGO-style random
  Chebyshev scalarization of 2-3 objectives, with expected improvement estimated by Monte
  Carlo over the independent posteriors using common random numbers (deterministic for a
  seed, smooth across candidates).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _pdf(z: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def expected_improvement(mean, std, best: float, xi: float = 0.0) -> np.ndarray:
    """Expected improvement of ``N(mean, std**2)`` over ``best + xi`` (larger is better).

    Parameters
    ----------
    mean, std : array
        Predicted latent mean and standard deviation (oriented space).
    best : float
        Incumbent value.
    xi : float
        Margin (exploration bonus), in the units of ``mean``.

    Returns
    -------
    ndarray
        ``E[max(Y - best - xi, 0)]``, >= 0; where ``std`` is 0 it is ``max(mean - best -
        xi, 0)``.
    """
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    diff = mean - best - xi
    ok = std > 1e-12
    z = np.where(ok, diff / np.where(ok, std, 1.0), 0.0)
    ei = diff * ndtr(z) + std * _pdf(z)
    return np.where(std > 1e-12, np.maximum(ei, 0.0), np.maximum(diff, 0.0))


def upper_confidence_bound(mean, std, beta: float = 2.0) -> np.ndarray:
    """``mean + beta * std`` (oriented space)."""
    return np.asarray(mean, dtype=float) + beta * np.asarray(std, dtype=float)


def probability_of_feasibility(mean, std, threshold: float) -> np.ndarray:
    """``P(Y >= threshold)`` for ``Y ~ N(mean, std**2)`` (oriented space)."""
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    ok = std > 1e-12
    return np.where(ok, ndtr((mean - threshold) / np.where(ok, std, 1.0)),
                    (mean >= threshold).astype(float))


def augmented_chebyshev(values, weights, rho: float = 0.05) -> np.ndarray:
    """Augmented Chebyshev scalarization for maximization (ParEGO).

    ``s = min_j(w_j * v_j) + rho * sum_j(w_j * v_j)`` over the last axis of ``values``,
    which should be normalized so each objective spans about [0, 1].
    """
    v = np.asarray(values, dtype=float) * np.asarray(weights, dtype=float)
    return v.min(axis=-1) + rho * v.sum(axis=-1)


def simplex_weights(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random weight vector, uniform on the simplex (sums to 1)."""
    w = rng.exponential(size=k)
    return w / w.sum()


def mc_expected_improvement(mean, std, scalarize, best: float, base_samples) -> np.ndarray:
    """Monte-Carlo EI of a scalarization of independent Gaussian objectives.

    Parameters
    ----------
    mean, std : array (m, k)
        Oriented latent means and sds of ``k`` objectives at ``m`` candidates.
    scalarize : callable
        Maps an array (..., k) of oriented values to (...) scalars.
    best : float
        Incumbent scalarized value.
    base_samples : array (S, k)
        Standard normal draws shared by all candidates (common random numbers).

    Returns
    -------
    ndarray (m,)
        ``mean_s max(scalarize(mean + std * eps_s) - best, 0)``.
    """
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    eps = np.asarray(base_samples, dtype=float)
    out = np.empty(len(mean))
    chunk = max(1, 2_000_000 // max(1, eps.size))
    for start in range(0, len(mean), chunk):
        mu = mean[start:start + chunk, None, :]
        sd = std[start:start + chunk, None, :]
        ys = mu + sd * eps[None, :, :]
        s = scalarize(ys)
        out[start:start + chunk] = np.maximum(s - best, 0.0).mean(axis=1)
    return out


__all__ = ["augmented_chebyshev", "expected_improvement", "mc_expected_improvement",
           "probability_of_feasibility", "simplex_weights", "upper_confidence_bound"]
