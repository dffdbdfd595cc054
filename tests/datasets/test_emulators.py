"""Emulators for benchmarks (issue #6): anchors, smoothness, known optima, noise, pools."""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.datasets import load_seed_dataset
from ionopt.datasets.emulators import (
    EMULATORS, BraninMixture, BraninMixtureCategorical, CALiSolPool, Hartmann6Mixture,
    OlympusP3HTPool, VirtualLab, VirtualLabMixture, branin, default_path, get_emulator,
    hartmann6, picks_to_top_k, rank_of_best_found,
)
from ionopt.datasets.emulators import virtual_lab as vl
from ionopt.datasets.emulators._base import dense_search
from ionopt.datasets.emulators.synthetic import stick_breaking, stick_joining
from ionopt.errors import DataError

# Every number of the seed dataset the virtual lab must reproduce (Fang et al. 2024).
ANCHORS = {
    "SE": {"conductivity_s_cm": 0.403e-3, "transference_number": 0.26},
    "CSE-20": {"conductivity_s_cm": 1.14e-3},
    "CSE-30": {"conductivity_s_cm": 1.187e-3},
    "CSE-40": {"conductivity_s_cm": 1.936e-3, "tensile_strength_mpa": 4.525,
               "stability_window_v": 5.0, "transference_number": 0.47},
    "CSE-50": {"conductivity_s_cm": 0.443e-3},
    "CSE-70": {"conductivity_s_cm": 0.208e-3},
    "SPE": {"conductivity_s_cm": 0.095e-3, "tensile_strength_mpa": 2.806,
            "transference_number": 0.15},
    "hBN-40": {"conductivity_s_cm": 0.429e-3, "tensile_strength_mpa": 3.987,
               "transference_number": 0.40},
}
SMALL = {"virtual_lab", "virtual_lab_mixture", "hartmann6_mixture", "branin_mixture",
         "branin_mixture_categorical"}


@pytest.fixture(scope="module")
def seed():
    return load_seed_dataset().set_index("sample_id")


@pytest.fixture(scope="module")
def lab():
    return VirtualLab()


# ---- virtual lab: anchors -------------------------------------------------------------
def test_anchors_reproduced_exactly_from_the_seed_table(lab, seed):
    out = lab.evaluate(seed)
    assert list(out.index) == list(seed.index)
    for sample, values in ANCHORS.items():
        assert not out.loc[sample, "failed"]
        for target, expected in values.items():
            assert out.loc[sample, target] == pytest.approx(expected, rel=1e-9), (sample, target)
    # every reported number of those targets in the seed table is hit
    for target in ("conductivity_s_cm", "tensile_strength_mpa", "stability_window_v",
                   "transference_number"):
        known = seed[target].notna()
        np.testing.assert_allclose(out.loc[known, target], seed.loc[known, target], rtol=1e-9)


def test_anchors_from_design_variables(lab):
    films = pd.DataFrame({
        "filler": ["amorphous_BN"] * 6 + ["none", "h_BN"],
        "pvdf_hfp_content": [0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 2.0, 0.4],
        "filler_to_salt": [1.0] * 6 + [float("nan"), 1.0],
        "drying_temp_c": [float("nan")] + [55] * 7,
        "process": ["cold_pressing"] + ["solution_casting"] * 7,
    }, index=["SE", "CSE-20", "CSE-30", "CSE-40", "CSE-50", "CSE-70", "SPE", "hBN-40"])
    out = lab.evaluate(films)
    for sample, values in ANCHORS.items():
        for target, expected in values.items():
            assert out.loc[sample, target] == pytest.approx(expected, rel=1e-9)


