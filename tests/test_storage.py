"""The SQLite question log: schema versions, what is stored, statistics, and use from many threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.storage import QuestionLog, StorageError
from bot.storage.schema import SCHEMA_VERSION
from tests.conftest import make_config

DAY = 86400.0
NOW = 1_700_000_000.0


def test_new_database_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.sqlite"
    QuestionLog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"questions", "feedback", "meta"} <= tables


def test_reopening_keeps_rows_and_the_voter_key_which_is_not_in_the_database(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = QuestionLog(path)
    qid = log.record_question("长城有多长", "private", True, 0.8, "0123456789abcdef")
    assert log.record_feedback(qid, "0123456789abcdef", 7, True)
    voter = log.voter_hash(7)
    log.close()
    key = (tmp_path / "log.key").read_bytes()
    assert len(key) == 32 and (tmp_path / "log.key").stat().st_mode & 0o077 == 0
    log = QuestionLog(path)
    assert log.voter_hash(7) == voter
    assert log.record_feedback(qid, "0123456789abcdef", 7, False)  # changed, not counted twice
    assert (log.stats(days=1).helpful, log.stats(days=1).unhelpful) == (0, 1)
    log.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT voter FROM feedback").fetchall() == [(voter,)]
    assert conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'voter_salt'").fetchone() == (0,)
    # What the file alone allows: hashing candidate ids without the key finds nothing.
    import hashlib
    assert all(hashlib.sha256(str(i).encode()).hexdigest()[:32] != voter for i in range(100))
    assert QuestionLog(tmp_path / "other.sqlite").voter_hash(7) != voter  # another install, another key


def test_a_database_from_a_newer_qabot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        QuestionLog(path)


def test_an_unusable_path_is_a_one_line_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot open the question log"):
        QuestionLog(blocker / "log.sqlite")


def test_log_questions_off_stores_no_question_text(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = QuestionLog(path, log_questions=False)
    qid = log.record_question("我的私人问题", "private", False)
    log.record_question("另一个问题", "group", True, 0.9, "0123456789abcdef")
    stats = log.stats(days=1)
    assert (stats.asked, stats.answered, stats.not_answered) == (2, 1, 1)
    assert stats.top == () and not stats.questions_logged
    assert [(r.id, r.question) for r in log.recent_unanswered()] == [(qid, None)]
    log.close()
    raw = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                               if path.with_name(path.name + "-wal").exists() else b"")
    assert "私人问题".encode() not in raw and "另一个问题".encode() not in raw


def test_config_decides_the_path_and_logging(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("storage:\n  path: data/q.sqlite\n  log_questions: false\n")
    log = QuestionLog.open(make_config(tmp_path))
    assert log.path == tmp_path / "data" / "q.sqlite" and not log.log_questions
    log.close()


def test_stats_count_a_period_and_rank_the_most_asked(question_log: QuestionLog) -> None:
    log = question_log
    for _ in range(3):
        log.record_question("长城有多长", "private", True, 0.9, "a" * 16, asked_at=NOW - DAY)
    log.record_question("龙井茶产自哪里", "group", True, 0.7, "b" * 16, asked_at=NOW - 2 * DAY)
    log.record_question("火星上有水吗", "private", False, asked_at=NOW - 3 * DAY)
    log.record_question("很久以前的问题", "private", False, asked_at=NOW - 30 * DAY)
    week = log.stats(days=7, now=NOW)
    assert (week.asked, week.answered, week.not_answered) == (5, 4, 1)
    assert week.top[0] == ("长城有多长", 3)
    assert {q for q, _ in week.top} == {"长城有多长", "龙井茶产自哪里", "火星上有水吗"}
    assert log.stats(days=1.5, now=NOW).asked == 3
    assert log.stats(days=365, now=NOW).asked == 6


def test_feedback_is_one_vote_per_person_per_result(question_log: QuestionLog) -> None:
    log = question_log
    qid = log.record_question("大熊猫吃什么", "private", True, 0.9, "a" * 16)
    assert log.record_feedback(qid, "a" * 16, 1, True)
    assert log.record_feedback(qid, "a" * 16, 1, False)  # changed their mind
    assert log.record_feedback(qid, "a" * 16, 2, True)
    assert log.record_feedback(qid, "b" * 16, 1, True)  # another result of the same question
    stats = log.stats(days=1)
    assert (stats.helpful, stats.unhelpful) == (2, 1)
    assert not log.record_feedback(qid + 100, "a" * 16, 1, True)


def test_unhelpful_answers_count_as_unanswered(question_log: QuestionLog) -> None:
    log = question_log
    good = log.record_question("好问题", "private", True, 0.9, "a" * 16, asked_at=NOW - 3)
    bad = log.record_question("答错的问题", "private", True, 0.5, "b" * 16, asked_at=NOW - 2)
    missing = log.record_question("没答的问题", "private", False, asked_at=NOW - 1)
    log.record_feedback(good, "a" * 16, 1, True)
    log.record_feedback(bad, "b" * 16, 1, False)
    rows = log.recent_unanswered()
    assert [r.id for r in rows] == [missing, bad]
    assert rows[1].answered and rows[1].unhelpful_votes == 1
    assert len(log.recent_unanswered(limit=1)) == 1


def test_many_threads_write_at_once(question_log: QuestionLog) -> None:
    log = question_log
    ids: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        for i in range(25):
            qid = log.record_question(f"问题{n}-{i}", "private", i % 2 == 0)
            log.record_feedback(qid, "c" * 16, n, True)
            with lock:
                ids.append(qid)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 200
    stats = log.stats(days=1)
    assert (stats.asked, stats.answered, stats.helpful) == (200, 104, 200)
