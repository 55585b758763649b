"""How sure we are that the best article really covers the question, as a probability-like score.

Every feature is a ratio in [0, 1], so the same threshold means the same thing on a knowledge
base of three thousand passages or of a million. The weights were fitted by logistic
regression on one quarter of CMRC 2018 dev as the knowledge base and the questions of another
quarter as questions it cannot answer; no DRCD data was used.
"""

from __future__ import annotations

import math

import numpy as np

from bot.index.arrays import gather_rows
from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.query import Query
from bot.text.terms import BIGRAM_FLAG, WORD_FLAG, bigram_key, is_term_char, QUESTION_CHARS

# bias, article coverage, window coverage, copied-run coverage, longest run, 1 - rarest missing bigram, 1 - rarest missing word
WEIGHTS = (-4.791, 4.904, 3.691, 1.807, 0.308, 0.067, 3.311)
LONG_RUN = 8.0  # characters: a copied run this long is as telling as it gets


def article_terms(kb: KnowledgeBase, article: int) -> np.ndarray:
    """Every term key of an article's sentences and title."""
    record = kb.articles[article]
    lo = int(kb.passage_sentences[record.first_passage])
    hi = int(kb.passage_sentences[record.first_passage + record.passage_count])
    flat, _ = gather_rows(kb.sentence_terms.offsets, kb.sentence_terms.values, np.arange(lo, hi))
    return np.unique(np.concatenate([flat, kb.title_terms[article]]))


def confidence_features(kb: KnowledgeBase, query: Query, article: int, window_row: np.ndarray) -> np.ndarray:
    in_article_terms = article_terms(kb, article)
    in_article = np.isin(query.keys, in_article_terms)
    denominator = max(query.weight_sum, 1e-6)
    original = query.original
    article_coverage = float((query.weights * in_article)[original].sum() / denominator)
    window_coverage = float((window_row * query.weights)[original].sum() / denominator)
    run_coverage, longest_run = _copied_runs(query.normalized, in_article_terms)
    missing = original & ~in_article
    kinds_word = query.keys >= WORD_FLAG
    kinds_bigram = (query.keys >= BIGRAM_FLAG) & ~kinds_word
    missing_bigram = max(float(query.idf[missing & kinds_bigram].max(initial=0.0)), query.unseen_bigram_idf)
    missing_word = max(float(query.idf[missing & kinds_word].max(initial=0.0)), query.unseen_word_idf)
    scale = max(query.max_idf, 1e-6)
    return np.array([article_coverage, window_coverage, run_coverage, longest_run,
                     1 - missing_bigram / scale, 1 - missing_word / scale], np.float32)


def confidence(kb: KnowledgeBase, query: Query, article: int, window_row: np.ndarray) -> float:
    features = confidence_features(kb, query, article, window_row)
    z = WEIGHTS[0] + float(features @ np.array(WEIGHTS[1:], np.float32))
    return 1.0 / (1.0 + math.exp(-z))


def _copied_runs(normalized: str, article_keys: np.ndarray) -> tuple[float, float]:
    """Share of the question's content characters in runs of 3+ characters the article also has, and the longest run / 8."""
    pairs = [bigram_key(a, b) for a, b in zip(normalized, normalized[1:])]
    content = sum(1 for c in normalized if is_term_char(c) and c not in QUESTION_CHARS)
    if not pairs:
        return 0.0, 0.0
    present = np.isin(np.array(pairs, dtype=np.int64), article_keys)
    run = longest = covered = 0
    for hit in list(present) + [False]:
        if hit:
            run += 1
            continue
        if run >= 2:
            covered += run + 1
        longest = max(longest, run + 1 if run else 0)
        run = 0
    return min(1.0, covered / max(content, 1)), min(1.0, longest / LONG_RUN)
