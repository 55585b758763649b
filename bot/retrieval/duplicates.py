"""Republished text: news and government portals carry one article under several sources, and a
list of results that shows the same paragraph five times answers nothing the first did not."""

from __future__ import annotations

import functools

from rapidfuzz import fuzz

from bot.index.knowledge_base import KnowledgeBase
from bot.text.normalize import normalize

# rapidfuzz's normalised Indel similarity (0-100) at or above which two passages are the same text.
# A threshold set between the two kinds of pair, not tuned: a republished paragraph with a changed
# date line or a few edited characters scores well over 90, two different paragraphs about one
# subject far below (tests/test_retrieval.py's republished-paragraph test holds both kinds).
NEAR_DUPLICATE = 90


@functools.lru_cache(maxsize=1 << 13)
def _normalized(text: str) -> str:
    # Normalised, so a traditional-script repost matches its simplified original; cached, as the
    # same passages come up question after question.
    return normalize(text)


class DistinctPassages:
    """Admits a passage unless it is the same one, or nearly the same text, as one admitted before."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._seen: set[int] = set()
        self._texts: list[str] = []

    def admit(self, passage: int) -> bool:
        if passage in self._seen:
            return False
        self._seen.add(passage)
        text = _normalized(self.kb.passage_texts[passage])
        if any(fuzz.ratio(text, other, score_cutoff=NEAR_DUPLICATE) for other in self._texts):
            return False
        self._texts.append(text)
        return True
