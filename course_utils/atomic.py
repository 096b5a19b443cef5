"""The one way the course writes a file: to a temporary name beside it, then renamed into place; and new
folders that no other process can be given too."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_target(path: str | Path):
    """Yield a temporary path beside ``path`` to write to; it replaces ``path`` only if writing succeeds.

    Readers see the old file or the new one, never half of one. The temporary name keeps the
    suffix (``.keras``, ``.png``...) because some writers choose the format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if Path(tmp).is_file():  # mkstemp makes it private; give it the permissions a plain write would
            os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new contents, never half of it."""
    with atomic_target(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")


def claim_new_folder(parent: str | Path, name: str) -> Path:
    """Create ``parent/name``, or ``name-2``, ``name-3``... where that exists, and return it: the folder is
    this process's alone (``mkdir`` fails on an existing folder), even when another process asks for the
    same name at the same moment."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    suffix = 1
    while True:
        path = parent / (name if suffix == 1 else f"{name}-{suffix}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            suffix += 1
