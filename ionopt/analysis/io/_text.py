"""Decode raw instrument text files whatever their encoding.

Instrument software writes text in many encodings: UTF-8 (with or without a BOM), UTF-16
(BioLogic on some Windows set-ups, Excel "Unicode text"), GBK (CH Instruments on Chinese
Windows) and latin-1 / cp1252 (``°``, ``µ`` in headers). :func:`decode_file` turns any of
these into one ``str`` with ``\\n`` newlines, so every reader parses the same way.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ionopt.errors import FileFormatError, located

__all__ = ["decode_bytes", "decode_file"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _guess_utf16(raw: bytes) -> str | None:
    """Return ``"utf-16-le"``/``"utf-16-be"`` for BOM-less UTF-16 text, else None.

    ASCII-heavy UTF-16 text has a zero byte in every other position; text in any 8-bit
    encoding essentially never contains NUL bytes.
    """
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_zeros > 0.3 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.3 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def _mostly_printable(text: str) -> bool:
    """True when at least 95 % of the first characters are printable or whitespace."""
    sample = text[:2048]
    good = sum(ch.isprintable() or ch in "\t\r\n" for ch in sample)
    return good >= 0.95 * len(sample)


def _plausible_gbk(text: str) -> bool:
    """True when GBK-decoded ``text`` looks like real Chinese rather than latin-1 bytes.

    Common Chinese characters (GB2312) have both bytes >= 0xA1. Latin-1 text such as
    ``Cs/\xb5F`` also decodes as GBK, but its "characters" pair a high byte with an ASCII
    trail byte; when most do, the text is latin-1.
    """
    multi = [ch.encode("gbk") for ch in text if ord(ch) > 127]
    multi = [b for b in multi if len(b) == 2]
    if not multi:
        return True
    ascii_trail = sum(b[1] < 0x80 for b in multi)
    return ascii_trail * 2 < len(multi)


def decode_bytes(raw: bytes, *, source: object = None) -> str:
    """Decode the bytes of a text file and normalise its newlines.

    Parameters
    ----------
    raw : bytes
        The file content.
    source : object, optional
        The file name, used only in error messages.

    Returns
    -------
    str
        The text, without BOM, with ``\\r\\n`` and lone ``\\r`` turned into ``\\n``.

    Raises
    ------
    FileFormatError
        When the bytes look binary (NUL bytes that are not UTF-16).

    Notes
    -----
    Order of attempts: BOM (UTF-8/16/32), BOM-less UTF-16 by NUL-byte pattern, strict
    UTF-8, strict GBK when it looks like Chinese text (most double-byte characters
    with a high trail byte), then latin-1 (which never fails).
    """
    text: str | None = None
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise FileFormatError(located(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"text ({exc.reason} at byte {exc.start})", file=source)) from None
            break
    if text is None:
        utf16 = _guess_utf16(raw)
        if utf16 is not None:
            try:
                text = raw.decode(utf16)
            except UnicodeDecodeError:
                text = None
            if text is not None and not _mostly_printable(text):
                text = None
    if text is None:
        if b"\x00" in raw[:4096]:
            raise FileFormatError(located(
                "is a binary file, not a text export (NUL bytes found); expected an "
                "instrument text export", file=source))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gbk")
            except UnicodeDecodeError:
                text = None
            if text is None or not _plausible_gbk(text):
                text = raw.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: str | Path) -> bytes:
    """The bytes of ``path``; a missing, unreadable or directory path -> FileFormatError."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(located("file not found", file=p)) from None
    except IsADirectoryError:
        raise FileFormatError(located("is a directory, expected a file", file=p)) from None
    except OSError as exc:
        raise FileFormatError(located(f"cannot be read ({exc.strerror})", file=p)) from None


def decode_file(path: str | Path) -> str:
    """Read a text file written by any instrument and return it as ``str``.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    str
        Its text, BOM removed, newlines normalised to ``\\n``.

    Raises
    ------
    FileFormatError
        When the file does not exist, is a directory, cannot be read, or is binary.
    """
    p = Path(path)
    raw = read_bytes(p)
    return decode_bytes(raw, source=p)
