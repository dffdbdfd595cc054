"""Raw files -> targets for ``campaign add-raw``: the manifest and the analysis per kind.

Manifest columns (CSV, one row per measurement; paths relative to the manifest's folder)
---------------------------------------------------------------------------------------
The columns are those of the ``ionopt analyze batch`` manifest (:mod:`ionopt.analysis.batch`),
plus ``proposal_id`` and free condition columns.

``sample_id`` or ``proposal_id``   the film (must already be in the campaign)
``kind``                           ``eis``, ``tensile``, ``tga``, ``lsv``, ``cycling``,
                                   ``transference`` or ``symmetric``
``file``                           the raw instrument file (transference: the
                                   chronoamperogram, i-t)
``thickness_um``                   film thickness, µm (eis: required; tensile: with force data)
``area_cm2`` or ``diameter_mm``    electrode area or diameter (eis and lsv: one required)
``width_mm``, ``gauge_length_mm``  tensile specimen geometry (force-displacement files)
``active_mass_mg``                 cathode active mass (cycling: required), mg
``reference_cycle``, ``retention_cycle``  cycling: cycles compared for the retention
``delta_v``                        transference: the applied polarisation step, V (non-zero;
                                   blank: the applied potential stated in the file's header,
                                   an error when the header states none; said in the QC flags)
``eis_before`` or ``r0_ohm``       transference: EIS spectrum of the Li | film | Li cell before
                                   polarisation (a file), or its interfacial resistance, ohm;
                                   exactly one
``eis_after`` or ``rss_ohm``       the same after polarisation (``rs_ohm`` is an alias of
                                   ``rss_ohm``); exactly one
``temperature_c``                  measurement temperature, °C (blank: the campaign's
                                   reference temperature)
``format``                         reader format of ``file`` (default ``auto``)
anything else (``replicate``, ``note``, ``operator``...) is kept with the measurement.

A Bruce-Vincent measurement is one row: ``file`` plus ``eis_before`` and ``eis_after``::

    sample_id,kind,file,eis_before,eis_after,delta_v
    CSE-40,transference,bv_chrono_cse40.txt,bv_eis_before_cse40.txt,bv_eis_after_cse40.txt,0.01

Every file of a row is hashed: ``file`` is the measurement's ``file_path`` /
``file_sha256`` / ``file_size_bytes``; each companion file (``eis_before``, ``eis_after``)
is kept as ``<column>_path``, ``<column>_sha256``, ``<column>_size_bytes`` (stored in the
measurement's ``derived["input_files"]`` with the main file). No raw file, main or
companion, may belong to two measurements; a row whose files are all stored already, for
the same film and kind, is skipped.

Each kind runs :func:`ionopt.analysis.batch.analyze_file` (ionopt's readers and analyses,
as ``ionopt analyze batch`` does); the store keeps the full result (``to_dict()``), its
method and warnings (QC flags), and the target columns of :attr:`RawKind.targets`:
``transference`` stores ``transference_number``; ``symmetric`` (Li | film | Li cycling)
stores ``short_circuit_h`` when the cell shorted and otherwise ``stable_at_least_h``, the
duration of the record (a lower bound: the cell had not shorted yet), never a
short-circuit time it did not observe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ionopt.errors import DataError


@dataclass(frozen=True)
class RawKind:
    """Which manifest columns a kind of raw file needs and which targets it stores.

    Reading and analysing go through :func:`ionopt.analysis.batch.analyze_file`, the same
    path as ``ionopt analyze batch``, so a file gives the same numbers either way.

    Attributes
    ----------
    name : str
        Value of the manifest's ``kind`` column (a kind of
        :data:`ionopt.analysis.batch.KINDS`).
    geometry : tuple of str
        Manifest columns passed to the analysis as keyword arguments when not blank.
    required : tuple of tuple of str
        Each inner tuple: at least one of these columns (numbers or companion files) must
        be given.
    files : tuple of str
        Columns naming companion raw files of one measurement (beside ``file``), passed
        to the analysis as paths; each is hashed and stored with the measurement.
    exclusive : tuple of tuple of str
        Each inner tuple: at most one of these columns may be given.
    from_header : tuple of str
        Columns the analysis takes from the file's header when blank; the value used is
        then noted in the QC flags (read from the result's attribute of that name).
    """

    name: str
    geometry: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    files: tuple[str, ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    from_header: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets-table columns this kind gives (:func:`ionopt.analysis.batch.kind_targets`)."""
        from ionopt.analysis.batch import kind_targets

        return kind_targets(self.name)

    def values(self, result: Any) -> dict[str, float]:
        """The finite target values of ``result`` (at least one is needed to store it)."""
        from ionopt.analysis.batch import target_values

        return target_values(self.name, result)

    def check(self, given: set[str], at: str) -> None:
        """DataError when ``given`` (the non-blank columns of a row) misses a required
        column or holds two exclusive ones."""
        for group in self.exclusive:
            both = [c for c in group if c in given]
            if len(both) > 1:
                raise DataError(f"{at}: {', '.join(both)}: give one, not both (kind "
                                f"{self.name})")
        for group in self.required:
            if not any(c in given for c in group):
                raise DataError(f"{at}: {' or '.join(group)}: missing; a file of kind "
                                f"{self.name} needs {' or '.join(group)}")

    def run(self, path: str, geometry: dict[str, float], fmt: str | None,
            files: dict[str, str] | None = None) -> Any:
        """Read ``path`` (and the companion ``files``) and analyse it; returns the
        AnalysisResult."""
        from ionopt.analysis.batch import analyze_file

        kwargs: dict[str, Any] = {k: v for k, v in geometry.items()
                                  if k in self.geometry and v is not None}
        kwargs.update({k: str(v) for k, v in (files or {}).items() if k in self.files})
        return analyze_file(path, self.name, format=fmt or "auto", **kwargs)

    def notes(self, result: Any, geometry: dict[str, float]) -> list[str]:
        """QC notes on how the stored values were obtained (beyond the analysis warnings)."""
        out = []
        for column in self.from_header:
            if geometry.get(column) is None:
                value = getattr(result, column, None)
                out.append(f"{column} not given; taken from the file header "
                           f"({value:g})" if isinstance(value, (int, float)) else
                           f"{column} not given; taken from the file header")
        return out


@dataclass(frozen=True)
class SymmetricKind(RawKind):
    """Li | film | Li cycling: ``short_circuit_h``, or the lower bound ``stable_at_least_h``.

    A record that ends without a short circuit (by the criterion of
    :func:`ionopt.analysis.symmetric.analyze_symmetric`) gives ``stable_at_least_h`` = the
    record's duration (``cycling_time_h``), never a ``short_circuit_h``.
    """

    @property
    def targets(self) -> tuple[str, ...]:
        return ("short_circuit_h", "stable_at_least_h")

    def values(self, result: Any) -> dict[str, float]:
        values = super().values(result)  # short_circuit_h when finite
        if "short_circuit_h" in values:
            return values
        duration = getattr(result, "cycling_time_h", None)
        if isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0:
            return {"stable_at_least_h": float(duration)}
        return {}

    def notes(self, result: Any, geometry: dict[str, float]) -> list[str]:
        out = super().notes(result, geometry)
        values = self.values(result)
        if "stable_at_least_h" in values:
            note = getattr(result, "note", "") or "no short circuit within the record"
            out.append(f"{note}; stored as stable_at_least_h = "
                       f"{values['stable_at_least_h']:g} h (a lower bound), not short_circuit_h")
        return out


KINDS: dict[str, RawKind] = {}


def register_kind(kind: RawKind) -> RawKind:
    """Teach ``add-raw`` a new kind of raw file (or replace one)."""
    KINDS[kind.name] = kind
    return kind


register_kind(RawKind(
    "eis", geometry=("thickness_um", "area_cm2", "diameter_mm"),
    required=(("thickness_um",), ("area_cm2", "diameter_mm"))))
register_kind(RawKind(
    "tensile", geometry=("width_mm", "thickness_um", "gauge_length_mm"), required=()))
register_kind(RawKind("tga", geometry=(), required=()))
register_kind(RawKind(
    "lsv", geometry=("area_cm2", "diameter_mm"), required=(("area_cm2", "diameter_mm"),)))
register_kind(RawKind(
    "cycling", geometry=("active_mass_mg", "reference_cycle", "retention_cycle"),
    required=(("active_mass_mg",),)))
register_kind(RawKind(
    "transference", geometry=("delta_v", "r0_ohm", "rss_ohm"),
    required=(("eis_before", "r0_ohm"), ("eis_after", "rss_ohm")),
    files=("eis_before", "eis_after"),
    exclusive=(("eis_before", "r0_ohm"), ("eis_after", "rss_ohm")),
    from_header=("delta_v",)))
register_kind(SymmetricKind("symmetric", geometry=(), required=()))

#: Manifest columns with a meaning to add-raw (others are kept as conditions).
GEOMETRY_COLUMNS = ("thickness_um", "area_cm2", "diameter_mm", "width_mm", "gauge_length_mm",
                    "active_mass_mg", "reference_cycle", "retention_cycle", "delta_v",
                    "r0_ohm", "rss_ohm")
#: Check of each numeric column's value (as in ``analyze batch``); others: ``positive``.
NUMBER_RULES = {"delta_v": "nonzero", "r0_ohm": "non_negative", "rss_ohm": "non_negative"}
#: Alternative names of columns (as in ``analyze batch``): alias -> column.
ALIASES = {"rs_ohm": "rss_ohm"}
#: Columns naming companion raw files (hashed and stored with the measurement).
FILE_COLUMNS = ("eis_before", "eis_after")
MANIFEST_COLUMNS = ("sample_id", "proposal_id", "kind", "file", "format", "temperature_c",
                    *GEOMETRY_COLUMNS, *ALIASES, *FILE_COLUMNS)


def parse_number(value: Any, column: str, at: str) -> float | None:
    """A numeric manifest cell checked by its :data:`NUMBER_RULES` rule; None for a blank."""
    from ionopt.campaign._tables import number

    rule = NUMBER_RULES.get(column, "positive")
    out = number(value, f"{at}: {column}", positive=rule == "positive")
    if out is None:
        return None
    if rule == "non_negative" and out < 0:
        raise DataError(f"{at}: {column}: expected a number >= 0, got {out:g}")
    if rule == "nonzero" and out == 0:
        raise DataError(f"{at}: {column}: expected a non-zero number, got {out:g}")
    return out


def get_kind(name: object, at: str) -> RawKind:
    """The :class:`RawKind` called ``name``; DataError naming the known ones otherwise."""
    key = str(name).strip().lower() if name is not None else ""
    if key not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise DataError(f"{at}: kind: expected one of {known}, got {name!r}")
    return KINDS[key]


__all__ = ["ALIASES", "FILE_COLUMNS", "GEOMETRY_COLUMNS", "KINDS", "MANIFEST_COLUMNS",
           "NUMBER_RULES", "RawKind", "SymmetricKind", "get_kind", "parse_number",
           "register_kind"]
