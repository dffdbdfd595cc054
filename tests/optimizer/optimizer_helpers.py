"""Synthetic spaces and ground truths shared by the optimizer tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ionopt.optimizer.constraints import LinearEquality, LinearInequality
from ionopt.optimizer.objectives import Objective
from ionopt.optimizer.space import Categorical, Continuous, Discrete, Fixed, SearchSpace


def mixture_space(objectives=None) -> SearchSpace:
    """Filler + 3-component mixture + drying temperature; the latency-benchmark shape."""
    return SearchSpace(
        [Categorical("filler", ["amorphous_BN", "h_BN", "LLZTO"]),
         Continuous("w_filler", (0.0, 0.6)), Continuous("w_litfsi", (0.1, 0.7)),
         Continuous("w_pvdf_hfp", (0.1, 0.6)), Discrete("drying_temp_c", [40, 55, 70, 85]),
         Fixed("drying_time_h", 36)],
        [LinearEquality({"w_filler": 1, "w_litfsi": 1, "w_pvdf_hfp": 1}, 1.0),
         LinearInequality({"w_filler": 1, "w_litfsi": 1}, 0.5, sense=">=")],
        objectives or [Objective("conductivity_s_cm", "maximize", "log10")])


def mixture_truth(df: pd.DataFrame) -> np.ndarray:
    """A smooth synthetic log10 conductivity, best for amorphous_BN near w_filler 0.3."""
    offset = df["filler"].map({"amorphous_BN": 0.0, "h_BN": -0.5, "LLZTO": -0.3}).to_numpy()
    return (-3.0 - 8 * (df["w_filler"] - 0.3) ** 2 - 6 * (df["w_pvdf_hfp"] - 0.3) ** 2
            + offset - 1e-4 * (df["drying_temp_c"] - 55) ** 2).to_numpy()


def line_space(objectives=None, bounds=(0.0, 1.0)) -> SearchSpace:
    return SearchSpace([Continuous("x", bounds)], (),
                       objectives or [Objective("y", "maximize")])


def toy_space(objectives=None) -> SearchSpace:
    """A film: filler label, a 3-part mixture with bounds and an inequality, an oven."""
    if objectives is None:
        objectives = [Objective("cond_s_cm", transform="log10"),
                      Objective("strength_mpa", threshold=2.0, weight=0)]
    return SearchSpace(
        [Categorical("filler", ["a_BN", "h_BN"]),
         Continuous("w_filler", (0.0, 0.6)), Continuous("w_litfsi", (0.1, 1.0)),
         Continuous("w_pvdf", (0.0, 1.0)), Discrete("drying_temp_c", [40, 55, 70]),
         Fixed("stirring_time_h", 24)],
        [LinearEquality({"w_filler": 1, "w_litfsi": 1, "w_pvdf": 1}, 1.0),
         LinearInequality({"w_filler": 1, "w_litfsi": 1}, 0.3, sense=">=")],
        objectives)


def toy_data(space: SearchSpace, n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` measured films of :func:`toy_space` (none failed)."""
    data = space.sample(n, seed=seed)
    rng = np.random.default_rng(seed)
    data["cond_s_cm"] = 10 ** (-4 + data["w_filler"] - data["w_pvdf"]
                               + rng.normal(0, 0.05, n))
    data["strength_mpa"] = 5 * data["w_pvdf"]
    data["failed"] = False
    return data


def tight_inequality_space() -> SearchSpace:
    """A 3-part mixture whose first part is capped at 0.15 by an inequality."""
    return SearchSpace(
        [Continuous("w_a", (0, 1)), Continuous("w_b", (0, 1)), Continuous("w_c", (0, 1))],
        [LinearEquality({"w_a": 1, "w_b": 1, "w_c": 1}, 1.0),
         LinearInequality({"w_a": 1}, 0.15)],
        [Objective("y")])
