"""read_lsv / read_chrono on synthetic CHI, BioLogic, Gamry exports and generic tables."""

from __future__ import annotations

import numpy as np
import pytest

from ionopt.analysis.io import detect_format, read_chrono, read_eis, read_lsv
from ionopt.errors import FileFormatError

BIOLOGIC_LSV = """EC-Lab ASCII FILE
Nb header lines : 14

Linear Sweep Voltammetry

Acquisition started on : 03/05/2024 11:00:00
Device : VMP-300 (SN 1234)
Ei (V)              2.5000              
vs.                 Ref                 
dE/dt               0.500               
dE/dt unit          mV/s                
EL (V)              6.0000              

mode\tox/red\terror\tcontrol/V\tEwe/V\t<I>/mA\ttime/s\tcycle number
2\t1\t0\t2.5\t2,5000\t0,0012\t0,0\t0
2\t1\t0\t2.501\t2,5010\t0,0015\t2,0\t0
2\t1\t0\t2.502\t2,5020\t0,0021\t4,0\t0
"""

BIOLOGIC_CA = """EC-Lab ASCII FILE
Nb header lines : 11

Chronoamperometry / Chronocoulometry

Acquisition started on : 03/05/2024 12:00:00
Ei (V)              0.0100              
vs.                 Ref                 
ti (h:m:s)          1:00:0.0000         

time/s\tcontrol/V\tEwe/V\tI/mA\tdQ/C\t(Q-Qo)/mA.h
0.0\t0.01\t0.0101\t0.0100\t0\t0
1.0\t0.01\t0.0100\t0.0080\t0\t0
2.0\t0.01\t0.0100\t0.0070\t0\t0
"""

GAMRY_CA = """EXPLAIN
TAG\tCHRONOA
TITLE\tLABEL\tChronoamperometry Scan\tTest &Identifier
DATE\tLABEL\t5/6/2024\tDate
TIME\tLABEL\t10:00:00\tTime
PSTAT\tPSTAT\tREF600-1\tPotentiostat
VSTEP1\tPOTEN\t1.00000E-002\tF\tPre-step V (V)
CURVE\tTABLE
\tPt\tT\tVf\tIm\tVu\tSig\tAch\tIERange\tOver
\t#\ts\tV vs. Ref.\tA\tV\tV\tV\t#\tbits
\t0\t0,1\t1,00E-002\t1,00E-005\t0\t0\t0\t5\t...........
\t1\t0,2\t1,00E-002\t8,00E-006\t0\t0\t0\t5\t...........
"""


def test_chi_lsv(tmp_path, write, chi_lsv_text):
    path = write(tmp_path / "lsv.txt", chi_lsv_text, "utf-8", "\r\n")
    assert detect_format(path) == "chi"
    df = read_lsv(path)
    assert list(df.columns) == ["potential_v", "current_a"]
    assert len(df) == 7
    np.testing.assert_allclose(df.iloc[-1].to_numpy(), (2.56, 5e-8))
    a = df.attrs
    assert a["technique"] == "Linear Sweep Voltammetry" and a["format"] == "chi"
    assert a["scan_rate_v_s"] == 0.001 and a["init_e_v"] == 2.5 and a["final_e_v"] == 2.56
    assert a["instrument"] == "CHI760E"


