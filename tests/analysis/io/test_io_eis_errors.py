"""read_eis on damaged, odd and wrongly chosen files: each path warns or raises clearly."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import CHI_EIS_HEADER, CHI_EIS_ROWS, CHI_FIRST_ROW_LINE
from ionopt.analysis.io import read_eis, read_lsv
from ionopt.errors import FileFormatError

FIRST = CHI_FIRST_ROW_LINE


def chi(rows: list[str]) -> str:
    return CHI_EIS_HEADER + "\n".join(rows) + "\n"


def test_clean_synthetic_chi(tmp_path, write, chi_eis_text):
    df = read_eis(write(tmp_path / "ok.txt", chi_eis_text))
    assert len(df) == 5
    np.testing.assert_allclose(df["z_imag_ohm"], [-1, -20, -90, -50, -30])
    assert df.attrs["amplitude_v"] == 0.01


@pytest.mark.parametrize("encoding, newline", [
    ("utf-8", "\r\n"), ("utf-8-sig", "\n"), ("utf-16", "\r\n"), ("utf-16-le", "\n"),
    ("gbk", "\r\n"), ("latin-1", "\r"),
])
def test_encodings_and_newlines(tmp_path, write, encoding, newline):
    text = CHI_EIS_HEADER.replace("Note: ", "Note: 电解质 LLZO" if encoding == "gbk" else
                                  "Note: 25 °C" if encoding != "utf-16-le" else "Note: x")
    text += "\n".join(CHI_EIS_ROWS) + "\n\n\n"  # trailing blank lines too
    df = read_eis(write(tmp_path / "enc.txt", text, encoding, newline))
    assert len(df) == 5 and df.attrs["n_rows_dropped"] == 0
    assert df["freq_hz"].iloc[0] == 1e5
    note = df.attrs["header"]["note"]
    assert note == ("电解质 LLZO" if encoding == "gbk" else "25 °C"
                    if encoding != "utf-16-le" else "x")


def test_decimal_comma_semicolon_csv(tmp_path, write):
    text = "Frequency (Hz);Z' (Ω);-Z'' (Ω)\n1000,5;12,25;3,5\n100;20,5;10\n"
    df = read_eis(write(tmp_path / "dc.csv", text, "utf-8"))
    np.testing.assert_allclose(df.to_numpy(), [[1000.5, 12.25, -3.5], [100, 20.5, -10]])


def test_units_are_scaled(tmp_path, write):
    text = "Freq/kHz\tRe(Z)/kOhm\tIm(Z)/kOhm\n1\t0.5\t-0.25\n0.1\t1\t-0.5\n"
    df = read_eis(write(tmp_path / "k.tsv", text))
    np.testing.assert_allclose(df.to_numpy(), [[1000, 500, -250], [100, 1000, -500]])


def test_truncated_last_row_dropped_with_warning(tmp_path, write):
    rows = CHI_EIS_ROWS[:-1] + ["1.000e+1, 3.5"]
    path = write(tmp_path / "trunc.txt", chi(rows))
    with pytest.warns(UserWarning, match=rf"trunc\.txt.*dropped 1 row.*line\(s\) {FIRST + 4}"
                      ) as rec:
        df = read_eis(path)
    assert rec[0].filename == __file__  # the warning points at the caller
    assert len(df) == 4
    assert df.attrs["n_rows_dropped"] == 1 and df.attrs["dropped_lines"] == [FIRST + 4]


def test_half_written_number_on_last_row_dropped(tmp_path, write):
    rows = CHI_EIS_ROWS[:-1] + ["1.000e+1, 3.500e+2, -3.0e"]
    with pytest.warns(UserWarning, match="truncated"):
        df = read_eis(write(tmp_path / "trunc2.txt", chi(rows)))
    assert len(df) == 4


def test_non_numeric_cell_in_the_middle_is_an_error(tmp_path, write):
    rows = list(CHI_EIS_ROWS)
    rows[2] = "1.000e+3, 2.000e+2, overload, 2.193e+2, -24.2"
    path = write(tmp_path / "bad.txt", chi(rows))
    with pytest.raises(FileFormatError) as err:
        read_eis(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{FIRST + 2}:")
    assert "'overload'" in msg and "expected a number" in msg and 'Z"/ohm' in msg


def test_short_row_in_the_middle_is_an_error(tmp_path, write):
    rows = list(CHI_EIS_ROWS)
    rows[1] = "1.000e+4, 1.100e+2"
    path = write(tmp_path / "short.txt", chi(rows))
    with pytest.raises(FileFormatError, match=rf"short\.txt:{FIRST + 1}: expected at least 3 "):
        read_eis(path)


def test_empty_cell_in_the_middle_is_an_error(tmp_path, write):
    path = write(tmp_path / "e.csv", "f,Z',Z''\n1000,1,-1\n100,,-2\n10,3,-3\n")
    with pytest.raises(FileFormatError, match=r"e\.csv:3: expected a number in column 2 "
                                              r"\(Z'\), found an empty cell"):
        read_eis(path)


def test_bad_first_row_of_a_csv_is_reported_as_data(tmp_path, write):
    path = write(tmp_path / "first.csv", "f,Z',Z''\n1000,1,oops\n100,2,-2\n10,3,-3\n")
    with pytest.raises(FileFormatError, match=r"first\.csv:2: expected a number in column 3 "
                                              r"\(Z''\), found 'oops'"):
        read_eis(path)


def test_nan_rows_dropped_with_warning(tmp_path, write):
    rows = list(CHI_EIS_ROWS)
    rows[1] = "1.000e+4, NaN, NaN, NaN, NaN"
    rows[3] = "1.000e+2, 3.000e+2, inf, 3.041e+2, -9.5"
    with pytest.warns(UserWarning, match=rf"dropped 2 row.*NaN.*{FIRST + 1}, {FIRST + 3}"):
        df = read_eis(write(tmp_path / "nan.txt", chi(rows)))
    assert len(df) == 3 and df.attrs["dropped_lines"] == [FIRST + 1, FIRST + 3]
    assert np.isfinite(df.to_numpy()).all()


def test_duplicated_frequency_warns_and_keeps_order(tmp_path, write):
    rows = list(CHI_EIS_ROWS)
    rows.insert(2, "1.000e+4, 1.120e+2, -2.100e+1, 1.139e+2, -10.6")
    with pytest.warns(UserWarning, match=rf"1 repeated frequency.*line\(s\) {FIRST + 2}"):
        df = read_eis(write(tmp_path / "dup.txt", chi(rows)))
    assert len(df) == 6
    assert df["freq_hz"].tolist()[:3] == [1e5, 1e4, 1e4]
    assert df.attrs["duplicate_freq_lines"] == [FIRST + 2]


def test_unsorted_frequencies_are_normal(tmp_path, write, recwarn):
    rows = [CHI_EIS_ROWS[i] for i in (4, 0, 2, 1, 3)]
    df = read_eis(write(tmp_path / "unsorted.txt", chi(rows)))
    assert df["freq_hz"].tolist() == [10, 1e5, 1e3, 1e4, 100]
    assert not [w for w in recwarn if "ionopt" in str(w.filename) or "unsorted" in
                str(w.message)]


def test_nonpositive_frequency_is_an_error(tmp_path, write):
    path = write(tmp_path / "f0.csv", "f,Z',Z''\n1000,1,-1\n0,2,-2\n")
    with pytest.raises(FileFormatError, match=r"f0\.csv:3: frequency must be > 0 Hz"):
        read_eis(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(FileFormatError, match=re.escape(f"{path}: file not found")):
        read_eis(path)


def test_empty_file(tmp_path, write):
    path = write(tmp_path / "empty.csv", "\n \n")
    with pytest.raises(FileFormatError, match=r"empty\.csv: file is empty"):
        read_eis(path)


def test_header_only_chi(tmp_path, write):
    path = write(tmp_path / "hdr.txt", CHI_EIS_HEADER)
    with pytest.raises(FileFormatError, match=r"hdr\.txt:17: no impedance data rows"):
        read_eis(path)


def test_header_only_csv(tmp_path, write):
    path = write(tmp_path / "hdr.csv", "freq,Zre,Zim\n")
    with pytest.raises(FileFormatError, match=r"hdr\.csv:1: no numeric data rows"):
        read_eis(path)


def test_lsv_file_given_to_read_eis(tmp_path, write, chi_lsv_text):
    path = write(tmp_path / "lsv.txt", chi_lsv_text)
    with pytest.raises(FileFormatError) as err:
        read_eis(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:2:")
    assert "Linear Sweep Voltammetry" in msg and "read_lsv" in msg


def test_eis_file_given_to_read_lsv(tmp_path, write, chi_eis_text):
    path = write(tmp_path / "eis.txt", chi_eis_text)
    with pytest.raises(FileFormatError, match=r"eis\.txt:2: this is an impedance.*read_eis"):
        read_lsv(path)


def test_generic_table_without_impedance_columns(tmp_path, write):
    path = write(tmp_path / "iv.csv", "Potential (V),Current (A)\n1,2\n3,4\n")
    with pytest.raises(FileFormatError, match=r"iv\.csv:1: cannot find freq_hz.*columns="):
        read_eis(path)


def test_explicit_column_mapping(tmp_path, write):
    text = "w,a,b,c\n1,1000,5,2\n2,100,6,3\n"
    path = write(tmp_path / "map.csv", text)
    df = read_eis(path, columns={"freq_hz": "a", "z_real_ohm": "b", "neg_z_imag_ohm": 3})
    np.testing.assert_allclose(df.to_numpy(), [[1000, 5, -2], [100, 6, -3]])
    with pytest.raises(FileFormatError, match=r"map\.csv:1: columns= names 'zz'"):
        read_eis(path, columns={"freq_hz": "zz", "z_real_ohm": "b", "z_imag_ohm": "c"})
    from ionopt.errors import DataError
    with pytest.raises(DataError, match="unknown output 'frequency'"):
        read_eis(path, columns={"frequency": "a"})


def test_biologic_wrong_header_count(tmp_path, shared_data):
    text = (shared_data / "pyimpspec" / "data.mpt").read_bytes().replace(
        b"Nb header lines : 68", b"Nb header lines : 900")
    path = tmp_path / "bad.mpt"
    path.write_bytes(text)
    with pytest.raises(FileFormatError, match=r"bad\.mpt:2: 'Nb header lines : 900'"):
        read_eis(path)


def test_biologic_decimal_comma_and_truncation(tmp_path, shared_data):
    raw = (shared_data / "impedance-py" / "exampleDataBioLogic.mpt").read_bytes()
    head, _, body = raw.partition(b"Phase(Y)/deg\t\n")
    rows = body.replace(b".", b",").split(b"\n")
    rows = [r for r in rows if r.strip()]
    path = tmp_path / "comma.mpt"
    path.write_bytes(head + b"Phase(Y)/deg\t\n" + b"\n".join(rows[:-1] + [rows[-1][:30]]))
    with pytest.warns(UserWarning, match=r"comma\.mpt: dropped 1 row.*line\(s\) 104"):
        df = read_eis(path)
    assert len(df) == 42
    np.testing.assert_allclose(df.iloc[0].to_numpy(), (1000.3201, 65.470886, -0.38998979))


def test_unknown_format_name(tmp_path, write, chi_eis_text):
    path = write(tmp_path / "x.txt", chi_eis_text)
    with pytest.raises(FileFormatError, match="unknown format 'foo'"):
        read_eis(path, format="foo")
    # forcing the right format works
    assert len(read_eis(path, format="chi")) == 5


def test_mpr_needs_galvani(tmp_path):
    try:
        import galvani  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("galvani is installed; the missing-dependency message cannot be tested")
    path = tmp_path / "run.mpr"
    path.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + b"\x00" * 64)
    with pytest.raises(FileFormatError, match=r"run\.mpr: install galvani to read \.mpr"):
        read_eis(path)
