"""A reader's questions about the bundled press release, asked of a base holding only that article.

The questions (tests/data/bundled_article_questions.yaml) were written by hand as a reader of the
article would ask them: figures, names, places, dates, paraphrases, typos, traditional characters,
and questions it does not answer. This is the user the confidence is for: one article, news style.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge.builder import build_knowledge_base
from bot.service import QAService
from tests.conftest import make_config

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = yaml.safe_load((Path(__file__).parent / "data" / "bundled_article_questions.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(REPO / "knowledge" / "articles", root / "articles")
    build_knowledge_base(make_config(root), workers=1)
    return QAService.open(make_config(root))


def test_a_reader_gets_answers_to_what_the_article_says(bundled: QAService) -> None:
    wrong = []
    for item in QUESTIONS["answerable"]:
        answer = bundled.ask(item["question"])
        if not (answer.answered and item["expect"] in answer.best.snippet):
            wrong.append((item["question"], answer.answered, answer.best.snippet[:60] if answer.best else None))
    assert len(QUESTIONS["answerable"]) >= 50
    assert len(wrong) <= 0.05 * len(QUESTIONS["answerable"]), wrong


def test_questions_the_article_does_not_answer_are_refused(bundled: QAService) -> None:
    answered = [q for q in QUESTIONS["unanswerable"] if bundled.ask(q).answered]
    assert len(QUESTIONS["unanswerable"]) >= 20
    assert len(answered) <= 0.1 * len(QUESTIONS["unanswerable"]), answered


@pytest.mark.parametrize("question, expect", [
    ("近三年引进了多少急需紧缺人才？", "9778"),  # the README's example
    ("近三年引進了多少急需緊缺人才？", "9778"),  # traditional characters
    ("近3年引进急需紧缺人材多少人？", "9778"),  # a typo (人材)
])
def test_the_examples_a_newcomer_tries_first(bundled: QAService, question: str, expect: str) -> None:
    answer = bundled.ask(question)
    assert answer.answered and expect in answer.best.snippet
