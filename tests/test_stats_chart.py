"""The /stats chart: its figures from a real question log, and a PNG whose Chinese labels have glyphs."""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings

import pytest

from bot.replies.stats_chart import ChartData, chart_data, cjk_font, render_png
from bot.service import QAService
from bot.storage import QuestionLog
from tests.conftest import NO_ANSWER_QUESTION, PANDA_QUESTION, WOLONG_QUESTION

DAY = 86400.0


def log_asked(log: QuestionLog, service: QAService, question: str, days_ago: float) -> None:
    answer = service.ask(question, k=1)
    best = answer.best
    log.record_question(question, "private", answer.answered, best.score if best else None,
                        best.passage.passage_id if best else None, asked_at=time.time() - days_ago * DAY)


def test_days_answered_refused_and_top_articles(question_log: QuestionLog, shared_service: QAService) -> None:
    for question, days_ago in [(PANDA_QUESTION, 0), (PANDA_QUESTION, 0), (WOLONG_QUESTION, 2),
                               (NO_ANSWER_QUESTION, 2), ("历代长城总长度是多少", 3), (PANDA_QUESTION, 30)]:
        log_asked(question_log, shared_service, question, days_ago)
    question_log.record_question("一个答案已被删除的问题", "private", True, 0.9, "0123456789abcdef")
    data = chart_data(question_log, shared_service.kb, 7)
    today = dt.date.today()
    assert data.labels == tuple((today - dt.timedelta(days=n)).strftime("%m-%d") for n in range(6, -1, -1))
    assert data.answered == (0, 0, 0, 1, 1, 0, 3) and data.refused == (0, 0, 0, 0, 1, 0, 0)
    # Answers counted by article; the passage a rebuild removed names none; day 30 is outside.
    assert data.top_articles == (("大熊猫的食物与生活习性", 3), ("长城的长度与历史", 1))


def test_a_long_period_starts_at_the_first_question_and_goes_weekly(question_log: QuestionLog,
                                                                    shared_service: QAService) -> None:
    log_asked(question_log, shared_service, PANDA_QUESTION, 200)
    log_asked(question_log, shared_service, PANDA_QUESTION, 1)
    data = chart_data(question_log, shared_service.kb, 3650)
    assert len(data.labels) == 29 and data.weekly  # 201 days from the first question, a bar a week
    assert sum(data.answered) == 2 and data.answered[0] == 1
    assert data.labels[0] == (dt.date.today() - dt.timedelta(days=200)).isoformat()
    recent = chart_data(question_log, shared_service.kb, 100)  # only yesterday's question in range: a bar a day
    assert not recent.weekly and recent.labels[-1] == dt.date.today().strftime("%m-%d") and len(recent.labels) == 2
    empty = chart_data(QuestionLog(question_log.path.with_name("empty.sqlite")), shared_service.kb, 3650)
    assert len(empty.labels) == 3650 // 7 + 1 and not any(empty.answered + empty.refused)


def test_the_png_draws_chinese_with_a_cjk_font(caplog: pytest.LogCaptureFixture) -> None:
    data = ChartData(7, ("11-01", "11-02"), (3, 0), (1, 2), (("西湖龙井茶的产地", 3), ("一个很长很长的标题" * 4, 1)))
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for a missing character
        png = render_png(data)
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    font = cjk_font()
    assert font.get_name() == "Noto Sans CJK SC"
    assert all(ord(c) in font_charmap(font.get_file()) for c in "最近天的提问已回答未每数文章次西湖龙井茶产地")
    empty = render_png(ChartData(7, ("11-01",), (0,), (0,), ()))  # nothing asked yet: still a chart
    assert empty.startswith(b"\x89PNG")


def font_charmap(path: str) -> set[int]:
    from matplotlib.ft2font import FT2Font

    return set(FT2Font(path).get_charmap())
