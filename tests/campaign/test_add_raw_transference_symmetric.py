"""``add-raw`` kinds transference (several files per measurement) and symmetric (a short or
its lower bound), on SQLite and PostgreSQL, checked against known truth."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from campaign_helpers import (bv_set, chrono_without_potential, invariants,
                              seed_csv, space_path, symmetric_csv)
from ionopt.campaign import Campaign
from ionopt.campaign._tables import file_digest
from ionopt.campaign.store import to_url
from ionopt.datasets import EXAMPLE_TRUTH
from ionopt.errors import StoreError

BV = EXAMPLE_TRUTH["bv_chrono_cse40.txt"]
#: Tolerance of t+ from the example files with EIS-derived resistances (as in
#: tests/analysis/test_example_files.py and test_batch.py), and with the true resistances.
TOL_EIS, TOL_EXACT = 0.02, 0.005
#: The synthetic symmetric records: 100 half-cycles of 1 h, 20 points each (the last
#: record at 99.95 h); the shorted one collapses at half-cycle 40, i.e. at 40 h.
SHORT_H, RECORD_H = 40.0, 99 + 19 / 20


def _sql(db: str, sql: str, params: dict | None = None):
    engine = create_engine(to_url(db))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params or {}).all()
    finally:
        engine.dispose()


def _bv_row(sample: str, files: dict, **cells) -> dict:
    return {"sample_id": sample, "kind": "transference", "file": files["chrono"].name,
            "eis_before": files["before"].name, "eis_after": files["after"].name, **cells}


def _write(path, rows: list[dict]):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# ---- transference ------------------------------------------------------------------------------
def test_transference_three_files_one_measurement_with_every_files_provenance(camp, db,
                                                                              tmp_path):
    bv = bv_set(tmp_path / "raw")
    man = _write(tmp_path / "raw" / "m.csv",
                 [_bv_row("B001-01", bv, delta_v=BV["delta_v"], note="cell 3")])
    before = invariants(db)
    report = camp.add_raw(man)
    assert report.ok and len(report.added) == 1 and report.measured == ["B001-01"]
    added = report.added[0]
    assert added["transference_number"] == pytest.approx(BV["transference_number"],
                                                         abs=TOL_EIS)
    assert added["eis_before_sha256"] == file_digest(bv["before"])[0]
    after = invariants(db)
    assert after["measurements"] == before["measurements"] + 1
    assert after["values"] == before["values"] + 1  # one measurement, one value: t+

    meas = camp.measurements()
    row = meas[meas["kind"] == "transference"].iloc[0]
    for role, key in (("file", "chrono"), ("eis_before", "before"), ("eis_after", "after")):
        sha, size = file_digest(bv[key])
        assert row[f"{role}_path"] == str(bv[key].resolve())
        assert row[f"{role}_sha256"] == sha and row[f"{role}_size_bytes"] == size
    assert row["content_sha256"] == row["file_sha256"]
    assert row["geometry.delta_v"] == BV["delta_v"] and row["conditions.note"] == "cell 3"
    assert row["method"].startswith("bruce_vincent") and row["qc_flags"] == ""
    assert row["transference_number"] == pytest.approx(added["transference_number"])
    stored = _sql(db, "SELECT target FROM target_value WHERE measurement_id = :m",
                  {"m": int(row["measurement_id"])})
    assert [r[0] for r in stored] == ["transference_number"]
    frame = camp.to_frame().set_index("sample_id")
    assert frame.loc["B001-01", "transference_number_n"] == 1
    # the export keeps every file's provenance too
    everything = camp.export_frame()
    mine = everything[everything["target"] == "transference_number"].dropna(
        subset=["eis_after_sha256"])
    assert list(mine["eis_after_sha256"]) == [file_digest(bv["after"])[0]]

    # the same three files again: a duplicate, skipped, nothing written
    again = camp.add_raw(man)
    assert again.ok and not again.added and len(again.skipped) == 1
    assert "already stored" in again.skipped[0] and f"{man}:2" in again.skipped[0]
    assert invariants(db) == after


def test_same_manifest_gives_the_same_number_as_analyze_batch(camp, tmp_path):
    from ionopt.analysis.batch import analyze_manifest

    bv = bv_set(tmp_path)
    man = _write(tmp_path / "m.csv", [_bv_row("CSE-40", bv, delta_v=BV["delta_v"])])
    batch = analyze_manifest(man)
    assert batch.ok
    report = camp.add_raw(man)
    assert report.ok
    assert report.added[0]["transference_number"] == pytest.approx(
        batch.targets.loc[0, "transference_number"], rel=1e-12)


def test_transference_delta_v_from_the_header_and_resistances_as_numbers(camp, tmp_path):
    bv = bv_set(tmp_path)
    numbers = bv_set(tmp_path, copy=1)  # another i-t record (own sha256), same numbers
    man = _write(tmp_path / "m.csv", [
        _bv_row("B001-01", bv),  # delta_v blank: the CHI header's Init E = 0.01 V
        {"sample_id": "B001-02", "kind": "transference", "file": numbers["chrono"].name,
         "delta_v": BV["delta_v"], "r0_ohm": BV["r0_ohm"], "rs_ohm": BV["rs_ohm"]},
    ])
    report = camp.add_raw(man)
    assert report.ok and len(report.added) == 2
    header, given = report.added
    assert header["transference_number"] == pytest.approx(BV["transference_number"],
                                                          abs=TOL_EIS)
    # the true interfacial resistances: closer to the truth
    assert given["transference_number"] == pytest.approx(BV["transference_number"],
                                                         abs=TOL_EXACT)
    meas = camp.measurements().set_index("sample_id")
    assert "delta_v not given; taken from the file header (0.01)" in \
        meas.loc["B001-01", "qc_flags"]
    assert meas.loc["B001-02", "geometry.rss_ohm"] == BV["rs_ohm"]  # the alias, stored by name
    assert meas.loc["B001-02", "geometry.r0_ohm"] == BV["r0_ohm"]
    assert pd.isna(meas.loc["B001-02", "eis_before_path"])  # numbers, no companion file


def test_bad_lines_reported_with_line_and_field_and_the_rest_stored(camp, db, tmp_path):
    bv = bv_set(tmp_path)
    last = bv_set(tmp_path, copy=1)
    same = bv_set(tmp_path, copy=2)
    plain = chrono_without_potential(tmp_path / "plain_it.csv")
    eis_row = {"sample_id": "CSE-40", "kind": "eis", "file": bv_set(tmp_path, copy=3)[
        "before"].name, "thickness_um": 200, "diameter_mm": 10}
    man = _write(tmp_path / "m.csv", [
        _bv_row("B001-01", bv, delta_v=0.01),                                      # 2 good
        {"sample_id": "B001-02", "kind": "transference", "file": plain.name,       # 3
         "r0_ohm": 300, "rss_ohm": 350},                  # no delta_v, none in the header
        _bv_row("B001-02", last, delta_v=0.01, eis_after="gone.txt"),              # 4
        {"sample_id": "B001-02", "kind": "transference", "file": last["chrono"].name,
         "eis_after": last["after"].name, "delta_v": 0.01},                        # 5
        _bv_row("B001-02", last, delta_v=0.01, r0_ohm=300),                        # 6
        _bv_row("B001-02", last, delta_v=0),                                       # 7
        {**eis_row, "eis_before": bv["before"].name},                             # 8
        _bv_row("B001-02", same, delta_v=0.01, eis_after=same["before"].name),     # 9
        _bv_row("B001-02", last, delta_v=0.01),                                    # 10 good
    ])
    before = invariants(db)
    report = camp.add_raw(man)
    assert [a["line"] for a in report.added] == [f"{man}:2", f"{man}:10"]
    assert [e.split(":")[1] for e in report.errors] == ["3", "4", "5", "6", "7", "8", "9"]
    e = dict(zip(range(3, 10), report.errors))
    assert e[3].startswith(f"{man}:3: ") and "delta_v: not given" in e[3]
    assert e[4].startswith(f"{man}:4: eis_after: ") and "gone.txt: no such file" in e[4]
    assert e[5].startswith(f"{man}:5: eis_before or r0_ohm: missing")
    assert e[6].startswith(f"{man}:6: eis_before, r0_ohm: give one, not both")
    assert e[7].startswith(f"{man}:7: delta_v: expected a non-zero number")
    assert e[8].startswith(f"{man}:8: eis_before: a file of kind eis takes no eis_before")
    assert e[9].startswith(f"{man}:9: eis_after: ") and "same sha256 as eis_before" in e[9]
    assert all("\n" not in m for m in report.errors)
    after = invariants(db)
    assert after["measurements"] == before["measurements"] + 2
    assert after["values"] == before["values"] + 2
    for a in report.added:
        assert a["transference_number"] == pytest.approx(BV["transference_number"],
                                                         abs=TOL_EIS)


def test_a_file_cannot_belong_to_two_measurements(camp, db, tmp_path):
    bv = bv_set(tmp_path)
    other = bv_set(tmp_path, copy=1)
    assert camp.add_raw(_write(tmp_path / "m1.csv", [_bv_row("B001-01", bv, delta_v=0.01)])).ok
    stored = invariants(db)
    man = _write(tmp_path / "m2.csv", [
        # another i-t record reusing the stored "before" spectrum
        _bv_row("B001-02", other, delta_v=0.01, eis_before=bv["before"].name),
        # the stored i-t record with other companions: not a re-run, a conflict
        _bv_row("B001-01", other, delta_v=0.01, file=bv["chrono"].name),
        # the stored i-t record for another film
        _bv_row("B001-02", bv, delta_v=0.01),
        # the stored "after" spectrum as a conductivity file
        {"sample_id": "B001-02", "kind": "eis", "file": bv["after"].name, "thickness_um": 200,
         "diameter_mm": 10},
    ])
    report = camp.add_raw(man)
    assert not report.added and len(report.errors) == 4
    e = report.errors
    assert e[0].startswith(f"{man}:2: eis_before: ") and "already stored as eis_before of " \
        "transference measurement" in e[0] and "'B001-01'" in e[0]
    assert e[1].startswith(f"{man}:3: file: ") and "with other companion files" in e[1]
    assert e[2].startswith(f"{man}:4: file: ") and "already stored as transference for " \
        "film 'B001-01'" in e[2]
    assert e[3].startswith(f"{man}:5: file: ") and "already stored as eis_after" in e[3]
    assert invariants(db) == stored


def test_a_failure_inside_the_transaction_leaves_nothing(camp, db, tmp_path, monkeypatch):
    bv = bv_set(tmp_path)
    other = bv_set(tmp_path, copy=1)
    man = _write(tmp_path / "m.csv", [_bv_row("B001-01", bv, delta_v=0.01),
                                      _bv_row("B001-02", other, delta_v=0.01)])
    original = Campaign._mark_measured
    calls = []

    def fail_first(self, *a, **kw):  # after the measurement and its value are inserted
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("simulated failure before commit")
        return original(self, *a, **kw)

    monkeypatch.setattr(Campaign, "_mark_measured", fail_first)
    before = invariants(db)
    report = camp.add_raw(man)
    assert [a["line"] for a in report.added] == [f"{man}:3"]
    assert len(report.errors) == 1 and report.errors[0].startswith(f"{man}:2: simulated")
    assert invariants(db)["measurements"] == before["measurements"] + 1
    assert set(camp.proposals().set_index("sample_id")["status"].items()) == {
        ("B001-01", "proposed"), ("B001-02", "measured")}
    monkeypatch.setattr(Campaign, "_mark_measured", original)
    rerun = camp.add_raw(man)  # the failed one is stored now, the other one skipped
    assert len(rerun.added) == 1 and len(rerun.skipped) == 1 and rerun.ok


# ---- symmetric ---------------------------------------------------------------------------------
def test_symmetric_short_circuit_or_its_lower_bound(camp, db, tmp_path):
    symmetric_csv(tmp_path / "shorted.csv", short_at_half=40)
    symmetric_csv(tmp_path / "stable.csv", cycler=False)
    man = _write(tmp_path / "m.csv", [
        {"sample_id": "B001-01", "kind": "symmetric", "file": "shorted.csv"},
        {"sample_id": "B001-02", "kind": "symmetric", "file": "stable.csv"},
    ])
    report = camp.add_raw(man)
    assert report.ok and len(report.added) == 2
    shorted, stable = report.added
    assert shorted["short_circuit_h"] == pytest.approx(SHORT_H)
    assert "stable_at_least_h" not in shorted
    assert stable["stable_at_least_h"] == pytest.approx(RECORD_H)
    assert "short_circuit_h" not in stable  # never a fake short-circuit time
    meas = camp.measurements().set_index("sample_id")
    assert "lower bound" in meas.loc["B001-02", "qc_flags"]
    assert "no short circuit within 100.0 h" in meas.loc["B001-02", "qc_flags"]
    targets = _sql(db, "SELECT r.sample_id, v.target, v.value FROM target_value v JOIN "
                       "recipe r ON r.id = v.recipe_id WHERE r.sample_id LIKE 'B001-%'")
    assert sorted((s, t) for s, t, _ in targets) == [("B001-01", "short_circuit_h"),
                                                     ("B001-02", "stable_at_least_h")]
    frame = camp.to_frame().set_index("sample_id")
    assert frame.loc["B001-01", "short_circuit_h"] == pytest.approx(SHORT_H)
    assert frame.loc["B001-02", "stable_at_least_h"] == pytest.approx(RECORD_H)
    assert math.isnan(frame.loc["B001-02", "short_circuit_h"])
    assert frame.loc["B001-02", "short_circuit_h_n"] == 0
    # the seed's lower bound (CSE-40 ran > 800 h) is the same target
    assert frame.loc["CSE-40", "stable_at_least_h"] == 800
    again = camp.add_raw(man)
    assert again.ok and not again.added and len(again.skipped) == 2
    invariants(db)


def test_add_raw_manifest_columns_are_those_of_analyze_batch():
    from ionopt.analysis import batch
    from ionopt.campaign import raw

    assert set(raw.MANIFEST_COLUMNS) - {"proposal_id", "format"} <= set(batch.MANIFEST_COLUMNS)
    assert raw.ALIASES == batch._ALIASES and set(raw.FILE_COLUMNS) == set(batch._FILES)
    for column, rule in raw.NUMBER_RULES.items():
        assert batch._NUMERIC[column] == rule
    tr = raw.KINDS["transference"]
    assert set(tr.geometry) | set(tr.files) == set(batch._PARAMS["transference"])
    assert set(raw.KINDS) == set(batch.KINDS)


# ---- the command line ----------------------------------------------------------------------------
def test_cli_add_raw_transference_and_symmetric(capsys, db, tmp_path, monkeypatch):
    from ionopt.cli import cli
    from ionopt.cli._common import run

    def ionopt(*args):
        code = run(cli, [str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IONOPT_DB", raising=False)
    seed = seed_csv(tmp_path / "seed")
    assert ionopt("campaign", "init", "bn", "--space", space_path(), "--seed-data", seed,
                  "--db", db)[0] == 0
    bv = bv_set(tmp_path / "raw")
    symmetric_csv(tmp_path / "raw" / "sym.csv", short_at_half=40)
    _write(tmp_path / "raw" / "manifest.csv", [
        _bv_row("CSE-40", bv, delta_v=0.01),
        {"sample_id": "SE", "kind": "symmetric", "file": "sym.csv"},
    ])
    code, out, err = ionopt("campaign", "add-raw", "raw/manifest.csv", "--db", db, "--json")
    assert code == 0, err
    added = json.loads(out)["added"]
    assert added[0]["transference_number"] == pytest.approx(BV["transference_number"],
                                                            abs=TOL_EIS)
    assert added[0]["eis_after"] == str(bv["after"].resolve())
    assert added[1]["short_circuit_h"] == pytest.approx(SHORT_H)
    code, out, err = ionopt("campaign", "add-raw", "raw/manifest.csv", "--db", db)
    assert code == 0 and "stored 0 raw files; 2 skipped" in out
    assert err.count("already stored") == 2

    # a bad line: exit 2, the error on one line naming the manifest line and the field
    plain = chrono_without_potential(tmp_path / "raw" / "plain_it.csv")
    _write(tmp_path / "raw" / "bad.csv", [
        {"sample_id": "CSE-40", "kind": "transference", "file": plain.name, "r0_ohm": 300,
         "rss_ohm": 350},
    ])
    code, out, err = ionopt("campaign", "add-raw", "raw/bad.csv", "--db", db)
    assert code == 2 and "stored 0 raw files; 1 bad" in out and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: raw/bad.csv:2: ") and "delta_v: not given" in lines[0]
    assert lines[1:] == ["error: raw/bad.csv: 1 bad row(s), listed above; the other files "
                         "were stored"]
    # a manifest without a needed column: one line
    pd.DataFrame({"sample_id": ["CSE-40"], "file": [plain.name]}).to_csv(
        tmp_path / "raw" / "nokind.csv", index=False)
    code, out, err = ionopt("campaign", "add-raw", "raw/nokind.csv", "--db", db)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == ["error: raw/nokind.csv:1: kind: missing column; a "
                                        "manifest needs sample_id or proposal_id, kind, file "
                                        "and the geometry columns"]
