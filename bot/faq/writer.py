"""Adding an entry to faq.yaml without losing anything: hand edits, comments, or a concurrent write.

The file is read again right before writing, and the entry is appended to its text (comments and
formatting kept) when that text is a YAML block list; otherwise the whole list is written anew.
Writes go to a temporary file that replaces faq.yaml in one rename, after the previous version
is copied to faq.yaml.bak. A lock file serialises writers; a hand edit that lands between the
read and the rename is noticed (the bytes changed) and the write is redone on top of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import yaml

from bot.errors import QabotError
from bot.faq.entries import FaqEntry

BACKUP_SUFFIX = ".bak"
ATTEMPTS = 5


class FaqWriteError(QabotError):
    """faq.yaml could not be updated; it is left as it was."""


def add_entry(path: Path, entry: FaqEntry) -> None:
    """Append one entry to faq.yaml atomically, keeping a backup of the previous version."""
    with _locked(path):
        for _ in range(ATTEMPTS):
            before = path.read_bytes() if path.exists() else b""
            text = _with_entry(before.decode("utf-8-sig"), entry)
            if _replace_if_unchanged(path, before, text):
                return
    raise FaqWriteError("faq.yaml 一直在被修改，没能写入，请稍后再试")


def _with_entry(text: str, entry: FaqEntry) -> str:
    """faq.yaml's text with the entry added; raises FaqWriteError when the file is not a list."""
    block = yaml.safe_dump([entry.to_yaml()], allow_unicode=True, sort_keys=False, width=1000)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise FaqWriteError("faq.yaml 现在不是有效的 YAML，先修好它再添加问答（文件没有改动）") from None
    if data is None:
        return block
    if not isinstance(data, list):
        raise FaqWriteError("faq.yaml 现在不是一个问答列表，先修好它再添加问答（文件没有改动）")
    appended = text + ("" if text.endswith("\n") else "\n") + block
    try:
        if yaml.safe_load(appended) == data + [entry.to_yaml()]:
            return appended
    except yaml.YAMLError:
        pass
    # A flow-style list ([...]) or an indented one: write the list out whole.
    return yaml.safe_dump(data + [entry.to_yaml()], allow_unicode=True, sort_keys=False, width=1000)


def _replace_if_unchanged(path: Path, before: bytes, text: str) -> bool:
    """Write `text` as faq.yaml unless its bytes moved on from `before` meanwhile."""
    handle, tmp_name = tempfile.mkstemp(prefix=".faq-", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            if path.read_bytes() != before:
                return False
            shutil.copy2(path, path.with_name(path.name + BACKUP_SUFFIX))
            if path.read_bytes() != before:  # an editor saved while the backup was made
                return False
        os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name("." + path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
