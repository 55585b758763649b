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
from bot.retrieval.query import Query
from bot.retrieval.weights import SHIPPED, RankingWeights
from bot.text.key_sets import sorted_unique
from bot.text.match import content_segments, substring_cover
from bot.text.normalize import normalize

_PARENTHESES = re.compile(r"[(（][^)）]*[)）]")

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


@dataclass(frozen=True)
class Candidates:
    """The sentences of the best passages and their neighbours, and which question terms each holds."""

    sentences: np.ndarray  # global sentence ids, in article order
    articles: np.ndarray  # the article of each sentence
    unique_articles: np.ndarray  # sorted
    group: np.ndarray  # each sentence's row in unique_articles
    stage_one: np.ndarray  # float32: each article's best stage-one passage score
    best_stage_one: float
    matches: np.ndarray  # [sentences, query keys]: 1 where the sentence holds the key
    window: np.ndarray  # matches, with a key held only by the next or previous sentence credited
    holding: np.ndarray  # [articles, query keys]: how many of the article's candidate sentences hold the key


def rank_sentences(kb: KnowledgeBase, query: Query, passage_scores: np.ndarray, candidates: int,
                   weights: RankingWeights = SHIPPED) -> Ranking | None:
    """Rerank the sentences of the best `candidates` passages and their neighbours."""
    found = candidate_sentences(kb, query, passage_scores, candidates, weights.neighbour_credit)
    if found is None:
        return None
    coverage, own = sentence_evidence(kb, query, found, weights)
    score = weights.article_weight * article_evidence(kb, query, found, weights)[found.group] + coverage
    wanted = question_type_flags(query.normalized)
    if wanted:
        score = score + weights.type_prior * (((kb.sentence_flags[found.sentences] & wanted) != 0) & (own > 0))
    return Ranking(found.sentences.astype(np.int64), found.articles.astype(np.int32), score.astype(np.float32),
                   coverage.astype(np.float32))


def candidate_sentences(kb: KnowledgeBase, query: Query, passage_scores: np.ndarray, candidates: int,
                        neighbour_credit: float) -> Candidates | None:
    """The sentences of the best `candidates` passages and of their neighbours in the same articles."""
    want = min(candidates, kb.passage_count)
    top = np.argpartition(-passage_scores, want - 1)[:want] if want < len(passage_scores) else np.arange(len(passage_scores))
    top = top[passage_scores[top] > 0]
    if not len(top):
        return None
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
    stage_one = np.zeros(len(unique_articles), np.float32)
    np.maximum.at(stage_one, np.searchsorted(unique_articles, top_articles), passage_scores[top].astype(np.float32))

    flat, row_of = gather_rows(kb.sentence_terms.offsets, kb.sentence_terms.values, sentences)
    matches = match_matrix(query.keys, flat, row_of, n)
    follows = np.zeros(n, bool)
    follows[1:] = (sentences[1:] == sentences[:-1] + 1) & (articles[1:] == articles[:-1])
    previous = np.zeros_like(matches)
    previous[1:] = matches[:-1] * follows[1:, None]
    following = np.zeros_like(matches)
    following[:-1] = matches[1:] * follows[1:, None]
    window = np.maximum(matches, neighbour_credit * np.maximum(previous, following))
    holding = np.zeros((len(unique_articles), matches.shape[1]), np.float32)
    np.add.at(holding, group, matches)
    return Candidates(sentences, articles, unique_articles, group, stage_one, float(passage_scores[top].max()),
                      matches, window, holding)


def article_evidence(kb: KnowledgeBase, query: Query, found: Candidates, weights: RankingWeights) -> np.ndarray:
    """Per article: the stage-one score against the best, the best window coverage, how much of the
    question its sentences hold between them, and how much of its title the question names."""
    denominator = max(query.weight_sum, 1e-6)
    window_coverage = (found.window * query.weights[None, :]).sum(1) / denominator
    best_coverage = np.zeros(len(found.unique_articles), np.float32)
    np.maximum.at(best_coverage, found.group, window_coverage.astype(np.float32))
    named = np.array([title_named(kb.articles[int(a)].title, query.normalized) for a in found.unique_articles], np.float32)
    article_coverage = ((found.holding > 0) * query.weights[None, :]).sum(1) / denominator
    return (found.stage_one / found.best_stage_one + weights.window_coverage_weight * best_coverage
            + weights.title_match_weight * named + weights.article_coverage_weight * article_coverage)


def sentence_evidence(kb: KnowledgeBase, query: Query, found: Candidates, weights: RankingWeights
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence: its coverage of the question with neighbours credited, and without, each term
    re-weighted by how few of its article's sentences hold it (title terms count less)."""
    sentences_in_article = np.bincount(found.group).astype(np.float32)
    holding = found.holding
    with np.errstate(divide="ignore", invalid="ignore"):
        distinct = np.where(holding > 0, np.log1p(sentences_in_article[:, None] / np.maximum(holding, 1))
                            / np.log1p(sentences_in_article[:, None]), 1.0)
    distinct = np.where(sentences_in_article[:, None] > 1, distinct, 1.0)
    local = (1 - weights.distinctness_mix) + weights.distinctness_mix * distinct
    title_flat, title_row = gather_rows(kb.title_terms.offsets, kb.title_terms.values, found.unique_articles)
    in_title = match_matrix(query.keys, title_flat, title_row, len(found.unique_articles)) > 0
    local = np.where(in_title, local * weights.title_term_weight, local)
    local_weights = query.weights[None, :] * local
    # A synonym counts as much as its question word would here (title terms count less), at most.
    source = query.synonym_source
    standing_in = np.flatnonzero(source >= 0)
    if len(standing_in):
        local_weights[:, standing_in] = np.minimum(local_weights[:, standing_in],
                                                   weights.synonym_weight * local_weights[:, source[standing_in]])
    local_denominator = np.maximum(local_weights[:, query.original].sum(1), 1e-6)[found.group]
    coverage = (found.window * local_weights[found.group]).sum(1) / local_denominator
    own = (found.matches * local_weights[found.group]).sum(1) / local_denominator
    return coverage, own
