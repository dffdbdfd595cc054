"""Gamry Framework ``.DTA`` files.

Layout: ``EXPLAIN``, ``TAG <technique>``, then ``NAME  TYPE  VALUE  LABEL`` lines
(tab-separated), and tables introduced by ``NAME  TABLE [n]``: a tab-led line of column
names, a tab-led line of units, then tab-led data rows. EIS data are in ``ZCURVE``
(``Freq``, ``Zreal``, ``Zimag`` signed), sweeps and steps in ``CURVE`` (``T``, ``Vf``,
``Im``). Numbers follow the Windows locale, so decimal commas occur.
"""

from __future__ import annotations

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed, meta_float, snake_key
from ._table import Table, split_fields, uses_decimal_comma

__all__ = ["looks_like_gamry", "parse"]

_KIND = {"EISPOT": "eis", "EISGALV": "eis", "LSV": "lsv", "CV": "cv", "CHRONOA": "chrono",
         "CHRONOP": "other", "CORPOT": "other"}


def looks_like_gamry(lines: list[str]) -> bool:
    """True when the file starts ``EXPLAIN`` / ``TAG`` like a Gamry DTA file."""
    head = [ln.strip() for ln in lines[:3]]
    return bool(head) and head[0] == "EXPLAIN" and any(h.startswith("TAG") for h in head)


def parse(text: str, source: object) -> Parsed:
    """Locate tag, parameters and the main data table of a DTA file.

    The table is ``ZCURVE`` when present, else the first ``*CURVE*`` table other than
    ``OCVCURVE``, else ``OCVCURVE``.

    Raises
    ------
    FileFormatError
        When the file has no data table.
    """
    lines = text.split("\n")
    tag, tag_line = None, None
    params: dict[str, list[str]] = {}
    tables: dict[str, int] = {}
    for i, line in enumerate(lines):
        if not line or line[0] in "\t ":
            continue
        fields = line.split("\t")
        if fields[0] == "TAG" and len(fields) > 1:
            tag, tag_line = fields[1].strip(), i + 1
        elif len(fields) > 1 and fields[1].strip() == "TABLE":
            tables.setdefault(fields[0].strip(), i)
        elif len(fields) > 2:
            params.setdefault(fields[0].strip(), [f.strip() for f in fields[1:]])
    name = "ZCURVE" if "ZCURVE" in tables else next(
        (t for t in tables if "CURVE" in t and t != "OCVCURVE"), "OCVCURVE")
    if name not in tables:
        raise FileFormatError(located(
            "Gamry DTA file without a data table (expected a 'ZCURVE TABLE' or "
            "'CURVE TABLE' line)", file=source))
    at = tables[name]
    if at + 2 >= len(lines):
        raise FileFormatError(located(
            f"{name} table ends before its column-name and unit lines",
            file=source, line=at + 1))
    names = split_fields(lines[at + 1], "\t")
    units = split_fields(lines[at + 2], "\t")
    if names and names[0] == "":
        names = names[1:]
    if units and units[0] == "":
        units = units[1:]
    headers = []
    for j, col in enumerate(names):
        unit = units[j] if j < len(units) else ""
        headers.append(f"{col} ({unit})" if unit and unit != "#" else col)
    stop = at + 3
    while stop < len(lines) and (lines[stop][:1] in ("\t", " ") or not lines[stop].strip()):
        stop += 1
    # rows start with a tab: drop that empty first field by shifting the columns right
    headers = ["_lead"] + headers
    body = [ln for ln in lines[at + 3:at + 43] if ln.strip()]
    table = Table(headers=headers, start=at + 3, stop=stop, delimiter="\t",
                  decimal_comma=uses_decimal_comma(body, "\t"), header_line=at + 2)
    dc = table.decimal_comma

    def num(key: str, pos: int = 1) -> float | None:
        vals = params.get(key)
        return meta_float(vals[pos], decimal_comma=dc) if vals and len(vals) > pos else None

    meta: dict[str, object] = {"table": name}
    date, time = params.get("DATE"), params.get("TIME")
    if date and len(date) > 1:
        meta["date"] = date[1] + (f" {time[1]}" if time and len(time) > 1 else "")
    if params.get("PSTAT") and len(params["PSTAT"]) > 1:
        meta["instrument"] = params["PSTAT"][1]
    title = params.get("TITLE")
    kind = _KIND.get(tag or "", "other" if tag else None)
    if kind == "eis":
        fi, ff = num("FREQINIT"), num("FREQFINAL")
        if fi is not None and ff is not None:
            meta.update(f_initial_hz=fi, f_final_hz=ff, freq_high_hz=max(fi, ff),
                        freq_low_hz=min(fi, ff))
        vac = num("VAC")
        if vac is not None and tag == "EISPOT":
            meta["amplitude_v_rms"] = vac * 1e-3
        vdc = num("VDC")
        if vdc is not None:
            meta["init_e_v"] = vdc
    else:
        for key, canon in (("VINIT", "init_e_v"), ("VFINAL", "final_e_v")):
            value = num(key)
            if value is not None:
                meta[canon] = value
        rate = num("SCANRATE")
        if rate is not None:
            meta["scan_rate_v_s"] = rate * 1e-3  # Gamry writes mV/s
        step = num("VSTEP1")
        if kind == "chrono" and step is not None:
            meta["potential_applied_v"] = step
    area = num("AREA")
    if area is not None:
        meta["area_cm2"] = area
    technique = (title[1] if title and len(title) > 1 else None) or tag
    meta["tag"] = tag
    meta["header"] = {snake_key(k): "\t".join(v) for k, v in params.items()}
    return Parsed(format="gamry", technique=technique, kind=kind, technique_line=tag_line,
                  lines=lines, table=table, meta=meta)
