"""Plain BM25 for comparison: characters plus character bigrams, k1=1.2, b=0.75, first 200 characters."""

from __future__ import annotations

import numpy as np

from bot.evaluation.metrics import Shown
from bot.index.bm25 import build_sparse_index, count_terms
from bot.index.knowledge_base import KnowledgeBase
from bot.text.normalize import normalize
from bot.text.terms import char_terms


class PlainBM25:
    """BM25 over the same passages as the knowledge base, with none of the retriever's reranking."""

    def __init__(self, kb: KnowledgeBase, snippet_chars: int = 200) -> None:
        self.kb = kb
        self.snippet_chars = snippet_chars
        docs = [np.array(char_terms(normalize(kb.passage_texts[i])), dtype=np.int64) for i in range(kb.passage_count)]
        self.index = build_sparse_index(*count_terms(docs), k1=1.2, b=0.75)
        self.keys = [kb.articles[int(a)].key for a in kb.passage_article]

    def ask(self, question: str, k: int = 5) -> Shown:
        terms = {term: 1.0 for term in char_terms(normalize(question))}
        scores = self.index.score(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = [int(i) for i in top if scores[i] > 0]
        ranked = tuple((self.keys[i], self.kb.passage_texts[i][: self.snippet_chars]) for i in top)
        return Shown(ranked, bool(ranked))
