"""Fixtures for the surrogate tests."""

from __future__ import annotations

import numpy as np
import pytest

from _synth import FILLERS, make_table
from ionopt.surrogates import FeatureSpec


@pytest.fixture
def spec():
    return FeatureSpec(continuous={"pvdf_hfp_content": (0.0, 1.0), "drying_temp_c": (40, 85)},
                       categorical={"filler": FILLERS})


@pytest.fixture
def table():
    return make_table(40, np.random.default_rng(1))
