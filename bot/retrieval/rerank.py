"""Stage two: score every sentence of the candidate passages, article evidence first.

The right article is usually among BM25's candidates already; what decides a good answer is
the sentence within it. So a sentence is judged twice: by how well its article covers the
question (stage-one score and best sentence-window coverage), and by how well it covers the
question's terms that tell sentences of that article apart (the article's own name, found in
most of its sentences and in its title, tells nothing).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from bot.index.arrays import gather_rows
from bot.index.knowledge_base import KnowledgeBase
from bot.index.schema import FIRST_SENTENCE, HAS_DATE, HAS_NUMBER
from bot.retrieval.query import SYNONYM_WEIGHT, Query
from bot.text.key_sets import sorted_unique
from bot.text.match import content_segments, substring_cover
from bot.text.normalize import normalize

_PARENTHESES = re.compile(r"[(（][^)）]*[)）]")

NEIGHBOUR_CREDIT = 0.5  # a question term found only in the next or previous sentence counts this much
DISTINCTNESS_MIX = 0.5  # how much within-article rarity re-weights a term for choosing the sentence
TITLE_TERM_WEIGHT = 0.3  # title terms pick the article, not the sentence
ARTICLE_WEIGHT = 2.0  # article evidence against sentence evidence
WINDOW_COVERAGE_WEIGHT = 0.5  # in article evidence: best window coverage next to the stage-one score
ARTICLE_COVERAGE_WEIGHT = 0.5  # in article evidence: how much of the question the article's sentences hold together
TITLE_MATCH_WEIGHT = 0.5  # in article evidence: how much of the article's title the question names
TYPE_PRIOR = 0.08  # bonus for a sentence of the kind the question asks for

_ASKS_NUMBER = re.compile(r"多少|几[个位种次岁名年月天人辆座部件条本届场倍所家]|多[大长高久远重深宽厚]|数量|人口|面积|长度|高度|票房|销量|金额|价格|比例|百分")
_ASKS_TIME = re.compile(r"何时|什么时[候间]|哪[一]?年|哪个年|年份|日期|几月|哪[一]?天|何年|哪个朝代|哪[一]?个时期|什么年代|时间|哪个世纪")
_ASKS_DEFINITION = re.compile(r"职业|身份|国籍|是什么人|哪国人|是谁$|是谁[？?]|什么是|是什么[？?]?$|是一[个种家部座位]什么|什么类型|属于什么|哪一类|哪类")


def question_type_flags(normalized_question: str) -> int:
    """Which sentence flags fit the question: numbers for 多少, dates for 何时, first sentences for 职业."""
    flags = HAS_NUMBER if _ASKS_NUMBER.search(normalized_question) else 0
    if _ASKS_TIME.search(normalized_question):
        flags |= HAS_DATE
    if _ASKS_DEFINITION.search(normalized_question):
        flags |= FIRST_SENTENCE
    return flags


def title_named(title: str, normalized_question: str) -> float:
    """How much of an article's title the question names: questions usually name their subject."""
    return substring_cover(_title_segments(title), normalized_question)


@functools.lru_cache(maxsize=1 << 16)
def _title_segments(title: str) -> list[str]:
    # Titles recur in every query that reaches their article; normalise each once.
    return content_segments(_PARENTHESES.sub("", normalize(title)))


def match_matrix(sorted_keys: np.ndarray, flat: np.ndarray, row_of: np.ndarray, n_rows: int) -> np.ndarray:
    """[n_rows, n_keys] float matrix: 1 where row r holds query key j."""
    matrix = np.zeros((n_rows, len(sorted_keys)), np.float32)
    if len(sorted_keys) and len(flat):
        pos = np.minimum(np.searchsorted(sorted_keys, flat), len(sorted_keys) - 1)
        hit = sorted_keys[pos] == flat
        matrix[row_of[hit], pos[hit]] = 1.0
    return matrix


@dataclass
class Ranking:
    """Every candidate sentence with its scores; sentences are global ids, in article order."""

    sentences: np.ndarray  # int64 sentence ids
    articles: np.ndarray  # int32 article of each sentence
    score: np.ndarray  # final score
    coverage: np.ndarray  # in-article coverage, neighbours credited (used to grow snippets)


