"""BioLogic EC-Lab binary ``.mpr`` files, through the optional ``galvani`` package."""

from __future__ import annotations

from pathlib import Path

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed
from .generic import table_lines

__all__ = ["parse"]


def parse(path: Path) -> Parsed:
    """Read an ``.mpr`` file with galvani and present it as a table.

    Raises
    ------
    FileFormatError
        When galvani is not installed or cannot read the file.
    """
    try:
        from galvani import BioLogic  # optional dependency, imported lazily
    except ImportError:
        raise FileFormatError(located(
            "install galvani to read .mpr (pip install galvani), or export the file "
            "as text (.mpt) from EC-Lab", file=path)) from None
    try:
        data = BioLogic.MPRfile(str(path)).data
    except Exception as exc:  # galvani raises assorted errors on unknown modules
        raise FileFormatError(located(
            f"galvani cannot read this .mpr file ({type(exc).__name__}: {exc})",
            file=path)) from None
    names = list(data.dtype.names or ())
    rows = ["\t".join(names)] + ["\t".join(repr(float(v)) for v in rec) for rec in data]
    table = table_lines(rows, source=path, delimiter="\t", decimal_comma=False)
    return Parsed(format="mpr", technique=None, kind=None, technique_line=None,
                  lines=rows, table=table, meta={})
