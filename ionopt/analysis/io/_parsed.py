"""What every format parser hands to the readers: technique, metadata, table location."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._table import Table, parse_number

__all__ = ["Parsed", "KINDS", "meta_float", "snake_key"]

#: Kinds of measurement a reader may ask for, and how they are described in messages.
KINDS = {
    "eis": "an impedance (EIS) file",
    "lsv": "a linear sweep voltammetry (LSV) file",
    "cv": "a cyclic voltammetry file",
    "chrono": "a chronoamperometry (i-t) file",
    "tensile": "a tensile test table",
    "tga": "a TGA table",
    "other": "another technique",
}


@dataclass
class Parsed:
    """A text file located but not yet converted to numbers.

    Attributes
    ----------
    format : str
        Format name (``"chi"``, ``"biologic"``, ``"gamry"``, ``"zview"``, ``"z60w"``,
        ``"parstat"``, ``"csv"``, ``"excel"``).
    technique : str or None
        The technique as the file names it, when it does.
    kind : str or None
        One of :data:`KINDS`, or None when the file does not say (generic tables).
    technique_line : int or None
        1-based line holding the technique name, for messages.
    lines : list of str
        All lines of the file.
    table : Table
        The numeric block.
    meta : dict
        Metadata for ``DataFrame.attrs`` (canonical keys with units, plus ``header``).
    """

    format: str
    technique: str | None
    kind: str | None
    technique_line: int | None
    lines: list[str]
    table: Table
    meta: dict[str, Any] = field(default_factory=dict)


def meta_float(value: str | None, *, decimal_comma: bool = False) -> float | None:
    """Parse a metadata value such as ``"2e+6"`` or ``"1,000"``; None when not a number."""
    if value is None:
        return None
    tok = value.strip().split()[0] if value.strip() else ""
    out = parse_number(tok, decimal_comma or ("," in tok and "." not in tok))
    return out


def snake_key(text: str) -> str:
    """``"Scan Rate (V/s)"`` -> ``"scan_rate_v_s"``."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")
