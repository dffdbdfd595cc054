"""Equivalent-circuit fits from a circuit string (ionopt.analysis.circuit_fit)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ionopt.analysis import CircuitFitResult, fit_circuit
from ionopt.analysis.circuits import parse_circuit
from ionopt.errors import AnalysisError

F = np.geomspace(1e-2, 1e5, 50)


def _spec(circuit, params, noise=0.0, seed=1, f=F):
    z = parse_circuit(circuit).impedance(f, params)
    if noise:
        rng = np.random.default_rng(seed)
        z = z + noise * np.abs(z) * (rng.standard_normal(z.size)
                                     + 1j * rng.standard_normal(z.size))
    return {"freq_hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag}


# ------------------------------------------------------------------------ parser


@pytest.mark.parametrize("text", ["R0", "R0-C1", "R0-p(R1,C1)-p(R2-W1,C2)",
                                  "L0-R0-p(R1,CPE1)-Wo1", "p(R1,p(R2,C2)-C3,CPE1)"])
def test_parser_round_trip(text):
    c = parse_circuit(text)
    assert str(c) == text
    assert parse_circuit(str(c)) == c
    assert parse_circuit(" " + text.replace("-", " - ") + " ") == c


def test_parser_parameter_names_and_values():
    c = parse_circuit("R0-p(R1,CPE1)-Wo1")
    assert c.param_names == ["R0", "R1", "CPE1_Q", "CPE1_n", "Wo1_Z0", "Wo1_tau"]
    z = c.impedance([1.0], [1.0, 2.0, 1e-3, 1.0, 3.0, 10.0])
    w = 2 * np.pi
    x = np.sqrt(1j * w * 10.0)
    expected = 1.0 + 1 / (1 / 2.0 + 1e-3 * 1j * w) + 3.0 / (x * np.tanh(x))
    np.testing.assert_allclose(z, [expected], rtol=1e-12)


@pytest.mark.parametrize("text, token", [
    ("R0-X1", "'X1'"), ("R0--R1", "'-'"), ("R0-p(R1,C1", "ended early"),
    ("R0-p(R1)", "one branch"), ("R0-R0", "'R0'"), ("R0-C", "'C'"), ("R0)", "')'"),
    ("R0+C1", "'+'"), ("", "empty")])
def test_parser_errors_name_the_token(text, token):
    with pytest.raises(ValueError, match=token.replace("(", r"\(").replace(")", r"\)")
                       .replace("+", r"\+")):
        parse_circuit(text)


# ------------------------------------------------------------------ synthetic fits

RANDLES = "R0-p(R1,C1)-Wo1"
RANDLES_P = {"R0": 10.0, "R1": 50.0, "C1": 2e-6, "Wo1_Z0": 80.0, "Wo1_tau": 5.0}
RCRC = "R0-p(R1,C1)-p(R2,C2)"
RCRC_P = {"R0": 5.0, "R1": 100.0, "C1": 1e-7, "R2": 300.0, "C2": 1e-3}


@pytest.mark.parametrize("circuit, params", [
    (RANDLES, RANDLES_P), (RCRC, RCRC_P), ("R0-p(R1-W1,C1)", {"R0": 3.0, "R1": 20.0,
                                                            "W1": 15.0, "C1": 1e-5}),
    ("R0-p(R1,CPE1)-CPE2", {"R0": 2.0, "R1": 1e3, "CPE1_Q": 1e-8, "CPE1_n": 0.85,
                            "CPE2_Q": 1e-5, "CPE2_n": 0.7})])
def test_noise_free_recovers_parameters_without_a_guess(circuit, params):
    res = fit_circuit(_spec(circuit, params), circuit)
    assert isinstance(res, CircuitFitResult)
    assert res.method == f"circuit_fit:{circuit}"
    for k, v in params.items():
        assert res.parameters[k] == pytest.approx(v, rel=1e-5), k
    assert res.rel_residual < 1e-6
    assert res.ok, res.warnings


@pytest.mark.parametrize("weighting", ["modulus", "unit"])
def test_one_percent_noise_within_tolerance(weighting):
    res = fit_circuit(_spec(RCRC, RCRC_P, noise=0.01), RCRC, weighting=weighting)
    p, e = dict(res.parameters), dict(res.parameter_stderr)
    # The two RC blocks are interchangeable: label them by time constant, fast first.
    if p["R1"] * p["C1"] > p["R2"] * p["C2"]:
        for a, b in (("R1", "R2"), ("C1", "C2")):
            p[a], p[b], e[a], e[b] = p[b], p[a], e[b], e[a]
    for k, v in RCRC_P.items():
        assert p[k] == pytest.approx(v, rel=0.1), k
        # The reported error bar is of the right size (within 4 sigma).
        assert abs(p[k] - v) < 4 * e[k] + 1e-3 * v, k
    assert 0.005 < res.rel_residual < 0.03


def test_randles_with_noise_and_export_is_json_ready():
    res = fit_circuit(_spec(RANDLES, RANDLES_P, noise=0.01, seed=3), RANDLES)
    for k in ("R0", "R1", "C1"):
        assert res.parameters[k] == pytest.approx(RANDLES_P[k], rel=0.1), k
    d = res.to_dict()
    json.dumps(d)
    assert d["r0_ohm"] == pytest.approx(res.parameters["R0"])
    assert d["c1_f"] == pytest.approx(res.parameters["C1"])
    assert d["wo1_tau_s"] == pytest.approx(res.parameters["Wo1_tau"])
    assert "r0_ohm_stderr" in d and d["circuit"] == RANDLES
    np.testing.assert_allclose(res.model_impedance(res.freq_hz), res.z_fit_ohm)


def test_initial_guess_and_bounds_are_used():
    spec = _spec(RCRC, RCRC_P)
    res = fit_circuit(spec, RCRC, initial_guess={"R1": 90.0, "C1": 2e-7}, n_starts=1)
    assert res.parameters["R1"] == pytest.approx(100.0, rel=1e-5)
    res = fit_circuit(spec, RCRC, bounds={"R0": (1e-3, 1.0)})
    assert res.parameters["R0"] == pytest.approx(1.0, rel=1e-3)
    assert any("R0" in w and "upper bound" in w for w in res.warnings)


def test_inductive_points_dropped_without_l_and_fitted_with_l():
    p = dict(RCRC_P, L0=2e-4)
    spec = _spec("L0-" + RCRC, p)
    res = fit_circuit(spec, "L0-" + RCRC)
    assert res.parameters["L0"] == pytest.approx(2e-4, rel=1e-4)
    assert res.n_dropped_inductive == 0
    res = fit_circuit(spec, RCRC)
    assert res.n_dropped_inductive > 0
    assert any("inductive" in w and "L element" in w for w in res.warnings)


def test_wrong_circuit_warns_poor_fit():
    res = fit_circuit(_spec(RCRC, RCRC_P), "R0-p(R1,C1)")
    assert any("poor fit" in w for w in res.warnings)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kwargs, msg", [
    ({"circuit": "R0-Q1"}, "'Q1'"),
    ({"circuit": RCRC, "initial_guess": {"R9": 1.0}}, "R9"),
    ({"circuit": RCRC, "initial_guess": {"R1": -1.0}}, "positive"),
    ({"circuit": RCRC, "bounds": {"C1": (1.0, 0.5)}}, "C1"),
    ({"circuit": RCRC, "weighting": "sqrt"}, "weighting"),
    ({"circuit": RCRC, "n_starts": 0}, "n_starts"),
])
def test_bad_arguments_raise_analysis_error(kwargs, msg):
    with pytest.raises(AnalysisError, match=msg):
        fit_circuit(_spec(RCRC, RCRC_P), **kwargs)


def test_bad_spectra_raise_analysis_error():
    with pytest.raises(AnalysisError, match="too few"):
        fit_circuit(_spec(RCRC, RCRC_P, f=F[:2]), RCRC)
    with pytest.raises(AnalysisError, match="non-positive"):
        fit_circuit((np.array([-1.0, 1.0, 2.0, 3.0]), np.ones(4) - 1j), "R0-C1")
    with pytest.raises(AnalysisError, match="z_imag_ohm"):
        fit_circuit({"freq_hz": F, "z_real_ohm": F}, RCRC)
    with pytest.raises(AnalysisError, match="flipped"):
        s = _spec(RCRC, RCRC_P)
        fit_circuit((s["freq_hz"], s["z_real_ohm"], -s["z_imag_ohm"]), RCRC)


# ------------------------------------------------------------------ real data


def test_example_data_randles_reproduces_impedance_py(shared_data):
    """impedance.py's Randles test on exampleData.csv: R0 ~ 0.0186 ohm.

    impedance.py's ``Randles`` model is ``R0-p(R1,C1)-Wo1``, fitted after dropping the
    inductive points (``ignoreBelowX``) with unweighted residuals. With the same
    weighting ionopt finds R0 = 0.018615 ohm (tolerance 1 %; the other parameters agree
    to 0.1 %) from its own automatic guess; with |Z| weighting R0 moves by ~3 % (5 %
    tolerance), the Warburg-free-CPE blocking model of analyze_eis gives 0.0142 ohm.
    """
    from ionopt.analysis.io import read_eis

    spec = read_eis(shared_data / "impedance-py" / "exampleData.csv")
    res = fit_circuit(spec, "R0-p(R1,C1)-Wo1", weighting="unit")
    assert res.parameters["R0"] == pytest.approx(0.0186, rel=0.01)
    expected = {"R0": 1.86146620e-02, "R1": 1.15477171e-02, "C1": 1.33331949,
                "Wo1_Z0": 6.31473571e-02, "Wo1_tau": 2.22407275e02}
    for k, v in expected.items():
        assert res.parameters[k] == pytest.approx(v, rel=1e-3), k
    assert res.n_dropped_inductive == 9
    assert any("inductive" in w for w in res.warnings)
    res_w = fit_circuit(spec, "R0-p(R1,C1)-Wo1")
    assert res_w.parameters["R0"] == pytest.approx(0.0186, rel=0.05)


def test_matches_impedance_py_on_its_own_example(shared_data):
    # Peer check in the same process: impedance.py's CustomCircuit with the initial guess
    # of its documentation example; ionopt needs no guess and must land on the same optimum.
    pytest.importorskip("impedance", reason="SKIPPED: impedance.py (test extra) absent")
    import warnings

    from impedance import preprocessing
    from impedance.models.circuits import CustomCircuit

    from ionopt.analysis import fit_circuit, read_eis

    path = shared_data / "impedance-py" / "exampleData.csv"
    f, z = preprocessing.ignoreBelowX(*preprocessing.readCSV(str(path)))
    peer = CustomCircuit("R0-p(R1,C1)-Wo1", initial_guess=[0.01, 0.005, 0.1, 0.001, 200])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer.fit(f, z)
    ours = fit_circuit(read_eis(path), "R0-p(R1,C1)-Wo1", weighting="unit").parameters
    np.testing.assert_allclose(
        [ours[k] for k in ("R0", "R1", "C1", "Wo1_Z0", "Wo1_tau")], peer.parameters_, rtol=2e-3)
