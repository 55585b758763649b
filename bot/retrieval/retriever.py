"""From a question to ranked, snippeted results: BM25 candidates, a sentence rerank, a confidence."""

from __future__ import annotations

import numpy as np

from bot.config import RetrievalSettings
from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.answer import Answer, Result
from bot.retrieval.confidence import confidence, confidence_features
from bot.retrieval.duplicates import DistinctPassages
from bot.retrieval.query import Query, parse_question
from bot.retrieval.rerank import rank_sentences
from bot.retrieval.snippet import SnippetBuilder, asks_for_description, mark_spans
from bot.retrieval.weights import SHIPPED, SHIPPED_CAPS, PostingCaps, RankingWeights
from bot.text.normalize import normalize
from bot.text.terms import BIGRAM_FLAG, QUESTION_BIGRAMS, QUESTION_CHARS, Segmenter, is_term_char


def posting_caps(keys: np.ndarray, n_docs: int, caps: PostingCaps = SHIPPED_CAPS) -> np.ndarray:
    """How many postings stage one reads of each key: characters fewer than bigrams and words."""
    char_cap = max(caps.char, int(caps.char_share * n_docs))
    term_cap = max(caps.term, int(caps.term_share * n_docs))
    return np.where(keys < BIGRAM_FLAG, char_cap, term_cap)


class Retriever:
    """Answers questions from one knowledge base; thread-safe, holds no per-question state."""

    def __init__(self, kb: KnowledgeBase, settings: RetrievalSettings, segmenter: Segmenter,
                 synonyms: dict[str, tuple[str, ...]] | None = None, weights: RankingWeights = SHIPPED,
                 caps: PostingCaps = SHIPPED_CAPS) -> None:
        self.kb = kb
        self.settings = settings
        self.segmenter = segmenter
        self.synonyms = synonyms or {}
        self.weights = weights
        self.caps = caps

    def tuned(self, weights: RankingWeights | None = None, caps: PostingCaps | None = None,
              settings: RetrievalSettings | None = None) -> "Retriever":
        """The same retriever over the same base with other weights, caps or settings (for tuning them)."""
        return Retriever(self.kb, settings or self.settings, self.segmenter, self.synonyms, weights or self.weights,
                         caps or self.caps)

    def ask(self, question: str, k: int | None = None, offset: int = 0) -> Answer:
        """The top k results after `offset`, best first, and whether the best one answers."""
        query = self.parse(question)
        return self.answer(question, query, self.stage_one(query) if len(query.keys) else None, k, offset)

    def parse(self, question: str) -> Query:
        return parse_question(question, self.segmenter, self.kb.sparse, self.synonyms, self.weights)

    def stage_one(self, query: Query) -> np.ndarray:
        """Every passage's BM25 score for the question's own terms; no weight changes it, the caps do."""
        stage_one_keys = query.keys[query.original]
        caps = posting_caps(stage_one_keys, self.kb.sparse.n_docs, self.caps)
        return self.kb.sparse.score_keys(stage_one_keys, max_postings=caps)

    def answer(self, question: str, query: Query, passage_scores: np.ndarray | None, k: int | None = None,
               offset: int = 0) -> Answer:
        """`ask` from a parsed question and its stage-one scores (None: the index knows none of its terms)."""
        k = k or self.settings.top_k
        if passage_scores is None:
            return Answer(question, False, ())
        ranking = rank_sentences(self.kb, query, passage_scores, self.settings.candidates, self.weights)
        if ranking is None:
            return Answer(question, False, ())
        order = np.argsort(-ranking.score, kind="stable")
        best_row = int(order[0])
        features = confidence_features(self.kb, query, int(ranking.sentences[best_row]), self.segmenter)
        top_confidence = confidence(features)
        pairs = content_pairs(query.normalized)
        continuation = self.weights.continuation_share if asks_for_description(query.normalized) else 0.0
        snippets = SnippetBuilder(self.kb, ranking, pairs, self.settings.snippet_chars,
                                  self.weights.fragment_share, continuation)
        distinct = DistinctPassages(self.kb)
        top_score = float(ranking.score[best_row]) or 1.0
        results: list[Result] = []
        found = 0
        for row in order:
            sentence = int(ranking.sentences[row])
            # A sentence an earlier snippet already showed is no new result, nor is a republished passage.
            if sentence in snippets.shown or not distinct.admit(int(self.kb.sentence_passage[sentence])):
                continue
            snippet = snippets.build(int(row))
            found += 1
            if found <= offset:
                continue
            # Lower results get the top confidence scaled by their rerank score, so scores fall with rank.
            score = top_confidence * min(1.0, float(ranking.score[row]) / top_score)
            passage = self.kb.passage(int(self.kb.sentence_passage[sentence]))
            highlights = mark_spans(normalize(snippet), pairs)
            results.append(Result(passage, snippet, highlights, round(score, 4)))
            if len(results) == k:
                break
        answered = top_confidence >= self.settings.answer_threshold
        related = () if answered else related_titles(self.kb, ranking, order)
        return Answer(question, answered, tuple(results), related, tuple(float(f) for f in features))


def content_pairs(normalized_question: str) -> list[str]:
    """Adjacent character pairs of the question that carry content: what a matching snippet shares."""
    pairs = []
    for a, b in zip(normalized_question, normalized_question[1:]):
        if is_term_char(a) and is_term_char(b) and a not in QUESTION_CHARS and b not in QUESTION_CHARS \
                and a + b not in QUESTION_BIGRAMS:
            pairs.append(a + b)
    return list(dict.fromkeys(pairs))


def related_titles(kb: KnowledgeBase, ranking, order: np.ndarray, limit: int = 3) -> tuple[str, ...]:
    """Distinct titles of the best-ranked articles, offered instead of an answer."""
    titles: list[str] = []
    for row in order:
        title = kb.articles[int(ranking.articles[row])].title
        if title not in titles:
            titles.append(title)
        if len(titles) == limit:
            break
    return tuple(titles)

