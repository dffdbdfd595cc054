"""One exception hierarchy for ionopt.

Every error a user can cause derives from :class:`IonoptError`; the CLI turns these into
exit code 2 and one readable line. Messages name the file, line or field and say what was
expected, so a researcher can fix the input without reading a traceback.
"""

from __future__ import annotations


class IonoptError(Exception):
    """Base class for every error caused by the user's input or files."""


class RecipeError(IonoptError, ValueError):
    """A recipe is invalid: negative or all-zero masses, an unknown filler, NaN..."""


class DataError(IonoptError, ValueError):
    """A table (CSV, manifest, targets table) is malformed or misses a column."""


class FileFormatError(IonoptError, ValueError):
    """A raw instrument file cannot be read: unknown format, truncated rows, bad cells."""


class AnalysisError(IonoptError, ValueError):
    """A file was read but does not support the quantity asked of it."""


class SpaceError(IonoptError, ValueError):
    """A search space or objective definition (Python or YAML) is invalid."""


class ModelError(IonoptError, ValueError):
    """A surrogate cannot be fitted, used or loaded as asked."""


class StoreError(IonoptError):
    """A campaign store cannot be opened, migrated or written as asked."""


def located(message: str, *, file: object = None, line: int | None = None,
            field: str | None = None) -> str:
    """Prefix ``message`` with ``file:line: field:`` so errors read alike everywhere."""
    where = ""
    if file is not None:
        where = str(file)
        if line is not None:
            where += f":{line}"
    elif line is not None:
        where = f"line {line}"
    if field is not None:
        where = f"{where}: {field}" if where else field
    return f"{where}: {message}" if where else message


def shown_cell(value: object) -> str:
    """A table cell as the user typed it, for messages: text quoted (``'abc'``), numbers
    plain (``inf``, ``0.5``; never a numpy repr such as ``np.float64(0.5)``)."""
    return repr(value) if isinstance(value, str) else f"{float(value):g}"
