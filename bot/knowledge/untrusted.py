"""The articles directory is untrusted: walk it without recursion and read only regular files inside it.

Anyone who can drop a file there can drop a symlink to /etc/passwd or the config, a FIFO that
blocks a reader forever, /dev/zero, or a name with a newline that would forge a report line.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path
from typing import Callable

# Characters a file name may not carry into a report line or an index key (besides control
# characters and undecodable bytes): line separators and the bidirectional overrides that
# make a name display as something else.
_FORBIDDEN = set("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_READ_CHUNK = 1 << 20


def printable_name(name: str) -> str:
    """A file name safe to show on one line: undecodable bytes as \\xNN, control characters as \\uNNNN."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _odd_character(ch):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str) -> str:
    """Text for one report line: line breaks become spaces, other odd characters are escaped."""
    return printable_name(" ".join(text.splitlines()))


def name_problem(name: str) -> str | None:
    """Why a (relative) file name can't be an article key, or None if it can."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        return "文件名不是有效的 UTF-8 编码，已跳过，请改名"
    if any(_odd_character(ch) for ch in name):
        return "文件名含有换行符或其他控制字符，已跳过，请改名"
    return None


def _odd_character(ch: str) -> bool:
    return ch in _FORBIDDEN or unicodedata.category(ch) in ("Cc", "Cs")


def walk_files(root: Path, wanted: Callable[[str], bool]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files below root whose name is wanted, in sorted depth-first order, and the paths left out with why.

    Iterative, so depth is no limit; a directory reached twice through links is walked once;
    a directory link that leads out of root is not followed. Names starting with "." are ignored.
    """
    root_real = os.path.realpath(root)
    found: list[Path] = []
    problems: list[tuple[Path, str]] = []
    seen: set[tuple[int, int]] = set()
    stack = [Path(root)]
    while stack:
        directory = stack.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in seen:
                continue  # a link back to a directory already walked
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as entries:
                ordered = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            problems.append((directory, f"cannot read directory: {exc.strerror or exc}"))
            continue
        subdirectories = []
        for entry in ordered:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_directory = entry.is_dir()
            except OSError:
                is_directory = False
            if is_directory:
                if entry.is_symlink() and not is_inside(os.path.realpath(path), root_real):
                    problems.append((path, "目录链接指向文章目录之外，已跳过"))
                else:
                    subdirectories.append(path)
            elif wanted(entry.name):
                found.append(path)
        stack.extend(reversed(subdirectories))
    return found, problems


def is_inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def read_regular_file(path: Path, root: Path, max_bytes: int) -> bytes | str:
    """The bytes of a regular file whose real path lies inside root, at most max_bytes; else why not.

    The type is checked before opening (a FIFO would block, a device never ends) and again on the
    open descriptor, so a file swapped for a link in between is still caught.
    """
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
        if not is_inside(real, os.path.realpath(root)):
            return "符号链接指向文章目录之外，已跳过"
        kind = _kind(mode)
        if kind:
            return f"不是普通文件（{kind}），已跳过"
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind:
            return f"不是普通文件（{kind}），已跳过"
        if info.st_size > max_bytes:
            return too_large(info.st_size, max_bytes)
        chunks, total = [], 0
        while total <= max_bytes:  # the file may grow after fstat; never read past the limit
            chunk = handle.read(min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            return too_large(total, max_bytes)
        return b"".join(chunks)


def too_large(size: int, max_bytes: int) -> str:
    return f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISDIR(mode):
        return "目录"
    return "特殊文件"
