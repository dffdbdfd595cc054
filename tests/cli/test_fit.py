"""``ionopt fit``: exit codes, report on stdout, one-line errors on stderr."""

import json

import numpy as np
import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 12
    pv = rng.uniform(0.2, 1.2, n)
    df = pd.DataFrame({"sample_id": [f"S{i}" for i in range(n)], "filler": "amorphous_BN",
                       "filler_g": 1.0, "litfsi_g": 1.0, "pvdf_hfp_g": pv,
                       "conductivity_s_cm": 10 ** (-3 + np.sin(2 * pv) * 0.5
                                                   + 0.05 * rng.normal(size=n)),
                       "tensile_strength_mpa": 2 + 2 * pv})
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_fit_prints_report_and_saves(data_csv, tmp_path, capsys):
    out = tmp_path / "m" / "models.skops"
    code = run(cli, ["fit", str(data_csv), "--target", "conductivity_s_cm", "--target",
                     "tensile_strength_mpa", "--model", "gp", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Surrogate validation" in captured.out and "tensile_strength_mpa" in captured.out
    assert out.exists()
    from ionopt.surrogates import load_surrogates

    assert load_surrogates(out).targets == ["conductivity_s_cm", "tensile_strength_mpa"]


def test_fit_json(data_csv, tmp_path, capsys):
    out = tmp_path / "models.skops"
    code = run(cli, ["fit", str(data_csv), "--target", "conductivity_s_cm", "--feature",
                     "pvdf_hfp_content", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert payload["features"] == ["pvdf_hfp_content"]
    assert {r["model"] for r in payload["report"]} == {"gp", "forest", "linear"}


@pytest.mark.parametrize("args, message", [
    (["--target", "nope"], "nope: target column not in the table"),
    (["--target", "conductivity_s_cm", "--model", "svm"], "unknown model 'svm'"),
    (["--target", "conductivity_s_cm", "--feature", "drying_temp_c"],
     "drying_temp_c: missing column"),
    (["--target", "conductivity_s_cm", "--transform", "conductivity_s_cm"],
     "expected TARGET=NAME"),
])
def test_bad_input_exits_2_with_one_line(data_csv, tmp_path, capsys, args, message):
    out = tmp_path / "models.skops"
    code = run(cli, ["fit", str(data_csv), *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing written on failure


def test_missing_file_and_bad_csv_exit_2(tmp_path, capsys):
    code = run(cli, ["fit", str(tmp_path / "none.csv"), "--target", "t", "--out",
                     str(tmp_path / "m.skops")])
    assert code == 2 and "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    code = run(cli, ["fit", str(bad), "--target", "t", "--out", str(tmp_path / "m.skops")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be read as CSV" in err and len(err.strip().splitlines()) == 1


def test_fit_with_groups_calibrates_unless_told_not_to(tmp_path, capsys):
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(10), 8)
    centre = rng.uniform(0.1, 0.9, 10)
    x = np.clip(centre[g] + rng.normal(0, 0.04, len(g)), 0, 1)
    y = np.sin(3 * x) + rng.normal(0, 0.5, 10)[g] + rng.normal(0, 0.02, len(g))
    path = tmp_path / "studies.csv"
    pd.DataFrame({"x": x, "y": y, "doi": [f"10.1/{i}" for i in g]}).to_csv(path, index=False)
    factors = []
    for extra in ([], ["--no-calibrate"]):
        code = run(cli, ["fit", str(path), "--target", "y", "--feature", "x", "--model",
                         "gp", "--groups", "doi", "--out", str(tmp_path / "m.skops"),
                         "--json", *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        factors.append(json.loads(captured.out)["calibration_factor"]["y"])
    assert factors[0] > 1.5 and factors[1] == 1.0
