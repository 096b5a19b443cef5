"""Which exercises have passed: written only by the checker, signed, and updated under a lock.

The progress file (``<folder>/.state/progress.json``) sits in the learner's folder, where anything (the
learner's own code included) can write. So the checker signs what it writes with a key of its own, kept
outside that folder (``key_file()``), and believes only a file whose signature is right, for that folder:
a hand-written or copied progress file counts as no progress. The process that runs the learner's code is
a fresh Python (exercises/sandbox.py): the key is never in its memory or its environment.

Two checks at once (``make check EX=ex01a & make check EX=ex01b``) each read, update and write the file under
an exclusive lock (``<folder>/.state/progress.lock``), so neither loses the other's result.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from course_utils import REPO_ROOT
from course_utils.atomic import write_atomic

FILE, LOCK = "progress.json", "progress.lock"
LOCK_WAIT_S = 30


def state_dir(folder: Path) -> Path:
    return Path(folder) / ".state"


def key_file() -> Path:
    """Where the checker keeps its signing key: the checkout's .cache/ (git-ignored), outside every exercise
    folder."""
    return REPO_ROOT / ".cache" / "exercises" / "progress.key"


def key(create: bool) -> bytes | None:
    """The signing key; a new one is made (once, whoever asks first) when ``create``. None when there is none."""
    path = key_file()
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(new, path)  # fails if another process made the key first: then theirs is the key
        except FileExistsError:
            pass
        finally:
            new.unlink(missing_ok=True)
        data = path.read_bytes()
        return data if len(data) >= 32 else None
    except OSError:
        return None


def signature(secret: bytes, folder: Path, progress: dict) -> str:
    text = json.dumps({"folder": str(Path(folder).resolve()), "progress": progress}, sort_keys=True)
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def load(folder: Path) -> tuple[dict, bool]:
    """``(progress, trusted)``: the signed progress of ``folder`` (``{exercise name: status}``), and False when a
    progress file is there but was not written by the checker (or by an older one): it then counts as empty."""
    path = state_dir(folder) / FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, True
    except (OSError, ValueError):
        return {}, False
    if not isinstance(stored, dict) or not isinstance(stored.get("progress"), dict):
        return {}, False
    progress, mac = stored["progress"], stored.get("signature")
    secret = key(create=False)
    if secret is None or not isinstance(mac, str) or not hmac.compare_digest(mac, signature(secret, folder, progress)):
        return {}, False
    return {k: v for k, v in progress.items() if isinstance(k, str) and isinstance(v, str)}, True


def read(folder: Path) -> dict:
    return load(folder)[0]


@contextlib.contextmanager
def locked(folder: Path):
    """An exclusive lock on the folder's progress (waits up to ``LOCK_WAIT_S`` for another checker)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    state_dir(folder).mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir(folder) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OSError(f"{state_dir(folder) / LOCK} stayed locked for {LOCK_WAIT_S} s") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def record(folder: Path, updates: dict[str, str]) -> None:
    """Merge ``updates`` into the folder's progress: read, update and write as one step, under the lock."""
    if not updates:
        return
    secret = key(create=True)
    if secret is None:
        return  # no place for a key: the checker still checks, it just forgets
    with locked(folder):
        progress = dict(read(folder))
        progress.update(updates)
        text = json.dumps({"progress": progress, "signature": signature(secret, folder, progress)}, indent=1)
        write_atomic(state_dir(folder) / FILE, text + "\n")
