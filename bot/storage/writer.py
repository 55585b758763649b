"""Writes to the question log on a thread of their own, through a bounded queue: a reply never waits for SQLite.

A database locked by another process (or read-only, or on a full disk) used to hold every reply
for the 10 s busy timeout, one after another. Now a write that fails is counted as lost and the
answer goes out regardless; the log says so once when the trouble starts and once when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000      # writes waiting; past that they are dropped (and counted), never waited for
BATCH = 200            # writes committed together when they have queued up
BUSY_SECONDS = 2.0     # how long one write waits for another process's lock before it counts as lost
_STOP = object()


class BackgroundWriter:
    """One connection and one thread that run the statements handed to `submit`, in order."""

    def __init__(self, path: Path) -> None:
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
        self._conn.execute("PRAGMA synchronous = NORMAL")  # per connection; FULL syncs every commit
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

    def close(self, timeout: float = 5.0) -> None:
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
            batch = [self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            jobs = [job for job in batch if isinstance(job, tuple)]
            if jobs:
                self._write(jobs)
            for job in batch:
                if isinstance(job, threading.Event):
                    job.set()
            if any(job is _STOP for job in batch):
                return

    def _write(self, jobs: list[tuple[str, tuple[Any, ...]]]) -> None:
        """One transaction for what has queued up: under load, one commit for many rows."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for _ in jobs:
                self._failed(str(exc))
            return
        failed = 0
        for sql, params in jobs:
            try:
                self._conn.execute(sql, params)
            except sqlite3.Error as exc:  # this row (a vote for an unknown question, say); the others go on
                failed += 1
                self._failed(str(exc))
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            for _ in range(len(jobs) - failed):
                self._failed(str(exc))
            return
        if failed < len(jobs):
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
