"""Turning normalised text into index terms: jieba words and character bigrams."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from typing import Iterable

import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

# Punctuation, symbols and spaces never make a term.
_NOT_TERM = re.compile(r"[\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 被 把 从 对 为 以 于 之 其 这 那 这个 那个 一个 有 个 中 上 下 吗 呢 吧 啊 么 什么 哪 哪个 哪些 哪里 "
    "谁 几 多少 怎么 怎样 如何 为什么 何 何时 是否 请问 请 呀 哦 嗯 该 由 将 给 向 等 所 着 过 地 得".split()
)
WORD_FIELD = "w"
BIGRAM_FIELD = "b"


@functools.lru_cache(maxsize=1 << 20)
def term_hash(field: str, term: str) -> int:
    """A stable 63-bit id for a term of a field, the same in every process and every build."""
    digest = hashlib.blake2b(f"{field}\x00{term}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


class Analyzer:
    """Segments normalised text; one instance per knowledge base, since the user dictionary differs."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word in user_words:
            word = word.strip()
            if word:
                self._jieba.add_word(word)

    def words(self, normalized: str) -> list[str]:
        """Content words in order: jieba's segmentation without punctuation and stopwords."""
        return [w for w in self._jieba.lcut(normalized) if w not in _STOPWORDS and not _NOT_TERM.fullmatch(w)]

    @staticmethod
    def bigrams(normalized: str) -> list[str]:
        """Adjacent character pairs within each run of word characters; a lone character stands alone."""
        grams: list[str] = []
        for run in _NOT_TERM.split(normalized):
            if len(run) == 1:
                grams.append(run)
            else:
                grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        return grams

    def term_hashes(self, normalized: str) -> np.ndarray:
        """Hashes of every word and bigram term of the text, repeats kept (they are term frequencies)."""
        hashes = [term_hash(WORD_FIELD, w) for w in self.words(normalized)]
        hashes += [term_hash(BIGRAM_FIELD, g) for g in self.bigrams(normalized)]
        return np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
