"""How sure we are that the best article really covers the question, as a probability-like score.

Every feature is a ratio in [0, 1] that does not depend on the size of the knowledge base (idf
enters only as relative weights within one question), so one threshold means the same thing on
three thousand passages or a million. The weights come from a class-balanced logistic regression
fitted on CMRC 2018 dev alone: three quarters of its articles as the knowledge base, questions of
the remaining quarter as questions it cannot answer; the threshold answers 98% of the tuning
questions the base does cover. No DRCD data was used for fitting.
"""

from __future__ import annotations

import math

import numpy as np

from bot.index.arrays import contains, gather_rows, sorted_unique
from bot.index.bm25 import K1, idf
from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.query import Query
from bot.retrieval.rerank import Ranking, title_named
from bot.text.terms import BIGRAM_FLAG

# idf from a base smaller than the one the weights were fitted on (about 2,500 passages) is too flat
# to weigh terms against each other; below that size, terms are weighed as in a base of that size.
REFERENCE_PASSAGES = 2000

# bias, normalised BM25, rarest-terms coverage, title in question, article coverage
WEIGHTS = (-5.155, 2.894, 2.795, 3.106, 4.228)
RAREST_TERMS = 5



def article_terms(kb: KnowledgeBase, article: int) -> np.ndarray:
    """Every term key of an article's sentences and title, sorted."""
    record = kb.articles[article]
    lo = int(kb.passage_sentences[record.first_passage])
    hi = int(kb.passage_sentences[record.first_passage + record.passage_count])
    flat, _ = gather_rows(kb.sentence_terms.offsets, kb.sentence_terms.values, np.arange(lo, hi))
    return sorted_unique(np.concatenate([flat, kb.title_terms[article]]))


def confidence_features(kb: KnowledgeBase, query: Query, ranking: Ranking, article: int) -> np.ndarray:
    """[normalised BM25, rarest-terms coverage, title in question, article coverage] for one article."""
    terms = article_terms(kb, article)
    # Stage-one score against the best any passage could score on this question.
    best_possible = (K1 + 1) * query.question_idf.astype(np.float64).sum()
    normalised_bm25 = min(1.0, ranking.stage_one_score(article) / best_possible) if best_possible > 0 else 0.0
    # The few rarest bigrams and words usually name what the question is about.
    n_docs = max(query.n_docs, REFERENCE_PASSAGES)
    question_idf = idf(query.question_doc_freq.astype(np.float64), n_docs)
    present = query.question_found & contains(terms, query.question_keys)
    rare = np.flatnonzero(query.question_keys >= BIGRAM_FLAG)
    rare = rare[np.argsort(-question_idf[rare], kind="stable")][:RAREST_TERMS]
    rare_total = question_idf[rare].sum()
    rare_coverage = float((question_idf[rare] * present[rare]).sum() / rare_total) if rare_total > 0 else 0.0
    title_in_question = title_named(kb.articles[article].title, query.normalized)
    in_article = contains(terms, query.keys)
    weights = idf(query.doc_freq.astype(np.float64), n_docs) * query.kinds
    weight_sum = float((question_idf * query.question_kinds).sum())
    article_coverage = float((weights * in_article)[query.original].sum() / max(weight_sum, 1e-6))
    return np.array([normalised_bm25, rare_coverage, title_in_question, article_coverage], np.float32)


def confidence(kb: KnowledgeBase, query: Query, ranking: Ranking, article: int) -> float:
    features = confidence_features(kb, query, ranking, article)
    z = WEIGHTS[0] + float(features @ np.array(WEIGHTS[1:], np.float32))
    return 1.0 / (1.0 + math.exp(-z))
