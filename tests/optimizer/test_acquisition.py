"""Acquisition maths on given means and standard deviations, and the feasibility model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ionopt.optimizer.acquisition import (augmented_chebyshev, expected_improvement,
                                          mc_expected_improvement, probability_of_feasibility,
                                          upper_confidence_bound)
from ionopt.optimizer.feasibility import FeasibilityModel


def test_expected_improvement_closed_form_and_limits():
    mean, std, best = np.array([1.0, 0.0, 2.0]), np.array([1.0, 2.0, 0.0]), 0.5
    z = (mean[:2] - best) / std[:2]
    expected = (mean[:2] - best) * stats.norm.cdf(z) + std[:2] * stats.norm.pdf(z)
    ei = expected_improvement(mean, std, best)
    assert ei[:2] == pytest.approx(expected)
    assert ei[2] == pytest.approx(1.5)  # no uncertainty: plain improvement
    # Monotone in mean and in std.
    assert expected_improvement(1.0, 1.0, 0.0) > expected_improvement(0.5, 1.0, 0.0)
    assert expected_improvement(0.0, 2.0, 0.0) > expected_improvement(0.0, 1.0, 0.0)
    assert expected_improvement(-50.0, 1.0, 0.0) >= 0


def test_ucb_and_probability_of_feasibility():
    assert upper_confidence_bound([1.0], [0.5], beta=2.0)[0] == 2.0
    p = probability_of_feasibility(np.array([4.0, 5.0, 3.0]), np.array([1.0, 1.0, 0.0]), 4.0)
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(stats.norm.cdf(1.0))
    assert p[2] == 0.0


def test_chebyshev_prefers_balanced_points():
    v = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    s = augmented_chebyshev(v, np.array([0.5, 0.5]))
    assert np.argmax(s) == 1


def test_monte_carlo_ei_matches_analytic_for_one_objective():
    rng = np.random.default_rng(0)
    eps = rng.standard_normal((20000, 1))
    mean, std = np.array([[0.2], [1.0]]), np.array([[0.5], [0.3]])
    mc = mc_expected_improvement(mean, std, lambda y: y[..., 0], 0.5, eps)
    exact = expected_improvement(mean[:, 0], std[:, 0], 0.5)
    assert mc == pytest.approx(exact, rel=0.03)


def test_feasibility_model_learns_a_failure_zone():
    rng = np.random.default_rng(1)
    X = rng.random((80, 2))
    failed = X[:, 0] > 0.7  # films crack when the first parameter is high
    model = FeasibilityModel().fit(X, failed)
    p = model.predict_proba(np.array([[0.9, 0.5], [0.2, 0.5], [0.5, 0.5]]))
    assert p[0] < 0.25 and p[1] > 0.85
    assert p[0] < p[2] < p[1] + 1e-9


def test_feasibility_without_failures_is_one():
    model = FeasibilityModel().fit(np.random.default_rng(0).random((5, 2)),
                                   np.zeros(5, bool))
    assert (model.predict_proba(np.zeros((3, 2))) == 1).all()
