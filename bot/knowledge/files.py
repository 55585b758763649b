"""Finding article files and reading them as text, with a reason for every file that is skipped."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.untrusted import name_problem, printable_name, read_regular_file, walk_files

DOCUMENT_SUFFIXES = (".pdf", ".docx")  # read as bytes; their text is extracted with the analysis
ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm") + DOCUMENT_SUFFIXES


@dataclass(frozen=True)
class SourceFile:
    """An article file read from disk and decoded."""

    key: str
    path: Path
    text: str
    digest: str  # sha256 of the raw bytes, the cache key for everything derived from the file
    raw: bytes | None = None  # a PDF or Word file's bytes (its text is then empty)


@dataclass(frozen=True)
class Skipped:
    """A file (or directory) that was left out, and why."""

    key: str
    reason: str


def find_article_files(articles_dir: Path, key_base: Path) -> tuple[list[Path], list[Skipped]]:
    """All article files below a directory, in sorted order, plus what was left out and why."""
    paths, left_out = walk_files(articles_dir, lambda name: name.lower().endswith(ARTICLE_SUFFIXES))
    problems = [Skipped(printable_name(_relative(path, key_base)), reason) for path, reason in left_out]
    found = []
    for path in paths:
        key = _relative(path, key_base)
        reason = name_problem(key)
        if reason:
            problems.append(Skipped(printable_name(key), reason))
        else:
            found.append(path)
    return found, problems


def read_article_file(path: Path, key_base: Path, max_bytes: int, articles_dir: Path) -> SourceFile | Skipped:
    """Read and decode one file inside articles_dir, or say why it can't be used; its key is its path relative to key_base."""
    key = _relative(path, key_base)
    raw = read_regular_file(path, articles_dir, max_bytes)
    if isinstance(raw, str):
        return Skipped(key, raw)
    if not raw.strip():
        return Skipped(key, "file is empty")
    if key.lower().endswith(DOCUMENT_SUFFIXES):
        return SourceFile(key, path, "", hashlib.sha256(raw).hexdigest(), raw)
    if b"\x00" in raw[:8192]:
        return Skipped(key, "file is binary, not text")
    text = decode_text(raw)
    if text is None:
        return Skipped(key, "file is neither UTF-8 nor GB18030 text" + _where_utf8_fails(raw))
    return SourceFile(key, path, text, hashlib.sha256(raw).hexdigest())


def decode_text(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GB18030 for legacy Chinese files."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    # GB18030 decodes almost any byte string; reject results that are mostly control characters.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    return None if controls > len(text) * 0.01 else text


def _where_utf8_fails(raw: bytes) -> str:
    """Where UTF-8 decoding stops, and whether what came before was UTF-8 Chinese: a file that
    switches encoding half-way (pasted from two sources) says so, and the admin knows where to look."""
    try:
        raw.decode("utf-8-sig")
        return ""
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        if any(byte >= 0x80 for byte in raw[:exc.start]):
            return f" (UTF-8 until line {line}, which is not: mixed encodings?)"
        return f" (not UTF-8 from line {line})"


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
