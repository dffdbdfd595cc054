"""fit_surrogates and the Surrogates / TargetModel contract."""

import warnings

import numpy as np
import pandas as pd
import pytest

from _synth import make_table, truth_log10
from ionopt.errors import ModelError
from ionopt.surrogates import Surrogates, TargetModel, fit_surrogates


def test_contract_predict_columns_units_and_index(table, spec):
    sur = fit_surrogates(table, targets=["conductivity_s_cm"], features=spec, model="gp")
    assert isinstance(sur, Surrogates) and sur.targets == ["conductivity_s_cm"]
    assert sur.features is spec
    new = make_table(7, np.random.default_rng(9)).set_index(pd.Index(list("abcdefg")))
    out = sur.predict(new, interval=0.95)
    t = "conductivity_s_cm"
    assert list(out.columns) == [f"{t}_pred", f"{t}_std", f"{t}_lower", f"{t}_upper"]
    assert list(out.index) == list("abcdefg")
    # log10 model: S/cm, asymmetric bounds, geometric symmetry about the median
    assert (out[f"{t}_lower"] > 0).all()
    assert ((out[f"{t}_lower"] < out[f"{t}_pred"]) & (out[f"{t}_pred"] < out[f"{t}_upper"])).all()
    up = out[f"{t}_upper"] - out[f"{t}_pred"]
    down = out[f"{t}_pred"] - out[f"{t}_lower"]
    assert (up > down).all()
    np.testing.assert_allclose(out[f"{t}_upper"] / out[f"{t}_pred"],
                               out[f"{t}_pred"] / out[f"{t}_lower"], rtol=1e-9)
    # the predictions are right in units: within a factor 10 ** 0.3 of the truth
    truth = truth_log10(new.pvdf_hfp_content, new.drying_temp_c, new.filler)
    assert np.max(np.abs(np.log10(out[f"{t}_pred"]) - truth)) < 0.3
    lat = sur.predict_latent(new)
    m, s = lat[t]
    np.testing.assert_allclose(10 ** m, out[f"{t}_pred"])
    tm = sur[t]
    assert isinstance(tm, TargetModel) and tm.transform.name == "log10"
    assert 0.01 < tm.noise_std < 0.15  # true noise 0.05 decades
    np.testing.assert_allclose(tm.transform.inverse(tm.y_train_latent), table[t])
    assert tm.y_best_latent("max") == pytest.approx(np.log10(table[t].max()))
    assert list(tm.X_train.columns) == spec.names and len(tm.X_train) == len(table)


def test_interval_levels_nest(table, spec):
    sur = fit_surrogates(table, "conductivity_s_cm", features=spec, model="gp")
    a = sur.predict(table.head(5), interval=0.68)
    b = sur.predict(table.head(5), interval=0.95)
    assert (b["conductivity_s_cm_upper"] > a["conductivity_s_cm_upper"]).all()
    with pytest.raises(ModelError, match="interval"):
        sur.predict(table.head(5), interval=95)


def test_nan_targets_ignored_per_target_and_failed_rows_dropped(table, spec):
    df = table.copy()
    df["tensile_strength_mpa"] = np.where(np.arange(len(df)) % 2 == 0, 3.0 + df.pvdf_hfp_content,
                                          np.nan)
    df.loc[df.index[:5], "conductivity_s_cm"] = np.nan
    df["failed"] = False
    df.loc[df.index[5:8], "failed"] = True
    df.loc[df.index[5:8], "conductivity_s_cm"] = 1e-20  # garbage on failed rows: ignored
    sur = fit_surrogates(df, ["conductivity_s_cm", "tensile_strength_mpa"], features=spec,
                         model="gp")
    assert sur["conductivity_s_cm"].n_train == len(df) - 8
    assert sur["tensile_strength_mpa"].n_train == len([i for i in range(len(df))
                                                      if i % 2 == 0 and not 5 <= i < 8])
    assert sur["tensile_strength_mpa"].transform.name == "identity"


def test_auto_selects_by_cv_and_reports_every_candidate(table, spec):
    sur = fit_surrogates(table.head(25), "conductivity_s_cm", features=spec, model="auto")
    rep = sur.report
    assert list(rep["model"]) == ["gp", "forest", "linear"]
    assert rep["cv"].iloc[0] == "leave-one-out" and rep["selected"].sum() == 1
    best = rep.loc[rep["selected"], "model"].item()
    assert best == rep.loc[rep["nlpd"].idxmin(), "model"]
    assert sur["conductivity_s_cm"].model == best
    for col in ("rmse", "mae", "r2", "nlpd", "coverage_68", "coverage_95", "rmse_units",
                "mae_units"):
        assert np.isfinite(rep[col]).all(), col
    text = repr(rep)
    assert "Surrogate validation" in text and "coverage_95" in text
    assert "<table" in rep._repr_html_() and "<table" in sur._repr_html_()


