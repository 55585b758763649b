"""Reading the index's flat numpy arrays: strings and ragged rows by their offsets, and large arrays with pread."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np

from bot.text.key_sets import sorted_unique


class StringTable:
    """Read-only access to strings stored as UTF-8 bytes and offsets (a Ragged of bot.index.schema)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets

    @property
    def blob(self) -> np.ndarray:
        return self._blob

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        start, end = int(self._offsets[index]), int(self._offsets[index + 1])
        return bytes(self._blob[start:end]).decode("utf-8")


class FileArray:
    """A read-only 1-D .npy array read with pread: only the rows asked for enter the process.

    Memory-mapped, each scattered read of a large array maps a whole neighbourhood of pages
    (the kernel's fault-around), and mapped pages count in the process's RSS: at a million
    passages, 500 questions mapped 2.3 of the 2.4 GB of postings. Read with pread, the file
    stays in the page cache, shared and reclaimable, and the process holds only what a query uses.
    Thread-safe: pread has no file position.
    """

    TAKE_GAP = 512  # rows: reading a gap this long is cheaper than another system call

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
            else:
                shape, _fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
            self._data_offset = handle.tell()
        if len(shape) != 1 or dtype.hasobject:
            raise ValueError(f"expected a 1-D array of plain values, found shape {shape} of {dtype}")
        self.dtype = dtype
        self._length = int(shape[0])
        if os.path.getsize(path) < self._data_offset + self._length * dtype.itemsize:
            raise ValueError("the file is shorter than its header says")
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int | slice) -> np.ndarray:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                raise IndexError("FileArray slices take no step")
            return self.read(start, stop)
        position = int(index) + (self._length if int(index) < 0 else 0)
        if not 0 <= position < self._length:
            raise IndexError(f"index {index} out of range for {self._length} rows")
        return self.read(position, position + 1)[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop (clipped to the array) in a new in-memory array."""
        start, stop = max(0, start), min(self._length, stop)
        out = np.empty(max(0, stop - start), dtype=self.dtype)
        view, offset = memoryview(out).cast("B"), self._data_offset + start * self.dtype.itemsize
        while len(view):  # one read returns at most ~2 GB on Linux
            got = os.preadv(self._fd, [view], offset)
            if got <= 0:
                raise OSError(f"{self._length} rows expected, the file ended early")
            view, offset = view[got:], offset + got
        return out

    def take(self, positions: np.ndarray) -> np.ndarray:
        """values[positions], reading each run of nearby positions with one pread."""
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return np.empty(0, dtype=self.dtype)
        wanted = sorted_unique(positions)
        breaks = np.flatnonzero(np.diff(wanted) > self.TAKE_GAP) + 1
        run_starts = wanted[np.concatenate([[0], breaks])]
        run_stops = wanted[np.concatenate([breaks - 1, [len(wanted) - 1]])] + 1
        buffer = np.concatenate([self.read(int(a), int(b)) for a, b in zip(run_starts, run_stops)])
        run = np.searchsorted(run_starts, positions, side="right") - 1
        run_offsets = np.cumsum(run_stops - run_starts) - (run_stops - run_starts)
        return buffer[run_offsets[run] + positions - run_starts[run]]


class RaggedTable:
    """Read-only access to rows stored as values and offsets (a Ragged of bot.index.schema)."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        self.values = values
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> np.ndarray:
        return self.values[int(self.offsets[index]) : int(self.offsets[index + 1])]


def gather_rows(offsets: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate values[offsets[r]:offsets[r + 1]] for every r in rows, and the row number of each element."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = offsets[rows].astype(np.int64)
    lengths = offsets[rows + 1].astype(np.int64) - starts
    total = int(lengths.sum())
    if total == 0:
        return values[:0], np.zeros(0, dtype=np.int64)
    row_of = np.repeat(np.arange(len(rows)), lengths)
    firsts = np.cumsum(lengths) - lengths
    index = np.arange(total) - np.repeat(firsts - starts, lengths)
    return (values.take(index) if isinstance(values, FileArray) else values[index]), row_of
