"""``ionopt campaign``: a whole campaign from the command line on the paper's space."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run


def ionopt(capsys, *args: str) -> tuple[int, str, str]:
    code = run(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def space(tmp_path):
    from ionopt.optimizer.space import example_space_path

    return example_space_path()


@pytest.fixture
def seed(tmp_path):
    from ionopt.datasets import load_seed_dataset

    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "seed.csv"
    load_seed_dataset().to_csv(path, index=False)
    return path


def test_whole_campaign_second_batch_reflects_new_data(capsys, tmp_path, monkeypatch, space,
                                                       seed):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IONOPT_DB", raising=False)
    code, out, err = ionopt(capsys, "campaign", "init", "bn", "--space", space,
                            "--seed-data", seed)
    assert code == 0, err
    db = seed.parent / "bn.ionopt.db"  # created next to the user's data
    assert db.exists() and "seed: 8 films, 8 measurements" in out
    assert "no target value" in err  # LLZTO-40 has no measured value: said, not hidden

    code, out, err = ionopt(capsys, "campaign", "propose", "-n", "3", "--seed", "0",
                            "--db", db, "--out", tmp_path / "batch1.csv")
    assert code == 0, err
    assert "batch 1: 3 films" in out and "filler_g" in out and "B001-03" in out
    batch1 = pd.read_csv(tmp_path / "batch1.csv")
    assert list(batch1["sample_id"]) == ["B001-01", "B001-02", "B001-03"]
    assert batch1[["filler_g", "litfsi_g", "pvdf_hfp_g"]].sum(axis=1).round(6).eq(2.0).all()

    # the lab makes the films and types in what it measured
    results = tmp_path / "results.csv"
    pd.DataFrame({"sample_id": batch1["sample_id"],
                  "conductivity_s_cm": [2.4e-3, 0.3e-3, 1.1e-3],
                  "tensile_strength_mpa": [4.6, 3.1, 4.2]}).to_csv(results, index=False)
    shutil.copy(db, tmp_path / "before-results.db")  # the same store, without the results
    code, out, err = ionopt(capsys, "campaign", "add", results, "--db", db)
    assert code == 0, err
    assert "stored 3 measurements" in out and "now measured: B001-01, B001-02, B001-03" in out

    code, out, err = ionopt(capsys, "campaign", "propose", "-n", "3", "--seed", "0",
                            "--db", db, "--json")
    assert code == 0, err
    second = json.loads(out)
    assert second["batch"] == 2
    code, out, err = ionopt(capsys, "campaign", "propose", "-n", "3", "--seed", "0",
                            "--db", tmp_path / "before-results.db", "--json")
    assert code == 0, err
    blind = json.loads(out)
    assert blind["batch"] == 2  # the copy holds batch 1, still pending there

    from ionopt.campaign import Campaign

    with Campaign.open(db=db) as camp:
        batches = camp.batches()
    # batch 2 learned from the 3 new films (8 seed + 3) and saw no pending ones
    assert batches["n_data"].tolist() == [8, 11]
    assert batches["n_pending"].tolist() == [0, 0]
    assert batches["surrogate_fingerprint"].nunique() == 2
    # ... and the new data changed what is proposed: same seed, store without results
    key = ["pvdf_hfp_content", "filler_to_salt"]
    with_data = pd.DataFrame(second["proposals"])[key].round(9)
    without = pd.DataFrame(blind["proposals"])[key].round(9)
    assert not with_data.equals(without)
    assert not with_data.equals(batch1[key].round(9))

    code, out, err = ionopt(capsys, "campaign", "status", "--db", db, "--plot",
                            tmp_path / "progress.png")
    assert code == 0, err
    assert "best so far" in out and "B001-01" in out and "Pareto set" in out
    assert "3 pending" in out and (tmp_path / "progress.png").stat().st_size > 1000
    code, out, err = ionopt(capsys, "campaign", "status", "--db", db, "--json")
    status = json.loads(out)
    best = {b["target"]: b for b in status["best"]}
    assert best["conductivity_s_cm"]["sample_id"] == "B001-01"
    assert [p["sample_id"] for p in status["pending"]] == ["B002-01", "B002-02", "B002-03"]

    code, out, err = ionopt(capsys, "campaign", "export", tmp_path / "all.csv", "--db", db)
    assert code == 0, err
    everything = pd.read_csv(tmp_path / "all.csv")
    typed = everything[everything["file_path"] == str(results.resolve())]
    assert len(typed) == 6 and typed["file_sha256"].notna().all()


def test_add_raw_and_bad_input_exit_2(capsys, tmp_path, monkeypatch, space, seed):
    from ionopt.datasets.examples import example_files

    monkeypatch.chdir(seed.parent)
    monkeypatch.delenv("IONOPT_DB", raising=False)
    assert ionopt(capsys, "campaign", "init", "bn", "--space", space, "--seed-data", seed)[0] == 0
    # the only *.ionopt.db in the current folder is found without --db
    eis = example_files()["eis_cse40_25c.txt"]
    shutil.copy(eis, seed.parent / "eis.txt")
    pd.DataFrame([
        {"sample_id": "CSE-40", "kind": "eis", "file": "eis.txt", "thickness_um": 200,
         "diameter_mm": 10},
        {"sample_id": "CSE-99", "kind": "eis", "file": "eis.txt", "thickness_um": 200,
         "diameter_mm": 10},
    ]).to_csv(seed.parent / "manifest.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add-raw", "manifest.csv")
    assert code == 2 and "stored 1 raw files" in out
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: manifest.csv:3: sample_id: unknown film 'CSE-99'")
    assert "Traceback" not in err
    code, out, err = ionopt(capsys, "campaign", "add-raw", "manifest.csv")
    assert code == 2 and "already stored" in err and "stored 0 raw files" in out

    pd.DataFrame({"sample_id": ["NOPE"], "conductivity_s_cm": [1e-3]}).to_csv(
        "bad.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add", "bad.csv")
    assert code == 2 and err.startswith("error: bad.csv:2: sample_id: unknown film 'NOPE'")
    code, _, err = ionopt(capsys, "campaign", "init", "bn", "--space", space,
                          "--seed-data", seed)
    assert code == 2 and "already exists" in err
    code, _, err = ionopt(capsys, "campaign", "status", "--db", tmp_path / "none.db")
    assert code == 2 and "no campaign store here" in err
    monkeypatch.chdir(tmp_path)
    code, _, err = ionopt(capsys, "campaign", "status")
    assert code == 2 and "no campaign store found" in err
    monkeypatch.setenv("IONOPT_DB", str(seed.parent / "bn.ionopt.db"))
    code, out, err = ionopt(capsys, "campaign", "status", "--json")
    assert code == 0 and json.loads(out)["counts"]["measurements"] == 9
    code, out, err = ionopt(capsys, "campaign", "mark", "made", "CSE-40",
                            "--db", seed.parent / "bn.ionopt.db")
    assert code == 2 and "not a proposal" in err


def test_campaign_help_is_light():
    probe = ("import sys\nfrom ionopt.cli import main\n"
             "try:\n    main(['campaign', '--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('sqlalchemy', 'pandas', 'numpy', 'sklearn') "
             "if m in sys.modules]\nprint('HEAVY', heavy)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "add-raw" in proc.stdout and "HEAVY []" in proc.stdout


def test_add_checks_values_columns_and_space(capsys, tmp_path, monkeypatch, space, seed):
    monkeypatch.chdir(seed.parent)
    monkeypatch.delenv("IONOPT_DB", raising=False)
    code, out, err = ionopt(capsys, "campaign", "init", "bn", "--space", space,
                            "--seed-data", seed)
    assert code == 0, err
    assert f"note: {seed}:1: label, solvent, solvent_ml, process, pressing_pressure_mpa: " \
           "not a target or parameter of campaign 'bn'; kept with each film's recipe" in err
    assert f"warning: {seed}:8: outside the search space: filler = 'none' not one of " in err

    # implausible values: every one listed, exit 2, nothing stored
    pd.DataFrame({"sample_id": ["CSE-40", "SPE"], "conductivity_s_cm": [1.9, 1e-4],
                  "transference_number": [0.5, -0.2]}).to_csv("bad.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add", "bad.csv")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        "error: bad.csv:2: conductivity_s_cm: 1.9 is outside the physically plausible range "
        "(0, 1] (check the value and its unit)",
        "bad.csv:3: transference_number: -0.2 is outside the physically plausible range "
        "[0, 1] (check the value and its unit)",
        "(nothing was stored; fix the rows and add the file again)"]

    # a misspelt target column
    pd.DataFrame({"sample_id": ["CSE-40"], "conductivty_s_cm": [2e-3]}).to_csv(
        "typo.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add", "typo.csv")
    assert code == 2 and err == (
        "error: typo.csv:1: unknown column 'conductivty_s_cm' (did you mean "
        "'conductivity_s_cm'?); rename it and add the file again (nothing was stored)\n")
    code, out, _ = ionopt(capsys, "campaign", "status", "--json")
    assert json.loads(out)["counts"]["measurements"] == 8

    # a film made outside the space: stored, with a warning; notes and warnings in --json
    pd.DataFrame([{"sample_id": "X1", "filler": "h_BN", "pvdf_hfp_content": 0.3,
                   "filler_to_salt": 2.5, "drying_temp_c": 55, "conductivity_s_cm": 6e-4,
                   "operator_initials": "AB"}]).to_csv("new.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add", "new.csv", "--new", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["new_films"] == ["X1"]
    assert payload["warnings"] == ["new.csv:2: outside the search space: filler_to_salt = 2.5 "
                                   "outside [0.5, 2]; stored anyway"]
    assert payload["notes"] == ["new.csv:1: operator_initials: not a target or parameter of "
                                "campaign 'bn'; kept with the recipe of new films, as notes "
                                "of the measurements of known ones"]
    assert f"warning: {payload['warnings'][0]}" in err and f"note: {payload['notes'][0]}" in err

    # add-raw: a computed conductivity out of range is a bad row, the rest is stored
    from ionopt.datasets.examples import example_files

    eis = example_files()["eis_cse40_25c.txt"].read_bytes()
    (seed.parent / "a.txt").write_bytes(eis)
    (seed.parent / "b.txt").write_bytes(eis + b"\n")
    pd.DataFrame({"sample_id": ["CSE-40", "X1"], "kind": "eis", "file": ["a.txt", "b.txt"],
                  "thickness_um": [200_000, 200], "diameter_mm": 10}).to_csv(
        "manifest.csv", index=False)
    code, out, err = ionopt(capsys, "campaign", "add-raw", "manifest.csv")
    assert code == 2 and "stored 1 raw files; 1 bad" in out
    assert err.startswith("error: manifest.csv:2: conductivity_s_cm from the eis analysis of "
                          "a.txt: 1.9")


def test_campaign_inputs_and_outputs_are_checked_before_the_work(capsys, tmp_path,
                                                                  monkeypatch, space, seed):
    monkeypatch.chdir(seed.parent)
    monkeypatch.delenv("IONOPT_DB", raising=False)
    (seed.parent / "bin.csv").write_bytes(b"sample_id\x00\xff\xfe\n")
    code, _, err = ionopt(capsys, "campaign", "init", "bn", "--space", space,
                          "--seed-data", "bin.csv")
    assert code == 2 and err.startswith("error: bin.csv: not a text file (line 1: NUL byte)")
    assert not list(seed.parent.glob("*.ionopt.db"))   # nothing was created
    assert ionopt(capsys, "campaign", "init", "bn", "--space", space, "--seed-data", seed)[0] == 0
    (seed.parent / "afile").write_text("x")
    code, _, err = ionopt(capsys, "campaign", "propose", "-n", "2", "--out", "afile/b.csv")
    assert code == 2 and "afile/b.csv: cannot write (afile is not a directory)" in err
    assert "Traceback" not in err
    # nothing was proposed: the next batch is still the first
    code, out, _ = ionopt(capsys, "campaign", "status", "--json")
    assert code == 0 and json.loads(out)["pending"] == []
    code, _, err = ionopt(capsys, "campaign", "add", "bin.csv")
    assert code == 2 and "bin.csv: not a text file" in err
    code, _, err = ionopt(capsys, "campaign", "status", "--plot", "afile/p.png")
    assert code == 2 and "afile/p.png: cannot write" in err
