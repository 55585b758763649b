"""Plain BM25 for comparison: characters plus character bigrams, k1=1.2, b=0.75, first 200 characters."""

from __future__ import annotations

import re

import numpy as np

from bot.evaluation.metrics import Shown
from bot.index.arrays import pack_ragged
from bot.index.bm25 import build_sparse_index
from bot.index.knowledge_base import KnowledgeBase
from bot.text.normalize import normalize

_NOT_TEXT = re.compile(r"[\W_]+")


def char_terms(text: str) -> list[int]:
    """Code points of characters and of adjacent pairs; pairs are kept apart from characters by a flag bit."""
    terms: list[int] = []
    for run in _NOT_TEXT.split(normalize(text)):
        codes = [ord(ch) for ch in run]
        terms.extend(codes)
        terms.extend((1 << 42) | (a << 21) | b for a, b in zip(codes, codes[1:]))
    return terms


class PlainBM25:
    """BM25 over the same passages as the knowledge base, with none of the retriever's reranking."""

    def __init__(self, kb: KnowledgeBase, snippet_chars: int = 200) -> None:
        self.kb = kb
        self.snippet_chars = snippet_chars
        docs = [np.array(char_terms(kb.passage_texts[i]), dtype=np.uint64) for i in range(kb.passage_count)]
        values, offsets = pack_ragged(docs, np.uint64)
        self.index = build_sparse_index(values, offsets, k1=1.2, b=0.75)
        self.keys = [kb.articles[int(a)].key for a in kb.passage_article]

    def ask(self, question: str, k: int = 5) -> Shown:
        terms = {term: 1.0 for term in char_terms(question)}
        scores = self.index.score(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = [int(i) for i in top if scores[i] > 0]
        ranked = tuple((self.keys[i], self.kb.passage_texts[i][: self.snippet_chars]) for i in top)
        return Shown(ranked, bool(ranked))