def test_mixture_form_reproduces_anchors_and_matches_content_form(lab):
    mix = VirtualLabMixture()
    films = pd.DataFrame({"filler": ["amorphous_BN", "amorphous_BN", "h_BN", "none"],
                          "w_filler": [1 / 2.8, 1 / 2.4, 1 / 2.8, 0.0],
                          "w_litfsi": [1 / 2.8, 1 / 2.4, 1 / 2.8, 1 / 3],
                          "w_pvdf_hfp": [0.8 / 2.8, 0.4 / 2.4, 0.8 / 2.8, 2 / 3],
                          "drying_temp_c": 55})
    out = mix.evaluate(films)
    assert out.loc[0, "conductivity_s_cm"] == pytest.approx(1.936e-3, rel=1e-9)
    assert out.loc[0, "tensile_strength_mpa"] == pytest.approx(4.525, rel=1e-9)
    assert out.loc[1, "conductivity_s_cm"] == pytest.approx(1.14e-3, rel=1e-9)
    assert out.loc[2, "conductivity_s_cm"] == pytest.approx(0.429e-3, rel=1e-9)
    assert out.loc[3, "conductivity_s_cm"] == pytest.approx(0.095e-3, rel=1e-9)
    # random films: the two descriptions are the same lab
    rng = np.random.default_rng(1)
    s = mix.sample(300, rng)
    content = s["w_pvdf_hfp"] / (s["w_filler"] + s["w_litfsi"])
    as_content = pd.DataFrame({"filler": s["filler"], "pvdf_hfp_content": content,
                               "filler_to_salt": s["w_filler"] / s["w_litfsi"],
                               "drying_temp_c": s["drying_temp_c"]})
    a, b = mix.evaluate(s), lab.evaluate(as_content)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


# ---- virtual lab: behaviour -----------------------------------------------------------
def test_optimum_near_but_not_at_cse40(lab):
    opt = lab.optimum()
    assert opt is lab.optimum()  # cached
    loc = opt.location
    assert loc["filler"] == "amorphous_BN" and loc["drying_temp_c"] == 55
    expected = math.log10(1.936e-3) - float(vl._ratio_penalty(np.array(1.0)))
    assert opt.value == pytest.approx(expected, abs=1e-9)
    assert opt.value > math.log10(1.936e-3) + 0.05          # better than the paper's film
    assert loc["filler_to_salt"] == pytest.approx(vl.RATIO_OPTIMUM, abs=1e-4)
    assert loc["pvdf_hfp_content"] == pytest.approx(0.4 * 2 * 1.4 / 2.4, abs=1e-4)
    assert abs(loc["pvdf_hfp_content"] - 0.4) < 0.1 and abs(loc["filler_to_salt"] - 1) < 0.5
    assert opt.targets["tensile_strength_mpa"] >= 4.0
    # no random film beats it
    s = lab.sample(20000, 0)
    out = lab.evaluate(s)
    ok = ~out["failed"] & (out["tensile_strength_mpa"] >= 4.0)
    assert np.log10(out.loc[ok, "conductivity_s_cm"]).max() <= opt.value + 1e-12
    # the mixture form finds the same film
    mopt = VirtualLabMixture().optimum()
    assert mopt.value == pytest.approx(opt.value, abs=1e-8)
    assert mopt.location["w_filler"] == pytest.approx(1.4 / (2.4 * (1 + 0.4 * 2.8 / 2.4)),
                                                      abs=1e-4)


def test_smooth_and_finite_on_random_films(lab):
    for emulator in (lab, VirtualLab(fillers=("amorphous_BN", "h_BN", "LLZTO", "none")),
                     VirtualLabMixture()):
        s = emulator.sample(2000, 7)
        out = emulator.evaluate(s)
        ok = ~out["failed"]
        assert ok.mean() > 0.75
        assert np.isfinite(out.loc[ok, list(emulator.targets)].to_numpy()).all()
        assert out.loc[~ok, list(emulator.targets)].isna().all().all()
        assert (out.loc[ok, "conductivity_s_cm"] > 0).all()
        assert out.loc[ok, "transference_number"].between(0, 1).all()
        assert (out.loc[ok, "tensile_strength_mpa"] >= 0).all()
    # continuity: a tiny step in each continuous variable moves log10 sigma a tiny amount
    s = lab.sample(2000, 3)
    s = s[s["pvdf_hfp_content"] > 0.11].reset_index(drop=True)
    base = np.log10(lab.evaluate(s)["conductivity_s_cm"])
    for column in ("pvdf_hfp_content", "filler_to_salt", "drying_temp_c"):
        moved = s.copy()
        moved[column] = moved[column] + 1e-6
        step = np.log10(lab.evaluate(moved)["conductivity_s_cm"]) - base
        assert np.abs(step).max() < 1e-4, column


