"""A random per-install secret kept in its own file, never in the SQLite database.

Buttons are signed with it and voter ids hashed with it: someone holding the database alone can
neither forge a button nor test which user cast a vote. Each use derives its own subkey.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.errors import QabotError

KEY_BYTES = 32


def key_path_for(storage_path: Path) -> Path:
    """The key file beside the question log: knowledge/qabot.sqlite -> knowledge/qabot.key."""
    return storage_path.with_suffix(".key")


def load_or_create_key(path: Path) -> bytes:
    """The install's key, created (mode 0600, all at once) the first time."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = _create(path)
    except OSError as exc:
        raise QabotError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    if len(data) != KEY_BYTES:
        raise QabotError(f"the key file {path} is damaged ({len(data)} bytes, not {KEY_BYTES}); "
                         "delete it to make a new one (old buttons and vote links then expire)")
    return data


def subkey(key: bytes, purpose: str) -> bytes:
    """A key for one purpose only, so that a button signature never doubles as a voter hash."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def _create(path: Path) -> bytes:
    data = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if another process made one first; then theirs is the key
        except FileExistsError:
            return path.read_bytes()
        return data
    except OSError as exc:
        raise QabotError(f"cannot create the key file {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
