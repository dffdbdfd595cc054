"""The base of every analysis result: quantities in unit-named fields, method, warnings.

Each analysis defines a small dataclass deriving from :class:`AnalysisResult`, e.g.::

    @dataclass(kw_only=True)
    class TGAResult(AnalysisResult):
        t_5pct_loss_c: float
        onset_temp_c: float

``to_dict()`` gives the flat, JSON-ready mapping the CLI prints with ``--json`` and the
batch writes into the targets table: unit-named scalar fields, ``method`` and
``warnings``. Fields holding arrays or tables (fitted curves for plots) are left out; name
them with a leading underscore or mark them ``field(metadata={"export": False})``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(kw_only=True)
class AnalysisResult:
    """Common part of all analysis results.

    Attributes
    ----------
    method : str
        How the number was obtained (e.g. ``"circuit_fit"``, ``"hf_intercept"``).
    warnings : list of str
        QC findings a careful electrochemist would want to read; empty when clean.
    source : str or None
        The raw file the result came from, when there was one.
    """

    method: str = ""
    warnings: list[str] = field(default_factory=list)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Flat mapping of the exported scalar fields (non-finite floats become None)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name.startswith("_") or not f.metadata.get("export", True):
                continue
            value = getattr(self, f.name)
            if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[f.name] = list(value) if f.name == "warnings" else value
        return out

    @property
    def ok(self) -> bool:
        """True when the analysis raised no warning."""
        return not self.warnings
