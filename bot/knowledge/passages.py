"""Cutting an article body into passages of whole sentences.

Passages are exact slices of ``Article.body``, so every character of the body lands in exactly
one passage or heading, and a passage can always be shown with its neighbours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.config import PassageSettings
from bot.knowledge.article import Article
from bot.text.sentences import split_sentences


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences from one article, with the heading it sits under."""

    passage_id: str
    article_key: str
    position: int
    heading: str | None
    text: str
    start: int
    end: int


def split_article(article: Article, settings: PassageSettings) -> list[Passage]:
    """Cut an article into passages near the target length and never over the maximum."""
    spans: list[tuple[int, int, str | None]] = []
    body = article.body
    heading: str | None = None
    current: tuple[int, int] | None = None
    offset = 0
    for block in article.blocks:
        block_start = offset
        offset += len(block.text) + 1
        if block.is_heading:
            if current:
                spans.append((*current, heading))
                current = None
            heading = block.text
            continue
        for index, (start, end) in enumerate(split_sentences(block.text, settings.max_chars)):
            start, end = start + block_start, end + block_start
            if current is None:
                current = (start, end)
                continue
            length = current[1] - current[0]
            starts_block = index == 0
            too_long = end - current[0] > settings.max_chars
            full = length >= settings.target_chars or (starts_block and length >= settings.target_chars * 0.6)
            if too_long or full:
                spans.append((*current, heading))
                current = (start, end)
            else:
                current = (current[0], end)
    if current:
        spans.append((*current, heading))
    return _with_ids(article, body, spans)


def _with_ids(article: Article, body: str, spans: list[tuple[int, int, str | None]]) -> list[Passage]:
    texts = [body[start:end] for start, end, _ in spans]
    return [Passage(passage_id, article.key, position, heading, text, start, end)
            for position, (passage_id, text, (start, end, heading))
            in enumerate(zip(passage_ids(article.key, texts), texts, spans))]


def passage_ids(article_key: str, texts: list[str]) -> list[str]:
    """Stable 16-hex-digit ids from the article's key and each passage's text (and which repeat of it).

    Ids depend on the article and the text, not the position, so they survive edits elsewhere.
    """
    ids = []
    seen: dict[str, int] = {}
    for text in texts:
        repeat = seen.get(text, 0)
        seen[text] = repeat + 1
        material = f"{article_key}\x00{text}\x00{repeat}".encode("utf-8")
        ids.append(hashlib.blake2b(material, digest_size=8).hexdigest())
    return ids