def rank_sentences(kb: KnowledgeBase, query: Query, passage_scores: np.ndarray, candidates: int) -> Ranking | None:
    """Rerank the sentences of the best `candidates` passages and their neighbours."""
    want = min(candidates, kb.passage_count)
    top = np.argpartition(-passage_scores, want - 1)[:want] if want < len(passage_scores) else np.arange(len(passage_scores))
    top = top[passage_scores[top] > 0]
    if not len(top):
        return None
    best_stage_one = float(passage_scores[top].max())
    top_articles = kb.passage_article[top]
    around = sorted_unique(np.concatenate([top - 1, top, top + 1]))
    around = around[(around >= 0) & (around < kb.passage_count)]
    around = around[np.isin(kb.passage_article[around], top_articles)]
    first = kb.passage_sentences[around]
    count = kb.passage_sentences[around + 1] - first
    sentences = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    n = len(sentences)
    articles = kb.passage_article[kb.sentence_passage[sentences]]
    unique_articles, group = np.unique(articles, return_inverse=True)
    article_score = np.zeros(len(unique_articles), np.float32)
    np.maximum.at(article_score, np.searchsorted(unique_articles, top_articles), passage_scores[top].astype(np.float32))

    flat, row_of = gather_rows(kb.sentence_terms.offsets, kb.sentence_terms.values, sentences)
    matches = match_matrix(query.keys, flat, row_of, n)
    weights = query.weights
    denominator = max(query.weight_sum, 1e-6)
    follows = np.zeros(n, bool)
    follows[1:] = (sentences[1:] == sentences[:-1] + 1) & (articles[1:] == articles[:-1])
    previous = np.zeros_like(matches)
    previous[1:] = matches[:-1] * follows[1:, None]
    following = np.zeros_like(matches)
    following[:-1] = matches[1:] * follows[1:, None]
    window = np.maximum(matches, NEIGHBOUR_CREDIT * np.maximum(previous, following))

    # Article evidence: the stage-one score against the best, plus the best window coverage.
    window_coverage = (window * weights[None, :]).sum(1) / denominator
    best_coverage = np.zeros(len(unique_articles), np.float32)
    np.maximum.at(best_coverage, group, window_coverage.astype(np.float32))
    named = np.array([title_named(kb.articles[int(a)].title, query.normalized) for a in unique_articles], np.float32)
    # How much of the question the article's candidate sentences hold between them.
    holding = np.zeros((len(unique_articles), matches.shape[1]), np.float32)
    np.add.at(holding, group, matches)
    article_coverage = ((holding > 0) * weights[None, :]).sum(1) / denominator
    article_evidence = (article_score / best_stage_one + WINDOW_COVERAGE_WEIGHT * best_coverage
                        + TITLE_MATCH_WEIGHT * named + ARTICLE_COVERAGE_WEIGHT * article_coverage)

    # Sentence evidence: terms re-weighted by how few of the article's sentences hold them.
    sentences_in_article = np.bincount(group).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        distinct = np.where(holding > 0, np.log1p(sentences_in_article[:, None] / np.maximum(holding, 1))
                            / np.log1p(sentences_in_article[:, None]), 1.0)
    distinct = np.where(sentences_in_article[:, None] > 1, distinct, 1.0)
    local = (1 - DISTINCTNESS_MIX) + DISTINCTNESS_MIX * distinct
    title_flat, title_row = gather_rows(kb.title_terms.offsets, kb.title_terms.values, unique_articles)
    in_title = match_matrix(query.keys, title_flat, title_row, len(unique_articles)) > 0
    local = np.where(in_title, local * TITLE_TERM_WEIGHT, local)
    local_weights = weights[None, :] * local
    # A synonym counts as much as its question word would here (title terms count less), at most.
    source = query.synonym_source
    standing_in = np.flatnonzero(source >= 0)
    if len(standing_in):
        local_weights[:, standing_in] = np.minimum(local_weights[:, standing_in],
                                                   SYNONYM_WEIGHT * local_weights[:, source[standing_in]])
    local_denominator = np.maximum(local_weights[:, query.original].sum(1), 1e-6)[group]
    coverage = (window * local_weights[group]).sum(1) / local_denominator
    own = (matches * local_weights[group]).sum(1) / local_denominator
    score = ARTICLE_WEIGHT * article_evidence[group] + coverage
    wanted = question_type_flags(query.normalized)
    if wanted:
        flags = kb.sentence_flags[sentences]
        score = score + TYPE_PRIOR * (((flags & wanted) != 0) & (own > 0))
    return Ranking(sentences.astype(np.int64), articles.astype(np.int32), score.astype(np.float32),
                   coverage.astype(np.float32))
