"""Choosing the few sentences to show, and marking the words that matched."""

from __future__ import annotations

from typing import Iterable


def window_around(text: str, sentences: list[tuple[int, int]], best: int, limit: int) -> tuple[int, int]:
    """A span of whole sentences around sentence `best`, as long as fits in `limit` characters.

    Following sentences are preferred over preceding ones: answers tend to continue the matched
    sentence more often than they lead into it.
    """
    start, end = sentences[best]
    if end - start >= limit:
        return start, start + limit
    before, after = best - 1, best + 1
    while True:
        grew = False
        if after < len(sentences) and sentences[after][1] - start <= limit:
            end = sentences[after][1]
            after += 1
            grew = True
        elif before >= 0 and end - sentences[before][0] <= limit:
            start = sentences[before][0]
            before -= 1
            grew = True
        if not grew:
            return start, end


def mark_spans(normalized: str, needles: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Merged [start, end) spans of every occurrence of the needles in normalised text."""
    spans = []
    for needle in needles:
        if not needle:
            continue
        at = normalized.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = normalized.find(needle, at + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