def test_assumed_trends(lab):
    # too little binder: not a free-standing film when cast; a pressed pellet is fine
    films = pd.DataFrame({"filler": "amorphous_BN", "pvdf_hfp_content": [0.05, 0.05, 0.12],
                          "filler_to_salt": 1.0, "drying_temp_c": 55,
                          "process": ["solution_casting", "cold_pressing", "solution_casting"]})
    out = lab.evaluate(films)
    assert out["failed"].tolist() == [True, False, False]
    assert math.isnan(out.loc[0, "conductivity_s_cm"])
    # drying: 55 degC is the best default level for sigma; 40 degC weakens the film
    films = pd.DataFrame({"filler": "amorphous_BN", "pvdf_hfp_content": 0.4,
                          "filler_to_salt": 1.0, "drying_temp_c": [40, 55, 70, 85]})
    out = lab.evaluate(films)
    assert out["conductivity_s_cm"].idxmax() == 1
    assert out.loc[0, "tensile_strength_mpa"] < 4.0 < out.loc[1, "tensile_strength_mpa"]
    # the stability window of every paper film but CSE-40 is lower (paper: "lower")
    films = pd.DataFrame({"filler": ["amorphous_BN", "h_BN", "LLZTO", "none", "amorphous_BN"],
                          "pvdf_hfp_content": [0.4, 0.4, 0.4, 2.0, 0.7],
                          "filler_to_salt": 1.0, "drying_temp_c": 55})
    window = lab.evaluate(films)["stability_window_v"]
    assert window[0] == pytest.approx(5.0) and (window[1:] < 5.0).all()
    # tensile strength rises with binder content at first, then saturates
    films = pd.DataFrame({"filler": "amorphous_BN", "pvdf_hfp_content": [0.1, 0.2, 0.4, 0.7],
                          "filler_to_salt": 1.0, "drying_temp_c": 55})
    assert lab.evaluate(films)["tensile_strength_mpa"].is_monotonic_increasing


def test_noise_reproducible_with_a_seed(lab):
    s = lab.sample(50, 0)
    a = lab.evaluate(s, noise=True, rng=42)
    b = lab.evaluate(s, noise=True, rng=np.random.default_rng(42))
    clean = lab.evaluate(s)
    pd.testing.assert_frame_equal(a, b)
    ok = ~clean["failed"]
    assert not np.allclose(a.loc[ok, "conductivity_s_cm"], clean.loc[ok, "conductivity_s_cm"])
    scatter = np.log10(a.loc[ok, "conductivity_s_cm"] / clean.loc[ok, "conductivity_s_cm"])
    assert 0.02 < scatter.std() < 0.1
    assert a["failed"].equals(clean["failed"])
    assert VirtualLab(noise_scale=0).evaluate(s, noise=True, rng=1).equals(clean)


