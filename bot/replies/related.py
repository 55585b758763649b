"""What to suggest when nothing answers: only results that really share words with the question."""

from __future__ import annotations

from typing import Iterable

from bot.retrieval.answer import Answer, Result
from bot.text.normalize import normalize

# A result below the answer threshold is offered only above this confidence and only when its snippet
# shares words with the question. Set between two questions, not tuned on a set: on the test base
# "长城有几个门" gives 0.06 for the Great Wall article, while "比特币现在多少钱" gives at most 0.008
# for anything, with no word in common (tests/test_telegram_talk.py asks both).
RELATED_CONFIDENCE = 0.03
RELATED_LIMIT = 3
RELATED_QUESTIONS = 2
# A character pair with one of these carries grammar or the question itself, not its subject:
# "今年引进了多少" and "招录了多少" share 了多, "长城有几个门" and "长江有什么鱼" share nothing else.
_FUNCTION_CHARS = frozenset("的了有是在和与及也都就还这那个吗呢吧么什多少几哪谁何怎样为请问")


def related_results(answer: Answer, limit: int = RELATED_LIMIT) -> list[Result]:
    """The best result of each article that is related to a question nothing answered, best first."""
    if answer.answered:
        return []
    chosen: list[Result] = []
    articles: set[str] = set()
    for result in answer.results:
        if result.score < RELATED_CONFIDENCE or not result.highlights:
            continue
        if result.passage.article.key in articles:
            continue
        chosen.append(result)
        articles.add(result.passage.article.key)
        if len(chosen) == limit:
            break
    return chosen


def related_article_titles(answer: Answer, limit: int = RELATED_LIMIT) -> tuple[str, ...]:
    """The titles of `related_results`, for plain-text replies."""
    return tuple(r.passage.article.title for r in related_results(answer, limit))


def _subject_pairs(text: str) -> set[str]:
    """Adjacent pairs of Chinese characters that name what a question is about."""
    text = normalize(text)
    return {a + b for a, b in zip(text, text[1:])
            if "\u4e00" <= a <= "\u9fff" and "\u4e00" <= b <= "\u9fff" and not _FUNCTION_CHARS.intersection(a + b)}


def related_questions(question: str, candidates: Iterable[str], limit: int = RELATED_QUESTIONS) -> list[str]:
    """Questions the base is known to answer (the examples) that share a subject word with `question`.

    "长城有几个门" shares 长城 with "历代长城总长度是多少？"; "比特币现在多少钱" shares nothing with any.
    """
    wanted = _subject_pairs(question)
    if not wanted:
        return []
    return [candidate for candidate in candidates if wanted & _subject_pairs(candidate)][:limit]
