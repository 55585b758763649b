"""Cutting text into sentences: at final punctuation outside quotes, and over-long ones at softer breaks."""

from __future__ import annotations

import re

SENTENCE_END = "。！？!?；;"
_CLOSERS = "”’」』）)】》\"'"
_OPENERS = {"“": "”", "「": "」", "『": "』", "‘": "’", "《": "》", "（": "）", "(": ")", "【": "】"}
_SOFT_BREAKS = "，,、：:—"
_NO_CUT = re.compile(r"[0-9A-Za-z.%٫,\-+/:]")


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


def sentence_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentences of a passage: line breaks end sentences too; blank pieces are dropped."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        for start, end in split_sentences(line, max_chars):
            while start < end and line[start].isspace():
                start += 1
            if start < end:
                spans.append((offset + start, offset + end))
        offset += len(line) + 1
    return spans
