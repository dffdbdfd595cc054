"""read_eis against real instrument files (../shared/data) and an independent reference."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from ionopt.analysis.io import detect_format, read_eis

# (file, format, n rows, first row as its own project reports it: f, Z', Z'')
IMPEDANCE_PY = [
    ("exampleDataCHInstruments.txt", "chi", 73, (9.961e4, 98.91, -2.748)),
    ("exampleDataGamry.DTA", "gamry", 72, (2.000156e5, 825.8584, -1367.239)),
    ("exampleDataZPlot.z", "zview", 21, (3.0e5, 147.77, -11.335)),
    ("exampleDataBioLogic.mpt", "biologic", 43, (1000.3201, 65.470886, -0.38998979)),
]


@pytest.mark.parametrize("name, fmt, n, first", IMPEDANCE_PY)
def test_first_rows_match_what_their_project_reports(shared_data, name, fmt, n, first):
    path = shared_data / "impedance-py" / name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean real file must read without warnings
        df = read_eis(path)
    assert list(df.columns) == ["freq_hz", "z_real_ohm", "z_imag_ohm"]
    assert len(df) == n
    np.testing.assert_allclose(df.iloc[0].to_numpy(), first, rtol=1e-9)
    assert df.attrs["format"] == fmt == detect_format(path)
    assert df.attrs["source"] == str(path)
    assert df.attrs["n_rows_dropped"] == 0


def test_chi_header_metadata(shared_data):
    df = read_eis(shared_data / "impedance-py" / "exampleDataCHInstruments.txt")
    a = df.attrs
    assert a["technique"] == "A.C. Impedance"
    assert a["instrument"] == "CHI660E"
    assert a["amplitude_v"] == 0.025
    assert a["freq_high_hz"] == 2e6 and a["freq_low_hz"] == 0.1
    assert a["init_e_v"] == 0.0
    assert a["date"].startswith("Feb. 20, 2020")
    # last row of the file: 1.000e-1, 5.685e+3, -1.586e+4
    np.testing.assert_allclose(df.iloc[-1].to_numpy(), (0.1, 5685.0, -15860.0))


def test_biologic_minus_im_is_negated_and_header_read(shared_data):
    df = read_eis(shared_data / "impedance-py" / "exampleDataBioLogic.mpt")
    # second data row in the file: -Im(Z) = 1.3082615 -> Z'' = -1.3082615
    assert df["z_imag_ohm"].iloc[1] == pytest.approx(-1.3082615)
    a = df.attrs
    assert a["technique"] == "Potentio Electrochemical Impedance Spectroscopy"
    assert a["amplitude_v"] == pytest.approx(0.020)
    assert a["freq_high_hz"] == pytest.approx(1000.0)   # fi 1.000 kHz
    assert a["freq_low_hz"] == pytest.approx(0.010)     # ff 10.000 mHz
    assert a["date"] == "02/04/2018 10:02:46"
    assert a["columns_used"]["z_imag_ohm"] == "-Im(Z)/Ohm"


def test_gamry_metadata_and_unsorted_file_order(shared_data):
    df = read_eis(shared_data / "impedance-py" / "exampleDataGamry.DTA")
    a = df.attrs
    assert a["tag"] == "EISPOT" and a["table"] == "ZCURVE"
    assert a["amplitude_v_rms"] == pytest.approx(0.010)
    assert a["init_e_v"] == pytest.approx(-0.05)
    assert (a["freq_high_hz"], a["freq_low_hz"]) == (2e5, 0.02)
    # last row: 71  861  0.0158898  17007.49  -6635.557
    np.testing.assert_allclose(df.iloc[-1].to_numpy(), (0.0158898, 17007.49, -6635.557))


def test_zview_other_circuits_read(shared_data):
    df = read_eis(shared_data / "impedance-py" / "Circuit1_EIS_1.z")
    assert df.attrs["format"] == "zview" and len(df) > 10
    assert (df["freq_hz"] > 0).all()


def test_z60w_export(shared_data):
    # impedance.py's "Autolab" example is a Scribner Z60W data file
    df = read_eis(shared_data / "impedance-py" / "exampleDataAutolab.txt")
    assert df.attrs["format"] == "z60w"
    assert len(df) == 41 == df.attrs["n_points_declared"]
    np.testing.assert_allclose(df.iloc[0].to_numpy(),
                               (10000.0, 0.013785863964281, 0.007191946305823))
    np.testing.assert_allclose(df.iloc[6].to_numpy(),
                               (1778.3, 0.0138936845869494, -0.000267175834196236))


def test_parstat_skips_the_dc_part(shared_data):
    df = read_eis(shared_data / "impedance-py" / "exampleDataParstat.txt")
    assert df.attrs["format"] == "parstat"
    assert len(df) == 31
    assert df.attrs["n_dc_rows_skipped"] == 812 - 31
    np.testing.assert_allclose(df.iloc[0].to_numpy(),
                               (10000.0, -0.00049816280376104, 0.0175143479976367))
    assert df["freq_hz"].iloc[-1] == 10.0


def test_headerless_three_column_csv(shared_data):
    df = read_eis(shared_data / "impedance-py" / "exampleData.csv")
    assert len(df) == 66
    np.testing.assert_allclose(df.iloc[0].to_numpy(), (3.1623e-3, 4.949989776405060160e-02,
                                                        -2.043869854441892481e-02))
    assert "no header" in df.attrs["columns_assumed"]
    # inductive at high frequency, as the README says
    assert df["z_imag_ohm"].iloc[-1] > 0 and df["freq_hz"].iloc[-1] == 1e4


PYIMPSPEC = [
    ("data.dta", "gamry", 1e-6),
    ("data.mpt", "biologic", 1e-6),
    ("data.z", "zview", 1e-6),
    ("data-comma.csv", "csv", 1e-6),
    ("data-semicolon.csv", "csv", 1e-6),
    ("data-tab.csv", "csv", 1e-6),
    ("data-comma-decimal-separator.csv", "csv", 1e-6),
    ("data-header-variant-1.csv", "csv", 1e-6),
    ("data-header-variant-2.csv", "csv", 1e-6),
    ("data-header-variant-3.csv", "csv", 1e-6),
    ("data-header-variant-4.csv", "csv", 1e-6),
    ("data.i2b", "csv", 1e-6),
    ("data.xlsx", "excel", 1e-6),
    # data.P00 is written with 4-5 significant digits (37.280e+01 for 372.759 Hz)
    ("data.P00", "csv", 1e-3),
]


@pytest.mark.parametrize("name, fmt, rtol", PYIMPSPEC)
def test_pyimpspec_spectrum_from_every_claimed_file(shared_data, reference_spectrum,
                                                    name, fmt, rtol):
    df = read_eis(shared_data / "pyimpspec" / name)
    assert df.attrs["format"] == fmt
    assert len(df) == 29
    f_ref = np.logspace(4, 0, 29)
    np.testing.assert_allclose(df["freq_hz"], f_ref, rtol=rtol)
    z_ref = reference_spectrum(df["freq_hz"].to_numpy())
    z = df["z_real_ohm"].to_numpy() + 1j * df["z_imag_ohm"].to_numpy()
    assert np.max(np.abs(z - z_ref) / np.abs(z_ref)) < rtol
    assert (df["z_imag_ohm"] < 0).all()  # capacitive everywhere: signed Z'' negative


@pytest.mark.parametrize("sheet", ["header-variant-1", "header-variant-2",
                                   "header-variant-3", "header-variant-4", 3])
def test_pyimpspec_xlsx_every_sheet(shared_data, reference_spectrum, sheet):
    df = read_eis(shared_data / "pyimpspec" / "data.xlsx", sheet=sheet)
    z = df["z_real_ohm"].to_numpy() + 1j * df["z_imag_ohm"].to_numpy()
    z_ref = reference_spectrum(df["freq_hz"].to_numpy())
    assert np.max(np.abs(z - z_ref) / np.abs(z_ref)) < 1e-9
    assert df.attrs["sheet"] == (sheet if isinstance(sheet, str) else "header-variant-4")


def test_detection_uses_content_not_extension(shared_data, tmp_path):
    for name, fmt in [("exampleDataCHInstruments.txt", "chi"),
                      ("exampleDataGamry.DTA", "gamry"),
                      ("exampleDataBioLogic.mpt", "biologic"),
                      ("exampleDataZPlot.z", "zview")]:
        copy = tmp_path / f"renamed_{fmt}.csv"
        shutil.copy(shared_data / "impedance-py" / name, copy)
        assert detect_format(copy) == fmt
        assert read_eis(copy).attrs["format"] == fmt
    xlsx = tmp_path / "workbook.dat"
    shutil.copy(shared_data / "pyimpspec" / "data.xlsx", xlsx)
    assert detect_format(xlsx) == "excel"


def test_unsupported_binary_is_refused_clearly(shared_data):
    from ionopt.errors import FileFormatError
    path = shared_data / "pyimpspec" / "data.idf"
    with pytest.raises(FileFormatError, match=r"data\.idf.*binary"):
        read_eis(path)
