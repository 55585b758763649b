"""Literal overlap between two short texts, for titles against questions."""

from __future__ import annotations

import re

from bot.text.terms import QUESTION_CHARS, QUESTION_WORDS, is_term_char

_QUESTION_WORD = re.compile(
    "|".join(map(re.escape, sorted((w for w in QUESTION_WORDS if len(w) >= 2), key=len, reverse=True)))
    + "|[" + "".join(sorted(QUESTION_CHARS)) + "]"
)


def content_segments(text: str) -> list[str]:
    """Runs of term characters, question words cut out."""
    text = _QUESTION_WORD.sub(" ", text)
    return "".join(c if is_term_char(c) else " " for c in text).split()


def substring_cover(segments: list[str], text: str, min_len: int = 2) -> float:
    """Share of the segments' characters covered, greedily left to right, by substrings of text of min_len or more."""
    total = covered = 0
    for segment in segments:
        total += len(segment)
        k = 0
        while k < len(segment):
            m = 0
            while k + m < len(segment) and segment[k : k + m + 1] in text:
                m += 1
            if m >= min_len:
                covered += m
                k += m
            else:
                k += 1
    return covered / total if total else 0.0
