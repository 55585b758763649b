"""A question as weighted term keys, ready for the candidate stage and the rerank."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.index.bm25 import SparseIndex, idf
from bot.text.normalize import normalize
from bot.text.terms import BIGRAM_FLAG, WORD_FLAG, Segmenter, char_terms, question_terms, word_key

# In the rerank a single character says much less than a bigram or a word.
CHAR_WEIGHT = 0.3
BIGRAM_WEIGHT = 1.0
WORD_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.8  # a synonym counts this much of the question word it stands for
MAX_QUESTION_CHARS = 512


@dataclass(frozen=True)
class Query:
    """Question terms known to the index, their weights, and what the question had that the index lacks."""

    normalized: str
    keys: np.ndarray  # int64, sorted unique keys found in the index (question terms and synonyms)
    weights: np.ndarray  # float32, idf x kind weight
    original: np.ndarray  # bool: a question term, not a synonym
    idf: np.ndarray  # float32 idf of each key
    weight_sum: float  # of all question terms, unseen ones included: the denominator of coverage
    unseen_bigram_idf: float  # the idf a bigram never seen in the index gets, 0 when there is none
    unseen_word_idf: float
    max_idf: float  # the idf of a term seen nowhere: the scale of "how rare"

    @property
    def empty(self) -> bool:
        return not len(self.keys) and self.weight_sum == 0


def parse_question(question: str, segmenter: Segmenter, sparse: SparseIndex,
                   synonyms: dict[str, tuple[str, ...]] | None = None) -> Query:
    """Normalise, segment and weight a question against one index."""
    normalized = normalize(question.strip()[:MAX_QUESTION_CHARS])
    char_keys, word_keys, words = question_terms(normalized, segmenter)
    keys = char_keys + word_keys
    kinds = [_kind_weight(k) for k in keys]
    n_original = len(keys)
    for word in words:
        for synonym in (synonyms or {}).get(word, ()):
            for key in [word_key(synonym)] + [k for k in char_terms(synonym) if k >= BIGRAM_FLAG]:
                keys.append(key)
                kinds.append(WORD_WEIGHT * SYNONYM_WEIGHT)
    keys_array = np.array(keys, dtype=np.int64)
    kind_array = np.array(kinds, dtype=np.float32)
    n_docs = sparse.n_docs
    unseen = float(math.log1p((n_docs + 0.5) / 0.5))
    found, doc_freq = sparse.lookup(keys_array)
    term_idf = np.where(found, idf(doc_freq.astype(np.float64), n_docs), unseen).astype(np.float32)
    original = np.arange(len(keys)) < n_original
    weight_sum = float((term_idf * kind_array)[original].sum())
    is_word = keys_array >= WORD_FLAG
    is_bigram = (keys_array >= BIGRAM_FLAG) & ~is_word
    missing = ~found & original
    chosen = found
    kept_keys, first = np.unique(keys_array[chosen], return_index=True)
    return Query(
        normalized=normalized,
        keys=kept_keys,
        weights=(term_idf * kind_array)[chosen][first],
        original=original[chosen][first],
        idf=term_idf[chosen][first],
        weight_sum=weight_sum,
        unseen_bigram_idf=unseen if bool((missing & is_bigram).any()) else 0.0,
        unseen_word_idf=unseen if bool((missing & is_word).any()) else 0.0,
        max_idf=unseen,
    )


def _kind_weight(key: int) -> float:
    if key >= WORD_FLAG:
        return WORD_WEIGHT
    return BIGRAM_WEIGHT if key >= BIGRAM_FLAG else CHAR_WEIGHT
