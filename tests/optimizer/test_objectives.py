"""Objectives: orientation, thresholds, Pareto front, desirability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import SpaceError
from ionopt.optimizer import Objective, Objectives
from ionopt.optimizer.objectives import pareto_front_mask, parse_failed


def test_oriented_values_transform_and_sign():
    objs = Objectives([Objective("sigma", "maximize", "log10"),
                       Objective("cost", "minimize")])
    data = pd.DataFrame({"sigma": [1e-3, 1e-4, np.nan], "cost": [2.0, 1.0, 3.0],
                         "failed": [False, True, False]})
    v = objs.oriented_values(data)
    assert v[0].tolist() == [-3.0, -2.0]
    assert np.isnan(v[1]).all()  # failed row
    assert np.isnan(v[2, 0]) and v[2, 1] == -3.0


def test_thresholds_are_outcome_constraints():
    objs = Objectives([Objective("sigma", "maximize", "log10"),
                       Objective("tensile", "maximize", threshold=4.0),
                       Objective("loss", "minimize", threshold=0.2, weight=0)])
    data = pd.DataFrame({"sigma": [1e-3] * 4, "tensile": [4.5, 3.9, 5.0, np.nan],
                         "loss": [0.1, 0.1, 0.3, 0.1]})
    assert objs.feasible(data).tolist() == [True, False, False, False]
    assert [o.target for o in objs.optimized] == ["sigma", "tensile"]
    assert objs.is_multi


def test_weight_zero_needs_threshold():
    with pytest.raises(SpaceError, match="expected a threshold"):
        Objective("x", weight=0)
    with pytest.raises(SpaceError, match="at least one target to optimize"):
        Objectives([Objective("x", threshold=1, weight=0)])
    with pytest.raises(SpaceError, match="threshold: expected > 0"):
        Objective("x", transform="log10", threshold=-1)


def test_pareto_mask_on_a_known_set():
    values = np.array([[1, 5], [2, 4], [3, 3], [2, 2], [0, 5], [3, 3], [1, 1]], float)
    assert pareto_front_mask(values).tolist() == [True, True, True, False, False, True,
                                                  False]
    objs = Objectives([Objective("a"), Objective("b", "minimize")])
    data = pd.DataFrame({"a": [1, 2, 3, 2], "b": [-5, -4, -3, np.nan]})
    assert objs.pareto_mask(data).tolist() == [True, True, True, False]


def test_desirability_closed_form():
    objs = Objectives([Objective("a", bounds=(0, 10), weight=1),
                       Objective("b", "minimize", bounds=(100, 0), weight=3)])
    data = pd.DataFrame({"a": [5.0, 10.0, 0.0], "b": [20.0, 0.0, 50.0]})
    d = objs.desirability(data)
    expected0 = 0.5 ** 0.25 * 0.8 ** 0.75
    assert d[0] == pytest.approx(expected0)
    assert d[1] == pytest.approx(1.0)
    assert d[2] == pytest.approx(0.0)


def test_desirability_threshold_is_the_floor():
    objs = Objectives([Objective("t", threshold=4.0, bounds=(0, 8))])
    d = objs.desirability(pd.DataFrame({"t": [3.0, 4.0, 6.0, 9.0]}))
    assert d.tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0])


def test_parse_failed_column():
    assert parse_failed(pd.Series(["true", "False", "", None, "1", "yes"])).tolist() == \
        [True, False, False, False, True, True]
    with pytest.raises(Exception, match="expected true/false"):
        parse_failed(pd.Series(["maybe"]))
