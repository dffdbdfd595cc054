"""Princeton Applied Research (Parstat / VersaStudio) tab-separated exports.

One header row ``Potential (V)  Current (A)  Elapsed Time (s)  Frequency (Hz)  Zre (ohms)
Zim (ohms) ...`` then rows; a combined experiment writes its DC part with
``Frequency (Hz) = 0``. Those rows are not impedance points: they are skipped and counted
in ``attrs["n_dc_rows_skipped"]``. ``Zim`` is signed.
"""

from __future__ import annotations

from ._parsed import Parsed
from ._table import Table, parse_number, split_fields, uses_decimal_comma

__all__ = ["looks_like_parstat", "parse"]

_SIGNATURE = ("potential (v)", "current (a)", "elapsed time (s)", "frequency (hz)",
              "zre (ohms)", "zim (ohms)")


def looks_like_parstat(lines: list[str]) -> bool:
    """True when the first line is the Parstat header row."""
    first = [f.lower() for f in split_fields(lines[0], "\t")] if lines else []
    return all(sig in first for sig in _SIGNATURE)


def parse(text: str, source: object) -> Parsed:
    """Locate the table and mark the zero-frequency (DC) rows to skip."""
    lines = text.split("\n")
    headers = split_fields(lines[0], "\t")
    body = [ln for ln in lines[1:41] if ln.strip()]
    dc = uses_decimal_comma(body, "\t")
    fcol = [h.lower() for h in headers].index("frequency (hz)")
    skip = set()
    for i in range(1, len(lines)):
        fields = split_fields(lines[i], "\t")
        if len(fields) > fcol and parse_number(fields[fcol], dc) == 0.0:
            skip.add(i)
    n_rows = sum(1 for ln in lines[1:] if ln.strip())
    kind: str | None = "eis"
    if len(skip) == n_rows:  # no impedance part: a plain DC table (sweep or i-t)
        kind, skip = None, set()
    table = Table(headers=headers, start=1, stop=len(lines), delimiter="\t",
                  decimal_comma=dc, header_line=1, skip=frozenset(skip))
    return Parsed(format="parstat", technique=None, kind=kind, technique_line=None,
                  lines=lines, table=table, meta={"n_dc_rows_skipped": len(skip)})
