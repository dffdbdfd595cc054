"""analyze_manifest: a manifest of raw files -> one targets row per sample, bad rows reported."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ionopt.analysis.batch import (TARGETS, analyze_file, analyze_manifest, read_manifest)
from ionopt.datasets import EXAMPLE_TRUTH, example_files
from ionopt.errors import DataError, FileFormatError

FILES = example_files()
HEADER = ("sample_id,kind,file,thickness_um,diameter_mm,area_cm2,temperature_c,delta_v,"
          "eis_before,eis_after,r0_ohm,rs_ohm,active_mass_mg")


def arbin_cycling(n=5, points=10, q1=1.40, fade=0.01, ce=0.99, current=1e-3) -> str:
    """Arbin CSV: discharge capacity q1 (mAh) fading linearly by ``fade`` per cycle."""
    rows = ["Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current(A),Voltage(V),"
            "Charge_Capacity(Ah),Discharge_Capacity(Ah)"]
    k, t = 1, 0.0
    for c in range(1, n + 1):
        qd = q1 * (1 - fade * (c - 1))
        qc = qd / ce
        for j in range(1, points + 1):
            t += 60
            rows.append(f"{k},{t},1,{c},{current},{3.4 + 0.01 * j},{qc * j / points / 1000:.9f},0")
            k += 1
        for j in range(1, points + 1):
            t += 60
            rows.append(f"{k},{t},2,{c},{-current},{3.4 - 0.01 * j},{qc / 1000:.9f},"
                        f"{qd * j / points / 1000:.9f}")
            k += 1
    return "\n".join(rows) + "\n"


def arbin_symmetric(n_half=40, short_at=20, points=10) -> str:
    """Li|Li square wave, 1 h half-cycles at ±50 mV; collapses to 1 mV from ``short_at``."""
    rows = ["Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current(A),Voltage(V),"
            "Charge_Capacity(Ah),Discharge_Capacity(Ah)"]
    k = 1
    for h in range(n_half):
        sign = 1 if h % 2 == 0 else -1
        eta = 0.05 if h < short_at else 0.001
        for j in range(points):
            rows.append(f"{k},{(h + j / points) * 3600},{h % 2 + 1},{h // 2 + 1},"
                        f"{sign * 1e-4},{sign * eta},0,0")
            k += 1
    return "\n".join(rows) + "\n"


def _line(**cells) -> str:
    return ",".join(str(cells.get(c, "")) for c in HEADER.split(","))


def good_lines() -> list[str]:
    f = FILES
    eis = dict(thickness_um=200, diameter_mm=10)
    lines = [
        _line(sample_id="CSE-40", kind="eis", file=f["eis_cse40_25c.txt"], temperature_c=25,
              **eis),
        _line(sample_id="CSE-40", kind="lsv", file=f["lsv_cse40.txt"], diameter_mm=10),
        _line(sample_id="CSE-40", kind="transference", file=f["bv_chrono_cse40.txt"],
              eis_before=f["bv_eis_before_cse40.txt"], eis_after=f["bv_eis_after_cse40.txt"]),
        _line(sample_id="CSE-40", kind="transference", file=f["bv_chrono_cse40.txt"],
              delta_v=0.01, r0_ohm=300, rs_ohm=350),
        _line(sample_id="CSE-40", kind="tensile", file=f["tensile_cse40.csv"]),
        _line(sample_id="CSE-40", kind="tga", file=f["tga_cse40.csv"]),
    ]
    for t in (25, 35, 45, 55, 65, 75):
        lines.append(_line(sample_id="CSE-70", kind="eis",
                           file=f[f"arrhenius/eis_cse70_{t}c.txt"], temperature_c=t, **eis))
    lines.append(_line(sample_id="CSE-70", kind="eis", file=f["eis_cse70_25c.txt"],
                       temperature_c=25, **eis))
    return lines


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("batch")
    (path / "cyc.csv").write_text(arbin_cycling())
    (path / "sym.csv").write_text(arbin_symmetric())
    return path


@pytest.fixture(scope="module")
def good(folder):
    """The example files plus synthetic cycling files (relative paths), no bad row."""
    lines = good_lines() + [
        _line(sample_id="LFP", kind="cycling", file="cyc.csv", active_mass_mg=10),
        _line(sample_id="LFP", kind="symmetric", file="sym.csv"),
    ]
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join([HEADER] + lines) + "\n")
    calls = []
    result = analyze_manifest(manifest, progress=lambda *a: calls.append(a))
    return result, calls


def row(result, sample):
    return result.targets.set_index("sample_id").loc[sample]


def test_targets_columns_follow_the_contract(good):
    result, _ = good
    assert result.ok and not result.errors
    cols = list(result.targets.columns)
    assert cols[0] == "sample_id" and cols[-1] == "qc"
    for t in TARGETS:
        assert {t, f"{t}_std", f"{t}_n"} <= set(cols)
    assert list(result.targets["sample_id"]) == ["CSE-40", "CSE-70", "LFP"]


def test_expected_targets_row_of_the_examples(good):
    result, _ = good
    r = row(result, "CSE-40")
    assert r["conductivity_s_cm"] == pytest.approx(1.936e-3, rel=0.03)
    assert r["conductivity_s_cm_n"] == 1 and math.isnan(r["conductivity_s_cm_std"])
    assert r["temperature_c"] == 25.0
    assert r["stability_window_v"] == pytest.approx(5.0, abs=0.05)
    # two transference replicates: EIS-derived resistances and given ones (rs_ohm alias)
    assert r["transference_number_n"] == 2
    assert r["transference_number"] == pytest.approx(0.47, abs=0.02)
    assert 0 < r["transference_number_std"] < 0.01
    truth = EXAMPLE_TRUTH["tensile_cse40.csv"]
    assert r["tensile_strength_mpa"] == pytest.approx(truth["tensile_strength_mpa"], rel=0.01)
    assert r["youngs_modulus_mpa"] == pytest.approx(truth["youngs_modulus_mpa"], rel=0.1)
    assert r["elongation_at_break_pct"] == pytest.approx(150.0, rel=0.01)
    assert 330 < r["decomposition_temp_c"] < 360
    assert r["activation_energy_ev_n"] == 0 and math.isnan(r["activation_energy_ev"])
    assert r["capacity_mah_g_n"] == 0


def test_replicates_at_reference_and_derived_arrhenius(good):
    result, _ = good
    r = row(result, "CSE-70")
    assert r["conductivity_s_cm_n"] == 2  # the two 25 °C files, not 35-75 °C
    assert r["conductivity_s_cm"] == pytest.approx(0.208e-3, rel=0.01)
    assert r["conductivity_s_cm_std"] < 0.01 * r["conductivity_s_cm"]
    assert r["activation_energy_ev"] == pytest.approx(0.30, abs=0.01)
    assert r["activation_energy_ev_n"] == 1
    assert "CSE-70" in result.arrhenius
    derived = result.measurements[result.measurements["kind"] == "arrhenius"]
    assert len(derived) == 1 and derived["line"].isna().all()


def test_cycling_and_symmetric_targets(good):
    result, _ = good
    r = row(result, "LFP")
    assert r["capacity_mah_g"] == pytest.approx(134.4, rel=1e-3)  # after the last cycle
    assert r["capacity_retention_pct"] == pytest.approx(96.0, rel=1e-3)
    assert r["coulombic_efficiency_pct"] == pytest.approx(99.0, abs=0.01)
    assert r["short_circuit_h"] == pytest.approx(20.0, abs=0.5)
    assert r["qc"] == "ok"


def test_measurements_one_row_per_manifest_row(good):
    result, _ = good
    m = result.measurements[result.measurements["line"].notna()]
    assert len(m) == len(good_lines()) + 2
    assert list(m["line"]) == list(range(2, 2 + len(m)))
    assert (m["error"] == "").all()
    eis = m[m["kind"] == "eis"]
    assert eis["r_bulk_ohm"].notna().all() and set(eis["method"]) <= {"circuit_fit", "spike_fit"}


def test_progress_hook_and_no_printing(good, capsys):
    result, calls = good
    n = len(good_lines()) + 2
    assert calls[0][:2] == (0, n) and calls[-1][:2] == (n, n) and len(calls) == n + 1
    assert capsys.readouterr().out == ""


def test_bad_rows_reported_good_rows_still_analyzed(tmp_path):
    f = FILES
    lines = good_lines()[:2] + [
        _line(sample_id="X1", kind="eis", file=tmp_path / "missing.txt", thickness_um=200,
              diameter_mm=10, temperature_c=25),
        _line(sample_id="X2", kind="impedance", file=f["eis_cse70_25c.txt"]),
        _line(sample_id="X3", kind="eis", file=f["eis_cse70_25c.txt"], thickness_um=-200,
              diameter_mm=10, temperature_c=25),
        _line(sample_id="X4", kind="eis", file=f["eis_cse70_25c.txt"], thickness_um="abc",
              diameter_mm=10),
        _line(sample_id="X5", kind="eis", file=f["eis_cse70_25c.txt"], thickness_um=200),
        _line(sample_id="X6", kind="lsv", file=f["tga_cse40.csv"], diameter_mm=10),
    ]
    manifest = tmp_path / "m.csv"
    manifest.write_text("\n".join([HEADER] + lines) + "\n")
    result = analyze_manifest(manifest)
    text = "\n".join(result.errors)
    assert f"{manifest}:4: file: no such file" in text
    assert f"{manifest}:5: kind: expected one of" in text and "'impedance'" in text
    assert f"{manifest}:6: thickness_um: expected a number > 0, got '-200'" in text
    assert f"{manifest}:7: thickness_um: expected a number, got 'abc'" in text
    assert f"{manifest}:8: area_cm2 or diameter_mm: required for kind eis" in text
    assert f"{manifest}:9: " in text and "tga_cse40.csv" in text and "LSV" in text
    assert len(result.errors) == 6
    t = result.targets.set_index("sample_id")
    assert t.loc["CSE-40", "conductivity_s_cm_n"] == 1
    assert t.loc["CSE-40", "stability_window_v"] == pytest.approx(5.0, abs=0.05)
    for sample in ("X1", "X2", "X3", "X4", "X5", "X6"):
        assert t.loc[sample, "qc"].startswith("error: ")
    m = result.measurements.set_index("line")
    assert m.loc[4, "error"] and m.loc[2, "error"] == ""


def test_arrhenius_is_not_a_manifest_kind():
    frame = pd.DataFrame({"sample_id": ["A"], "kind": ["arrhenius"],
                          "file": [str(FILES["eis_cse70_25c.txt"])]})
    result = analyze_manifest(frame)
    assert "derived automatically" in result.errors[0]
    assert result.errors[0].startswith("manifest row 1: kind:")


def test_missing_required_column_raises():
    with pytest.raises(DataError, match="missing column.*file"):
        analyze_manifest(pd.DataFrame({"sample_id": ["A"], "kind": ["eis"]}))


def test_missing_column_in_csv_names_the_header_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("# comment\nsample_id,kind\nA,eis\n")
    with pytest.raises(DataError, match=r"m\.csv:2: missing column\(s\) file"):
        read_manifest(path)


def test_no_conductivity_at_the_reference_temperature_is_said_in_qc():
    frame = pd.DataFrame({
        "sample_id": ["A", "A"], "kind": ["eis", "eis"],
        "file": [str(FILES["arrhenius/eis_cse70_45c.txt"]),
                 str(FILES["arrhenius/eis_cse70_55c.txt"])],
        "thickness_um": [200, 200], "diameter_mm": [10, 10], "temperature_c": [45, 55]})
    result = analyze_manifest(frame)
    r = row(result, "A")
    assert math.isnan(r["conductivity_s_cm"]) and r["conductivity_s_cm_n"] == 0
    assert "no EIS at 25 ± 2 °C (measured at 45, 55 °C)" in r["qc"]
    assert "at least 3 points" in r["qc"]  # two temperatures, two points: no Ea
    again = analyze_manifest(frame, reference_temp_c=45)
    assert row(again, "A")["conductivity_s_cm_n"] == 1


def test_relative_paths_against_base_dir_and_unknown_columns(tmp_path):
    frame = pd.DataFrame({"sample_id": ["A"], "kind": ["TGA "], "file": ["tga_cse40.csv"],
                          "Thicknes_um": ["3"]})
    result = analyze_manifest(frame, base_dir=FILES["tga_cse40.csv"].parent)
    assert result.ok and row(result, "A")["decomposition_temp_c_n"] == 1
    assert any("thicknes_um" in w for w in result.warnings)


def test_eis_without_temperature_taken_at_reference():
    frame = pd.DataFrame({"sample_id": ["A"], "kind": ["eis"],
                          "file": [str(FILES["eis_cse70_25c.txt"])],
                          "thickness_um": [200], "area_cm2": [0.7853981633974483]})
    r = row(analyze_manifest(frame), "A")
    assert r["conductivity_s_cm_n"] == 1
    assert "temperature_c not given" in r["qc"]


def test_analyze_file_names_the_file(tmp_path):
    with pytest.raises(FileFormatError, match="nope.txt"):
        analyze_file(tmp_path / "nope.txt", "eis")
    with pytest.raises(DataError, match="kind"):
        analyze_file(FILES["tga_cse40.csv"], "xrd")
    res = analyze_file(FILES["tga_cse40.csv"], "tga", decomposition="onset")
    assert res.method == "tga_decomposition_onset" and res.source.endswith("tga_cse40.csv")
