"""QuantileBoosting against a known ground truth: y = sin(3x) + N(0, sd(x)^2) with a
known, heteroscedastic noise sd(x) = 0.05 + 0.30 x on x in [0, 1]."""

import copy

import numpy as np
import pytest
from sklearn.base import clone

from ionopt.errors import ModelError
from ionopt.surrogates import fit_surrogates, load_surrogates
from ionopt.surrogates.boosting import MIN_ROWS, QuantileBoosting


def truth(x):
    return np.sin(3.0 * x)


def noise_sd(x):
    return 0.05 + 0.30 * x


def draw(n, rng):
    x = rng.uniform(size=n)
    return x[:, None], truth(x) + noise_sd(x) * rng.normal(size=n)


@pytest.fixture(scope="module")
def fitted():
    """A model on 2000 noisy rows and 4000 held-out rows of the same process."""
    rng = np.random.default_rng(0)
    X, y = draw(2000, rng)
    Xt, yt = draw(4000, rng)
    return QuantileBoosting(max_iter=100, random_state=0).fit(X, y), Xt, yt


def test_intervals_cover_held_out_measurements(fitted):
    model, Xt, yt = fitted
    Q = model.predict_quantiles(Xt)
    assert Q.shape == (len(yt), 5)
    np.testing.assert_allclose(model.quantiles_, [0.025, 0.16, 0.5, 0.84, 0.975])
    cover95 = np.mean((yt >= Q[:, 0]) & (yt <= Q[:, 4]))
    cover68 = np.mean((yt >= Q[:, 1]) & (yt <= Q[:, 3]))
    assert 0.90 <= cover95 <= 0.98
    assert 0.60 <= cover68 <= 0.76
    # one-sided: the 2.5 % and 97.5 % quantiles each leave out about 2.5 %
    assert np.mean(yt < Q[:, 0]) < 0.06 and np.mean(yt > Q[:, 4]) < 0.06


def test_sd_tracks_the_known_heteroscedastic_noise(fitted):
    model, Xt, _ = fitted
    x = Xt[:, 0]
    _, sd = model.predict(Xt, return_std=True)
    true = noise_sd(x)
    assert np.corrcoef(sd, true)[0, 1] > 0.85
    assert 0.8 <= np.median(sd / true) <= 1.25
    # noise sd is 0.09 on x < 0.25 and 0.31 on x > 0.75 (ratio 3.6)
    assert sd[x > 0.75].mean() > 2.5 * sd[x < 0.25].mean()


def test_median_is_close_to_the_truth(fitted):
    model, Xt, _ = fitted
    mean = model.predict(Xt)
    rmse = np.sqrt(np.mean((mean - truth(Xt[:, 0])) ** 2))
    assert rmse < 0.08  # the noise sd averages 0.2


def test_mean_sd_are_median_and_half_68_range_with_no_latent_part(fitted):
    model, Xt, _ = fitted
    Q = model.predict_quantiles(Xt)
    mean, sd = model.predict(Xt, return_std=True)
    np.testing.assert_array_equal(mean, Q[:, 2])
    np.testing.assert_allclose(sd, np.maximum(0.5 * (Q[:, 3] - Q[:, 1]), model.sd_floor_))
    assert model.noise_std_ == 0.0
    m_lat, s_lat = model.predict_latent(Xt)
    np.testing.assert_array_equal(m_lat, mean)
    np.testing.assert_array_equal(s_lat, sd)
    np.testing.assert_array_equal(model.predict(Xt), mean)


def test_quantiles_never_cross(fitted):
    model, Xt, _ = fitted
    rng = np.random.default_rng(5)
    X = np.vstack([Xt, rng.uniform(-0.5, 1.5, size=(500, 1))])  # also outside the data
    Q = model.predict_quantiles(X)
    assert np.all(np.diff(Q, axis=1) >= 0)
    # levels given in any order are fitted and returned sorted
    X_small, y_small = draw(300, np.random.default_rng(6))
    shuffled = QuantileBoosting(quantiles=(0.84, 0.5, 0.9, 0.16), max_iter=30,
                                random_state=0).fit(X_small, y_small)
    np.testing.assert_allclose(shuffled.quantiles_, [0.16, 0.5, 0.84, 0.9])
    Qs = shuffled.predict_quantiles(X)
    assert Qs.shape == (len(X), 4) and np.all(np.diff(Qs, axis=1) >= 0)


def test_prediction_in_chunks_equals_one_go(fitted):
    model, Xt, _ = fitted
    chunked = copy.copy(model)
    chunked._chunk_rows = 333  # 4000 rows: 12 full blocks and a partial one
    np.testing.assert_array_equal(chunked.predict_quantiles(Xt), model.predict_quantiles(Xt))
    for a, b in zip(chunked.predict(Xt, return_std=True), model.predict(Xt, return_std=True)):
        np.testing.assert_array_equal(a, b)


