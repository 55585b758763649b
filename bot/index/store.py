"""Where builds of a knowledge base live, and writing and opening their files: versioned, pickle-free, swapped in atomically.

    <index dir>/CURRENT          symlink to the build being served
    <index dir>/builds/<id>/     the files bot.index.schema names: manifest.json, *.npy arrays, *.json tables
    <index dir>/builds/.tmp-*    a build in progress; never read, removed by the next build

A build is written in full under a temporary name, renamed, and only then does CURRENT move to
it with one rename. A crash at any point leaves CURRENT pointing at a complete build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from bot.errors import IndexInvalid, IndexMissing
from bot.index.arrays import FileArray, RaggedTable, StringTable
from bot.index.checksums import ALGORITHM as CHECKSUM_ALGORITHM, file_checksum
from bot.index.schema import FORMAT_NAME, FORMAT_VERSION, MANIFEST, Array, Ragged, Read, Table

CURRENT = "CURRENT"
# Arrays smaller than this are memory-mapped even where queries read them in scattered pieces:
# a mapped array costs at most its size in RSS, and mapped reads cost nothing (at 100,000 passages,
# pread made a question 15% slower). Larger ones (a base of a million passages) use pread.
MAP_WHOLE_BELOW = 256 << 20
BUILDS = "builds"


class IndexWriter:
    """Writes one build into a temporary directory; commit() makes it the served one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / BUILDS).mkdir(parents=True, exist_ok=True)
        self.build_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
        self.tmp_dir = root / BUILDS / f".tmp-{self.build_id}"
        self.tmp_dir.mkdir()
        self._files: dict[str, int] = {}
        self._checksums: dict[str, str] = {}

    def array(self, spec: Array, values: np.ndarray) -> None:
        """Write a whole array, which must already have the dtype and row shape the schema gives it."""
        if values.dtype != spec.dtype or values.shape[1:] != spec.row_shape:
            raise ValueError(f"{spec.file} holds {spec.dtype} rows of shape {spec.row_shape}, "
                             f"not {values.dtype} of {values.shape[1:]}")
        path = self.path(spec)
        np.save(path, np.ascontiguousarray(values), allow_pickle=False)
        self.written(path)

    def column(self, spec: Array) -> "Column":
        """An array written a piece at a time; close() makes it a .npy file like array() does."""
        return Column(self, self.path(spec), spec.dtype, spec.row_shape)

    def path(self, spec: Array) -> Path:
        """Where the array is written (to read back what this build has written)."""
        return self.tmp_dir / spec.file

    def json(self, table: Table, value: Any) -> None:
        path = self.tmp_dir / table.file
        path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        self.written(path)

    def written(self, path: Path) -> None:
        """Record a finished file's size and checksum for the manifest (read back while in the page cache)."""
        self._files[path.name] = path.stat().st_size
        self._checksums[path.name] = file_checksum(path)

    def commit(self, info: dict[str, Any], accept: Callable[[Path], None] | None = None) -> Path:
        """Finish the build and atomically make it the one served; returns its directory.

        `accept`, when given, sees the finished build before it is served and may refuse it by
        raising; the build is then removed and the one served before stays.
        """
        manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "build_id": self.build_id,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": self._files,
                    "checksum": CHECKSUM_ALGORITHM, "checksums": self._checksums, **info}
        (self.tmp_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_dir_files(self.tmp_dir)
        final_dir = self.root / BUILDS / self.build_id
        os.rename(self.tmp_dir, final_dir)
        if accept is not None:
            try:
                accept(final_dir)
            except BaseException:
                shutil.rmtree(final_dir, ignore_errors=True)
                raise
        link_tmp = self.root / f".{CURRENT}.{self.build_id}"
        os.symlink(Path(BUILDS) / self.build_id, link_tmp)
        os.replace(link_tmp, self.root / CURRENT)
        _fsync_dir(self.root)
        remove_stale_builds(self.root)
        return final_dir

    def abort(self) -> None:
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


class Column:
    """Appends to a .npy file whose header, written last, gives the final length.

    The header is padded to a fixed size, so the data can be written before its length is known.
    """

    HEADER_BYTES = 128

    def __init__(self, writer: IndexWriter, path: Path, dtype: np.dtype, row_shape: tuple[int, ...]) -> None:
        self.writer, self.path, self.dtype, self.row_shape = writer, path, dtype, row_shape
        self.rows = 0
        self._handle = open(path, "wb")
        self._handle.write(b"\0" * self.HEADER_BYTES)

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        self._handle.write(memoryview(values.reshape(-1)).cast("B"))
        self.rows += len(values)

    def close(self) -> None:
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.rows, *self.row_shape)}
        text = repr(header).encode("latin1")
        body = self.HEADER_BYTES - 10
        self._handle.seek(0)
        self._handle.write(b"\x93NUMPY\x01\x00" + body.to_bytes(2, "little") + text.ljust(body - 1) + b"\n")
        self._handle.close()
        self.writer.written(self.path)


