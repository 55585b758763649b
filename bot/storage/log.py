"""The question log: what was asked, whether it was answered, and what people thought of the answers."""

from __future__ import annotations

import hashlib
import contextlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bot.errors import QabotError
from bot.install_key import key_path_for, load_or_create_key, subkey
from bot.storage.schema import migrate
from bot.storage.writer import BUSY_SECONDS, BackgroundWriter

SECONDS_PER_DAY = 86400.0


class StorageError(QabotError):
    """The SQLite log can't be opened or written."""


@dataclass(frozen=True)
class Stats:
    """Counts over a period; `top` is empty when question text is not logged."""

    days: float
    asked: int
    answered: int
    not_answered: int
    helpful: int
    unhelpful: int
    top: tuple[tuple[str, int], ...]
    questions_logged: bool


@dataclass(frozen=True)
class VoteChange:
    """What a press of 👍 or 👎 did, and the votes that result now has."""

    outcome: str  # "added", "changed" or "withdrawn"
    helpful: int
    unhelpful: int


@dataclass(frozen=True)
class LoggedQuestion:
    """A question without a good answer; `question` is None when its text was not logged."""

    id: int
    asked_at: float
    question: str | None
    answered: bool
    unhelpful_votes: int


class QuestionLog:
    """A SQLite file (WAL) shared by every handler thread; each call is one short transaction."""

    def __init__(self, path: str | Path, log_questions: bool = True, key: bytes | None = None) -> None:
        """`key` is the install's key (bot/install_key.py); by default the one in the key file beside `path`."""
        self.path = Path(path)
        self.log_questions = log_questions
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode; writes take the lock, so one connection serves all threads.
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            self._voter_key = subkey(key if key is not None else load_or_create_key(key_path_for(self.path)), "voters")
            self._writer = BackgroundWriter(self.path)
        except (OSError, sqlite3.Error, ValueError, QabotError) as exc:
            raise StorageError(f"cannot open the question log {self.path}: {exc}") from None
        self._conn = conn

    @classmethod
    def open(cls, config) -> "QuestionLog":
        """The log configured in `storage`, next to the knowledge base."""
        return cls(config.storage_path, config.storage.log_questions)

    def close(self) -> None:
        self._writer.close()
        with self._lock:
            self._conn.close()

    @property
    def lost_writes(self) -> int:
        """Questions that could not be logged since the log was opened (locked, read-only or full database)."""
        return self._writer.lost

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """For reads, and the writes whose result is needed (votes): sees every question queued before it,
        waits at most BUSY_SECONDS for a lock, and fails as a StorageError."""
        self._writer.flush(BUSY_SECONDS)
        try:
            with self._lock:
                yield self._conn
        except sqlite3.Error as exc:
            raise StorageError(f"cannot use the question log {self.path}: {exc}") from None

    def record_question(self, question: str, chat_type: str, answered: bool, score: float | None = None,
                        passage_id: str | None = None, asked_at: float | None = None) -> int:
        """Queue one question and its outcome for the log, and return its id (for buttons) at once.

        The id is random rather than the next row number, so that it is known before the row is written:
        a reply never waits for SQLite (see bot/storage/writer.py).
        """
        text = question.strip() if self.log_questions else None
        question_id = secrets.randbits(52) or 1
        self._writer.submit(
            "INSERT INTO questions (id, asked_at, chat_type, question, answered, score, passage_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (question_id, time.time() if asked_at is None else asked_at, chat_type, text, int(answered),
             None if score is None else float(score), passage_id),
        )
        return question_id

    def record_feedback(self, question_id: int, passage_id: str, voter_id: int, helpful: bool) -> bool:
        """Store (or change) one person's vote on one result; False if the question is unknown."""
        voter = self.voter_hash(voter_id)
        with self._connection() as conn:
            if conn.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None:
                return False
            conn.execute(
                "INSERT INTO feedback (question_id, passage_id, voter, helpful, voted_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (question_id, passage_id, voter) DO UPDATE SET helpful = excluded.helpful, "
                "voted_at = excluded.voted_at",
                (question_id, passage_id, voter, int(helpful), time.time()),
            )
            return True

    def voter_hash(self, voter_id: int) -> str:
        """The voter as stored: keyed with a key that is not in the database, so ids can't be tried against it."""
        return hmac.new(self._voter_key, str(voter_id).encode(), hashlib.sha256).hexdigest()[:32]

    def toggle_feedback(self, question_id: int, passage_id: str, voter_id: int, helpful: bool) -> VoteChange | None:
        """A press of 👍 / 👎: a first press votes, the other button changes the vote, the same button again
        withdraws it. None if the question is unknown."""
        voter = self.voter_hash(voter_id)
        key = (question_id, passage_id, voter)
        with self._connection() as conn:
            if conn.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None:
                return None
            row = conn.execute(
                "SELECT helpful FROM feedback WHERE question_id = ? AND passage_id = ? AND voter = ?", key).fetchone()
            if row is not None and bool(row[0]) == helpful:
                conn.execute("DELETE FROM feedback WHERE question_id = ? AND passage_id = ? AND voter = ?", key)
                outcome = "withdrawn"
            else:
                conn.execute(
                    "INSERT INTO feedback (question_id, passage_id, voter, helpful, voted_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (question_id, passage_id, voter) DO UPDATE SET helpful = excluded.helpful, "
                    "voted_at = excluded.voted_at",
                    (*key, int(helpful), time.time()),
                )
                outcome = "added" if row is None else "changed"
            good, bad = conn.execute(
                "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback "
                "WHERE question_id = ? AND passage_id = ?", (question_id, passage_id)).fetchone()
        return VoteChange(outcome, good, bad)

    def helpful_questions(self, limit: int = 20) -> list[str]:
        """Question texts whose answers got a 👍, the most liked first (none when question text is not logged)."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT q.question FROM questions q JOIN feedback f ON f.question_id = q.id "
                "WHERE f.helpful = 1 AND q.question IS NOT NULL "
                "GROUP BY q.question ORDER BY COUNT(*) DESC, MAX(f.voted_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [question for (question,) in rows]

    def stats(self, days: float = 7, top: int = 5, now: float | None = None) -> Stats:
        """Asked, answered and not answered in the last `days` days, feedback, and the most asked questions."""
        since = (time.time() if now is None else now) - days * SECONDS_PER_DAY
        with self._connection() as conn:
            asked, answered = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions WHERE asked_at >= ?", (since,)
            ).fetchone()
            helpful, unhelpful = conn.execute(
                "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback WHERE voted_at >= ?",
                (since,),
            ).fetchone()
            rows = conn.execute(
                "SELECT question, COUNT(*) AS n FROM questions WHERE asked_at >= ? AND question IS NOT NULL "
                "GROUP BY question ORDER BY n DESC, MAX(asked_at) DESC LIMIT ?",
                (since, top),
            ).fetchall()
        return Stats(days, asked, answered, asked - answered, helpful, unhelpful,
                     tuple((q, n) for q, n in rows), self.log_questions)

    def daily(self, days: float = 7, now: float | None = None) -> list[tuple[str, int, int]]:
        """(local date YYYY-MM-DD, asked, answered) for each day of the last `days` days that had questions."""
        since = (time.time() if now is None else now) - days * SECONDS_PER_DAY
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT date(asked_at, 'unixepoch', 'localtime') AS day, COUNT(*), COALESCE(SUM(answered), 0) "
                "FROM questions WHERE asked_at >= ? GROUP BY day ORDER BY day", (since,)
            ).fetchall()
        return [(day, asked, answered) for day, asked, answered in rows]

    def answering_passages(self, days: float = 7, now: float | None = None) -> list[tuple[str, int]]:
        """(passage id, answers) for the passages that answered questions in the last `days` days, most first."""
        since = (time.time() if now is None else now) - days * SECONDS_PER_DAY
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT passage_id, COUNT(*) AS n FROM questions "
                "WHERE asked_at >= ? AND answered = 1 AND passage_id IS NOT NULL "
                "GROUP BY passage_id ORDER BY n DESC, passage_id", (since,)
            ).fetchall()
        return [(passage_id, n) for passage_id, n in rows]

    def recent_unanswered(self, limit: int = 10) -> list[LoggedQuestion]:
        """The latest questions that were not answered or whose answer got a 👎, newest first."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT q.id, q.asked_at, q.question, q.answered, "
                "       (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.helpful = 0) AS bad "
                "FROM questions q "
                "WHERE q.taught_at IS NULL AND (q.answered = 0 "
                "       OR EXISTS (SELECT 1 FROM feedback f WHERE f.question_id = q.id AND f.helpful = 0)) "
                "ORDER BY q.asked_at DESC, q.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [LoggedQuestion(i, at, q, bool(a), bad) for i, at, q, a, bad in rows]

    def question(self, question_id: int) -> LoggedQuestion | None:
        """One logged question by id (its text is None when question text is not logged)."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT q.id, q.asked_at, q.question, q.answered, "
                "       (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.helpful = 0) "
                "FROM questions q WHERE q.id = ?", (question_id,)).fetchone()
        return LoggedQuestion(row[0], row[1], row[2], bool(row[3]), row[4]) if row else None

    def mark_taught(self, question_id: int) -> int:
        """The question, and every logged question with the same text, leaves /unanswered; returns how many."""
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE questions SET taught_at = ? WHERE taught_at IS NULL AND (id = ? OR question = "
                "(SELECT question FROM questions WHERE id = ? AND question IS NOT NULL))",
                (time.time(), question_id, question_id))
            return cursor.rowcount