def test_chi_it(tmp_path, write, chi_it_text):
    df = read_chrono(write(tmp_path / "it.txt", chi_it_text))
    assert list(df.columns) == ["time_s", "current_a"]
    np.testing.assert_allclose(df["time_s"], [0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert df["current_a"].iloc[0] == 1e-5
    assert df.attrs["potential_applied_v"] == 0.01
    assert df.attrs["technique"] == "Amperometric i-t Curve"


def test_chi_it_to_read_lsv_is_refused(tmp_path, write, chi_it_text):
    path = write(tmp_path / "it.txt", chi_it_text)
    with pytest.raises(FileFormatError, match=r"it\.txt:2: this is a chronoamperometry.*"
                                              r"read_chrono"):
        read_lsv(path)
    with pytest.raises(FileFormatError, match=r"it\.txt:2: .*read_chrono"):
        read_eis(path)


def test_chi_lsv_truncated_and_bad_cell(tmp_path, write, chi_lsv_text):
    text = chi_lsv_text.rstrip("\n")[:-5]  # cut mid-number: "2.560, 5.0" parses!
    assert text.endswith("2.560, 5.0")
    with pytest.warns(UserWarning, match=r"dropped 1 row.*truncated.*line\(s\) 24"):
        df = read_lsv(write(tmp_path / "t.txt", text))
    assert len(df) == 6 and df.attrs["n_rows_dropped"] == 1
    # a complete last row without a final newline is kept
    df = read_lsv(write(tmp_path / "t2.txt", chi_lsv_text.rstrip("\n")))
    assert len(df) == 7 and df["current_a"].iloc[-1] == 5e-8
    bad = chi_lsv_text.replace("2.520, 2.000e-9", "2.520, ----")
    with pytest.raises(FileFormatError, match=r"b\.txt:20: expected a number in column 2 "
                                              r"\(Current/A\), found '----'"):
        read_lsv(write(tmp_path / "b.txt", bad))


def test_biologic_lsv_units_and_scan_rate(tmp_path, write):
    path = write(tmp_path / "lsv.mpt", BIOLOGIC_LSV, "latin-1", "\r\n")
    df = read_lsv(path)
    assert list(df.columns) == ["potential_v", "current_a", "time_s"]
    np.testing.assert_allclose(df["current_a"], [1.2e-6, 1.5e-6, 2.1e-6])  # mA -> A
    np.testing.assert_allclose(df["potential_v"], [2.5, 2.501, 2.502])      # Ewe, not control
    assert df.attrs["scan_rate_v_s"] == pytest.approx(5e-4)
    assert df.attrs["init_e_v"] == 2.5 and df.attrs["final_e_v"] == 6.0
    with pytest.raises(FileFormatError, match=r"lsv\.mpt:4: .*Linear Sweep.*read_lsv"):
        read_eis(path)


def test_biologic_ca(tmp_path, write):
    df = read_chrono(write(tmp_path / "ca.mpt", BIOLOGIC_CA))
    assert list(df.columns) == ["time_s", "current_a", "potential_v"]
    np.testing.assert_allclose(df["current_a"], [1e-5, 8e-6, 7e-6])
    assert df.attrs["potential_applied_v"] == 0.01


def test_gamry_chrono_decimal_comma(tmp_path, write):
    df = read_chrono(write(tmp_path / "ca.DTA", GAMRY_CA))
    np.testing.assert_allclose(df.to_numpy(), [[0.1, 1e-5, 0.01], [0.2, 8e-6, 0.01]])
    assert df.attrs["potential_applied_v"] == 0.01 and df.attrs["tag"] == "CHRONOA"


def test_generic_lsv_csv_with_units(tmp_path, write):
    path = write(tmp_path / "lsv.csv", "Time (s),Potential (mV),Current (uA)\n0,2500,1\n"
                                       "1,2501,2\n")
    df = read_lsv(path)
    np.testing.assert_allclose(df.to_numpy(), [[2.5, 1e-6, 0], [2.501, 2e-6, 1]])
    assert "scan_rate_v_s" not in df.attrs
    with pytest.raises(FileFormatError, match=r"lsv\.csv:1: cannot find time_s"):
        read_chrono(write(tmp_path / "lsv.csv", "Potential (V),Current (A)\n1,2\n3,4\n"))


def test_real_eis_file_refused_by_read_chrono(shared_data):
    path = shared_data / "impedance-py" / "exampleDataGamry.DTA"
    with pytest.raises(FileFormatError, match=r"exampleDataGamry\.DTA:2: this is an "
                                              r"impedance.*read_eis"):
        read_chrono(path)
