"""``ionopt demo`` end to end: it runs, writes its files and proposes sensible recipes."""

import subprocess
import sys

import pandas as pd
import pytest

from ionopt.demo import CONTENT_BOUNDS, MIN_SPACING, run_demo
from ionopt.errors import DataError


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"), n=4, seed=0)


def test_proposals_respect_bounds_and_spacing(result):
    p = result.proposals
    assert len(p) == 4
    assert p["pvdf_hfp_content"].between(*CONTENT_BOUNDS).all()
    contents = sorted(p["pvdf_hfp_content"].tolist() + result.training["pvdf_hfp_content"].tolist())
    gaps = [b - a for a, b in zip(contents, contents[1:])]
    assert min(gaps) >= MIN_SPACING - 1e-4  # rounded to 4 decimals in the table


def test_proposals_are_grams_that_reproduce_the_content(result):
    p = result.proposals
    solids = p["filler_g"] + p["litfsi_g"] + p["pvdf_hfp_g"]
    assert solids.tolist() == pytest.approx([2.0] * 4, abs=2e-4)
    content = p["pvdf_hfp_g"] / (p["filler_g"] + p["litfsi_g"])
    assert content.tolist() == pytest.approx(p["pvdf_hfp_content"].tolist(), abs=1e-3)
    assert (p["conductivity_s_cm_lower"] < p["conductivity_s_cm_pred"]).all()
    assert (p["conductivity_s_cm_pred"] < p["conductivity_s_cm_upper"]).all()
    assert (p["acquisition"] > 0).all()


def test_the_model_knows_the_peak(result):
    # The measured optimum (CSE-40) must be where the fitted mean is highest, within the
    # data spacing, and the first proposal must look near it, not at the extremes.
    curve = result.curve
    peak = curve.loc[curve["log10_sigma_mean"].idxmax(), "pvdf_hfp_content"]
    assert abs(peak - 0.4) <= 0.1
    assert 0.2 <= result.proposals.iloc[0]["pvdf_hfp_content"] <= 0.6


def test_files_written(result):
    assert result.figure_path.stat().st_size > 10_000
    assert result.figure_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = pd.read_csv(result.proposals_path)
    pd.testing.assert_frame_equal(written, result.proposals, check_dtype=False)


def test_same_seed_same_proposals(result, tmp_path):
    again = run_demo(tmp_path, n=4, seed=0)
    pd.testing.assert_frame_equal(again.proposals, result.proposals)


def test_bad_n(tmp_path):
    with pytest.raises(DataError, match="n: expected 1 to 20"):
        run_demo(tmp_path, n=0)


def test_cli_demo(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "ionopt", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Next 4 films to make" in proc.stdout and "PVDF-HFP g" in proc.stdout
    assert (out / "conductivity_vs_content.png").exists() and (out / "proposals.csv").exists()