def test_loo_on_a_known_linear_function_is_near_zero():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 12)
    df = pd.DataFrame({"x": x, "y": 2.0 + 3.0 * x})
    for model in ("gp", "linear"):
        sur = fit_surrogates(df, "y", features=["x"], model=model)
        assert sur.report["rmse"].item() < 0.02, model


def test_explicit_model_report_is_lazy_and_uses_repeated_kfold(table, spec):
    sur = fit_surrogates(table, "conductivity_s_cm", features=spec, model="forest")
    assert sur._report is None
    rep = sur.report
    assert rep["cv"].item() == "5-fold x2" and rep["model"].item() == "forest"
    assert 0.7 <= rep["coverage_95"].item() <= 1.0


def test_grouped_cv(table, spec):
    df = table.assign(doi=np.repeat(list("abcd"), 10))
    sur = fit_surrogates(df, "conductivity_s_cm", features=spec, model="gp", groups="doi")
    assert sur.report["cv"].item() == "group 4-fold"


def test_features_as_names_from_masses_and_defaults():
    rng = np.random.default_rng(2)
    n = 12
    pv = rng.uniform(0.2, 1.6, n)
    df = pd.DataFrame({"filler": "amorphous_BN", "filler_g": 1.0, "litfsi_g": 1.0,
                       "pvdf_hfp_g": pv, "conductivity_s_cm": 10 ** (-3 - 0.3 * pv)})
    sur = fit_surrogates(df, "conductivity_s_cm", features=["pvdf_hfp_content"], model="gp")
    assert sur.features.names == ["pvdf_hfp_content"]
    lo, hi = sur.features.continuous["pvdf_hfp_content"]
    assert lo < pv.min() / 2 and hi > pv.max() / 2
    cand = pd.DataFrame({"filler": ["amorphous_BN"], "filler_g": [1.0], "litfsi_g": [1.0],
                         "pvdf_hfp_g": [1.0]})
    pred = sur.predict(cand)["conductivity_s_cm_pred"].item()
    assert pred == pytest.approx(10 ** (-3.3), rel=0.05)  # content 0.5 <-> pv 1.0
    sur2 = fit_surrogates(df, "conductivity_s_cm", model="gp")  # defaults
    assert sur2.features.names == ["pvdf_hfp_content", "filler"]


def test_seed_dataset_end_to_end():
    from ionopt.datasets import load_seed_dataset

    df = load_seed_dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sur = fit_surrogates(df, ["conductivity_s_cm", "tensile_strength_mpa"])
    assert sur["tensile_strength_mpa"].model == "gp"  # 3 rows: auto uses the GP
    rep = sur.report
    assert set(rep["target"]) == {"conductivity_s_cm", "tensile_strength_mpa"}
    with pytest.warns(UserWarning, match="unseen category LLZTO"):
        out = sur.predict(df)  # the LLZTO row has a filler never measured
    assert np.isfinite(out.to_numpy()).all()


def test_condition_on_kriging_believer(table, spec):
    sur = fit_surrogates(table, "conductivity_s_cm", features=spec, model="gp")
    tm = sur["conductivity_s_cm"]
    x = make_table(1, np.random.default_rng(5))
    m0, s0 = tm.predict_latent(x)
    tm2 = tm.condition_on(x, m0 + 0.5)
    m1, s1 = tm2.predict_latent(x)
    assert s1[0] < s0[0] and m1[0] > m0[0] + 0.2
    assert tm2.n_train == tm.n_train + 1 and tm.n_train == len(table)
    np.testing.assert_array_equal(tm2.estimator.theta_, tm.estimator.theta_)


def test_fingerprint_stable_and_data_sensitive(table, spec):
    a = fit_surrogates(table, "conductivity_s_cm", features=spec, model="gp", seed=0)
    b = fit_surrogates(table, "conductivity_s_cm", features=spec, model="gp", seed=0)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    df = table.copy()
    df.iloc[0, df.columns.get_loc("conductivity_s_cm")] *= 1.01
    c = fit_surrogates(df, "conductivity_s_cm", features=spec, model="gp", seed=0)
    assert c.fingerprint != a.fingerprint
    d = fit_surrogates(table, "conductivity_s_cm", features=spec, model="forest", seed=0)
    assert d.fingerprint != a.fingerprint


# ---- degenerate data ------------------------------------------------------------------


