"""A question as weighted term keys, ready for the candidate stage and the rerank."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from bot.index.bm25 import SparseIndex, idf
from bot.retrieval.weights import SHIPPED, RankingWeights
from bot.text.key_sets import sorted_unique
from bot.text.normalize import normalize
from bot.text.terms import (BIGRAM_FLAG, FUNCTION_WORDS, WORD_FLAG, Segmenter, bigram_key, char_terms, is_content_word,
                            is_term_char, question_terms, word_key)

# cn2an warns (rather than raises) on text it half understands; the fallback handles that already.
warnings.filterwarnings("ignore", module="cn2an")
_NUMERAL_CHARS = frozenset("零〇一二两三四五六七八九十百千万亿")

MAX_QUESTION_CHARS = 512  # a limit, not tuned: a question longer than a long paragraph is cut


@dataclass(frozen=True)
class Query:
    """Question terms known to the index with their weights, and the content words the confidence reads."""

    normalized: str
    keys: np.ndarray  # int64, sorted unique keys found in the index (question terms and synonyms)
    weights: np.ndarray  # float32, idf x kind weight
    original: np.ndarray  # bool: a question term, not a synonym
    weight_sum: float  # of all question terms, unseen ones included: the denominator of coverage
    synonym_source: np.ndarray  # int64: for a synonym key, where its question word stands in keys; else -1
    content_words: tuple[str, ...]  # the question's words less asking and function words (多少, 的)
    content_synonyms: tuple[tuple[str, ...], ...]  # each content word's synonyms, in the same order
    content_bigrams: np.ndarray  # int64: the character-pair keys inside those words


def parse_question(question: str, segmenter: Segmenter, sparse: SparseIndex,
                   synonyms: dict[str, tuple[str, ...]] | None = None, weights: RankingWeights = SHIPPED) -> Query:
    """Normalise, segment and weight a question against one index."""
    normalized = normalize(question.strip()[:MAX_QUESTION_CHARS])
    char_keys, word_keys, words = question_terms(normalized, segmenter)
    if not has_content(words):
        char_keys, word_keys, words = [], [], []
    variant = numerals_as_digits(normalized)
    if variant is not None:
        # 三千多 should meet 3197, but 一些 must not become 1些: keep whichever reading the index knows better.
        variant_terms = question_terms(variant, segmenter)
        if _known(sparse, variant_terms) > _known(sparse, (char_keys, word_keys, words)):
            normalized = variant
            char_keys, word_keys, words = variant_terms
    keys = char_keys + word_keys
    kinds = [_kind_weight(k, weights) for k in keys]
    n_original = len(keys)
    sources = [0] * n_original  # for each synonym key, the key of the question word it stands for
    for word in words:
        for synonym in (synonyms or {}).get(word, ()):
            for key in [word_key(synonym)] + [k for k in char_terms(synonym) if k >= BIGRAM_FLAG]:
                keys.append(key)
                kinds.append(weights.word_weight * weights.synonym_weight)
                sources.append(word_key(word))
    keys_array = np.array(keys, dtype=np.int64)
    kind_array = np.array(kinds, dtype=np.float32)
    n_docs = sparse.n_docs
    unseen = float(math.log1p((n_docs + 0.5) / 0.5))
    found, doc_freq = sparse.lookup(keys_array)
    term_idf = np.where(found, idf(doc_freq.astype(np.float64), n_docs), unseen).astype(np.float32)
    original = np.arange(len(keys)) < n_original
    weight_sum = float((term_idf * kind_array)[original].sum())
    kept_keys, first = np.unique(keys_array[found], return_index=True)
    # Where each kept synonym key's question word stands among the kept keys (-1: an original key,
    # or a word the index lacks), so that the rerank can weigh a synonym as its word, never above it.
    source_keys = np.array(sources, np.int64)[found][first]
    synonym_source = np.full(len(kept_keys), -1, np.int64)
    if len(kept_keys):
        at = np.minimum(np.searchsorted(kept_keys, source_keys), len(kept_keys) - 1)
        stands_in = ~original[found][first] & (kept_keys[at] == source_keys)
        synonym_source[stands_in] = at[stands_in]
    content = tuple(w for w in words if is_content_word(w))
    return Query(
        normalized=normalized,
        keys=kept_keys,
        weights=(term_idf * kind_array)[found][first],
        original=original[found][first],
        weight_sum=weight_sum,
        synonym_source=synonym_source,
        content_words=content,
        content_synonyms=tuple(tuple((synonyms or {}).get(w, ())) for w in content),
        # sorted_unique, not np.unique: numpy 2's hashing path imports numpy.ma on first use (0.015 s).
        content_bigrams=sorted_unique(np.array([bigram_key(a, b) for w in content for a, b in zip(w, w[1:])
                                                if is_term_char(a) and is_term_char(b)], np.int64)),
    )


def has_content(words: list[str]) -> bool:
    """A question of nothing but function words (的了是) or bare numbers ("1", "2020") asks nothing."""
    return any(w not in FUNCTION_WORDS and not w.isdigit() for w in words)


def numerals_as_digits(normalized: str) -> str | None:
    """The question with Chinese numerals written as digits, when that changes anything."""
    if not any(ch in _NUMERAL_CHARS for ch in normalized):
        return None
    import cn2an  # here, not at the top: importing it compiles its patterns (0.2 s), and most questions need none

    try:
        converted = cn2an.transform(normalized, "cn2an")
    except Exception:  # cn2an raises assorted errors on text it can't read as numbers
        return None
    return converted if converted and converted != normalized else None


def _known(sparse: SparseIndex, terms: tuple[list[int], list[int], list[str]]) -> int:
    """How many of a reading's bigrams and words that hold a number the index has."""
    bigrams = [k for k in terms[0] if k >= BIGRAM_FLAG and _has_number(chr((k >> 21) & 0x1FFFFF) + chr(k & 0x1FFFFF))]
    words = [word_key(w) for w in terms[2] if _has_number(w)]
    return int(sparse.lookup(np.array(bigrams + words, dtype=np.int64))[0].sum())


def _has_number(text: str) -> bool:
    return any(ch.isdigit() or ch in _NUMERAL_CHARS for ch in text)


def _kind_weight(key: int, weights: RankingWeights) -> float:
    if key >= WORD_FLAG:
        return weights.word_weight
    return weights.bigram_weight if key >= BIGRAM_FLAG else weights.char_weight
