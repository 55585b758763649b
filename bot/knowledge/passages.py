"""Cutting an article body into passages of whole sentences.

Passages are exact slices of ``Article.body``, so every character of the body lands in exactly
one passage or heading, and a passage can always be shown with its neighbours.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.config import PassageSettings
from bot.knowledge.article import Article

SENTENCE_END = "。！？!?；;"
_CLOSERS = "”’」』）)】》\"'"
_OPENERS = {"“": "”", "「": "」", "『": "』", "‘": "’", "《": "》", "（": "）", "(": ")", "【": "】"}
_SOFT_BREAKS = "，,、：:—"
_NO_CUT = re.compile(r"[0-9A-Za-z.%٫,\-+/:]")


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


def split_sentences(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans covering the whole text; a sentence over max_chars is cut at softer breaks."""
    spans = []
    start = 0
    expected_closers: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _OPENERS:
            expected_closers.append(_OPENERS[ch])
        elif expected_closers and ch == expected_closers[-1]:
            expected_closers.pop()
        elif ch == '"':
            # ASCII quotes don't say which way they face: treat them as a toggle.
            if expected_closers and expected_closers[-1] == '"':
                expected_closers.pop()
            else:
                expected_closers.append('"')
        # A sentence ends at its final punctuation, or just after a quote that closes on one (“……。”).
        closes_quote = ch in _CLOSERS and i > 0 and text[i - 1] in SENTENCE_END
        if (ch in SENTENCE_END or closes_quote) and not expected_closers:
            end = i + 1
            while end < n and (text[end] in _CLOSERS or text[end] in SENTENCE_END):
                end += 1
            spans.append((start, end))
            start = i = end
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    result = []
    for s, e in spans:
        result.extend(_cut_long(text, s, e, max_chars) if e - s > max_chars else [(s, e)])
    return result


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at commas and similar breaks, and only as a last resort mid-text."""
    pieces = []
    piece_start = start
    last_break = None
    i = start
    while i < end:
        ch = text[i]
        if ch in _SOFT_BREAKS or ch in SENTENCE_END or ch in " \u3000":
            between_digits = ch in ",:" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
            if not between_digits:
                last_break = i + 1
        if i + 1 - piece_start > max_chars:
            # A break just past the limit (the space after a 22-digit number) is no use: cut before it.
            fits = last_break and piece_start < last_break <= piece_start + max_chars
            cut = last_break if fits else _hard_cut(text, piece_start, i + 1)
            pieces.append((piece_start, cut))
            piece_start = cut
            last_break = None
            i = cut
            continue
        i += 1
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces


def _hard_cut(text: str, start: int, limit: int) -> int:
    """The last position before limit that is not inside a number or a Latin word."""
    cut = limit - 1
    while cut > start + 1 and _NO_CUT.match(text[cut - 1]) and _NO_CUT.match(text[cut]):
        cut -= 1
    return cut if cut > start + 1 else limit - 1
