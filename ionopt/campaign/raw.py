"""Raw files -> targets for ``campaign add-raw``: the manifest and the analysis per kind.

Manifest columns (CSV, one row per raw file; paths relative to the manifest's folder)
-------------------------------------------------------------------------------------
``sample_id`` or ``proposal_id``   the film (must already be in the campaign)
``kind``                           ``eis``, ``tensile``, ``tga``, ``lsv`` or ``cycling``
``file``                           the raw instrument file
``thickness_um``                   film thickness, µm (eis: required; tensile: with force data)
``area_cm2`` or ``diameter_mm``    electrode area or diameter (eis and lsv: one required)
``width_mm``, ``gauge_length_mm``  tensile specimen geometry (force-displacement files)
``active_mass_mg``                 cathode active mass (cycling: required), mg
``reference_cycle``, ``retention_cycle``  cycling: cycles compared for the retention
``temperature_c``                  measurement temperature, °C (blank: the campaign's
                                   reference temperature)
``format``                         reader format (default ``auto``)
anything else (``replicate``, ``note``, ``operator``...) is kept with the measurement.

Each kind runs :func:`ionopt.analysis.batch.analyze_file` (ionopt's readers and analyses,
as ``ionopt analyze batch`` does); the store keeps the full result (``to_dict()``), its
method and warnings (QC flags), and the target columns listed below.
"""

from __future__ import annotations

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
        Each inner tuple: at least one of these columns must be given.
    """

    name: str
    geometry: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets-table columns this kind gives (:func:`ionopt.analysis.batch.kind_targets`)."""
        from ionopt.analysis.batch import kind_targets

        return kind_targets(self.name)

    def values(self, result: Any) -> dict[str, float]:
        """The finite target values of ``result`` (at least one is needed to store it)."""
        from ionopt.analysis.batch import target_values

        return target_values(self.name, result)

    def run(self, path: str, geometry: dict[str, float], fmt: str | None) -> Any:
        """Read ``path`` and analyse it; returns the AnalysisResult."""
        from ionopt.analysis.batch import analyze_file

        kwargs = {k: v for k, v in geometry.items() if k in self.geometry and v is not None}
        return analyze_file(path, self.name, format=fmt or "auto", **kwargs)


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

#: Manifest columns with a meaning to add-raw (others are kept as conditions).
GEOMETRY_COLUMNS = ("thickness_um", "area_cm2", "diameter_mm", "width_mm", "gauge_length_mm",
                    "active_mass_mg", "reference_cycle", "retention_cycle")
MANIFEST_COLUMNS = ("sample_id", "proposal_id", "kind", "file", "format", "temperature_c",
                    *GEOMETRY_COLUMNS)


def get_kind(name: object, at: str) -> RawKind:
    """The :class:`RawKind` called ``name``; DataError naming the known ones otherwise."""
    key = str(name).strip().lower() if name is not None else ""
    if key not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise DataError(f"{at}: kind: expected one of {known}, got {name!r}")
    return KINDS[key]


__all__ = ["GEOMETRY_COLUMNS", "KINDS", "MANIFEST_COLUMNS", "RawKind",
           "get_kind", "register_kind"]
