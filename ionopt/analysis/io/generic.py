"""Generic tables: CSV/TSV/semicolon/whitespace text and Excel ``.xlsx`` sheets.

The data block is the first run of all-numeric rows; the non-numeric line just above it
(leading ``#`` removed) is the column header when it names at least as many columns as
the data rows have (so free-text preamble lines are not taken for one), and a units-only
line between header and data (``(s)  (mm)  (N)``) is merged into the header. Files without a header are accepted;
the readers then need an explicit ``columns=`` mapping, except headerless 3-column
impedance tables (f, Z', Z'').
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed
from ._table import Table, parse_number, sniff_delimiter, split_fields, uses_decimal_comma

__all__ = ["parse_text", "parse_excel", "table_lines"]

_UNIT_CELL = re.compile(r"^[(\[]\s*([^()\[\]]*)\s*[)\]]$")


def _numeric(fields: list[str], decimal_comma: bool) -> bool:
    return len(fields) >= 1 and all(parse_number(f, decimal_comma) is not None
                                    for f in fields)


def table_lines(lines: list[str], *, source: object, delimiter: str | None = None,
                decimal_comma: bool | None = None,
                line_numbers: list[int] | None = None) -> Table:
    """Find header and data block in ``lines`` (see module docstring).

    Raises
    ------
    FileFormatError
        When no numeric row is found (header only, or not a table).
    """
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]

    def lineno(i: int) -> int:
        return line_numbers[i] if line_numbers is not None else i + 1

    if not nonblank:
        raise FileFormatError(located("file is empty (no text lines)", file=source))
    tail = [lines[i] for i in nonblank[-30:] if not lines[i].lstrip().startswith("#")]
    if delimiter is None:
        delimiter = sniff_delimiter(tail)
    if decimal_comma is None:
        decimal_comma = uses_decimal_comma(tail, delimiter)
    start = None
    for k, i in enumerate(nonblank):
        fields = split_fields(lines[i], delimiter)
        if len(fields) >= 2 and _numeric(fields, decimal_comma):
            nxt = nonblank[k + 1] if k + 1 < len(nonblank) else None
            prev = split_fields(lines[nonblank[k - 1]], delimiter) if k else []
            if (nxt is None
                    or _numeric(split_fields(lines[nxt], delimiter)[:len(fields)],
                                decimal_comma)
                    or (len(prev) >= len(fields) and not _numeric(prev, decimal_comma))):
                start = k
                break
    if start is None:
        head = lines[nonblank[0]].strip()[:80]
        raise FileFormatError(located(
            f"no numeric data rows found (expected a header row such as {head!r} "
            "followed by rows of numbers)", file=source, line=lineno(nonblank[-1])))
    n_fields = len(split_fields(lines[nonblank[start]], delimiter))
    # a damaged first row (mostly numbers, one bad cell) is data, not the header
    while start > 0:
        prev = split_fields(lines[nonblank[start - 1]], delimiter)
        n_num = sum(parse_number(f, decimal_comma) is not None and f != "" for f in prev)
        if len(prev) == n_fields and n_num * 2 >= n_fields:
            start -= 1
        else:
            break
    headers: list[str] = []
    header_line = None
    before = nonblank[:start]
    while before and len(split_fields(lines[before[-1]], delimiter)) == 1 and _numeric(
            split_fields(lines[before[-1]], delimiter), decimal_comma):
        before = before[:-1]  # a point-count line between header and data
    if before:
        prev = split_fields(lines[before[-1]].lstrip("#"), delimiter)
        units = [_UNIT_CELL.match(f) for f in prev]
        if len(before) >= 2 and prev and all(u is not None or f == ""
                                             for u, f in zip(units, prev)):
            names = split_fields(lines[before[-2]].lstrip("#"), delimiter)
            headers = [f"{n} ({u.group(1)})" if u is not None and u.group(1) else n
                       for n, u in zip(names, units + [None] * (len(names) - len(units)))]
            header_line = lineno(before[-2])
        elif len(prev) >= n_fields and not _numeric(prev, decimal_comma):
            headers, header_line = prev, lineno(before[-1])
    return Table(headers=headers, start=nonblank[start], stop=len(lines),
                 delimiter=delimiter, decimal_comma=decimal_comma,
                 header_line=header_line if header_line is not None
                 else lineno(nonblank[start]), line_numbers=line_numbers)


def parse_text(text: str, source: object) -> Parsed:
    """Parse a delimited text table (``.csv``, ``.tsv``, ``.txt``)."""
    lines = text.split("\n")
    table = table_lines(lines, source=source)
    return Parsed(format="csv", technique=None, kind=None, technique_line=None,
                  lines=lines, table=table,
                  meta={"delimiter": table.delimiter or "whitespace",
                        "decimal_comma": table.decimal_comma})


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value).replace("\t", " ").replace("\n", " ")


def parse_excel(path: Path, sheet: str | int | None = None) -> Parsed:
    """Parse one sheet of an ``.xlsx`` workbook (the first sheet by default).

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str or int, optional
        Sheet name or 0-based index.

    Raises
    ------
    FileFormatError
        When the workbook cannot be opened or the sheet does not exist.
    """
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency of the project
        raise FileFormatError(located("install openpyxl to read .xlsx files",
                                      file=path)) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl raise many types for corrupt files
        raise FileFormatError(located(
            f"cannot be opened as an .xlsx workbook ({type(exc).__name__}: {exc}); "
            "old .xls files must be saved as .xlsx or CSV", file=path)) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise FileFormatError(located(
                    f"sheet index {sheet} out of range; the workbook has sheets {names}",
                    file=path))
            ws = wb.worksheets[sheet]
        else:
            if sheet not in names:
                raise FileFormatError(located(
                    f"no sheet named {sheet!r}; the workbook has sheets {names}",
                    file=path))
            ws = wb[sheet]
        rows = ["\t".join(_cell(v) for v in row)
                for row in ws.iter_rows(min_row=1, values_only=True)]
        title = ws.title
    finally:
        wb.close()
    source = f"{path}[{title}]"
    table = table_lines(rows, source=source, delimiter="\t", decimal_comma=False)
    return Parsed(format="excel", technique=None, kind=None, technique_line=None,
                  lines=rows, table=table, meta={"sheet": title})
