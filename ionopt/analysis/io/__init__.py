"""Readers for raw instrument files: impedance, voltammetry, i-t, tensile and TGA.

Each ``read_*`` function returns a :class:`pandas.DataFrame` with unit-named columns, in
file order, and the file's metadata in ``df.attrs``. Formats are detected from content
(:func:`detect_format`); text in any common encoding is accepted
(:func:`ionopt.analysis.io._text.decode_file`).
"""

from __future__ import annotations

from ._text import decode_file
from .detect import FORMATS, detect_format
from .cyclers import read_cycling
from .readers import read_chrono, read_eis, read_lsv, read_tensile, read_tga

__all__ = ["FORMATS", "decode_file", "detect_format", "read_chrono", "read_cycling",
           "read_eis", "read_lsv", "read_tensile", "read_tga"]
