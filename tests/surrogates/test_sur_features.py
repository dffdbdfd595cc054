
import numpy as np
import pandas as pd
import pytest

from ionopt.errors import ModelError
from ionopt.surrogates import FeatureSpec, default_feature_columns


def test_encode_scales_and_one_hot(spec):
    df = pd.DataFrame({"pvdf_hfp_content": [0.0, 0.5, 1.0], "drying_temp_c": [40, 85, 62.5],
                       "filler": ["h_BN", "amorphous_BN", "LLZTO"]})
    X = spec.encode(df)
    assert X.dtype == np.float64
    assert spec.names == ["pvdf_hfp_content", "drying_temp_c", "filler"]
    assert spec.encoded_names == ["pvdf_hfp_content", "drying_temp_c", "filler=amorphous_BN",
                                  "filler=h_BN", "filler=LLZTO"]
    np.testing.assert_allclose(X, [[0, 0, 0, 1, 0], [0.5, 1, 1, 0, 0], [1, 0.5, 0, 0, 1]])


def test_unseen_category_warns_or_raises(spec):
    df = pd.DataFrame({"pvdf_hfp_content": [0.2], "drying_temp_c": [50], "filler": ["LLZO"]})
    with pytest.warns(UserWarning, match="unseen category LLZO"):
        X = spec.encode(df)
    assert X[0, 2:].sum() == 0
    with pytest.raises(ModelError, match="unseen category LLZO"):
        spec.encode(df, unseen="error")


def test_missing_value_is_a_clear_error_unless_filled(spec):
    df = pd.DataFrame({"pvdf_hfp_content": [0.2, 0.3], "drying_temp_c": [50, np.nan],
                       "filler": ["h_BN", "h_BN"]})
    with pytest.raises(ModelError, match="drying_temp_c: 1 row"):
        spec.encode(df)
    filled = FeatureSpec(spec.continuous, spec.categorical, fill={"drying_temp_c": 40.0})
    assert filled.encode(df)[1, 1] == 0.0
    with pytest.raises(ModelError, match="filler_to_salt: missing column"):
        FeatureSpec({"filler_to_salt": (0, 2)}).encode(df)


def test_derived_columns_computed_from_masses():
    df = pd.DataFrame({"filler_g": [1.0, 1.0], "litfsi_g": [1.0, 1.0], "pvdf_hfp_g": [0.8, 0.4],
                       "filler": ["amorphous_BN"] * 2})
    fs = FeatureSpec({"pvdf_hfp_content": (0.0, 1.0)})
    np.testing.assert_allclose(fs.encode(df)[:, 0], [0.4, 0.2])


def test_infer_bounds_with_margin_and_categories():
    df = pd.DataFrame({"x": [1.0, 3.0], "c": ["b", "a"]})
    fs = FeatureSpec.infer(df, ["x", "c"], margin=0.1)
    assert fs.continuous == {"x": (0.8, 3.2)}
    assert fs.categorical == {"c": ["a", "b"]}


def test_descriptor_hook_replaces_one_hot():
    fs = FeatureSpec({"x": (0, 1)}, {"filler": ["a", "b", "c"]},
                     descriptors={"filler": {"a": [1.0, 10.0], "b": [3.0, 10.0], "c": [2.0, 20.0]}})
    X = fs.encode(pd.DataFrame({"x": [0.5, 0.5], "filler": ["b", "c"]}))
    assert fs.encoded_names == ["x", "filler:d0", "filler:d1"]
    np.testing.assert_allclose(X, [[0.5, 1.0, 0.0], [0.5, 0.5, 1.0]])


def test_bad_specs_rejected():
    with pytest.raises(ModelError, match="lower < upper"):
        FeatureSpec({"x": (1, 1)})
    with pytest.raises(ModelError, match="list of categories"):
        FeatureSpec(categorical={"f": "abc"})


def test_encode_many_rows(spec):
    # Speed is measured by benchmarks/bench_surrogates.py, not here.
    rng = np.random.default_rng(0)
    n = 200_000
    df = pd.DataFrame({"pvdf_hfp_content": rng.uniform(size=n),
                       "drying_temp_c": rng.uniform(40, 85, n),
                       "filler": rng.choice(spec.categorical["filler"], n)})
    X = spec.encode(df)
    assert X.shape == (n, 5) and np.allclose(X[:, 2:].sum(axis=1), 1.0)


def test_default_features_on_seed():
    from ionopt.datasets import load_seed_dataset

    df = load_seed_dataset()
    df = df[df["conductivity_s_cm"].notna()]
    cols = default_feature_columns(df)
    # drying_temp_c is NaN for the cold-pressed SE and is left out; constants too
    assert cols == ["pvdf_hfp_content", "filler_to_salt", "filler", "process"]
