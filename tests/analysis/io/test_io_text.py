"""decode_file: encodings, BOMs, newlines, and refusals."""

from __future__ import annotations

import pytest

from ionopt.analysis.io._text import decode_bytes, decode_file
from ionopt.errors import FileFormatError

TEXT = "Freq/Hz, Z'/ohm\n1.0e+5, 98.9\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                      "utf-16-be", "utf-32", "gbk", "latin-1"])
def test_round_trip(tmp_path, encoding):
    path = tmp_path / "f.txt"
    path.write_bytes(TEXT.encode(encoding))
    assert decode_file(path) == TEXT


def test_newlines_normalised(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"a\r\nb\rc\n")
    assert decode_file(path) == "a\nb\nc\n"


def test_chinese_gbk_and_latin1_symbols():
    assert decode_bytes("交流阻抗 Z/欧姆\r\n".encode("gbk")) == "交流阻抗 Z/欧姆\n"
    # latin-1 µ followed by ASCII is also valid GBK byte-wise; it must stay µ
    assert decode_bytes("Cs/µF\tCp/µF\t25 °C\n".encode("latin-1")) == "Cs/µF\tCp/µF\t25 °C\n"


def test_missing_directory_and_binary(tmp_path):
    with pytest.raises(FileFormatError, match=r"nope\.txt: file not found"):
        decode_file(tmp_path / "nope.txt")
    with pytest.raises(FileFormatError, match="is a directory"):
        decode_file(tmp_path)
    path = tmp_path / "b.bin"
    path.write_bytes(b"\x00\x01\x02\xff" * 100)
    with pytest.raises(FileFormatError, match=r"b\.bin: is a binary file"):
        decode_file(path)


def test_bad_utf16_after_bom(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe" + b"a\x00\x00\xd8")  # lone surrogate
    with pytest.raises(FileFormatError, match=r"bad\.txt: starts with a utf-16-le"):
        decode_file(path)


def test_both_ohm_characters_are_ohm():
    # U+03A9 (Greek capital omega) and U+2126 (OHM SIGN) both appear in instrument exports.
    from ionopt.analysis.io._columns import unit_factor

    assert unit_factor("\u03a9", "resistance") == 1.0
    assert unit_factor("\u2126", "resistance") == 1.0
