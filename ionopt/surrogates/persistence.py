"""Save and load fitted surrogates as one file.

The file is a skops archive (a zip: no pickle, so loading cannot run arbitrary code) with
one extra member, ``ionopt.json``, a manifest holding the file-format version, the ionopt
and scikit-learn versions, the fingerprint, the training-data hash and a SHA-256 digest of
every other member. Loading checks, in order: that the file is a zip with a manifest,
that its format version is one this ionopt reads, that the digest matches (a modified or
truncated file is refused), that it only holds types ionopt trusts (its own estimators,
scikit-learn, numpy, scipy), and that the rebuilt surrogates have the recorded
fingerprint. The digest detects accidental or careless modification; it is not a
signature against a deliberate forger, which is why the type allow-list still applies.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionopt._version import __version__
from ionopt.errors import ModelError

#: Bumped whenever the layout of the saved state changes incompatibly.
FORMAT_VERSION = 1
MANIFEST = "ionopt.json"
_TRUSTED_PREFIXES = ("ionopt.surrogates.", "sklearn.", "numpy.", "scipy.", "builtins.")


def _digest(zf: zipfile.ZipFile) -> str:
    h = hashlib.sha256()
    for name in sorted(zf.namelist()):
        if name == MANIFEST:
            continue
        h.update(name.encode() + b"\0")
        h.update(zf.read(name))
        h.update(b"\0")
    return h.hexdigest()


def _frame_state(df: pd.DataFrame) -> dict[str, Any]:
    data = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            data[str(col)] = s.to_numpy(dtype=np.float64)
        else:
            data[str(col)] = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
                              for v in s.tolist()]
    return {"columns": [str(c) for c in df.columns], "index": json.dumps(
        [v.item() if hasattr(v, "item") else v for v in df.index.tolist()], default=str),
        "data": data}


def _frame_from_state(state: dict[str, Any]) -> pd.DataFrame:
    index = json.loads(state["index"])
    return pd.DataFrame({c: state["data"][c] for c in state["columns"]}, index=index,
                        columns=state["columns"])


def _state(sur) -> dict[str, Any]:
    import sklearn

    targets = {}
    for t, tm in sur.models.items():
        builtin = tm.transform.name in ("identity", "log10", "logit")
        targets[t] = {
            "transform": tm.transform.name if builtin else tm.transform,
            "model": tm.model, "estimator": tm.estimator,
            "X_train": _frame_state(tm.X_train),
            "y_train": np.asarray(tm.y_train, dtype=np.float64),
            "y_train_latent": np.asarray(tm.y_train_latent, dtype=np.float64),
        }
    report = None
    if sur._report is not None:
        report = pd.DataFrame(sur._report).to_json(orient="split", double_precision=15)
    return {
        "format": FORMAT_VERSION, "ionopt_version": __version__,
        "sklearn_version": sklearn.__version__,
        "features": json.dumps(sur.features.to_dict()),
        "config": json.dumps(sur.config, default=str),
        "data_hash": sur.data_hash, "fingerprint": sur.fingerprint,
        "targets": targets, "target_order": list(sur.models), "report": report,
    }


def save_surrogates(sur, path) -> None:
    """Write ``sur`` to ``path`` (any suffix; ``.skops`` is conventional), whole or not at
    all: the file is written beside the target and renamed onto it."""
    import skops.io as sio
    import sklearn

    payload = sio.dumps(_state(sur), compression=zipfile.ZIP_DEFLATED)
    buf = io.BytesIO(payload)
    with zipfile.ZipFile(buf, "a") as zf:
        manifest = {
            "format": FORMAT_VERSION, "ionopt_version": __version__,
            "sklearn_version": sklearn.__version__, "fingerprint": sur.fingerprint,
            "data_hash": sur.data_hash, "targets": list(sur.models),
            "models": {t: m.model for t, m in sur.models.items()},
            "features": sur.features.to_dict(), "payload_sha256": _digest(zf),
        }
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, default=str))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_manifest(path) -> dict[str, Any]:
    """The manifest of a saved surrogates file (versions, fingerprint, targets), without
    loading the models."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            if MANIFEST not in zf.namelist():
                raise ModelError(f"{path}: not an ionopt surrogates file (no {MANIFEST} "
                                 "manifest); expected a file written by Surrogates.save")
            return json.loads(zf.read(MANIFEST))
    except FileNotFoundError:
        raise
    except zipfile.BadZipFile:
        raise ModelError(f"{path}: not an ionopt surrogates file (not a skops/zip archive, "
                         "or truncated)") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"{path}: the {MANIFEST} manifest is unreadable; the file was "
                         "modified or corrupted") from None


def load_surrogates(path):
    """Load surrogates saved by :meth:`Surrogates.save`.

    Raises
    ------
    ModelError
        Not an ionopt file, an incompatible file-format version, a file modified after
        saving, untrusted types inside, or a fingerprint mismatch.
    """
    import skops.io as sio
    import sklearn

    from ionopt.surrogates.features import FeatureSpec
    from ionopt.surrogates.fit import Surrogates, TargetModel
    from ionopt.surrogates.transforms import get_transform

    path = Path(path)
    manifest = read_manifest(path)
    fmt = manifest.get("format")
    if fmt != FORMAT_VERSION:
        raise ModelError(
            f"{path}: saved by ionopt {manifest.get('ionopt_version', '?')} in file format "
            f"{fmt!r}; this ionopt {__version__} reads format {FORMAT_VERSION}: refit the "
            "surrogates with this version (ionopt fit ...)")
    raw = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            ok = _digest(zf) == manifest.get("payload_sha256")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        ok = False
    if not ok:
        raise ModelError(f"{path}: content does not match the checksum in its manifest; "
                         "the file was modified or corrupted after saving — refit or use "
                         "the original file")
    if manifest.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"{path}: saved with scikit-learn {manifest.get('sklearn_version')}, "
                      f"running {sklearn.__version__}; predictions may differ slightly",
                      UserWarning, stacklevel=2)
    try:
        untrusted = sio.get_untrusted_types(data=raw)
        bad = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if bad:
            raise ModelError(f"{path}: holds types ionopt does not trust: {', '.join(bad)}")
        state = sio.loads(raw, trusted=untrusted)
    except ModelError:
        raise
    except Exception as err:  # skops raises a variety of errors on malformed content
        raise ModelError(f"{path}: cannot be read as ionopt surrogates "
                         f"({type(err).__name__}: {err})") from None

    fs_dict = json.loads(state["features"])
    fs = FeatureSpec(**fs_dict)
    models = {}
    for t in state["target_order"]:
        entry = state["targets"][t]
        transform = get_transform(entry["transform"], t)
        models[t] = TargetModel(t, fs, transform, entry["model"], entry["estimator"],
                                _frame_from_state(entry["X_train"]), entry["y_train"],
                                entry["y_train_latent"])
    report = None
    if state.get("report"):
        report = pd.read_json(io.StringIO(state["report"]), orient="split")
    sur = Surrogates(models, fs, json.loads(state["config"]), state["data_hash"],
                     report=report)
    if sur.fingerprint != manifest.get("fingerprint") or \
            sur.fingerprint != state.get("fingerprint"):
        raise ModelError(f"{path}: the loaded surrogates do not have the fingerprint "
                         "recorded at saving; the file was modified")
    return sur


__all__ = ["FORMAT_VERSION", "load_surrogates", "read_manifest", "save_surrogates"]
