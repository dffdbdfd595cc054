"""``ionopt score`` end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run
from ionopt.datasets import load_seed_dataset
from ionopt.optimizer import example_space, example_space_path

SPACE = str(example_space_path())


@pytest.fixture
def files(tmp_path):
    data = tmp_path / "data.csv"
    load_seed_dataset().to_csv(data, index=False)
    cands = example_space().sample(25, seed=3)
    cands.loc[0, "pvdf_hfp_content"] = 0.95  # above the 0.7 limit
    cands.loc[1, "filler"] = "graphite"  # not a filler of the space
    path = tmp_path / "candidates.csv"
    cands.to_csv(path, index=False)
    return data, path


def test_score_writes_every_row_with_rank(tmp_path, files, capsys):
    data, cands = files
    out = tmp_path / "scored.csv"
    code = run(cli, ["score", str(cands), "--space", SPACE, "--data", str(data),
                     "--out", str(out), "--top", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    table = pd.read_csv(out)
    assert len(table) == 25
    for col in ["filler_g", "conductivity_s_cm_pred", "conductivity_s_cm_std",
                "tensile_strength_mpa_pred", "p_thresholds", "desirability", "acquisition",
                "rank", "in_space", "violations"]:
        assert col in table.columns
    assert not table.loc[0, "in_space"] and "pvdf_hfp_content <= 0.7" in table.loc[0,
                                                                                 "violations"]
    assert not table.loc[1, "in_space"]
    assert table["rank"].isna().sum() == 2
    assert sorted(table["rank"].dropna().astype(int)) == list(range(1, 24))
    assert "2 of 25 candidate(s) outside the space" in captured.err
    assert len(captured.out.strip().splitlines()) == 6  # header + top 5


def test_score_json(files, capsys):
    data, cands = files
    code = run(cli, ["score", str(cands), "--space", SPACE, "--data", str(data), "--json",
                     "--top", "3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = json.loads(captured.out)
    assert [r["rank"] for r in rows] == [1, 2, 3]


def test_score_missing_column_exits_2(tmp_path, files, capsys):
    data, _ = files
    bad = tmp_path / "c.csv"
    pd.DataFrame({"filler": ["h_BN"]}).to_csv(bad, index=False)
    code = run(cli, ["score", str(bad), "--space", SPACE, "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 2 and "pvdf_hfp_content" in err and "missing column" in err
