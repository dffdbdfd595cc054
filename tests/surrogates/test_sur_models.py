"""Models against known ground truth."""

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from ionopt.errors import ModelError
from ionopt.surrogates import BayesLinear, CalibratedForest, MaternGP


def f1(x):
    return np.sin(6.0 * x[:, 0]) + 0.5 * x[:, 1]


def test_gp_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(20, 3))
    y = f1(X)
    y = (y - y.mean()) / y.std()
    gp = MaternGP()
    prior = gp._prior(3)
    u = rng.normal(scale=0.5, size=5)
    g = gp._neg_log_post(u, X, y, prior)[1]
    num = approx_fprime(u, lambda v: gp._neg_log_post(v, X, y, prior)[0], 1e-6)
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-4)


def test_gp_coverage_and_noise_on_known_function():
    """95 % predictive intervals of a new noisy measurement cover ~95 % over many draws."""
    noise = 0.1
    hits68, hits95, noise_est, rmse = [], [], [], []
    for seed in range(25):
        rng = np.random.default_rng(seed)
        X = rng.uniform(size=(40, 2))
        y = f1(X) + noise * rng.normal(size=40)
        gp = MaternGP(random_state=seed).fit(X, y)
        Xt = rng.uniform(size=(200, 2))
        yt = f1(Xt) + noise * rng.normal(size=200)
        m, s = gp.predict(Xt, return_std=True)
        hits68.append(np.mean(np.abs(yt - m) <= s))
        hits95.append(np.mean(np.abs(yt - m) <= 1.96 * s))
        noise_est.append(gp.noise_std_)
        rmse.append(np.sqrt(np.mean((m - f1(Xt)) ** 2)))
    assert 0.90 <= np.mean(hits95) <= 0.98
    assert 0.60 <= np.mean(hits68) <= 0.76
    assert 0.07 <= np.median(noise_est) <= 0.13
    assert np.median(rmse) < 0.1


def test_gp_latent_std_excludes_noise_and_shrinks_at_data():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(30, 1))
    y = np.sin(5 * X[:, 0]) + 0.2 * rng.normal(size=30)
    gp = MaternGP(random_state=0).fit(X, y)
    _, s_lat = gp.predict_latent(X)
    _, s_tot = gp.predict(X, return_std=True)
    np.testing.assert_allclose(s_tot ** 2, s_lat ** 2 + gp.noise_std_ ** 2)
    _, s_far = gp.predict_latent(np.array([[3.0]]))  # far outside the unit interval
    assert s_far[0] > 3 * s_lat.max()
    assert s_far[0] == pytest.approx(gp.signal_std_, rel=1e-3)


def test_gp_condition_on_matches_refit_with_fixed_hyperparameters():
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(15, 2))
    y = f1(X)
    gp = MaternGP(random_state=0).fit(X, y)
    Xe, ye = rng.uniform(size=(3, 2)), np.array([0.5, -0.2, 1.0])
    cond = gp.condition_on(Xe, ye)
    assert np.array_equal(cond.theta_, gp.theta_) and cond.y_scale_ == gp.y_scale_
    # the same posterior by hand: K^-1 with the fixed theta on all 18 points
    Xa, ya = np.vstack([X, Xe]), np.concatenate([y, ye])
    s2, ls, sn2 = math.exp(gp.theta_[0]), np.exp(gp.theta_[1:-1]), math.exp(gp.theta_[-1])

    def k(A, B):
        r = np.sqrt((((A[:, None, :] - B[None, :, :]) / ls) ** 2).sum(-1))
        return s2 * (1 + math.sqrt(5) * r + 5 / 3 * r ** 2) * np.exp(-math.sqrt(5) * r)

    K = k(Xa, Xa) + (sn2 + 1e-8) * np.eye(18)
    Xt = rng.uniform(size=(5, 2))
    mean = k(Xt, Xa) @ np.linalg.solve(K, (ya - gp.y_mean_) / gp.y_scale_)
    m, s = cond.predict_latent(Xt)
    np.testing.assert_allclose(m, mean * gp.y_scale_ + gp.y_mean_, rtol=1e-6, atol=1e-8)
    # the original is untouched
    assert gp.X_train_.shape[0] == 15


