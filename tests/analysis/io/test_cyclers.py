"""Cycler readers: the real Maccor and Arbin files (beep test data) and synthetic exports."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ionopt.analysis.cycling import analyze_cycling
from ionopt.analysis.io.cyclers import CYCLING_COLUMNS, read_cycling
from ionopt.errors import FileFormatError

MACCOR = "maccor_PredictionDiagnostics_000109_tztest.010"
ARBIN = "arbin_2017-05-09_test-TC-contact_CH33.csv"


@pytest.fixture(scope="module")
def maccor(shared_data):
    return read_cycling(shared_data / "beep-cyclers" / MACCOR)


def test_maccor_real_file(maccor):
    df = maccor
    assert list(df.columns[:8]) == CYCLING_COLUMNS
    assert df.attrs["format"] == "maccor" and df.attrs["warnings"] == []
    assert sorted(df["cycle"].unique()) == [86, 87, 88, 89]
    # values the README states: largest discharge Amp-hr per cycle
    dis = df[df.state == "discharge"].groupby("cycle")["step_capacity_mah"].max()
    np.testing.assert_allclose(dis.to_numpy(), [1937.8, 1839.5, 1746.1, 522.6], atol=0.1)
    # one discharge step per cycle: cycle total equals that step's Amp-hr
    per_cycle = df.groupby("cycle")["discharge_capacity_mah"].max()
    np.testing.assert_allclose(per_cycle.to_numpy(), dis.to_numpy())
    assert set(df["state"]) == {"charge", "discharge", "rest"}
    assert (df.loc[df.state == "discharge", "current_a"] < 0).all()
    assert (df.loc[df.state == "charge", "current_a"] > 0).all()
    assert df["cycle"].dtype.kind == "i" and df["step"].dtype.kind == "i"


def test_maccor_charge_steps_accumulate(maccor):
    # cycle 87 charges in steps 61 (CC), 62 and 63: the cycle total is their sum
    c87 = maccor[(maccor.cycle == 87) & (maccor.state == "charge")]
    step_max = c87.groupby("step")["step_capacity_mah"].max()
    total = maccor[maccor.cycle == 87]["charge_capacity_mah"].max()
    assert total == pytest.approx(step_max.sum())
    assert total == pytest.approx(1451.99 + 0.0 + 1131.31, abs=0.05)
    # the charge column holds its value during the discharge of the same cycle
    d87 = maccor[(maccor.cycle == 87) & (maccor.state == "discharge")]
    assert (d87["charge_capacity_mah"] == total).all()


def test_maccor_feeds_cycling_summary(maccor):
    r = analyze_cycling(maccor, active_mass_g=1.0)
    assert r.n_cycles == 4
    assert r.final_discharge_capacity_mah == pytest.approx(522.6, abs=0.1)
    assert any("cut short" in w for w in r.warnings)
    r88 = analyze_cycling(maccor, reference_cycle=87, retention_cycle=88)
    assert r88.capacity_retention_pct == pytest.approx(100 * 1746.08 / 1839.45, abs=0.01)


def test_arbin_blank_indices(shared_data):
    with pytest.warns(UserWarning) as record:
        df = read_cycling(shared_data / "beep-cyclers" / ARBIN)
    messages = " | ".join(str(w.message) for w in record)
    assert "Cycle_Index is blank" in messages and "Step_Index is blank" in messages
    assert df.attrs["format"] == "arbin"
    assert (df["cycle"] == 1).all()
    assert df["charge_capacity_mah"].max() == pytest.approx(608.3, abs=0.05)
    assert len(df) == 287
    # 6.6 A charge, one near-zero point, then 1.1 A: three steps by state runs
    assert list(df["step"].unique()) == [1, 2, 3]
    assert df.loc[df.step == 3, "current_a"].median() == pytest.approx(1.1, abs=0.01)
    assert any("Step_Index" in w for w in df.attrs["warnings"])


def test_arbin_synthetic_with_indices_and_units(tmp_path, write):
    text = ("Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current(A),Voltage(V),"
            "Charge_Capacity(Ah),Discharge_Capacity(Ah)\n"
            "1,0,1,1,0.5,3.5,0.0,0\n2,10,1,1,0.5,3.6,0.001,0\n"
            "3,20,2,1,-0.5,3.4,0.001,0.0005\n4,30,2,1,-0.5,3.3,0.001,0.001\n")
    path = write(tmp_path / "arbin.csv", text, newline="\r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = read_cycling(path)
    assert df.attrs["format"] == "arbin"
    assert list(df["state"]) == ["charge", "charge", "discharge", "discharge"]
    assert df["discharge_capacity_mah"].max() == pytest.approx(1.0)
    assert list(df["step"]) == [1, 1, 2, 2]


MPT = """EC-Lab ASCII FILE
Nb header lines : 6

Galvanostatic Cycling with Potential Limitation

