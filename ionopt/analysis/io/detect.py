"""Recognise a raw file's format from its content (the extension is only a fallback)."""

from __future__ import annotations

from pathlib import Path

from ionopt.errors import FileFormatError, located

from . import biologic, chi, gamry, parstat, zview
from ._text import decode_bytes, read_bytes

__all__ = ["FORMATS", "detect_format", "detect_text"]

#: Format names accepted by the ``format=`` argument of the readers.
FORMATS = ("chi", "biologic", "gamry", "zview", "z60w", "parstat", "csv", "excel", "mpr")

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_text(lines: list[str]) -> str:
    """Format of a decoded text file from its first lines (``"csv"`` when generic)."""
    head = lines[:80]
    if biologic.looks_like_biologic(head):
        return "biologic"
    if gamry.looks_like_gamry(head):
        return "gamry"
    if zview.looks_like_zplot(head):
        return "zview"
    if zview.looks_like_z60w(head):
        return "z60w"
    if chi.looks_like_chi(head):
        return "chi"
    if parstat.looks_like_parstat(head):
        return "parstat"
    return "csv"


def _binary_format(raw: bytes, path: Path) -> str | None:
    if raw.startswith(_MPR_MAGIC):
        return "mpr"
    if raw.startswith(_ZIP_MAGIC):
        return "excel"
    if raw.startswith(_OLE_MAGIC):
        raise FileFormatError(located(
            "is an old binary Excel (.xls) workbook; save it as .xlsx or CSV", file=path))
    return None


def detect_format(path: str | Path) -> str:
    """Name the format of an instrument file from its content.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        One of :data:`FORMATS`: ``"chi"``, ``"biologic"``, ``"gamry"``, ``"zview"``,
        ``"z60w"``, ``"parstat"``, ``"excel"``, ``"mpr"``, or ``"csv"`` for any other
        delimited text table.

    Raises
    ------
    FileFormatError
        When the file is missing, empty, or binary in an unsupported format.
    """
    p = Path(path)
    raw = read_bytes(p)
    return _detect_raw(raw, p)[0]


def _detect_raw(raw: bytes, path: Path) -> tuple[str, str | None]:
    """Format and, for text formats, the decoded text."""
    if not raw.strip():
        raise FileFormatError(located("file is empty", file=path))
    fmt = _binary_format(raw, path)
    if fmt is not None:
        return fmt, None
    try:
        text = decode_bytes(raw, source=path)
    except FileFormatError:
        if path.suffix.lower() == ".mpr":
            return "mpr", None
        raise FileFormatError(located(
            "is a binary file in a format ionopt does not read; export it as text "
            "(CSV, EC-Lab .mpt, CHI .txt, Gamry .DTA) or .xlsx", file=path)) from None
    return detect_text(text.split("\n")), text