@pytest.mark.parametrize("n", [1, 2])
def test_gp_tiny_data_falls_back_to_prior_with_warning(n):
    X = np.linspace(0, 1, n)[:, None]
    y = np.array([-3.0, -2.5][:n])
    with pytest.warns(UserWarning, match="fixed at the prior"):
        gp = MaternGP(fallback_scale=1.0).fit(X, y)
    m, s = gp.predict_latent(np.array([[0.0], [5.0]]))
    assert np.isfinite(m).all() and np.isfinite(s).all()
    assert m[0] == pytest.approx(y[0], abs=0.15)   # near the data
    assert s[1] > 0.9 and abs(m[1] - y.mean()) < 1e-6  # far: the prior


def test_gp_constant_target_and_duplicates():
    X = np.array([[0.1], [0.1], [0.5], [0.9]])
    with pytest.warns(UserWarning, match="constant target"):
        gp = MaternGP().fit(X, np.full(4, 2.0))
    m, s = gp.predict_latent(X)
    np.testing.assert_allclose(m, 2.0)
    # exact duplicates with different values: no crash, noise picks up the spread
    rng = np.random.default_rng(0)
    Xd = np.repeat(rng.uniform(size=(6, 1)), 4, axis=0)
    yd = np.sin(4 * Xd[:, 0]) + 0.3 * rng.normal(size=24)
    gp = MaternGP(random_state=0).fit(Xd, yd)
    assert 0.15 < gp.noise_std_ < 0.5


def test_gp_rejects_bad_input():
    with pytest.raises(ModelError, match="no rows"):
        MaternGP().fit(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ModelError, match="NaN"):
        MaternGP().fit(np.array([[0.0], [np.nan]]), np.zeros(2))
    with pytest.raises(ModelError, match="not fitted"):
        MaternGP().predict_latent(np.zeros((1, 1)))


def test_forest_calibrated_coverage():
    cover = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        X = rng.uniform(size=(150, 2))
        y = f1(X) + 0.1 * rng.normal(size=150)
        rf = CalibratedForest(random_state=seed, n_jobs=1).fit(X, y)
        Xt = rng.uniform(size=(300, 2))
        yt = f1(Xt) + 0.1 * rng.normal(size=300)
        m, s = rf.predict(Xt, return_std=True)
        cover.append(np.mean(np.abs(yt - m) <= 1.96 * s))
    assert 0.88 <= np.mean(cover) <= 0.99
    cond = rf.condition_on(Xt[:2], yt[:2])
    assert cond.X_train_.shape[0] == 152 and rf.X_train_.shape[0] == 150


def test_bayes_linear_recovers_a_linear_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(20, 3))
    y = 1.0 + X @ np.array([2.0, -1.0, 0.5])
    lin = BayesLinear().fit(X, y)
    m, s = lin.predict_latent(rng.uniform(size=(10, 3)))
    Xt = rng.uniform(size=(10, 3))
    np.testing.assert_allclose(lin.predict(Xt), 1.0 + Xt @ np.array([2.0, -1.0, 0.5]),
                               atol=1e-3)


def test_gp_condition_on_latent_value_is_exact_and_noise_free():
    # A noise-free fantasy: the latent posterior passes through the value with ~zero sd,
    # while a noisy observation at the same point only pulls the mean part way.
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(12, 1))
    y = np.sin(6 * X[:, 0]) + 0.05 * rng.standard_normal(12)
    gp = MaternGP(random_state=0, noise_prior=0.3).fit(X, y)
    x0, v = np.array([[0.5]]), np.array([2.0])
    latent = gp.condition_on(x0, v, noise=False)
    noisy = gp.condition_on(x0, v)
    m_l, s_l = latent.predict_latent(x0)
    m_n, s_n = noisy.predict_latent(x0)
    assert m_l[0] == pytest.approx(2.0, abs=1e-3) and s_l[0] < 1e-2 * gp.signal_std_
    assert m_n[0] < 1.9 and s_n[0] > 10 * s_l[0]
    assert latent.noise_std_ == gp.noise_std_  # the noise of real rows is unchanged
    # refitting forgets fantasies: every row is a measurement again
    refit = latent.fit(latent.X_train_, latent.y_train_)
    assert not refit._noise_free_rows().any()
