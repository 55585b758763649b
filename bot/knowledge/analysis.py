"""What the index keeps for each article, computed once at build time.

For every passage: its sentences (spans, flags, and each sentence's set of term keys) and its
term counts for BM25; for the article: its title's terms. The query path then never segments
article text, and an unchanged article's analysis is reused by the next build as it is: so a
change to what comes out here bumps PIPELINE_VERSION (bot.index.schema), or old terms stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.index import schema
from bot.index.schema import FIRST_SENTENCE, HAS_DATE, HAS_NUMBER
from bot.text.key_sets import sorted_unique
from bot.text.normalize import normalize
from bot.text.sentences import sentence_spans
from bot.text.terms import char_terms, shared_segmenter

# Policy notices run clauses together with "，" and "；" for hundreds of characters; cut at clause
# breaks, such a run becomes sentences the rerank can choose between. Re-derived by `qabot tune
# ncp_policies_dev.json cmrc2018_dev.json --sentence-chars 80,90,100,120,140,160,200,300 --sample 1000`
# (each set rebuilt per value, 107 s): answer-in-top1 on ncp_policies_dev 0.709 at 120, 0.698 at
# 300 (no cut within a passage), 0.702-0.708 at the others; cmrc2018_dev 0.938-0.942 at every value;
# right-article@1 within 0.6 points. A change of it bumps PIPELINE_VERSION (old bases keep old sentences).
MAX_SENTENCE_CHARS = 120

_NUMBER = re.compile(r"[0-9]|[零〇一二三四五六七八九十两百千万亿]+[多余]?(?:[十百千万亿]|[个名人次种位岁年米元台部座件所])")
_DATE = re.compile(r"[0-9零〇一二三四五六七八九十]+\s*(?:年|月|日|世纪|年代)|[春夏秋冬]季|(?:公元|西元)前?|朝|时期|期间|之后|之前|以后|以前")


def sentence_flags(normalized_sentence: str, first: bool) -> int:
    flags = HAS_NUMBER if _NUMBER.search(normalized_sentence) else 0
    if _DATE.search(normalized_sentence):
        flags |= HAS_DATE
    return flags | (FIRST_SENTENCE if first else 0)


@dataclass
class ArticleAnalysis:
    """Everything the index stores for one article, passage by passage (the arrays of bot.index.schema)."""

    title_terms: np.ndarray  # int64, sorted unique
    passage_terms: list[np.ndarray]  # int64, unique keys of each passage (title and heading included)
    passage_counts: list[np.ndarray]  # uint16, how often each of those keys occurs
    sentence_spans: list[np.ndarray]  # int32 (n, 2) per passage, offsets into the passage text
    sentence_flags: list[np.ndarray]  # uint8 per passage
    sentence_terms: list[np.ndarray]  # int64 sorted unique keys, one array per sentence, in order


# Sentences whose terms are kept for reuse: a base repeats sentences (bylines, boilerplate,
# republished paragraphs), and segmenting is most of the cost of a build.
SENTENCE_CACHE_SIZE = 200_000


class ArticleAnalyzer:
    """Analyses articles with one segmenter; between articles it keeps only a cache of sentence terms."""

    def __init__(self, user_words: list[str], max_sentence_chars: int, sentence_cap: int | None = None) -> None:
        """`sentence_cap` replaces MAX_SENTENCE_CHARS (only `qabot tune --sentence-chars` sets it)."""
        self.segmenter = shared_segmenter(tuple(user_words))
        self.max_sentence_chars = min(max_sentence_chars, sentence_cap or MAX_SENTENCE_CHARS)
        # normalised sentence -> (every key with repeats, sorted unique keys); the dictionary is
        # fixed for the analyser's life, so a sentence always segments the same way.
        self._sentences: dict[str, tuple[list[int], np.ndarray]] = {}

    def analyse(self, title: str, passages: list[tuple[str | None, str]]) -> ArticleAnalysis:
        """Analyse an article given as (heading, text) passages."""
        return self._analyse(title, passages)

    def sentence_terms(self, sentence: str) -> tuple[list[int], np.ndarray]:
        """Every key of a normalised sentence (repeats kept) and its sorted unique keys."""
        cached = self._sentences.get(sentence)
        if cached is not None:
            return cached
        keys = char_terms(sentence) + self.segmenter.word_terms(sentence)
        result = (keys, sorted_unique(np.array(keys, dtype=np.int64)))
        if len(self._sentences) >= SENTENCE_CACHE_SIZE:
            self._sentences.clear()
        self._sentences[sentence] = result
        return result

    def _analyse(self, title: str, passages: list[tuple[str | None, str]]) -> ArticleAnalysis:
        title_norm = normalize(title)
        title_keys = char_terms(title_norm) + self.segmenter.word_terms(title_norm)
        result = ArticleAnalysis(sorted_unique(np.array(title_keys, dtype=np.int64)), [], [], [], [], [])
        first = True
        for heading, text in passages:
            normalized = normalize(text)
            keys = list(title_keys)
            if heading:
                heading_norm = normalize(heading)
                keys += char_terms(heading_norm) + self.segmenter.word_terms(heading_norm)
            spans = sentence_spans(text, self.max_sentence_chars)
            flags = []
            for start, end in spans:
                sentence = normalized[start:end]
                sentence_keys, unique_keys = self.sentence_terms(sentence)
                keys += sentence_keys
                result.sentence_terms.append(unique_keys)
                flags.append(sentence_flags(sentence, first))
                first = False
            unique, counts = np.unique(np.array(keys, dtype=np.int64), return_counts=True)
            result.passage_terms.append(unique)
            count_type = schema.PASSAGE_COUNTS.dtype
            result.passage_counts.append(np.minimum(counts, np.iinfo(count_type).max).astype(count_type))
            result.sentence_spans.append(np.array(spans, dtype=schema.SENTENCE_SPAN.dtype).reshape(-1, 2))
            result.sentence_flags.append(np.array(flags, dtype=schema.SENTENCE_FLAGS.dtype))
        return result