def test_virtual_lab_errors(lab):
    good = pd.DataFrame({"filler": ["amorphous_BN"], "pvdf_hfp_content": [0.4],
                         "filler_to_salt": [1.0], "drying_temp_c": [55]})
    with pytest.raises(DataError, match="missing column.*drying_temp_c"):
        lab.evaluate(good.drop(columns="drying_temp_c"))
    with pytest.raises(DataError, match="filler: unknown value 'graphene'"):
        lab.evaluate(good.assign(filler="graphene"))
    with pytest.raises(DataError, match=r"row 0: pvdf_hfp_content: expected a finite number"):
        lab.evaluate(good.assign(pvdf_hfp_content=-0.1))
    with pytest.raises(DataError, match="drying_temp_c"):
        lab.evaluate(good.assign(drying_temp_c=float("nan")))
    with pytest.raises(DataError, match="process"):
        lab.evaluate(good.assign(process="spin_coating"))
    with pytest.raises(DataError, match="DataFrame"):
        lab.evaluate({"filler": "amorphous_BN"})
    with pytest.raises(DataError, match="fillers"):
        VirtualLab(fillers=("graphene",))
    with pytest.raises(DataError, match="content_bounds"):
        VirtualLab(content_bounds=(1.0, 0.5))
    with pytest.raises(DataError, match="content_bounds: not used by the mixture form"):
        VirtualLabMixture(content_bounds=(0.0, 1.0))
    mix = VirtualLabMixture()
    films = pd.DataFrame({"filler": ["amorphous_BN"], "w_filler": [0.4], "w_litfsi": [0.4],
                          "w_pvdf_hfp": [0.3], "drying_temp_c": [55]})
    with pytest.raises(DataError, match="expected a sum of 1, got 1.1"):
        mix.evaluate(films)
    with pytest.raises(DataError, match="filler is 'none'"):
        mix.evaluate(films.assign(filler="none", w_pvdf_hfp=0.2))


def test_space_dicts_are_well_formed():
    import ionopt.optimizer as optimizer

    for name in sorted(SMALL):
        emulator = get_emulator(name)
        space = emulator.space_dict()
        assert set(space) == {"parameters", "constraints", "objectives"}
        names = [p["name"] for p in space["parameters"]]
        assert len(names) == len(set(names))
        for p in space["parameters"]:
            assert p["type"] in ("categorical", "continuous", "discrete")
            if p["type"] == "continuous":
                assert p["bounds"][0] < p["bounds"][1]
            else:
                assert len(p["values"]) >= 2
        for c in space["constraints"]:
            assert c["type"] in ("linear_equality", "linear_inequality")
            assert set(c["coefficients"]) <= set(names)
        for o in space["objectives"]:
            assert o["target"] in emulator.targets
            assert o["direction"] in ("maximize", "minimize")
        space["parameters"].clear()  # a copy: the emulator is unaffected
        assert emulator.space_dict()["parameters"]
        # random films respect bounds and constraints
        s = emulator.sample(200, 0)
        for c in emulator.space_dict()["constraints"]:
            total = sum(s[k] * v for k, v in c["coefficients"].items())
            if c["type"] == "linear_equality":
                np.testing.assert_allclose(total, c["rhs"], atol=1e-12)
            else:
                assert (total <= c["rhs"] + 1e-12).all()
        for p in emulator.space_dict()["parameters"]:
            if p["type"] == "continuous":
                assert s[p["name"]].between(*p["bounds"]).all()
            else:
                assert s[p["name"]].isin(p["values"]).all()
        assert not emulator.evaluate(s).isna().all().any()
        optimizer.SearchSpace.from_dict(emulator.space_dict())


def test_registry():
    assert set(EMULATORS) == SMALL | {"calisol_lipf6_ec_pc_dec", "olympus_p3ht"}
    assert isinstance(get_emulator("virtual_lab", tensile_threshold_mpa=None), VirtualLab)
    with pytest.raises(DataError, match="unknown name 'nope'.*virtual_lab"):
        get_emulator("nope")


# ---- test functions -------------------------------------------------------------------
def test_standard_functions_at_known_minima():
    x_star = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
    assert hartmann6(x_star)[0] == pytest.approx(-3.32237, abs=1e-5)
    for x1, x2 in ((-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)):
        assert branin(x1, x2) == pytest.approx(0.397887, abs=1e-6)
    w = np.random.default_rng(0).dirichlet(np.ones(4), 50)
    np.testing.assert_allclose(stick_joining(stick_breaking(w)), w, atol=1e-12)


def test_hartmann6_mixture_optimum():
    h = Hartmann6Mixture()
    opt = h.optimum()
    assert opt.value == pytest.approx(-3.32237, abs=1e-5)
    assert sum(opt.location[k] for k in h.MIXTURE) == pytest.approx(1.0, abs=1e-12)
    assert h.evaluate(pd.DataFrame([opt.location]))["hartmann6"][0] == pytest.approx(opt.value)
    found = dense_search(h, n_random=20000)
    assert found.value == pytest.approx(opt.value, abs=1e-6)
    assert h.evaluate(h.sample(5000, 1))["hartmann6"].min() > opt.value