def test_zero_rows_and_missing_targets_are_clear_errors(table, spec):
    with pytest.raises(ModelError, match="no rows"):
        fit_surrogates(table.iloc[:0], "conductivity_s_cm", features=spec)
    with pytest.raises(ModelError, match="nope: target column not in the table"):
        fit_surrogates(table, "nope", features=spec)
    df = table.assign(conductivity_s_cm=np.nan)
    with pytest.raises(ModelError, match="no row has a measured value"):
        fit_surrogates(df, "conductivity_s_cm", features=spec)
    df = table.astype({"conductivity_s_cm": object})
    df.iloc[3, df.columns.get_loc("conductivity_s_cm")] = "n/a"
    with pytest.raises(ModelError, match="expected a number, got 'n/a'"):
        fit_surrogates(df, "conductivity_s_cm", features=spec)
    df = table.copy()
    df.iloc[0, df.columns.get_loc("conductivity_s_cm")] = -1e-4
    with pytest.raises(ModelError, match="log10 transform needs positive"):
        fit_surrogates(df, "conductivity_s_cm", features=spec)
    with pytest.raises(ModelError, match="unknown model"):
        fit_surrogates(table, "conductivity_s_cm", features=spec, model="svm")
    with pytest.raises(ModelError, match="unknown transform"):
        fit_surrogates(table, "conductivity_s_cm", features=spec,
                       transforms={"conductivity_s_cm": "sqrt"})


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("model", ["auto", "gp", "forest"])
def test_one_or_two_rows_fall_back_to_the_prior_with_a_warning(table, spec, n, model):
    with pytest.warns(UserWarning):
        sur = fit_surrogates(table.head(n), "conductivity_s_cm", features=spec, model=model)
    assert sur["conductivity_s_cm"].model == "gp"
    out = sur.predict(table.tail(3))
    assert np.isfinite(out.to_numpy()).all()
    m, s = sur.predict_latent(table.tail(3))["conductivity_s_cm"]
    m0, s0 = sur.predict_latent(table.head(1))["conductivity_s_cm"]
    gp = sur["conductivity_s_cm"].estimator
    assert gp.fallback_ and gp.signal_std_ == pytest.approx(1.0)  # a decade, log10 prior
    assert (s > s0[0]).all() and (s < 1.0).all()  # more uncertain away from the data
    far = table.tail(1).assign(pvdf_hfp_content=50.0)  # far outside: back to the prior
    m_far, s_far = sur.predict_latent(far)["conductivity_s_cm"]
    assert s_far[0] == pytest.approx(1.0, abs=0.01)
    rep = sur.report
    assert len(rep) == 1


def test_constant_target_and_duplicate_recipes(table, spec):
    df = table.head(6).assign(conductivity_s_cm=1e-3)
    with pytest.warns(UserWarning, match="constant target"):
        sur = fit_surrogates(df, "conductivity_s_cm", features=spec, model="gp")
    pred = sur.predict(df)["conductivity_s_cm_pred"]
    np.testing.assert_allclose(pred, 1e-3, rtol=1e-6)
    dup = pd.concat([table.head(10)] * 3, ignore_index=True)
    rng = np.random.default_rng(0)
    dup["conductivity_s_cm"] *= 10 ** (0.1 * rng.normal(size=len(dup)))
    sur = fit_surrogates(dup, "conductivity_s_cm", features=spec, model="gp")
    assert sur.report["replicate_sd"].item() == pytest.approx(0.1, rel=0.35)
    assert 0.05 < sur["conductivity_s_cm"].noise_std < 0.2


def test_conductivity_defaults_to_the_lowest_measured_value_far_from_the_data():
    # 1-D conductivity data; far outside the measured range the GP reverts to its prior
    # mean: the lowest measured log10 sigma by default, the training mean on request.
    x = np.linspace(0.0, 1.0, 8)
    z = -3.0 + np.sin(3 * x)
    df = pd.DataFrame({"x": x, "conductivity_s_cm": 10 ** z})
    far = pd.DataFrame({"x": [40.0]})
    sur = fit_surrogates(df, "conductivity_s_cm", features=["x"], model="gp")
    assert sur["conductivity_s_cm"].estimator.mean == "min"
    m, _ = sur.predict_latent(far)["conductivity_s_cm"]
    assert m[0] == pytest.approx(z.min(), abs=1e-6)
    data = fit_surrogates(df, "conductivity_s_cm", features=["x"], model="gp",
                          prior_mean={"conductivity_s_cm": "data"})
    m, _ = data.predict_latent(far)["conductivity_s_cm"]
    assert m[0] == pytest.approx(z.mean(), abs=1e-6)
    # other targets keep the training mean
    other = fit_surrogates(df.rename(columns={"conductivity_s_cm": "y"}), "y",
                           features=["x"], model="gp")
    assert other["y"].estimator.mean == "data"


def test_text_in_a_default_feature_column_is_an_error_not_a_dropped_feature():
    from ionopt.datasets import load_seed_dataset

    data = load_seed_dataset().astype({"pvdf_hfp_content": object})
    data.attrs["source"] = "films.csv"
    data.loc[3, "pvdf_hfp_content"] = "x"
    with pytest.raises(ModelError, match=r"films.csv:5: pvdf_hfp_content: expected a "
                                         r"number, got 'x'"):
        fit_surrogates(data, targets=["conductivity_s_cm"])
    data.loc[3, "pvdf_hfp_content"] = 0.5             # the paper's CSE-50
    assert "pvdf_hfp_content" in fit_surrogates(
        data, targets=["conductivity_s_cm"]).features.names
