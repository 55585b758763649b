"""Browsing the knowledge base without a question: the article list, a passage in context."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from bot.index.knowledge_base import ArticleRecord, KnowledgeBase, PassageView
from bot.retrieval.answer import Result

ARTICLES_PER_PAGE = 10
# Results fetched per 更多结果 step, to look past repeated snippets for the next one to offer.
LOOKAHEAD = 5


@dataclass(frozen=True)
class ArticlePage:
    """One page of the article list; `number` counts from 0."""

    number: int
    pages: int
    total: int
    articles: tuple[ArticleRecord, ...]
    first: int  # position of articles[0] in the whole list, from 0


def article_page(kb: KnowledgeBase, number: int, per_page: int = ARTICLES_PER_PAGE) -> ArticlePage:
    """Page `number` of the articles sorted by date (newest first), then title; out-of-range numbers are clamped."""
    ordered = sorted(kb.articles, key=lambda a: a.title)
    ordered.sort(key=lambda a: a.date or "", reverse=True)
    pages = max(1, math.ceil(len(ordered) / per_page))
    number = min(max(number, 0), pages - 1)
    first = number * per_page
    return ArticlePage(number, pages, len(ordered), tuple(ordered[first:first + per_page]), first)


@dataclass(frozen=True)
class PassageContext:
    """A passage with its neighbours from the same article; `focus` indexes the one asked for."""

    article: ArticleRecord
    passages: tuple[PassageView, ...]
    focus: int


def passage_context(kb: KnowledgeBase, passage_id: str, before: int = 1, after: int = 1) -> PassageContext | None:
    """The passage with this stable id and its neighbours, or None if the current build lacks it."""
    index = kb.find_passage(passage_id)
    if index is None:
        return None
    around = kb.neighbours(index, before, after)
    focus = next(i for i, p in enumerate(around) if p.index == index)
    return PassageContext(around[focus].article, tuple(around), focus)


def relevant(results: Sequence[Result], threshold: float) -> tuple[Result, ...]:
    """The results worth offering: those whose confidence clears the answer threshold (the relevance floor)."""
    return tuple(r for r in results if r.score >= threshold)


def next_offset(results: Sequence[Result], offset: int, threshold: float) -> int | None:
    """Where 更多结果 continues after showing results[0] (the result at `offset`), or None.

    Only results whose confidence clears the answer threshold are offered, and one whose snippet
    repeats the one just shown is skipped (passages of one article can share a snippet).
    """
    if not results:
        return None
    shown = results[0]
    for position, result in enumerate(results[1:], 1):
        if result.score < threshold:
            return None
        if result.snippet != shown.snippet:
            return offset + position
    return None
