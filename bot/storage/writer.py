"""Writes to the question log on a thread of their own, through a bounded queue: a reply never waits for SQLite.

A database locked by another process (or read-only, or on a full disk) used to hold every reply
for the 10 s busy timeout, one after another. Now a write that fails is counted as lost and the
answer goes out regardless; the log says so once when the trouble starts and once when it ends.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000      # writes waiting; past that they are dropped (and counted), never waited for
BUSY_SECONDS = 2.0     # how long one write waits for another process's lock before it counts as lost
_STOP = object()


class BackgroundWriter:
    """One connection and one thread that run the statements handed to `submit`, in order."""

    def __init__(self, path: Path) -> None:
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self.lost = 0          # writes lost since the log was opened
        self._episode_lost = 0  # in the current run of failures; 0 when writes go through
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="qabot-storage-writer", daemon=True)
        self._thread.start()

    def submit(self, sql: str, params: tuple[Any, ...]) -> bool:
        """Queue one statement; False (and counted as lost) if the queue is full."""
        try:
            self._queue.put_nowait((sql, params))
            return True
        except queue.Full:
            self._failed("the write queue is full")
            return False

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every write queued so far has been tried (for reads that should see them)."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Finish what is queued (for at most `timeout` seconds), then stop."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._conn.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            sql, params = job
            try:
                self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                self._failed(str(exc))
            else:
                self._succeeded()

    def _failed(self, why: str) -> None:
        with self._lock:
            self.lost += 1
            self._episode_lost += 1
            first = self._episode_lost == 1
        if first:  # once per episode: a locked database would otherwise log every question
            log.warning("question log: writes are failing (%s); answers still go out, the rows are lost", why)

    def _succeeded(self) -> None:
        with self._lock:
            lost, self._episode_lost = self._episode_lost, 0
        if lost:
            log.warning("question log: writes work again; %d were lost", lost)