def remove_stale_builds(root: Path) -> None:
    """Delete every build but the current one, including leftovers of interrupted builds.

    Readers that still map files of an old build keep them alive until they let go (POSIX
    semantics), so a serving bot is not disturbed.
    """
    builds = root / BUILDS
    current = current_build_dir(root)
    if not builds.is_dir():
        return
    for entry in builds.iterdir():
        if current is None or entry.resolve() != current.resolve():
            shutil.rmtree(entry, ignore_errors=True)


def current_build_dir(root: Path) -> Path | None:
    link = root / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return root / os.readlink(link) if link.is_symlink() else link


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Only one build at a time writes into an index directory."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexFiles:
    """A committed build opened for reading; arrays are memory-mapped, or read with pread (large_array)."""

    def __init__(self, root: Path, build_dir: Path | None = None, verify: bool = True) -> None:
        """The build CURRENT points to, or `build_dir` (a finished build not yet served).

        verify=False skips the checksums, for a build this process has just written and hashed.
        """
        self.root = root
        self.verify = verify
        build_dir = build_dir or current_build_dir(root)
        if build_dir is None:
            raise IndexMissing(f"no knowledge base at {root}; run `qabot build` first")
        self.dir = build_dir
        self.manifest = self._read_manifest()

    def _read_manifest(self) -> dict[str, Any]:
        path = self.dir / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            raise self.damaged("its manifest is missing or unreadable") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise self.damaged("its manifest is not a qabot index manifest")
        if manifest.get("version") != FORMAT_VERSION:
            raise IndexInvalid(
                f"knowledge base at {self.root} has format version {manifest.get('version')}, "
                f"this qabot reads version {FORMAT_VERSION}"
            )
        files, checksums = manifest.get("files"), manifest.get("checksums")
        if not isinstance(files, dict) or not isinstance(checksums, dict) or set(files) != set(checksums) \
                or manifest.get("checksum") != CHECKSUM_ALGORITHM:
            raise self.damaged("its manifest does not list its files and their checksums")
        for name, size in files.items():
            file_path = self.dir / name
            try:
                actual = file_path.stat().st_size
            except OSError:
                raise self.damaged(f"{name} is missing") from None
            if actual != size:
                raise self.damaged(f"{name} has {actual} bytes, expected {size}")
        # Every byte is checked before anything is served: damage in the data, not only in a header,
        # would otherwise change answers silently.
        for name, expected in checksums.items() if self.verify else ():
            try:
                actual_sum = file_checksum(self.dir / name)
            except OSError as exc:
                raise self.damaged(f"{name} cannot be read: {exc.strerror or exc}") from None
            if actual_sum != expected:
                raise self.damaged(f"{name} does not match its checksum")
        return manifest

    def damaged(self, why: str) -> IndexInvalid:
        return IndexInvalid(f"knowledge base at {self.root} is damaged ({why})")

    def array(self, spec: Array) -> np.ndarray | FileArray:
        """The array read as the schema says: mapped, whole in memory, or (scattered) see _scattered."""
        if spec.read is Read.SCATTERED:
            return self._scattered(spec)
        return self._load(spec, mmap=spec.read is Read.MAPPED)

    def _load(self, spec: Array, mmap: bool) -> np.ndarray:
        path = self.dir / spec.file
        try:
            values = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except Exception as exc:  # a damaged header raises whatever numpy's header parser meets
            raise self.damaged(f"{path.name} cannot be read: {exc}") from None
        # A plain ndarray over the same mapping: np.memmap's Python-level __getitem__ costs more
        # than the indexing itself on the query path, which slices these arrays thousands of times.
        return values.view(np.ndarray) if mmap else values

    def _scattered(self, spec: Array) -> np.ndarray | FileArray:
        """An array that queries read in scattered small pieces: read with pread when it is large
        (see FileArray), mapped when it is small enough to be resident whole at no cost."""
        path = self.dir / spec.file
        try:
            if path.stat().st_size < MAP_WHOLE_BELOW:
                return self._load(spec, mmap=True)
            return FileArray(path)
        except (OSError, ValueError) as exc:
            raise self.damaged(f"{path.name} cannot be read: {exc}") from None

    def strings(self, spec: Ragged) -> StringTable:
        return StringTable(self.array(spec.values), self.array(spec.offsets))

    def ragged(self, spec: Ragged) -> RaggedTable:
        return RaggedTable(self.array(spec.values), self.array(spec.offsets))

    def json(self, table: Table) -> Any:
        path = self.dir / table.file
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise self.damaged(f"{path.name} cannot be read: {exc}") from None


def _fsync_dir_files(directory: Path) -> None:
    # All at once from threads: the journal commits them together. A one-article base's 22 files took
    # 0.07 s one after another and 0.01 s so (ext4, this machine).
    files = list(directory.iterdir())
    with ThreadPoolExecutor(max(1, min(16, len(files)))) as pool:
        list(pool.map(_fsync_file, files))
    _fsync_dir(directory)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
