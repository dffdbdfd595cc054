"""Turn the numeric block of a text export into arrays, one bad row at a time.

Rules (what a careful electrochemist expects):

* blank lines inside or after the table are skipped;
* the **last** data line being short or unparsable is a truncated write (instrument
  stopped, file copied mid-run): it is dropped with a warning;
* a short or non-numeric row anywhere else is an error naming the line and the column;
* ``NaN``/``inf`` written by the instrument (overload points) are dropped with a warning
  listing the lines.
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from ionopt.errors import FileFormatError, located

__all__ = ["Table", "Extracted", "extract", "split_fields", "sniff_delimiter",
           "uses_decimal_comma", "parse_number", "user_stacklevel", "warn_dropped"]

_NONFINITE = {"nan", "-nan", "+nan", "inf", "+inf", "-inf", "infinity", "-infinity",
              "+infinity", "#n/a", "n/a", "#num!", "#value!", "1.#qnan", "-1.#ind",
              "1.#inf", "-1.#inf"}
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")


def split_fields(line: str, delimiter: str | None) -> list[str]:
    """Split one line; ``delimiter=None`` splits on runs of whitespace."""
    if delimiter is None:
        return line.split()
    parts = [p.strip().strip('"').strip() for p in line.split(delimiter)]
    while parts and parts[-1] == "":  # trailing delimiter (Parstat, some CSV writers)
        parts.pop()
    return parts


def sniff_delimiter(lines: list[str]) -> str | None:
    """Guess the field delimiter: the one of tab, ``;``, ``,`` found on most lines.

    Ties go to tab, then ``;``, then ``,``; None (whitespace) when none occurs.
    """
    sample = [ln for ln in lines if ln.strip()][:20]
    counts = {d: sum(d in ln for ln in sample) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])  # ties: tab, then ';', then ','
    return best if counts[best] else None


def uses_decimal_comma(lines: list[str], delimiter: str | None) -> bool:
    """True when numbers in ``lines`` are written with a decimal comma (``1,5E+03``)."""
    if delimiter == ",":
        return False
    for ln in lines[:50]:
        for tok in split_fields(ln, delimiter):
            if _DECIMAL_COMMA_RE.match(tok):
                return True
    return False


def parse_number(token: str, decimal_comma: bool) -> float | None:
    """Parse a number; None when it is not one. Non-finite spellings give NaN."""
    tok = token.strip().strip('"').strip()
    if decimal_comma:
        tok = tok.replace(",", ".")
    if tok.lower() in _NONFINITE:
        return math.nan
    try:
        return float(tok)
    except ValueError:
        return None


@dataclass
class Table:
    """Where the numeric block of a text file is and how it is written.

    Attributes
    ----------
    headers : list of str
        Column names as written (may be empty for headerless files).
    start : int
        0-based index into ``lines`` of the first data line.
    stop : int
        0-based exclusive end of the data block.
    delimiter : str or None
        Field separator; None means runs of whitespace.
    decimal_comma : bool
        Numbers use a decimal comma.
    header_line : int or None
        1-based line number of the header row, for messages.
    line_numbers : list of int or None
        1-based line number of each entry of ``lines`` when it is not ``index + 1``
        (spreadsheets, where rows are numbered by the sheet).
    skip : frozenset of int
        0-based line indices that are not data (e.g. the DC part of a Parstat file).
    last_line_complete : bool
        False when the file does not end with a newline: its last row may have been cut
        mid-number, which is detected when a number lost its exponent
        (``5.0`` below ``5.000e-8``).
    """

    headers: list[str]
    start: int
    stop: int
    delimiter: str | None
    decimal_comma: bool = False
    header_line: int | None = None
    line_numbers: list[int] | None = None
    skip: frozenset[int] = frozenset()
    last_line_complete: bool = True

    def lineno(self, index: int) -> int:
        """1-based line number of ``lines[index]``."""
        return self.line_numbers[index] if self.line_numbers is not None else index + 1


@dataclass
class Extracted:
    """Columns read from a table, with the file line of each row and the dropped lines."""

    columns: dict[str, np.ndarray]
    lines: np.ndarray
    dropped: dict[str, list[int]] = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    def dropped_lines(self) -> list[int]:
        return sorted(n for v in self.dropped.values() for n in v)


def _fmt_lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    return shown + (f", ... ({len(lines) - 10} more)" if len(lines) > 10 else "")


def user_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first caller outside this package."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(
            os.path.abspath(frame.f_code.co_filename)) == package:
        frame, level = frame.f_back, level + 1
    return level


def warn_dropped(source: object, reason: str, lines: list[int]) -> None:
    """Warn that rows were dropped, naming how many and which lines."""
    if lines:
        warnings.warn(located(f"dropped {len(lines)} row(s) ({reason}) at line(s) "
                              f"{_fmt_lines(lines)}", file=source),
                      stacklevel=user_stacklevel())


def _lost_exponent(fields: list[str], previous: list[str], wanted: dict[str, int]) -> bool:
    """True when a number of the row has no exponent where the row above had one."""
    for idx in wanted.values():
        if idx < len(previous) and "e" in previous[idx].lower() \
                and "e" not in fields[idx].lower():
            return True
    return False


def extract(lines: list[str], table: Table, wanted: dict[str, int], *, source: object,
            what: str = "data") -> Extracted:
    """Read the columns ``wanted`` (output name -> column index) from the table rows.

    Parameters
    ----------
    lines : list of str
        All lines of the file (or sheet rows joined by tabs).
    table : Table
        Where the data block is.
    wanted : dict
        Output name -> 0-based column index.
    source : object
        File name for messages.
    what : str
        What the rows are, for messages (e.g. ``"impedance data"``).

    Returns
    -------
    Extracted
        Float arrays per output name, the line number of each kept row, dropped lines.

    Raises
    ------
    FileFormatError
        A short or non-numeric row before the last one, or no data rows at all.
    """
    body = [i for i in range(table.start, min(table.stop, len(lines)))
            if lines[i].strip() and i not in table.skip]
    need = max(wanted.values()) + 1 if wanted else 0
    names = {idx: (table.headers[idx] if idx < len(table.headers) else f"column {idx + 1}")
             for idx in wanted.values()}
    values: dict[str, list[float]] = {k: [] for k in wanted}
    kept: list[int] = []
    dropped: dict[str, list[int]] = {}
    for pos, i in enumerate(body):
        fields = split_fields(lines[i], table.delimiter)
        lineno = table.lineno(i)
        last = pos == len(body) - 1
        if len(fields) < need:
            if last and pos > 0:
                dropped.setdefault("truncated last row", []).append(lineno)
                continue
            raise FileFormatError(located(
                f"expected at least {need} columns of {what} "
                f"({', '.join(names[j] for j in sorted(names))}), found {len(fields)}: "
                f"{lines[i].strip()[:80]!r}", file=source, line=lineno))
        row: dict[str, float] = {}
        bad: tuple[int, str] | None = None
        for key, idx in wanted.items():
            val = parse_number(fields[idx], table.decimal_comma)
            if val is None:
                bad = (idx, fields[idx])
                break
            row[key] = val
        if bad is not None:
            if last and pos > 0:
                dropped.setdefault("truncated last row", []).append(lineno)
                continue
            idx, tok = bad
            shown = "an empty cell" if tok == "" else repr(tok)
            raise FileFormatError(located(
                f"expected a number in column {idx + 1} ({names[idx]}), found {shown}",
                file=source, line=lineno))
        if last and pos > 0 and not table.last_line_complete and _lost_exponent(
                fields, split_fields(lines[body[pos - 1]], table.delimiter), wanted):
            dropped.setdefault("truncated last row", []).append(lineno)
            continue
        if not all(math.isfinite(v) for v in row.values()):
            dropped.setdefault("NaN or infinite values", []).append(lineno)
            continue
        for key, val in row.items():
            values[key].append(val)
        kept.append(lineno)
    if not kept:
        where = table.header_line if table.header_line is not None else table.lineno(
            max(table.start - 1, 0))
        raise FileFormatError(located(
            f"no {what} rows found after the header (expected numeric rows with "
            f"{', '.join(names[j] for j in sorted(names))})", file=source, line=where))
    for reason, dl in dropped.items():
        warn_dropped(source, reason, dl)
    return Extracted(columns={k: np.asarray(v, dtype=float) for k, v in values.items()},
                     lines=np.asarray(kept, dtype=int), dropped=dropped)
