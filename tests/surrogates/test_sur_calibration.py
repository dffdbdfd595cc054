"""Recalibrated uncertainty against data whose between-study scatter is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import ModelError
from ionopt.surrogates import MaternGP, Recalibrated, fit_surrogates, load_surrogates
from ionopt.surrogates.validation import Z95


def studies(n_groups=20, per_group=12, offset_sd=0.4, noise_sd=0.03, seed=0):
    """y = smooth function + a per-study offset (sd ``offset_sd``) + small noise, each study
    in its own corner of the space (as papers are): a model sees only the small
    within-study noise, and a new study is off by ~offset_sd."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per_group)
    centres = rng.uniform(0.1, 0.9, (n_groups, 2))
    x1 = np.clip(centres[g, 0] + rng.normal(0, 0.05, len(g)), 0, 1)
    x2 = np.clip(centres[g, 1] + rng.normal(0, 0.05, len(g)), 0, 1)
    y = (np.sin(3 * x1) + 0.5 * x2 + rng.normal(0, offset_sd, n_groups)[g]
         + rng.normal(0, noise_sd, len(g)))
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y, "study": [f"doi-{i}" for i in g]})


def held_out_coverage(calibrate, seed=0):
    df = studies(seed=seed)
    train, test = df[df.study.str[4:].astype(int) < 14], df[df.study.str[4:].astype(int) >= 14]
    sur = fit_surrogates(train, "y", features=["x1", "x2"], model="gp", seed=0,
                         groups="study", calibrate=calibrate)
    pred = sur.predict(test)
    inside = (test.y >= pred.y_lower) & (test.y <= pred.y_upper)
    return float(inside.mean()), sur


def test_calibration_by_study_restores_coverage_of_unseen_studies():
    raw = [held_out_coverage(False, s)[0] for s in (0, 2)]
    cal = [held_out_coverage(True, s)[0] for s in (0, 2)]
    assert max(raw) < 0.7           # within-study noise only: far too narrow
    assert all(0.88 <= c <= 1.0 for c in cal), cal
    sur = held_out_coverage(None, 0)[1]  # default with groups: calibrated
    assert sur["y"].estimator.factor_ > 2 and sur.config["calibrate"] is True


def test_well_specified_model_keeps_a_factor_near_one():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(120, 2))
    y = np.sin(3 * X[:, 0]) + 0.5 * X[:, 1] + rng.normal(0, 0.1, 120)
    est = Recalibrated(MaternGP(random_state=0), cv=5).fit(X, y)
    assert 0.75 < est.factor_ < 1.35 and est.n_calibration_ == 240  # 5-fold x 2
    m, s = est.predict(X[:5], return_std=True)
    m0, s0 = est.estimator_.predict(X[:5], return_std=True)
    np.testing.assert_allclose(m, m0)
    np.testing.assert_allclose(s, est.factor_ * s0)


def test_few_rows_leave_the_factor_at_one():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(12, 1))
    est = Recalibrated(MaternGP(random_state=0)).fit(X, np.sin(4 * X[:, 0]))
    assert est.factor_ == 1.0 and est.n_calibration_ == 0


def test_condition_on_keeps_factor_and_persistence_round_trips(tmp_path):
    _, sur = held_out_coverage(True, 0)
    tm = sur["y"]
    cond = tm.condition_on(pd.DataFrame({"x1": [0.5], "x2": [0.5]}), [3.0])
    assert cond.estimator.factor_ == tm.estimator.factor_
    assert cond.estimator.predict_latent(np.array([[0.5, 0.5]]))[0][0] > \
        tm.estimator.predict_latent(np.array([[0.5, 0.5]]))[0][0]
    sur.save(tmp_path / "m.skops")
    back = load_surrogates(tmp_path / "m.skops")
    grid = pd.DataFrame({"x1": [0.1, 0.9], "x2": [0.2, 0.3]})
    pd.testing.assert_frame_equal(back.predict(grid), sur.predict(grid))


def test_report_of_calibrated_model_is_recalibrated_inside_each_fold():
    df = studies(seed=2)
    sur = fit_surrogates(df, "y", features=["x1", "x2"], model="gp", seed=0,
                         groups="study")
    row = sur.report.frame.iloc[0] if hasattr(sur.report, "frame") else \
        pd.DataFrame(sur.report).iloc[0]
    assert 0.85 <= row["coverage_95"] <= 1.0
    assert row["cv"].startswith("group")


def test_bad_arguments_are_refused():
    X = np.zeros((25, 1))
    with pytest.raises(ModelError, match="coverage"):
        Recalibrated(MaternGP(), coverage=1.5).fit(X, np.arange(25.0))
    with pytest.raises(ModelError, match="group labels"):
        Recalibrated(MaternGP()).fit(X, np.arange(25.0), groups=[1, 2])
    with pytest.raises(ModelError, match="surrogate model"):
        Recalibrated(None).fit(X, np.arange(25.0))
    assert Z95 == pytest.approx(1.959964, abs=1e-5)


def test_auto_compares_candidates_as_they_will_be_calibrated():
    # Uncalibrated, the vague linear model wins on NLPD (the GP is sharp but too narrow
    # for unseen studies); once each candidate is rescaled by its own factor, the GP's
    # smaller errors win, and its reported row is the calibrated model's held-out one.
    df = studies(seed=0, offset_sd=0.2)
    kw = dict(features=["x1", "x2"], model="auto", groups="study", seed=0)
    raw = fit_surrogates(df, "y", calibrate=False, **kw)
    cal = fit_surrogates(df, "y", calibrate=True, **kw)
    assert raw["y"].model == "linear" and cal["y"].model == "gp"
    rep = pd.DataFrame(cal.report)
    assert rep["model"].tolist() == ["gp", "forest", "linear"]  # order kept
    chosen = rep[rep["selected"].astype(bool)].iloc[0]
    assert chosen["model"] == "gp" and chosen["coverage_95"] >= 0.9
    assert chosen["rmse"] < rep.loc[rep["model"] == "linear", "rmse"].iloc[0]


def test_factor_weighs_every_study_the_same():
    from ionopt.surrogates.calibration import calibration_factor

    # study A: 98 rows at |z| = 1; study B: 2 rows at |z| = 10. By rows the 95 % quantile
    # is A's; by studies, B is half the weight and sets it.
    y = np.concatenate([np.ones(98), np.full(2, 10.0)])
    mean, std = np.zeros(100), np.ones(100)
    groups = ["A"] * 98 + ["B"] * 2
    assert calibration_factor(y, mean, std) == pytest.approx(1.0 / Z95)
    assert calibration_factor(y, mean, std, groups=groups) == pytest.approx(10.0 / Z95)
    assert calibration_factor(y[:10], mean[:10], std[:10]) == 1.0  # too few rows
