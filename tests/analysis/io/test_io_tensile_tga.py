"""read_tensile / read_tga on generic tables (CSV, TSV, Netzsch-style, .xlsx)."""

from __future__ import annotations

import numpy as np
import pytest

from ionopt.analysis.io import read_tensile, read_tga
from ionopt.errors import FileFormatError


def test_strain_stress_csv(tmp_path, write):
    path = write(tmp_path / "t.csv", "Time (s),Strain (%),Stress (MPa)\n0,0,0\n1,0.5,0.12\n"
                                     "2,1.0,0.25\n")
    df = read_tensile(path)
    assert list(df.columns) == ["strain_pct", "stress_mpa", "time_s"]
    np.testing.assert_allclose(df["stress_mpa"], [0, 0.12, 0.25])
    assert df.attrs["units_assumed"] == []


def test_force_extension_with_units_row_no_geometry_guess(tmp_path, write):
    text = '"Time","Extension","Load"\n"(s)","(mm)","(kN)"\n0,0,0\n1,0.1,0.002\n2,0.2,0.003\n'
    df = read_tensile(write(tmp_path / "instron.csv", text))
    assert list(df.columns) == ["force_n", "displacement_mm", "time_s"]
    np.testing.assert_allclose(df["force_n"], [0, 2, 3])  # kN -> N
    assert df.attrs["columns_used"]["force_n"] == "Load (kN)"


def test_fractional_strain_and_pa(tmp_path, write):
    text = "Strain [mm/mm]\tStress [kPa]\n0.01\t500\n0.02\t900\n"
    df = read_tensile(write(tmp_path / "t.tsv", text))
    np.testing.assert_allclose(df.to_numpy(), [[1.0, 0.5], [2.0, 0.9]])


def test_explicit_mapping_and_unitless_column_reported(tmp_path, write):
    path = write(tmp_path / "m.csv", "eps,sig\n0,0\n5,1.5\n")
    with pytest.raises(FileFormatError, match=r"m\.csv:1: cannot find strain_pct\+stress_mpa"
                                              r" or force_n\+displacement_mm"):
        read_tensile(path)
    df = read_tensile(path, columns={"strain_pct": "eps", "stress_mpa": "sig"})
    np.testing.assert_allclose(df["strain_pct"], [0, 5])
    assert df.attrs["units_assumed"] == ["strain_pct", "stress_mpa"]


def test_tensile_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Specimen 1"
    ws.append(["Sample: PEO-LiTFSI film"])
    ws.append([])
    ws.append(["Strain (%)", "Stress (MPa)"])
    for row in ([0.0, 0.0], [10.0, 0.4], [20.0, 0.55], [None, None]):
        ws.append(row)
    path = tmp_path / "tensile.xlsx"
    wb.save(path)
    df = read_tensile(path)
    np.testing.assert_allclose(df.to_numpy(), [[0, 0], [10, 0.4], [20, 0.55]])
    assert df.attrs["format"] == "excel" and df.attrs["sheet"] == "Specimen 1"
    with pytest.raises(FileFormatError, match=r"no sheet named 'nope'.*Specimen 1"):
        read_tensile(path, sheet="nope")


def test_xlsx_bad_cell_names_sheet_row(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Strain (%)", "Stress (MPa)"])
    ws.append([0, 0])
    ws.append([1, "broke"])
    ws.append([2, 0.3])
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with pytest.raises(FileFormatError, match=r"bad\.xlsx\[Sheet\]:3: expected a number in "
                                              r"column 2 \(Stress \(MPa\)\), found 'broke'"):
        read_tensile(path)


def test_tga_percent(tmp_path, write):
    df = read_tga(write(tmp_path / "tga.csv", "Time (min),Temperature (°C),Weight (%)\n"
                                              "0,30,100\n1,40,99.5\n2,50,98\n"))
    assert list(df.columns) == ["temperature_c", "mass_pct", "time_s"]
    np.testing.assert_allclose(df["time_s"], [0, 60, 120])
    assert "mass_converted_from" not in df.attrs


def test_tga_mg_converted_to_percent_of_first_point(tmp_path, write):
    df = read_tga(write(tmp_path / "tga.csv", "Temperature (K),Mass (mg)\n303.15,10.0\n"
                                              "403.15,9.5\n503.15,8.0\n"))
    np.testing.assert_allclose(df["mass_pct"], [100, 95, 80])
    np.testing.assert_allclose(df["temperature_c"], [30, 130, 230])
    a = df.attrs
    assert a["mass_converted_from"] == "mg" and a["initial_mass_mg"] == 10.0
    assert a["temperature_converted_from"] == "K"


def test_tga_netzsch_style_semicolon_decimal_comma(tmp_path, write):
    text = ("#EXPORTTYPE:\tDATA ALL\n#SAMPLE:\tLLZO-PEO\n##Temp./°C;Time/min;Mass/%\n"
            "30,0;0,0;100,00\n100,5;7,0;99,12\n")
    df = read_tga(write(tmp_path / "netzsch.txt", text, "latin-1", "\r\n"))
    np.testing.assert_allclose(df.to_numpy(), [[30.0, 100.0, 0.0], [100.5, 99.12, 420.0]])


def test_tga_zero_initial_mass_is_an_error(tmp_path, write):
    path = write(tmp_path / "z.csv", "Temperature (°C),Mass (mg)\n30,0\n40,1\n")
    with pytest.raises(FileFormatError, match=r"z\.csv:1: mass in mg starts at 0"):
        read_tga(path)


def test_electrochem_file_refused_by_tga_and_tensile(shared_data):
    path = shared_data / "impedance-py" / "exampleDataCHInstruments.txt"
    with pytest.raises(FileFormatError, match=r"electrochemistry file \(chi, A\.C\. "
                                              r"Impedance\).*read_tga"):
        read_tga(path)
    with pytest.raises(FileFormatError, match=r"exampleDataCHInstruments\.txt: .*read_tensile"):
        read_tensile(path)


def test_tga_table_without_mass(tmp_path, write):
    path = write(tmp_path / "x.csv", "Temperature (°C),Heat flow (mW)\n30,1\n40,2\n")
    with pytest.raises(FileFormatError, match=r"x\.csv:1: cannot find mass_pct"):
        read_tga(path)
