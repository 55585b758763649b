"""From a question to ranked, snippeted results: BM25 candidates, then a sentence-level rerank."""

from __future__ import annotations

import math

import numpy as np

from bot.config import RetrievalSettings
from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.passages import split_sentences
from bot.retrieval.answer import Answer, Result
from bot.retrieval.snippet import mark_spans, window_around
from bot.text.normalize import normalize
from bot.text.tokenize import BIGRAM_FIELD, WORD_FIELD, Analyzer, term_hash

MAX_QUESTION_CHARS = 512


class Retriever:
    """Answers questions from one knowledge base; thread-safe, holds no per-question state."""

    def __init__(self, kb: KnowledgeBase, settings: RetrievalSettings, analyzer: Analyzer) -> None:
        self.kb = kb
        self.settings = settings
        self.analyzer = analyzer

    def ask(self, question: str, k: int | None = None, offset: int = 0) -> Answer:
        """The top k results after `offset`, best first, and whether the best one answers."""
        k = k or self.settings.top_k
        text = question.strip()[:MAX_QUESTION_CHARS]
        normalized = normalize(text)
        words = self.analyzer.words(normalized)
        grams = self.analyzer.bigrams(normalized)
        if not words and not grams:
            return Answer(question, False, ())
        query = {term_hash(WORD_FIELD, w): 1.0 for w in words}
        query.update({term_hash(BIGRAM_FIELD, g): 1.0 for g in grams})
        scores = self.kb.sparse.score(query)
        want = min(self.settings.candidates, self.kb.passage_count)
        candidates = np.argpartition(-scores, want - 1)[:want] if want < len(scores) else np.arange(len(scores))
        candidates = candidates[scores[candidates] > 0]
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        needle_weights = self._needle_weights(words, grams)
        ranked = sorted((self._rerank(int(i), float(scores[i]), needle_weights) for i in candidates),
                        key=lambda r: -r.score)
        results = tuple(ranked[offset : offset + k])
        answered = bool(ranked) and ranked[0].score >= self.settings.answer_threshold
        return Answer(question, answered, results, () if answered else related_titles(ranked))

    def _needle_weights(self, words: list[str], grams: list[str]) -> dict[str, float]:
        """Question strings to look for in sentences, weighted by how rare they are in the base."""
        n = max(self.kb.passage_count, 1)
        weights = {}
        for field, items in ((WORD_FIELD, words), (BIGRAM_FIELD, grams)):
            for item in items:
                df = self.kb.sparse.doc_freq(term_hash(field, item))
                weights[item] = max(weights.get(item, 0.0), math.log1p((n - df + 0.5) / (df + 0.5)))
        return weights

    def _rerank(self, index: int, bm25: float, needles: dict[str, float]) -> Result:
        passage = self.kb.passage(index)
        normalized = normalize(passage.text)
        sentences = split_sentences(passage.text, self.settings.snippet_chars)
        total = sum(needles.values()) or 1.0
        coverage = [sum(w for s, w in needles.items() if s in normalized[a:b]) / total for a, b in sentences]
        best = max(range(len(sentences)), key=lambda i: coverage[i])
        start, end = window_around(passage.text, sentences, best, self.settings.snippet_chars)
        passage_coverage = sum(w for s, w in needles.items() if s in normalized) / total
        confidence = 0.5 * passage_coverage + 0.5 * coverage[best]
        snippet = passage.text[start:end]
        highlights = mark_spans(normalized[start:end], [s for s in needles if len(s) >= 2])
        return Result(passage, snippet, highlights, round(float(confidence), 4))


def related_titles(ranked: list[Result], limit: int = 3) -> tuple[str, ...]:
    """Distinct article titles among the weak candidates, offered instead of an answer."""
    titles: list[str] = []
    for result in ranked:
        title = result.passage.article.title
        if result.score > 0 and title not in titles:
            titles.append(title)
        if len(titles) == limit:
            break
    return tuple(titles)