mode\tox/red\ttime/s\tEwe/V\t<I>/mA\tcycle number\tNs\tQ charge/mA.h\tQ discharge/mA.h
1\t1\t0.0\t3.40\t0.100\t0\t0\t0.0\t0.0
1\t1\t1800.0\t3.45\t0.100\t0\t0\t0.05\t0.0
1\t1\t3600.0\t3.60\t0.100\t0\t0\t0.10\t0.0
1\t0\t5400.0\t3.35\t-0.100\t0\t1\t0.10\t0.05
1\t0\t7200.0\t3.20\t-0.100\t0\t1\t0.10\t0.095
1\t1\t9000.0\t3.45\t0.100\t1\t0\t0.05\t0.0
"""


def test_biologic_gcpl(tmp_path, write):
    path = write(tmp_path / "gcpl.mpt", MPT, encoding="latin-1", newline="\r\n")
    df = read_cycling(path)
    assert df.attrs["format"] == "biologic"
    np.testing.assert_allclose(df["current_a"], [1e-4] * 3 + [-1e-4] * 2 + [1e-4])
    assert list(df["cycle"]) == [0] * 5 + [1]
    assert list(df["step"]) == [0, 0, 0, 1, 1, 0]
    assert df["discharge_capacity_mah"].max() == pytest.approx(0.095)


def test_biologic_without_q_columns_integrates(tmp_path, write):
    text = MPT.replace("\tQ charge/mA.h\tQ discharge/mA.h", "")
    text = "\n".join("\t".join(ln.split("\t")[:7]) if "\t" in ln else ln
                     for ln in text.split("\n"))
    df = read_cycling(write(tmp_path / "gcpl.mpt", text))
    # 0.1 mA for 2 x 1800 s = 0.1 mAh charge in cycle 0
    c0 = df[df.cycle == 0]
    assert c0["charge_capacity_mah"].max() == pytest.approx(0.1)
    assert c0["discharge_capacity_mah"].max() == pytest.approx(0.1)


def test_biologic_decimal_comma(tmp_path, write):
    text = MPT.replace(".", ",").replace("mA,h", "mA.h")
    df = read_cycling(write(tmp_path / "gcpl.mpt", text, encoding="utf-16"))
    assert df["potential_v"].iloc[1] == pytest.approx(3.45)


def test_generic_csv_mapping(tmp_path, write):
    text = "t_h;I_mA;U\n0;1;3.4\n0.5;1;3.5\n1;1;3.6\n1.5;-1;3.3\n2;-1;3.2\n"
    path = write(tmp_path / "custom.csv", text)
    with pytest.warns(UserWarning, match="no cycle column"):
        df = read_cycling(path, format="csv",
                          columns={"t_h": "time_s", "I_mA": "current_a", "U": "potential_v"},
                          scale={"time_s": 3600, "current_a": 1e-3})
    assert df["current_a"].iloc[0] == pytest.approx(1e-3)
    # 1 mA for 2 x 0.5 h = 1 mAh charged, then 1 mAh discharged
    assert df["charge_capacity_mah"].max() == pytest.approx(1.0)
    assert df["discharge_capacity_mah"].max() == pytest.approx(1.0)
    assert list(df["state"]) == ["charge"] * 3 + ["discharge"] * 2


def test_errors(tmp_path, write):
    with pytest.raises(FileFormatError, match="not found"):
        read_cycling(tmp_path / "missing.csv")
    with pytest.raises(FileFormatError, match="format"):
        read_cycling(write(tmp_path / "a.csv", "x\n1\n"), format="neware")
    with pytest.raises(FileFormatError, match="empty"):
        read_cycling(write(tmp_path / "e.csv", "\n\n"))
    with pytest.raises(FileFormatError, match="not a recognised cycler export"):
        read_cycling(write(tmp_path / "u.csv", "a,b\n1,2\n"))
    with pytest.raises(FileFormatError, match="columns="):
        read_cycling(write(tmp_path / "g.csv", "a,b\n1,2\n"), format="csv")
    with pytest.raises(FileFormatError, match="unknown name"):
        read_cycling(write(tmp_path / "g.csv", "a,b\n1,2\n"), format="csv",
                     columns={"a": "volts"})
    with pytest.raises(FileFormatError, match=r"\['zz'\]"):
        read_cycling(write(tmp_path / "g.csv", "a,b\n1,2\n"), format="csv",
                     columns={"zz": "time_s"})
    with pytest.raises(FileFormatError, match="Voltage"):
        read_cycling(write(tmp_path / "ar.csv",
                           "Data_Point,Test_Time,Current,Charge_Capacity\n1,0,1,0\n"),
                     format="arbin")
    bad = ("Data_Point,Test_Time,Current,Voltage\n1,0,1,3.4\n2,1,oops,3.5\n")
    with pytest.raises(FileFormatError, match="oops"):
        read_cycling(write(tmp_path / "ar.csv", bad))
    header = "Today's Date 10/10/2019\nRec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState\n"
    with pytest.raises(FileFormatError, match="Amp-hr"):
        read_cycling(write(tmp_path / "m.010", header + "1\t1\t1\t0\t1\t3.4\tC\n"))
    with pytest.raises(FileFormatError, match="Nb header lines"):
        read_cycling(write(tmp_path / "b.mpt", "EC-Lab ASCII FILE\nnothing\n"))
