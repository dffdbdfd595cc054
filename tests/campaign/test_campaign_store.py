"""The campaign store on SQLite and PostgreSQL: schema, transactions, provenance, reads."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from campaign_helpers import (eis_copies, fake_proposer, invariants, make_results, manifest,
                              seed_csv, space_path)
from ionopt.campaign import SCHEMA_VERSION, Campaign
from ionopt.campaign import store as store_mod
from ionopt.campaign.store import to_url
from ionopt.errors import DataError, StoreError


def _sql(db: str, sql: str, params: dict | None = None):
    engine = create_engine(to_url(db))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


@pytest.fixture
def camp(db, tmp_path):
    c = Campaign.create("cse", space_path(), db=db, seed_data=seed_csv(tmp_path))
    yield c
    c.close()


# ---- schema and opening ------------------------------------------------------------------
def test_create_stores_seed_and_reopens(camp, db):
    report = camp.seed_report
    assert len(report.new_recipes) == 8 and len(report.added) == 8
    assert any("no target value" in s for s in report.skipped)  # LLZTO-40: nothing measured
    with Campaign.open("cse", db=db) as again:
        frame = again.to_frame()
        assert list(frame["sample_id"][:3]) == ["SE", "CSE-20", "CSE-30"]
        row = frame.set_index("sample_id").loc["CSE-40"]
        assert row["conductivity_s_cm"] == pytest.approx(1.936e-3)
        assert row["conductivity_s_cm_n"] == 1 and math.isnan(row["conductivity_s_cm_std"])
        assert row["origin"] == "seed" and row["pvdf_hfp_content"] == pytest.approx(0.4)
        assert again.space == camp.space
    version = _sql(db, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert version == [(str(SCHEMA_VERSION),)]
    assert invariants(db)["measurements"] == 8


def test_open_without_name_and_errors(camp, db):
    with Campaign.open(db=db) as only:
        assert only.name == "cse"
    with pytest.raises(StoreError, match="no campaign 'other'"):
        Campaign.open("other", db=db)
    with pytest.raises(StoreError, match="already exists"):
        Campaign.create("cse", space_path(), db=db)
    Campaign.create("second", space_path(), db=db).close()
    with pytest.raises(StoreError, match="holds 2 campaigns"):
        Campaign.open(db=db)


def test_missing_sqlite_store_is_refused(tmp_path):
    with pytest.raises(StoreError, match="no campaign store here"):
        Campaign.open(db=tmp_path / "nope.ionopt.db")
    assert not (tmp_path / "nope.ionopt.db").exists()


def test_newer_schema_is_refused_naming_both_versions(camp, db):
    _sql(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as err:
        Campaign.open("cse", db=db)
    message = str(err.value)
    assert "99" in message and str(SCHEMA_VERSION) in message and "newer" in message
    where = to_url(db).database if "sqlite" in str(to_url(db)) else "***"
    assert str(where) in message


def test_older_schema_migrated_or_refused(camp, db, monkeypatch):
    _sql(db, "UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="version 0 cannot be migrated to version 1"):
        Campaign.open("cse", db=db)
    ran = []

    def step(conn):
        ran.append(conn.execute(text("SELECT count(*) FROM recipe")).scalar())

    monkeypatch.setitem(store_mod.MIGRATIONS, 0, step)
    with Campaign.open("cse", db=db) as c:
        assert len(c.to_frame()) == 8
    assert ran == [8]
    assert _sql(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert _sql(db, "SELECT count(*) FROM meta WHERE key = 'migrated_0_to_1'") == [(1,)]


def test_foreign_tables_are_not_touched(tmp_path):
    path = tmp_path / "other.db"
    _sql(str(path), "CREATE TABLE recipe (x INTEGER)")
    with pytest.raises(StoreError, match="not a campaign store"):
        Campaign.open(db=path)
    with pytest.raises(StoreError, match="refusing to touch it"):
        Campaign.create("x", space_path(), db=path)


# ---- proposals -----------------------------------------------------------------------------
def test_proposals_stored_as_pending_batches(camp, db):
    calls: list = []
    first = camp.propose(3, seed=1, proposer=fake_proposer(calls))
    assert list(first["sample_id"]) == ["B001-01", "B001-02", "B001-03"]
    assert set(first["batch"]) == {1} and first.attrs["n_pending"] == 0
    assert calls[0]["pending"] is None and len(calls[0]["data"]) == 8
    second = camp.propose(2, seed=1, proposer=fake_proposer(calls))
    assert list(second["sample_id"]) == ["B002-01", "B002-02"]
    # the second call saw the first batch as pending, in the space's parameters
    pending = calls[1]["pending"]
    assert len(pending) == 3 and list(pending.columns) == camp.space.names
    np.testing.assert_allclose(pending["pvdf_hfp_content"], first["pvdf_hfp_content"])
    props = camp.proposals()
    assert list(props["status"]) == ["proposed"] * 5
    assert props["surrogate_fingerprint"].tolist() == ["fake-8-0"] * 3 + ["fake-8-3"] * 2
    assert props["acquisition"].tolist() == [3.0, 2.0, 1.0, 2.0, 1.0]
    batches = camp.batches()
    assert batches["n_pending"].tolist() == [0, 3]
    assert batches["pending_proposal_ids"].tolist()[1] == first["proposal_id"].tolist()
    frame = camp.to_frame().set_index("sample_id")
    assert frame.loc["B001-02", "filler_g"] == pytest.approx(first.loc[1, "filler_g"])
    assert frame.loc["B001-02", "status"] == "proposed"
    assert invariants(db)["proposals"] == 5


def test_failed_propose_writes_nothing(camp, db):
    with pytest.raises(RuntimeError, match="blew up"):
        camp.propose(2, proposer=fake_proposer(fail=True))
    with pytest.raises(DataError, match="positive number"):
        camp.propose(0, proposer=fake_proposer())
    counts = invariants(db)
    assert counts["batches"] == 0 and counts["proposals"] == 0


def test_real_optimizer_batch(camp, db):
    batch = camp.propose(2, seed=3)
    for col in ("filler_g", "litfsi_g", "pvdf_hfp_g", "conductivity_s_cm_pred", "reason"):
        assert col in batch
    stored = camp.proposals()
    assert stored["conductivity_s_cm_pred"].tolist() == pytest.approx(
        batch["conductivity_s_cm_pred"].tolist())
    assert stored["surrogate_fingerprint"].notna().all()


# ---- typed-in results ------------------------------------------------------------------------
def test_add_results_moves_proposals_and_aggregates_replicates(camp, db, tmp_path):
    camp.propose(3, seed=1, proposer=fake_proposer())
    results = make_results(tmp_path / "results.csv", [
        {"sample_id": "B001-01", "conductivity_s_cm": 1.0e-3, "replicate": 1},
        {"sample_id": "B001-01", "conductivity_s_cm": 1.2e-3, "replicate": 2,
         "tensile_strength_mpa": 4.1},
        {"proposal_id": 2, "sample_id": None, "conductivity_s_cm": 5e-4},
        {"sample_id": "B001-03", "failed": True},
    ])
    report = camp.add(results)
    assert len(report.added) == 4 and report.measured == ["B001-01", "B001-02", "B001-03"]
    frame = camp.to_frame().set_index("sample_id")
    row = frame.loc["B001-01"]
    assert row["conductivity_s_cm"] == pytest.approx(1.1e-3)
    assert row["conductivity_s_cm_std"] == pytest.approx(np.std([1e-3, 1.2e-3], ddof=1))
    assert row["conductivity_s_cm_n"] == 2 and row["tensile_strength_mpa_n"] == 1
    assert frame.loc["B001-03", "failed"] and not frame.loc["B001-01", "failed"]
    assert set(frame.loc[["B001-01", "B001-02", "B001-03"], "status"]) == {"measured"}
    # provenance: file, its sha256, the line of each row
    meas = camp.measurements()
    typed = meas[meas["file_path"] == str(results.resolve())]
    assert typed["file_line"].tolist() == [2, 3, 4, 5]
    assert typed["file_sha256"].str.len().eq(64).all()
    # the same file again: every row recognised and skipped
    again = camp.add(results)
    assert not again.added and len(again.skipped) == 4
    data = camp.data()
    assert len(data) == 11 and data.set_index("sample_id").loc["B001-03", "failed"]
    assert invariants(db)["measurements"] == 12


def test_bad_results_store_nothing(camp, db, tmp_path):
    camp.propose(2, seed=1, proposer=fake_proposer())
    before = invariants(db)
    bad = make_results(tmp_path / "bad.csv", [
        {"sample_id": "B001-01", "conductivity_s_cm": 1e-3},
        {"sample_id": "NOPE", "conductivity_s_cm": 1e-3},
        {"sample_id": "B001-02", "conductivity_s_cm": "high"},
    ])
    with pytest.raises(DataError) as err:
        camp.add(bad)
    lines = str(err.value).splitlines()
    assert lines[0].startswith(f"{bad}:3: sample_id: unknown film 'NOPE'")
    assert lines[1].startswith(f"{bad}:4: conductivity_s_cm: expected a number")
    assert invariants(db) == before
    assert set(camp.proposals()["status"]) == {"proposed"}
    with pytest.raises(DataError, match="no target column"):
        camp.add(pd.DataFrame({"sample_id": ["B001-01"], "colour": ["red"]}))
    with pytest.raises(DataError, match="sample_id or proposal_id"):
        camp.add(pd.DataFrame({"conductivity_s_cm": [1e-3]}))


def test_recipe_columns_must_match_the_film(camp, tmp_path):
    batch = camp.propose(1, seed=1, proposer=fake_proposer())
    content = float(batch.loc[0, "pvdf_hfp_content"])
    ok = pd.DataFrame({"sample_id": ["B001-01"], "pvdf_hfp_content": [content],
                       "conductivity_s_cm": [1e-3]})
    camp.add(ok)
    wrong = ok.assign(pvdf_hfp_content=content + 0.1, conductivity_s_cm=2e-3)
    with pytest.raises(DataError, match="pvdf_hfp_content: .* but film 'B001-01' was stored"):
        camp.add(wrong)


def test_new_films_need_allow_new_and_the_whole_recipe(camp):
    row = {"sample_id": "EXTRA-1", "filler": "h_BN", "pvdf_hfp_content": 0.3,
           "filler_to_salt": 1.0, "drying_temp_c": 55, "conductivity_s_cm": 7e-4}
    with pytest.raises(DataError, match="unknown film 'EXTRA-1'"):
        camp.add(pd.DataFrame([row]))
    partial = {k: v for k, v in row.items() if k != "drying_temp_c"}
    with pytest.raises(DataError, match="drying_temp_c: missing"):
        camp.add(pd.DataFrame([partial]), allow_new=True)
    report = camp.add(pd.DataFrame([row]), allow_new=True)
    assert report.new_recipes == ["EXTRA-1"]
    assert camp.to_frame().set_index("sample_id").loc["EXTRA-1", "origin"] == "user"


def test_temperature_other_than_reference_is_kept_not_aggregated(camp):
    camp.add(pd.DataFrame({"sample_id": ["CSE-40", "CSE-40"],
                           "conductivity_s_cm": [3e-3, 2.0e-3],
                           "temperature_c": [60.0, 25.2]}))
    row = camp.to_frame().set_index("sample_id").loc["CSE-40"]
    assert row["conductivity_s_cm_n"] == 2
    assert row["conductivity_s_cm"] == pytest.approx((1.936e-3 + 2.0e-3) / 2)
    hot = camp.to_frame(temperature_c=60).set_index("sample_id").loc["CSE-40"]
    assert hot["conductivity_s_cm"] == pytest.approx(3e-3) and hot["conductivity_s_cm_n"] == 1


# ---- raw files -------------------------------------------------------------------------------
def test_add_raw_hashes_files_and_skips_duplicates(camp, db, tmp_path):
    from ionopt.campaign._tables import file_digest

    camp.propose(2, seed=1, proposer=fake_proposer())
    files = eis_copies(tmp_path / "raw", 3)
    man = manifest(tmp_path / "raw" / "manifest.csv", files, ["B001-01", "B001-01", "B001-02"])
    report = camp.add_raw(man)
    assert report.ok and len(report.added) == 3 and report.measured == ["B001-01", "B001-02"]
    meas = camp.measurements().set_index("file_path")
    for f in files:
        sha, size = file_digest(f)
        row = meas.loc[str(f.resolve())]
        assert row["file_sha256"] == sha and row["file_size_bytes"] == size
        assert row["kind"] == "eis" and row["method"] and row["ionopt_version"]
        assert row["geometry.thickness_um"] == 200 and row["geometry.diameter_mm"] == 10
        assert row["conductivity_s_cm"] == pytest.approx(1.936e-3, rel=0.05)
    frame = camp.to_frame().set_index("sample_id")
    assert frame.loc["B001-01", "conductivity_s_cm_n"] == 2
    assert set(camp.proposals()["status"]) == {"measured"}
    # re-running: all three recognised by hash, nothing added
    again = camp.add_raw(man)
    assert again.ok and not again.added and len(again.skipped) == 3
    # the same file claimed for another film is an error, the rest still stored
    extra = eis_copies(tmp_path / "raw2", 4)[3]
    man2 = tmp_path / "raw2" / "m.csv"
    pd.DataFrame({"sample_id": ["CSE-40", "CSE-20", "NOPE"], "kind": "eis",
                  "file": [str(files[0]), extra.name, extra.name], "thickness_um": 200,
                  "area_cm2": 0.785}).to_csv(man2, index=False)
    mixed = camp.add_raw(man2)
    assert len(mixed.added) == 1 and len(mixed.errors) == 2
    assert mixed.errors[0].startswith(f"{man2}:2: file:") and "same sha256" in mixed.errors[0]
    assert mixed.errors[1].startswith(f"{man2}:4: sample_id: unknown film 'NOPE'")
    assert invariants(db)["measurements"] == 8 + 4


def test_add_raw_reports_bad_rows_and_continues(camp, tmp_path):
    files = eis_copies(tmp_path, 2)
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not an impedance file\n1,2\n")
    man = tmp_path / "m.csv"
    pd.DataFrame([
        {"sample_id": "CSE-40", "kind": "eis", "file": files[0].name, "thickness_um": 200},
        {"sample_id": "CSE-40", "kind": "xrd", "file": files[0].name, "thickness_um": 200,
         "diameter_mm": 10},
        {"sample_id": "CSE-40", "kind": "eis", "file": "gone.txt", "thickness_um": 200,
         "diameter_mm": 10},
        {"sample_id": "CSE-40", "kind": "eis", "file": junk.name, "thickness_um": 200,
         "diameter_mm": 10},
        {"sample_id": "CSE-40", "kind": "eis", "file": files[1].name, "thickness_um": -5,
         "diameter_mm": 10},
        {"sample_id": "CSE-40", "kind": "eis", "file": files[1].name, "thickness_um": 200,
         "diameter_mm": 10},
    ]).to_csv(man, index=False)
    report = camp.add_raw(man)
    assert len(report.added) == 1 and report.added[0]["line"] == f"{man}:7"
    assert [e.split(":")[1] for e in report.errors] == ["2", "3", "4", "5", "6"]
    assert "area_cm2 or diameter_mm: missing" in report.errors[0]
    assert "kind: expected one of" in report.errors[1]
    assert "no such file" in report.errors[2]
    assert "thickness_um: expected a positive number" in report.errors[4]
    with pytest.raises(DataError, match="kind, file: missing column"):
        camp.add_raw(pd.DataFrame({"sample_id": ["CSE-40"]}))


# ---- status, mark, export --------------------------------------------------------------------
def test_status_best_pareto_pending_and_plot(camp, tmp_path):
    camp.propose(2, seed=1, proposer=fake_proposer())
    camp.add(pd.DataFrame({"sample_id": ["B001-01"], "conductivity_s_cm": [2.5e-3],
                           "tensile_strength_mpa": [4.2]}))
    st = camp.status()
    best = st.best.set_index("target")
    assert best.loc["conductivity_s_cm", "best"] == pytest.approx(2.5e-3)
    assert best.loc["conductivity_s_cm", "sample_id"] == "B001-01"
    assert best.loc["tensile_strength_mpa", "sample_id"] == "CSE-40"
    assert set(st.pareto["sample_id"]) == {"B001-01", "CSE-40"}
    assert st.pending["sample_id"].tolist() == ["B001-02"]
    assert st.counts["pending"] == 1 and st.counts["measured"] == 9
    assert st.history["best_conductivity_s_cm"].iloc[-1] == pytest.approx(2.5e-3)
    out = camp.plot_progress(tmp_path / "fig" / "progress.png", st)
    assert out.stat().st_size > 1000
    payload = st.to_dict()
    assert payload["counts"]["batches"] == 1


def test_mark_made_and_abandoned(camp):
    camp.propose(3, seed=1, proposer=fake_proposer())
    assert camp.mark(["B001-01", "2"], "made") == ["B001-01", "B001-02"]
    assert camp.mark(["B001-03"], "abandoned") == ["B001-03"]
    with pytest.raises(DataError, match="no such film"):
        camp.mark(["B009-01"], "made")
    with pytest.raises(DataError, match="not a proposal"):
        camp.mark(["CSE-40"], "made")
    camp.add(pd.DataFrame({"sample_id": ["B001-01"], "conductivity_s_cm": [1e-3]}))
    assert camp.mark(["B001-01"], "abandoned") == []  # measured stays measured
    status = camp.proposals().set_index("sample_id")["status"].to_dict()
    assert status == {"B001-01": "measured", "B001-02": "made", "B001-03": "abandoned"}
    # 'made' is still pending for the optimizer; 'abandoned' is not
    assert camp.pending()["sample_id"].tolist() == ["B001-02"]


def test_export_csv_folder_and_parquet(camp, tmp_path):
    camp.propose(1, seed=1, proposer=fake_proposer())
    out = camp.export(tmp_path / "all.csv")
    table = pd.read_csv(out)
    assert {"sample_id", "target", "value", "file_sha256", "method", "status"} <= set(table)
    assert (table["sample_id"] == "B001-01").sum() == 1  # pending film, no value yet
    assert len(table.dropna(subset=["target"])) == _n_values(camp)
    films = pd.read_csv(camp.export(tmp_path / "films.csv", table="films"))
    assert len(films) == 9 and "conductivity_s_cm_n" in films
    folder = camp.export(tmp_path / "dump")
    assert sorted(p.name for p in folder.iterdir()) == [
        "all.csv", "batches.csv", "films.csv", "measurements.csv", "proposals.csv"]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(DataError, match="needs pyarrow"):
            camp.export(tmp_path / "x.parquet")
        assert not (tmp_path / "x.parquet").exists()
    else:
        back = pd.read_parquet(camp.export(tmp_path / "x.parquet"))
        assert len(back) == len(table)


def _n_values(camp) -> int:
    meas = camp.measurements()
    return int(meas[[c for c in camp.targets if c in meas]].notna().sum().sum())


def _arbin_cycles(n=5, q1_mah=1.40, fade=0.01, ce=0.99) -> str:
    """An Arbin CSV whose discharge capacity fades linearly by ``fade`` per cycle."""
    rows = ["Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current(A),Voltage(V),"
            "Charge_Capacity(Ah),Discharge_Capacity(Ah)"]
    k, t = 1, 0.0
    for c in range(1, n + 1):
        qd = q1_mah * (1 - fade * (c - 1))
        for j in range(1, 11):
            t += 60
            rows.append(f"{k},{t},1,{c},0.001,{3.4 + 0.01 * j},{qd / ce * j / 10 / 1000:.9f},0")
            k += 1
        for j in range(1, 11):
            t += 60
            rows.append(f"{k},{t},2,{c},-0.001,{3.4 - 0.01 * j},{qd / ce / 1000:.9f},"
                        f"{qd * j / 10 / 1000:.9f}")
            k += 1
    return "\n".join(rows) + "\n"


def test_add_raw_cycling_stores_capacity_retention_and_ce(camp, tmp_path):
    # 1.40 mAh on 10 mg of active material fading 1 %/cycle over 5 cycles: 134.4 mAh/g after
    # the last cycle, 96 % retention, 99 % Coulombic efficiency (closed form).
    (tmp_path / "cyc.csv").write_text(_arbin_cycles())
    man = tmp_path / "m.csv"
    pd.DataFrame([
        {"sample_id": "CSE-40", "kind": "cycling", "file": "cyc.csv", "active_mass_mg": 10},
        {"sample_id": "CSE-40", "kind": "cycling", "file": "cyc.csv"},
    ]).to_csv(man, index=False)
    report = camp.add_raw(man)
    assert len(report.added) == 1 and len(report.errors) == 1
    assert "active_mass_mg: missing" in report.errors[0]
    added = report.added[0]
    assert added["capacity_mah_g"] == pytest.approx(134.4, rel=1e-3)
    assert added["capacity_retention_pct"] == pytest.approx(96.0, rel=1e-3)
    assert added["coulombic_efficiency_pct"] == pytest.approx(99.0, abs=0.01)