def test_branin_mixture_optima():
    b = BraninMixture()
    assert b.optimum().value == pytest.approx(0.397887, abs=1e-6)
    assert dense_search(b).value == pytest.approx(0.397887, abs=1e-6)
    for x in ((-math.pi, 12.275), (math.pi, 2.275)):
        w = b.from_branin(*x)
        assert b.evaluate(pd.DataFrame([w]))["branin"][0] == pytest.approx(0.397887, abs=1e-6)
    c = BraninMixtureCategorical()
    assert c.optimum().location["grade"] == "B"
    found = dense_search(c)
    assert found.location["grade"] == "B" and found.value == pytest.approx(0.397887, abs=1e-6)
    s = c.sample(3000, 2)
    out = c.evaluate(s)
    for grade, (_, _, offset) in c.GRADES.items():
        assert out.loc[s["grade"] == grade, "branin"].min() >= 0.397887 + offset - 1e-6


def test_synthetic_noise_and_errors():
    b = BraninMixture(noise_sd=0.5)
    s = b.sample(20, 0)
    pd.testing.assert_frame_equal(b.evaluate(s, noise=True, rng=3),
                                  b.evaluate(s, noise=True, rng=3))
    assert not b.evaluate(s, noise=True, rng=3).equals(b.evaluate(s))
    with pytest.raises(DataError, match="w_a \\+ w_b \\+ w_c: expected a sum of 1"):
        b.evaluate(pd.DataFrame({"w_a": [0.5], "w_b": [0.5], "w_c": [0.5]}))
    with pytest.raises(DataError, match="w_a"):
        b.evaluate(pd.DataFrame({"w_a": [1.5], "w_b": [-0.25], "w_c": [-0.25]}))
    with pytest.raises(DataError, match="grade: unknown value 'Z'"):
        BraninMixtureCategorical().evaluate(
            pd.DataFrame({"w_a": [0.5], "w_b": [0.2], "w_c": [0.3], "grade": ["Z"]}))
    with pytest.raises(DataError, match="noise_sd"):
        Hartmann6Mixture(noise_sd=-1)


# ---- pools ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calisol(shared_data):
    return CALiSolPool(shared_data / "calisol23" / "calisol23.csv")


@pytest.fixture(scope="module")
def p3ht(shared_data):
    return OlympusP3HTPool(shared_data / "olympus-p3ht" / "data.csv")


def test_calisol_pool(calisol, shared_data):
    assert len(calisol) == 118 and calisol.temperature_k == pytest.approx(302.55)
    cand = calisol.candidates()
    assert list(cand.columns) == ["candidate_id", "w_ec", "w_pc", "w_dec",
                                  "salt_molality_mol_kg"]
    np.testing.assert_allclose(cand[["w_ec", "w_pc", "w_dec"]].sum(axis=1), 1.0)
    raw = pd.read_csv(shared_data / "calisol23" / "calisol23.csv")
    rows = raw[(raw["doi"] == "10.1149/1.1566019") & ((raw["T"] - 303).abs() <= 1)]
    opt = calisol.optimum()
    assert opt.targets["conductivity_s_cm"] == pytest.approx(rows["k"].max() / 1000)
    assert opt.value == pytest.approx(math.log10(rows["k"].max() / 1000))
    assert opt.location["candidate_id"] == int(np.argmax(calisol.table()["conductivity_s_cm"]))
    # by id or by values, same answer; values straight from the source file
    by_id = calisol.evaluate(cand.iloc[[5, 17]])
    by_value = calisol.evaluate(cand.iloc[[5, 17]].drop(columns="candidate_id"))
    pd.testing.assert_frame_equal(by_id, by_value)
    first = rows.iloc[0]
    hit = calisol.evaluate(pd.DataFrame({"w_ec": [first["EC"]], "w_pc": [first["PC"]],
                                         "w_dec": [first["DEC"]],
                                         "salt_molality_mol_kg": [first["c"]]}))
    assert hit["conductivity_s_cm"][0] == pytest.approx(first["k"] / 1000, rel=1e-12)
    # only pool rows are accepted
    off = cand.drop(columns="candidate_id").iloc[[0]].assign(salt_molality_mol_kg=0.3)
    with pytest.raises(DataError, match="is not in the pool"):
        calisol.evaluate(off)
    with pytest.raises(DataError, match="candidate_id.*0..117"):
        calisol.evaluate(pd.DataFrame({"candidate_id": [118]}))
    with pytest.raises(DataError, match="no rows of doi 10.1149/1.1566019 within 1 K of 400 K"):
        CALiSolPool(shared_data / "calisol23" / "calisol23.csv", temperature_k=400)


