"""Files written whole or not at all (CLI.md: a failed command leaves no partial file),
checked before the work that produces them, and text files read as UTF-8 text."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    A failed command therefore leaves no partial file behind.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); give it the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def why_unwritable(target: str | os.PathLike[str], *, folder: bool = False) -> str | None:
    """Why :func:`atomic_path` could not write ``target`` (a folder with ``folder``), or None.

    Missing parent folders are fine when they can be created; nothing is left behind (the
    probe is a temporary file in the nearest existing folder, removed at once).
    """
    target = Path(target)
    if target.exists() and target.is_dir() != folder:
        return "it is a directory" if not folder else "it is a file, not a directory"
    nearest = target if folder else target.parent
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        return f"{nearest} is not a directory"
    try:
        fd, probe = tempfile.mkstemp(prefix=".ionopt-probe.", dir=nearest)
    except OSError as err:
        return f"cannot create a file in {nearest}: {err.strerror}"
    os.close(fd)
    os.unlink(probe)
    return None


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of the UTF-8 file ``path``.

    Raises ValueError ``"not a text file (line N: ...)"`` for a binary file (a NUL byte) or
    one that is not UTF-8; OSError (a missing file, ...) propagates.
    """
    raw = Path(path).read_bytes()
    bad = raw.find(b"\0")
    if bad < 0:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            bad = err.start
    line = raw.count(b"\n", 0, bad) + 1
    what = "NUL byte" if raw[bad] == 0 else f"byte 0x{raw[bad]:02x} is not UTF-8"
    raise ValueError(f"not a text file (line {line}: {what})")


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``target`` whole or not at all."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
