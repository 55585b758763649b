"""A locked question log never holds a reply: writes wait on their own thread, and losses are counted and logged once."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest

from bot.storage import QuestionLog
from tests.conftest import PANDA_FACT, USER_ID, make_config, wait_until
from tests.test_telegram_bot import ask_private


@pytest.fixture
def locked_log(tmp_path: Path):
    """The question log the bot writes to, and another connection that can lock it (BEGIN EXCLUSIVE)."""
    log = QuestionLog(tmp_path / "questions.sqlite")
    other = sqlite3.connect(tmp_path / "questions.sqlite", isolation_level=None)
    yield log, other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()
    log.close()


def test_replies_go_out_while_another_process_holds_the_database(start_bot, api, built_knowledge, shared_service,
                                                                  locked_log, caplog) -> None:
    log, other = locked_log
    caplog.set_level(logging.WARNING, logger="bot.storage.writer")
    start_bot(make_config(built_knowledge, api.base_url), service=shared_service, question_log=log)
    other.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    for n in range(5):
        assert PANDA_FACT in ask_private(api, USER_ID + n, "成年大熊猫每天吃多少公斤竹子")["text"]
    took = time.monotonic() - started
    assert took < 3.0, took  # it was 10 s a reply, one after another
    wait_until(lambda: log.lost_writes == 5, 20, "the writes to fail")
    failing = [r for r in caplog.records if "writes are failing" in r.getMessage()]
    assert len(failing) == 1  # once for the episode, not once a question
    started = time.monotonic()
    assert log.stats(days=1).asked == 0  # WAL: an admin's read still works; the five rows are lost
    assert time.monotonic() - started < 3.0
    other.execute("ROLLBACK")
    ask_private(api, USER_ID, "成年大熊猫每天吃多少公斤竹子")
    wait_until(lambda: any("writes work again; 5 were lost" in r.getMessage() for r in caplog.records), 10,
               "the recovery line")
    assert log.stats(days=1).asked == 1


def test_a_full_queue_drops_writes_instead_of_waiting(locked_log) -> None:
    from bot.storage import writer

    log, other = locked_log
    other.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    for n in range(writer.QUEUE_SIZE + 50):
        log.record_question(f"问题{n}", "private", False)
    assert time.monotonic() - started < 1.0
    wait_until(lambda: log.lost_writes >= 50, 10, "the overflow to be counted")


def test_no_module_above_storage_imports_sqlite3() -> None:
    root = Path(__file__).resolve().parents[1] / "bot"
    users = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if "import sqlite3" in p.read_text(encoding="utf-8") and p.parent.name != "storage"]
    assert users == []
