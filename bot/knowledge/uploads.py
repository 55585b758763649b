"""Article files sent by an admin: checked before they are kept, saved atomically under articles/uploads/.

A file is refused, with its reason in Chinese, when it is empty, too large, of a kind the builder
does not read, not what its name says (a picture named .txt), or has no text the builder can use.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.config import Config
from bot.knowledge import files
from bot.knowledge.analysis import ArticleAnalyzer
from bot.knowledge.build_wording import skip_reason_zh
from bot.knowledge.builder import analyse_source
from bot.knowledge.files import Skipped, SourceFile, read_article_file
from bot.text.user_words import load_user_words

UPLOADS_DIR = "uploads"
DOWNLOAD_LIMIT = 20 * 1000 * 1000  # the Bot API's getFile limit: 20 MB
MAX_NAME_CHARS = 120
# How each binary format's files begin; text formats must decode as text instead.
_MAGIC = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",)}
_TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


class UploadRefused(ValueError):
    """Why an uploaded file is not kept; the message is one sentence in Chinese."""


@dataclass(frozen=True)
class Upload:
    """A file under articles/uploads/."""

    name: str
    size: int

    @property
    def name_hash(self) -> str:
        return name_hash(self.name)


def uploads_path(config: Config) -> Path:
    return config.articles_path / UPLOADS_DIR


def name_hash(name: str) -> str:
    """16 hex digits naming an upload in a button (a file name may be longer than callback data allows)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def accepted_suffixes() -> tuple[str, ...]:
    """Whatever the builder reads (read at call time: the list grows as readers are added)."""
    return tuple(files.ARTICLE_SUFFIXES)


def safe_name(name: str | None) -> str:
    """The name to save under: no directories, no leading dots or control characters; UploadRefused if none is left."""
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if not name or not PurePosixPath(name).suffix:
        raise UploadRefused("文件名没有扩展名，无法判断格式")
    if len(name) > MAX_NAME_CHARS:
        stem, suffix = os.path.splitext(name)
        name = stem[: MAX_NAME_CHARS - len(suffix)] + suffix
    return name


def check_declared(name: str, size: int | None, config: Config) -> None:
    """What can be checked before downloading: the kind of file and its declared size."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in accepted_suffixes():
        raise UploadRefused(f"不支持 {suffix} 文件；可以上传：{'、'.join(accepted_suffixes())}")
    if size is not None:
        _check_size(size, config)


def _check_size(size: int, config: Config) -> None:
    if size == 0:
        raise UploadRefused("文件是空的（0 字节）")
    limit = min(DOWNLOAD_LIMIT, int(config.knowledge.max_file_mb * 1e6))
    if size > limit:
        raise UploadRefused(f"文件有 {size / 1e6:.1f} MB，超过了 {limit / 1e6:g} MB 的上限")


def check_content(name: str, data: bytes, config: Config) -> None:
    """The downloaded bytes: not empty, not too large, what the name says, and with usable text."""
    _check_size(len(data), config)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _MAGIC and not data.startswith(_MAGIC[suffix]):
        raise UploadRefused(f"文件内容不是 {suffix} 格式，和文件名不符")
    if suffix in _TEXT_SUFFIXES:
        if b"\x00" in data[:8192] or any(data.startswith(m) for magics in _MAGIC.values() for m in magics):
            raise UploadRefused(f"文件内容不是文字（像是二进制文件），和扩展名 {suffix} 不符")
        if files.decode_text(data) is None:
            raise UploadRefused("文件既不是 UTF-8 也不是 GB18030 编码的文字")
    _check_readable(name, data, config)


def _check_readable(name: str, data: bytes, config: Config) -> None:
    """Read and analyse the file as the builder will, from a scratch copy, so a file it would skip is not kept."""
    with tempfile.TemporaryDirectory(prefix="qabot-upload-") as scratch:
        path = Path(scratch) / name
        path.write_bytes(data)
        source = read_article_file(path, Path(scratch), len(data) + 1, Path(scratch))
        if isinstance(source, SourceFile):
            # jieba itself is shared (shared_segmenter); a fresh analyser keeps no upload's sentences.
            analyzer = ArticleAnalyzer(load_user_words(config.userdict_path), config.passages.max_chars)
            source = analyse_source(source, analyzer, config.passages)
        if isinstance(source, Skipped):
            raise UploadRefused(f"读不出可用的文章内容（{skip_reason_zh(source.reason)}）")


def save_upload(config: Config, name: str, data: bytes) -> Path:
    """Write the file under articles/uploads/ in one rename (a reader never sees half of it)."""
    folder = uploads_path(config)
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        target = folder / name
        os.replace(tmp_name, target)
        return target
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def existing_upload(config: Config, name: str) -> bytes | None:
    """The bytes of the upload already saved under this name, if any."""
    path = uploads_path(config) / name
    return path.read_bytes() if path.is_file() else None


def list_uploads(config: Config) -> list[Upload]:
    folder = uploads_path(config)
    if not folder.is_dir():
        return []
    return [Upload(p.name, p.stat().st_size) for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".")]


def delete_upload(config: Config, hashed: str) -> str | None:
    """Remove the upload whose name hashes to `hashed`; its name, or None if there is none."""
    for upload in list_uploads(config):
        if upload.name_hash == hashed:
            (uploads_path(config) / upload.name).unlink(missing_ok=True)
            return upload.name
    return None
