"""The campaign simulator: traces, targets, reproducibility, constraints, pools, metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.datasets.emulators import BraninMixture, PoolEmulator, VirtualLab
from ionopt.errors import SpaceError
from ionopt.optimizer.simulate import (Run, SimulationResult, Strategy, Target, best_so_far,
                                       campaign_space,
                                       censored_quantiles, experiments_to_target,
                                       hypervolume_2d, hypervolume_trace, run_campaign,
                                       simulate, target_for)
from ionopt.optimizer.simulate_report import compare, headline, paired, render_speed


class TinyPool(PoolEmulator):
    """24 made-up formulations on a 3-part mixture (no external data)."""

    name = "tiny_pool"
    targets = ("conductivity_s_cm",)

    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(3)
        w = rng.dirichlet([1.0, 1.0, 1.0], size=24)
        log_sigma = -3 - 4 * (w[:, 0] - 0.5) ** 2 - 3 * (w[:, 1] - 0.3) ** 2
        self._pool = pd.DataFrame({"w_a": w[:, 0], "w_b": w[:, 1], "w_c": w[:, 2],
                                   "conductivity_s_cm": 10 ** log_sigma})

    def space_dict(self) -> dict:
        cols = ["w_a", "w_b", "w_c"]
        return {"parameters": [{"name": c, "type": "continuous", "bounds": [0.0, 1.0]}
                               for c in cols],
                "constraints": [{"type": "linear_equality",
                                 "coefficients": {c: 1.0 for c in cols}, "rhs": 1.0}],
                "objectives": [{"target": "conductivity_s_cm", "direction": "maximize",
                                "transform": "log10"}]}


# ---- metrics on hand-made numbers ------------------------------------------------------


def test_best_so_far_is_monotone_and_skips_invalid_rows():
    values = [np.nan, 1.0, 3.0, 2.0, 9.0, 5.0]
    valid = [True, True, True, True, False, True]
    assert np.allclose(best_so_far(values, valid)[1:], [1, 3, 3, 3, 5])
    assert np.isnan(best_so_far(values, valid)[0])
    low = best_so_far([4.0, 5.0, 1.0, 2.0], direction="minimize")
    assert np.allclose(low, [4, 4, 1, 1])


def test_experiments_to_target_on_a_hand_made_trace():
    trace = [np.nan, 1.0, 3.0, 3.0, 5.0]
    assert experiments_to_target(trace, 3.0) == 3
    assert experiments_to_target(trace, 0.5) == 2
    assert experiments_to_target(trace, 5.0) == 5
    assert math.isnan(experiments_to_target(trace, 6.0))
    assert experiments_to_target([4.0, 2.0, 0.4], 0.5, direction="minimize") == 3


def test_hypervolume_of_a_known_2d_set():
    pts = np.array([[1, 3], [2, 2], [3, 1], [1.5, 1.5], [np.nan, 9]])  # 4th dominated
    assert hypervolume_2d(pts, (0, 0)) == pytest.approx(6.0)
    assert hypervolume_2d(pts, (1, 1)) == pytest.approx(1.0)  # only (2, 2), (1.5, 1.5) rise
    assert hypervolume_2d(pts, (0, 1)) == pytest.approx(3.0)  # (3, 1) sits on the line
    assert hypervolume_2d(pts, (5, 5)) == 0.0
    assert np.allclose(hypervolume_trace(pts[:3], (0, 0)), [3, 5, 6])


def test_censored_quantiles_and_ratios():
    q = censored_quantiles([10, 20, np.nan])
    assert q[1] == 20 and math.isinf(q[2])
    assert math.isinf(censored_quantiles([np.nan, np.nan, 5])[1])
    assert compare(10, 20, 40)[0] == "0.50"
    text, low, high = compare(math.inf, 20, 40)  # native censored
    assert text == "> 2.00" and low == 2 and math.isinf(high)
    text, low, high = compare(10, math.inf, 40)  # peer censored
    assert text == "< 0.25" and high == 0.25
    assert compare(math.inf, math.inf, 40)[0] == "neither reached"


def test_targets():
    lab = VirtualLab()
    t = target_for(lab)
    assert t.rule == "sigma_2pct"
    assert t.value == pytest.approx(lab.optimum().value + math.log10(0.98))
    b = target_for(BraninMixture())
    assert b.rule == "regret_2pct" and b.value > b.optimum  # minimized
    assert b.value - b.optimum == pytest.approx(0.02 * (b.median - b.optimum))
    assert target_for(lab, -3.0).value == -3.0


def test_campaign_space_makes_the_threshold_a_pure_constraint():
    space = campaign_space(VirtualLab())
    objs = space.objectives
    assert [o.weight for o in objs] == [1.0, 0.0] and objs[1].threshold == 4.0
    assert len(campaign_space(VirtualLab(), "all").objectives.optimized) == 2


def test_strategy_validation():
    with pytest.raises(SpaceError):
        Strategy("random", options={"x": 1})
    with pytest.raises(SpaceError):
        Strategy("native", batch_size=0)
    with pytest.raises(SpaceError):
        Strategy("nope").check()
    assert Strategy("native", options={"acquisition": "ucb"}).name == "native[acquisition=ucb]"


# ---- campaigns ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["random", "sobol", "native"])
def test_traces_are_monotone_and_the_design_is_shared(backend):
    emu = BraninMixture()
    run = run_campaign(emu, Strategy(backend, batch_size=2, n_initial=4), budget=10, seed=5)
    table = run.experiments
    assert run.error is None and len(table) == 10
    assert table["experiment"].tolist() == list(range(1, 11))
    assert (np.diff(run.trace) <= 1e-12).all()  # minimized: never gets worse
    assert len(run.proposal_seconds) == 3  # (10 - 4) / 2 proposals after the design
    other = run_campaign(emu, Strategy("random", batch_size=2, n_initial=4), budget=10, seed=5)
    cols = ["w_a", "w_b", "w_c"]
    assert np.allclose(table.loc[table["batch"] == 0, cols],
                       other.experiments.loc[other.experiments["batch"] == 0, cols])


def test_same_seed_same_result():
    emu = BraninMixture()
    strat = Strategy("native", batch_size=2, n_initial=4)
    a = run_campaign(emu, strat, budget=8, seed=1).experiments
    b = run_campaign(emu, strat, budget=8, seed=1).experiments
    pd.testing.assert_frame_equal(a, b)
    c = run_campaign(emu, strat, budget=8, seed=2).experiments
    assert not np.allclose(a[["w_a", "w_b"]], c[["w_a", "w_b"]])


@pytest.mark.parametrize("backend", ["random", "sobol"])
def test_model_free_peers_respect_constraints(backend):
    for emu in (VirtualLab(), BraninMixture()):
        run = run_campaign(emu, Strategy(backend, batch_size=3, n_initial=3), budget=15,
                           seed=0)
        space = campaign_space(emu)
        rows = run.experiments[space.names]
        assert space.is_feasible(rows, tol=1e-9).all()
    lab = run_campaign(VirtualLab(), Strategy(backend, batch_size=3, n_initial=3),
                       budget=15, seed=0).experiments
    assert (lab["pvdf_hfp_content"] <= 0.7 + 1e-12).all()
    assert "hypervolume" in lab and (np.diff(lab["hypervolume"]) >= 0).all()


@pytest.mark.parametrize("backend", ["random", "sobol", "native", "optuna-tpe"])
def test_pool_mode_never_repeats_a_row(backend):
    pool = TinyPool()
    run = run_campaign(pool, Strategy(backend, batch_size=3, n_initial=4), budget=19, seed=2)
    ids = run.experiments["candidate_id"].to_numpy()
    assert run.error is None and len(ids) == 19
    assert len(set(ids.tolist())) == len(ids)
    truth = pool.table().set_index("candidate_id").loc[ids, "conductivity_s_cm"]
    assert np.allclose(np.log10(truth.to_numpy()), run.experiments["objective"])


def test_simulate_in_parallel_equals_serial_and_summarizes():
    pool = TinyPool()
    strat = Strategy("random", batch_size=2, n_initial=4)
    par = simulate(pool, strat, budget=12, seeds=[0, 1, 2], n_jobs=2)
    ser = simulate(pool, strat, budget=12, seeds=[0, 1, 2], n_jobs=1)
    assert np.allclose(par.traces(), ser.traces(), equal_nan=True)
    s = par.summary()
    assert s["seeds"] == 3 and s["budget"] == 12 and 0 <= s["reached"] <= 1
    ett = par.experiments_to_target()
    for run, e in zip(par.runs, ett):
        assert math.isnan(e) or run.trace[int(e) - 1] >= par.target.value - 1e-12
    calls = []
    simulate(pool, strat, budget=8, seeds=2, n_jobs=1, progress=lambda d, t: calls.append(d))
    assert calls == [0, 1, 2]


def test_render_speed_section_structure():
    fake = {"latency": {"space": "6 parameters", "notes": [],
                        "cases": {"native": {"label": "native", "median_s": 1.0, "q1_s": 0.9,
                                             "q3_s": 1.1, "repeats": 3},
                                  "optuna-gp": {"label": "gp", "median_s": 3.0, "q1_s": 2.9,
                                                "q3_s": 3.1, "repeats": 3}}},
            "scoring": {"n": 1000, "native": {"label": "score", "median_s": 0.5},
                        "peer": {"label": "sklearn", "median_s": 1.0}},
            "startup": {"ionopt --help": {"median_s": 0.05, "q1_s": 0.04, "q3_s": 0.06}}}
    text = "\n".join(render_speed(fake))
    assert "| gp | 3.000 | 2.900 – 3.100 | 3.00 |" in text
    assert "Scoring throughput: 1,000 candidates" in text and "| 2.00 |" in text
    assert "Not run" in "\n".join(render_speed(None))


def _fake(name: str, traces: list[list[float]]) -> SimulationResult:
    runs = [Run(i, pd.DataFrame({"best_so_far": t}), np.zeros(1)) for i, t in enumerate(traces)]
    return SimulationResult("fake", Strategy(name), len(traces[0]),
                            Target(3.0, "value", "reach 3", 4.0), "maximize", runs)


def test_headline_and_paired_comparison_on_hand_made_traces():
    native = _fake("native", [[1, 3, 3, 4], [1, 2, 3, 3], [1, 1, 1, 1]])  # 2, 3, never
    peer = _fake("optuna-gp", [[1, 1, 3, 4], [3, 3, 3, 3], [1, 1, 1, 1]])  # 3, 1, never
    rnd = _fake("random", [[1, 1, 1, 1], [1, 1, 1, 3], [1, 1, 1, 1]])  # never, 4, never
    assert list(native.experiments_to_target()[:2]) == [2, 3]
    assert paired(native, peer) == (1, 1, 1)
    h = headline({"native": native, "optuna-gp": peer, "random": rnd}, 4)
    assert h["best_peer"] == "optuna-gp" and h["vs_best"][0] == "1.00"  # medians 3 and 3
    assert h["vs_random"][0] == "< 0.75"  # random's median is censored (> 4)


def test_noisy_suite_is_the_standard_suite_with_noise_on():
    from ionopt.optimizer.simulate_suite import get_suite

    std, noisy = get_suite("standard"), get_suite("noisy")
    assert noisy.noise and not std.noise
    assert noisy.cases == std.cases and noisy.backends == std.backends
    # with noise on the strategy sees noisy values; the trace (scores) stays noise-free
    emu = BraninMixture()
    strat = Strategy("random", batch_size=2, n_initial=4)
    quiet = run_campaign(emu, strat, budget=6, seed=3)
    loud = run_campaign(emu, strat, budget=6, seed=3, noise=True)
    cols = ["w_a", "w_b", "w_c"]
    assert np.allclose(quiet.experiments[cols], loud.experiments[cols])
    target = [c for c in quiet.experiments.columns if c.startswith("branin")][0]
    assert not np.allclose(quiet.experiments[target], loud.experiments[target])
    np.testing.assert_allclose(quiet.trace, loud.trace)
