"""Native backend on synthetic ground truths: where it proposes and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.optimizer import Objective, propose
from ionopt.optimizer.native import NativeBackend
from optimizer_helpers import line_space, mixture_space, mixture_truth


def bump(x):
    return np.exp(-((np.asarray(x) - 0.73) ** 2) / 0.02)


@pytest.mark.parametrize("smoothness", [1.5, 2.5])
def test_ei_closes_in_on_the_known_maximum_of_a_1d_function(smoothness):
    # The maximum (0.73) lies between the measured 0.6 and 0.9: the first proposal goes
    # into that bracket, and measuring each proposal in turn brings the best recipe to
    # within 0.01 of it in three more steps.
    space = line_space()
    x = np.array([0.05, 0.2, 0.35, 0.5, 0.6, 0.9, 0.95])
    data = pd.DataFrame({"x": x, "y": bump(x)})
    picks = []
    for step in range(4):
        out = NativeBackend(smoothness=smoothness).ask(space, data, 1, seed=step)
        picks.append(float(out["x"].iloc[0]))
        data = pd.concat([data, pd.DataFrame({"x": picks[-1:], "y": bump(picks[-1:])})],
                         ignore_index=True)
    assert 0.62 < picks[0] < 0.85
    assert min(abs(p - 0.73) for p in picks) < 0.01


def test_probability_of_feasibility_pushes_away_from_failing_threshold():
    # y peaks at x = 0.73, but the threshold target t is below 1 for x > 0.6.
    space = line_space([Objective("y"), Objective("t", threshold=1.0, weight=0)])
    x = np.linspace(0.0, 1.0, 11)
    data = pd.DataFrame({"x": x, "y": bump(x), "t": 2.0 - 2.0 * (x > 0.6)})
    out = NativeBackend().ask(space, data, 1, seed=0)
    assert out["x"].iloc[0] < 0.65
    plain = NativeBackend().ask(line_space(), data[["x", "y"]], 1, seed=0)
    assert plain["x"].iloc[0] > 0.65


def test_failed_region_is_avoided():
    # Films fail for x > 0.6 -- exactly where the objective would be best.
    space = line_space([Objective("y")])
    x = np.linspace(0.0, 1.0, 21)
    y = x.copy()
    failed = x > 0.6
    data = pd.DataFrame({"x": x, "y": np.where(failed, np.nan, y), "failed": failed})
    out = NativeBackend().ask(space, data, 2, seed=0)
    assert (out["x"] < 0.66).all()
    # Without the failure information the model would go to the upper end.
    free = NativeBackend().ask(space, pd.DataFrame({"x": x[~failed], "y": y[~failed]}), 1,
                               seed=0)
    assert free["x"].iloc[0] > 0.64


def test_batch_is_distinct_feasible_and_avoids_pending(mix_space, mix_data):
    pending = mix_space.sample(2, seed=99)
    backend = NativeBackend(tolerance=0.02)
    out = backend.ask(mix_space, mix_data, 4, pending=pending, seed=1)
    assert len(out) == 4 and mix_space.is_feasible(out).all()
    from ionopt.optimizer.backends.base import same_recipe
    s = same_recipe(mix_space, out, out, 0.02)
    assert s.sum() == 4  # only the diagonal
    assert not same_recipe(mix_space, out, pd.concat([mix_data, pending]), 0.02).any()
    # The best proposal improves on the data (a smooth truth, 20 points).
    assert mixture_truth(out).max() > mixture_truth(mix_data).max() - 0.05


def test_pending_changes_the_batch(mix_space, mix_data):
    first = NativeBackend().ask(mix_space, mix_data, 1, seed=3)
    second = NativeBackend().ask(mix_space, mix_data, 1, pending=first, seed=3)
    from ionopt.optimizer.backends.base import same_recipe
    assert not same_recipe(mix_space, second, first, 0.01).any()


def test_initial_design_below_threshold(mix_space):
    data = mix_space.sample(3, seed=0)
    data["conductivity_s_cm"] = 1e-3
    sug = NativeBackend().suggest(mix_space, data, 4, seed=0)
    assert sug.initial and len(sug.rows) == 4
    assert all(r.startswith("initial design") for r in sug.reasons)
    assert mix_space.is_feasible(sug.rows).all()


def test_multi_objective_parego_and_desirability(mix_space):
    space = mixture_space([Objective("conductivity_s_cm", transform="log10"),
                           Objective("tensile_strength_mpa", threshold=3.0)])
    data = space.sample(20, seed=2)
    data["conductivity_s_cm"] = 10 ** mixture_truth(data)
    data["tensile_strength_mpa"] = 1 + 8 * data["w_pvdf_hfp"]
    for multi in ("parego", "desirability"):
        out = propose(space, data, 3, seed=0, multi=multi)
        assert len(out) == 3 and space.is_feasible(out).all()
        assert (out["tensile_strength_mpa_pred"] > 2.0).all()
        assert np.isfinite(out["acquisition"]).all()


def test_ucb_and_penalization_options(mix_space, mix_data):
    for opts in ({"acquisition": "ucb"}, {"batch": "penalize"}, {"batch": "fantasy"},
                 {"refine": False}):
        out = NativeBackend(**opts).ask(mix_space, mix_data, 3, seed=0)
        assert len(out) == 3 and mix_space.is_feasible(out).all()


def test_unknown_option_is_refused():
    from ionopt.errors import SpaceError
    with pytest.raises(SpaceError, match="unknown option 'bogus'"):
        NativeBackend(bogus=1)


def test_fantasy_batches_are_distinct_feasible_and_reproducible(mix_space, mix_data):
    a = NativeBackend(batch="fantasy", n_fantasies=8).ask(mix_space, mix_data, 3, seed=3)
    b = NativeBackend(batch="fantasy", n_fantasies=8).ask(mix_space, mix_data, 3, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 3 and mix_space.is_feasible(a).all()
    assert len(a.round(6).drop_duplicates()) == 3


def test_fantasy_worlds_average_back_to_the_posterior():
    # Law of total expectation: averaged over many worlds conditioned on posterior
    # samples at x1, the mean at any x is the unconditioned posterior mean (and the
    # mixture sd the unconditioned sd); at x1 itself the acquisition of EI vanishes.
    from ionopt.optimizer.backends.base import usable_data
    from ionopt.optimizer.context import FantasyContext, fit_context

    space = line_space()
    x = np.array([0.05, 0.2, 0.35, 0.5, 0.6, 0.9, 0.95])
    table, failed = usable_data(space, pd.DataFrame({"x": x, "y": bump(x)}))
    ctx = fit_context(space, table, failed, seed=0)
    x1 = pd.DataFrame({"x": [0.75]})
    fan = FantasyContext(ctx, x1, 1000, np.random.default_rng(0))
    grid = ctx.encode(pd.DataFrame({"x": [0.1, 0.42, 0.7, 0.8]}))
    base, ev = ctx.evaluate(grid), fan.evaluate(grid)
    sd = base.std[:, 0]
    assert (np.abs(ev.mean[:, 0] - base.mean[:, 0]) <= 4 * sd / np.sqrt(1000)).all()
    np.testing.assert_allclose(ev.std[:, 0], sd, rtol=0.12)
    at_x1 = fan.evaluate(ctx.encode(x1)).acquisition[0]
    assert at_x1 < 1e-3 * ctx.evaluate(ctx.encode(x1)).acquisition[0]


def test_native_proposes_with_matern_three_halves_unless_told(mix_space, mix_data):
    from ionopt.errors import SpaceError

    default = NativeBackend().fit(mix_space, mix_data, seed=0)
    smooth = NativeBackend(smoothness=2.5).fit(mix_space, mix_data, seed=0)
    assert {m.estimator.nu for m in default.models.values()} == {1.5}
    assert {m.estimator.nu for m in smooth.models.values()} == {2.5}
    out = NativeBackend(smoothness=2.5).ask(mix_space, mix_data, 2, seed=0)
    assert len(out) == 2 and mix_space.is_feasible(out).all()
    with pytest.raises(SpaceError, match="smoothness: expected the Matern nu"):
        NativeBackend(smoothness=2.0)
