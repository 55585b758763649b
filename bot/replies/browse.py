"""Browsing the knowledge base without a question: the article list, a passage in context."""

from __future__ import annotations

import math
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from bot.index.knowledge_base import ArticleRecord, KnowledgeBase, PassageView

ARTICLES_PER_PAGE = 10
# Each base's article order for /sources, made on the first page asked for, not on every press.
_NEWEST_FIRST: WeakKeyDictionary[KnowledgeBase, tuple[int, ...]] = WeakKeyDictionary()


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
    order = _newest_first(kb)
    pages = max(1, math.ceil(len(order) / per_page))
    number = min(max(number, 0), pages - 1)
    first = number * per_page
    return ArticlePage(number, pages, len(order), tuple(kb.articles[i] for i in order[first:first + per_page]), first)


def _newest_first(kb: KnowledgeBase) -> tuple[int, ...]:
    """The article numbers by date (newest first), then title; two threads may both sort, to the same order."""
    order = _NEWEST_FIRST.get(kb)
    if order is None:
        articles = kb.articles
        numbers = sorted(range(len(articles)), key=lambda i: articles[i].title)
        numbers.sort(key=lambda i: articles[i].date or "", reverse=True)
        order = _NEWEST_FIRST[kb] = tuple(numbers)
    return order


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
