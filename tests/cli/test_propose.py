"""``ionopt propose`` end to end: files in, proposals out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run
from ionopt.datasets import load_seed_dataset
from ionopt.optimizer import example_space_path

SPACE = str(example_space_path())


@pytest.fixture
def seed_csv(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    load_seed_dataset().to_csv(path, index=False)
    return path


def test_propose_writes_proposals_in_grams(tmp_path, seed_csv, capsys):
    out = tmp_path / "proposals.csv"
    code = run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "3",
                     "--seed", "4", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    table = pd.read_csv(out)
    assert len(table) == 3
    for col in ["filler", "pvdf_hfp_content", "filler_to_salt", "drying_temp_c", "filler_g",
                "litfsi_g", "pvdf_hfp_g", "conductivity_s_cm_pred", "conductivity_s_cm_std",
                "tensile_strength_mpa_pred", "tensile_strength_mpa_std", "acquisition",
                "reason"]:
        assert col in table.columns
    assert table[["filler_g", "litfsi_g", "pvdf_hfp_g"]].sum(axis=1).round(9).eq(2.0).all()
    assert "filler_g" in captured.out  # the table is printed on stdout
    assert "not used" in captured.err  # the cold-pressed SE row has no drying temperature
    # Same seed, same data -> same proposals.
    out2 = tmp_path / "again.csv"
    run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "3", "--seed", "4",
              "--out", str(out2)])
    pd.testing.assert_frame_equal(table, pd.read_csv(out2))


def test_propose_json_pending_and_pool(tmp_path, seed_csv, capsys):
    from ionopt.optimizer import example_space
    pool = example_space().sample(30, seed=2).drop(columns=["stirring_temp_c"])
    pool_path = tmp_path / "pool.csv"
    pool.to_csv(pool_path, index=False)
    pending = tmp_path / "pending.csv"
    pool.head(2).to_csv(pending, index=False)
    code = run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "2",
                     "--candidates", str(pool_path), "--pending", str(pending), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = json.loads(captured.out)
    assert len(rows) == 2
    assert all(r["pool_row"] not in (0, 1) for r in rows)
    for r in rows:
        assert r["pvdf_hfp_content"] == pytest.approx(pool.loc[r["pool_row"],
                                                               "pvdf_hfp_content"], abs=0)


@pytest.mark.parametrize("args, message", [
    (["--space", "missing.yaml"], "missing.yaml: no such file"),
    (["--data", "missing.csv"], "missing.csv: no such file"),
    (["--backend", "hyperopt"], "Invalid value for '--backend'"),
])
def test_propose_bad_input_exits_2(tmp_path, seed_csv, capsys, args, message):
    base = {"--space": SPACE, "--data": str(seed_csv)}
    argv = ["propose"]
    given = dict(zip(args[::2], args[1::2]))
    for key, value in {**base, **given}.items():
        argv += [key, value]
    code = run(cli, argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_propose_bad_yaml_names_file_and_field(tmp_path, seed_csv, capsys):
    bad = tmp_path / "space.yaml"
    bad.write_text("parameters:\n  - {name: x, type: continuous, bounds: [1, 0]}\n")
    code = run(cli, ["propose", "--space", str(bad), "--data", str(seed_csv)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "bounds" in err and len(err.strip().splitlines()) == 1


def test_propose_bad_data_names_file_and_line(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("filler,pvdf_hfp_content,filler_to_salt,drying_temp_c,conductivity_s_cm,"
                    "tensile_strength_mpa,failed\n"
                    "h_BN,0.4,1.0,55,1e-4,4.1,false\n"
                    "h_BN,0.3,1.0,55,2e-4,4.2,perhaps\n")
    code = run(cli, ["propose", "--space", SPACE, "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 2 and "failed" in err and "perhaps" in err


def test_out_file_not_written_on_error(tmp_path, capsys):
    out = tmp_path / "p.csv"
    code = run(cli, ["propose", "--space", SPACE, "--data", str(tmp_path / "none.csv"),
                     "--out", str(out)])
    assert code == 2 and not out.exists()