def test_p3ht_pool(p3ht):
    assert len(p3ht) == 178
    cand = p3ht.candidates()
    fractions = [c for c in cand.columns if c.startswith("w_")]
    assert fractions == ["w_p3ht", "w_d1", "w_d2", "w_d6", "w_d8"]
    np.testing.assert_allclose(cand[fractions].sum(axis=1), 1.0, atol=1e-12)
    opt = p3ht.optimum()
    assert opt.value == pytest.approx(838.31) and opt.location["candidate_id"] == 85
    s = p3ht.sample(30, 0)
    assert s["candidate_id"].is_unique
    a = p3ht.evaluate(s, noise=True, rng=5)
    pd.testing.assert_frame_equal(a, p3ht.evaluate(s, noise=True, rng=5))
    assert not p3ht.evaluate(s)["failed"].any()
    with pytest.raises(DataError, match="not in the pool"):
        p3ht.evaluate(pd.DataFrame({c: [0.2] for c in fractions}))


def test_pool_scoring(p3ht):
    values = p3ht.objective_values()
    order = np.argsort(-values)
    best_first = p3ht.candidates().iloc[order]
    assert p3ht.picks_needed(best_first) == 1
    assert p3ht.picks_needed(best_first.iloc[::-1]) == len(p3ht)
    assert p3ht.picks_needed(best_first.iloc[::-1], k=5, mode="all") == len(p3ht)
    assert p3ht.picks_needed(best_first.iloc[::-1], k=5) == len(p3ht) - 4
    assert p3ht.picks_needed(best_first.iloc[5:20]) is None


def test_rank_and_picks_helpers():
    pool = [1.0, 5.0, 3.0, 5.0, 2.0]
    assert rank_of_best_found([2.0, 1.0, 3.0, 5.0], pool).tolist() == [4, 4, 3, 1]
    assert rank_of_best_found([3.0, 1.0], pool, direction="minimize").tolist() == [3, 1]
    assert picks_to_top_k([2.0, 3.0, 5.0], pool) == 3
    assert picks_to_top_k([2.0, 3.0], pool, k=3) == 2
    assert picks_to_top_k([5.0, 2.0, 5.0], pool, k=2, mode="all") == 3
    assert picks_to_top_k([1.0, 2.0], pool) is None
    assert picks_to_top_k([], pool) is None
    with pytest.raises(DataError, match="k: expected >= 1"):
        picks_to_top_k([1.0], pool, k=0)


def test_default_path(monkeypatch, tmp_path, shared_data):
    monkeypatch.delenv("IONOPT_SHARED_DATA", raising=False)
    assert default_path("calisol23") == shared_data / "calisol23" / "calisol23.csv"
    monkeypatch.setenv("IONOPT_SHARED_DATA", str(tmp_path))
    with pytest.raises(DataError, match=f"{tmp_path}.*not found.*IONOPT_SHARED_DATA"):
        default_path("olympus_p3ht")
    with pytest.raises(DataError, match="not found"):
        get_emulator("calisol_lipf6_ec_pc_dec")
    with pytest.raises(DataError, match="unknown dataset"):
        default_path("nope")
    with pytest.raises(DataError, match="not found"):
        CALiSolPool(tmp_path / "missing.csv")