def test_condition_on_adds_data_and_leaves_the_original_alone():
    rng = np.random.default_rng(1)
    X, y = draw(200, rng)
    model = QuantileBoosting(max_iter=50, random_state=0).fit(X, y)
    probe = np.array([[0.9]])
    before = model.predict(probe)
    Xe = rng.uniform(0.8, 1.0, size=(150, 1))
    ye = truth(Xe[:, 0]) + 2.0  # a shifted region the model must follow
    cond = model.condition_on(Xe, ye)
    assert cond is not model and cond.X_train_.shape == (350, 1)
    assert model.X_train_.shape == (200, 1)
    np.testing.assert_array_equal(model.predict(probe), before)
    assert cond.predict(probe)[0] > before[0] + 1.0
    # noise is ignored: a refit either way
    np.testing.assert_array_equal(cond.predict_quantiles(probe),
                                  model.condition_on(Xe, ye, noise=False).predict_quantiles(probe))
    with pytest.raises(ModelError, match="expected 1 encoded features, got 2"):
        model.condition_on(np.zeros((2, 2)), np.zeros(2))


def test_tiny_data_raises_and_the_minimum_fits():
    rng = np.random.default_rng(2)
    X, y = draw(MIN_ROWS, rng)
    with pytest.raises(ModelError, match=f"needs at least {MIN_ROWS} rows"):
        QuantileBoosting().fit(X[:-1], y[:-1])
    mean, sd = QuantileBoosting(max_iter=20).fit(X, y).predict(X, return_std=True)
    assert np.all(np.isfinite(mean)) and np.all(sd > 0)


def test_constant_target_gives_the_constant_and_a_tiny_positive_sd():
    X = np.linspace(0, 1, 20)[:, None]
    model = QuantileBoosting(max_iter=20).fit(X, np.full(20, 2.0))
    mean, sd = model.predict(X, return_std=True)
    np.testing.assert_allclose(mean, 2.0)
    assert np.all(sd > 0) and np.all(sd < 1e-3)


def test_rejects_bad_input_and_parameters():
    rng = np.random.default_rng(3)
    X, y = draw(30, rng)
    model = QuantileBoosting(max_iter=10).fit(X, y)
    with pytest.raises(ModelError, match="expected 1 encoded features, got 2"):
        model.predict(np.zeros((3, 2)))
    with pytest.raises(ModelError, match="expected 1 encoded features, got 2"):
        model.predict_quantiles(np.zeros((3, 2)))
    with pytest.raises(ModelError, match="NaN"):
        model.predict(np.array([[np.nan]]))
    with pytest.raises(ModelError, match="NaN"):
        QuantileBoosting().fit(X, np.where(np.arange(30) == 4, np.nan, y))
    with pytest.raises(ModelError, match="no rows"):
        QuantileBoosting().fit(np.zeros((0, 1)), np.zeros(0))
    with pytest.raises(ModelError, match="not fitted"):
        QuantileBoosting().predict(X)
    with pytest.raises(ModelError, match="0.84"):
        QuantileBoosting(quantiles=(0.1, 0.5, 0.16)).fit(X, y)
    with pytest.raises(ModelError, match="strictly between 0 and 1"):
        QuantileBoosting(quantiles=(0.0, 0.16, 0.5, 0.84)).fit(X, y)
    with pytest.raises(ModelError, match="distinct"):
        QuantileBoosting(quantiles=(0.16, 0.5, 0.5, 0.84)).fit(X, y)
    with pytest.raises(ModelError, match="min_samples_leaf"):
        QuantileBoosting(min_samples_leaf=0).fit(X, y)


def test_automatic_leaf_size_grows_with_the_data():
    rng = np.random.default_rng(4)
    sizes = []
    for n in (12, 200, 2000):
        X, y = draw(n, rng)
        sizes.append(QuantileBoosting(max_iter=5).fit(X, y).min_samples_leaf_)
    assert sizes == [5, 20, 50]
    assert QuantileBoosting(max_iter=5, min_samples_leaf=7).fit(X, y).min_samples_leaf_ == 7


def test_works_inside_fit_surrogates_and_survives_save_and_load(table, tmp_path):
    est = QuantileBoosting(max_iter=30, random_state=0)
    assert clone(est).get_params() == est.get_params()
    sur = fit_surrogates(table, targets="conductivity_s_cm",
                         features=["pvdf_hfp_content", "drying_temp_c", "filler"], model=est)
    pred = sur.predict(table.head(5))
    assert np.all(pred["conductivity_s_cm_lower"] < pred["conductivity_s_cm_upper"])
    sur.save(tmp_path / "boost.skops")
    back = load_surrogates(tmp_path / "boost.skops")
    np.testing.assert_array_equal(back.predict(table.head(5)).to_numpy(), pred.to_numpy())
