"""Index terms as 64-bit integer keys: characters, character bigrams and jieba words.

    character      key = code point                          (< 2**21)
    bigram         key = 2**42 | first << 21 | second        (exact, no hashing)
    word           key = 2**62 | blake2b(word) & (2**60 - 1)

Keys need no vocabulary: the same text gives the same keys in every process and every build,
so an unchanged article's terms are reused as they are. Punctuation and spaces never make a
term, and bigrams never straddle them.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import logging
import sys
import unicodedata
from typing import Iterable

from bot.text.word_frequencies import load_store


def _import_jieba():
    """jieba without pkg_resources, which it imports (0.05 s) only to open its own dict.txt.

    When pkg_resources is missing (as in Python 3.12's virtual environments), jieba opens the same
    file beside its module; a None entry in sys.modules makes that import fail, as Python documents.
    """
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
        return jieba
    finally:
        del sys.modules["pkg_resources"]


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)

BIGRAM_FLAG = 1 << 42
WORD_FLAG = 1 << 62
_MASK60 = (1 << 60) - 1

# Question words carry no content and never stand in the answering sentence in the same role.
QUESTION_CHARS = frozenset("什么哪谁吗呢怎")
QUESTION_BIGRAMS = frozenset(
    "多少 几个 几年 几位 几种 几次 几岁 何时 如何 为何 何种 何地 何人 是否 请问 多大 多长 多高 多久 多远 多重 多深 多宽 "
    "一个 一位 这个 那个".split()
)
QUESTION_WORDS = frozenset(
    "什么 哪里 哪个 哪些 哪一 哪位 哪儿 哪年 谁 多少 几 何时 如何 为什么 为何 怎么 怎样 怎么样 是否 请问 吗 呢 是 的 了 在 和 与 "
    "有 被 由 于 为 及 对 把 等 其 该 之 也 都 而 就 中 上 一个 哪一年 哪一个".split()
)

# Words that carry no subject of their own: a question made only of these asks nothing.
FUNCTION_WORDS = QUESTION_WORDS | frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 被 把 从 对 为 以 于 之 其 这 那 这个 那个 有 个 吗 呢 吧 啊 么 呀 哦 嗯 该 由 将 给 向 等 "
    "所 着 过 地 得 我 你 他 她 它 我们 你们 他们 请 请问 一下 告诉 知道 问".split()
)


# How questions ask, in simplified and in traditional usage (甚么, 何年, 何处), and the scaffolding
# around the asking (什么原因, 以什么方式, 文中提及): words that say nothing about the subject.
_ASKING = re.compile(r"^(?:哪|几|何|甚么|什么|多少|怎|为何|为什么|如何|是否|有何|第几)|谁|何$|^[这那该本此][场次起个项位家些]$")
ASKING_SCAFFOLD = frozenset(
    "以及 一种 时候 由于 因为 是因为 原因 文中 提及 提到 根据 文章 本文 可以 会 做 让 且 一 种 时 其中 当中 如果 东西 事情 "
    "方式 主要 哪些 请问 此次 这次 本次 这起 该 后果 情况 问题 地点 身份 时间 年龄 姓名 名字 名称 日期 年份 目的 意义 "
    "定义 方面 有关 还有 指 要 去 又 但 另 一共 当时 措施 举措 办法 做法 内容 作用 特点 要求".split()
)
# jieba sometimes glues a function character to a word in a question ("年于", "后以"); what is left
# after taking it off is the word that was meant.
GLUED_CHARACTERS = "的是于以在了和与为被把由时有也都就还又才将曾"


def is_content_word(word: str) -> bool:
    """A question word that names something the answer must be about (not 的, 哪年, 原因)."""
    return word not in FUNCTION_WORDS and word not in ASKING_SCAFFOLD and not _ASKING.search(word)


@functools.lru_cache(maxsize=1 << 16)
def is_term_char(ch: str) -> bool:
    """Letters (CJK included) and digits make terms; punctuation, symbols and spaces don't."""
    return unicodedata.category(ch)[0] in "LN"


@functools.lru_cache(maxsize=1 << 20)
def word_key(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return WORD_FLAG | (int.from_bytes(digest, "little") & _MASK60)


def bigram_key(first: str, second: str) -> int:
    return BIGRAM_FLAG | (ord(first) << 21) | ord(second)


def char_terms(text: str) -> list[int]:
    """Character and bigram keys of normalised text, repeats kept."""
    keys: list[int] = []
    previous = -1
    for ch in text:
        if is_term_char(ch):
            code = ord(ch)
            keys.append(code)
            if previous >= 0:
                keys.append(BIGRAM_FLAG | (previous << 21) | code)
            previous = code
        else:
            previous = -1
    return keys


# The frequency store answers ~1 µs a character slower than jieba's dict (measured 0.8–2.5 µs on the
# dev sets' text), and jieba's dict takes 0.6–0.9 s to load: past this much text the dict pays for itself.
FULL_DICTIONARY_AFTER = 500_000  # characters segmented


class Segmenter:
    """jieba with the knowledge base's own user dictionary; one instance per dictionary, never changed after.

    jieba's dictionary is read from the frequency store (bot/text/word_frequencies.py), which opens in
    milliseconds, until full_dictionary_after characters have been segmented; then jieba's own dict is
    loaded. Both give the same words and frequencies, so when the switch happens changes nothing.
    """

    def __init__(self, user_words: Iterable[str] = (), full_dictionary_after: int = FULL_DICTIONARY_AFTER) -> None:
        self._user_words = tuple(word.strip() for word in user_words if word.strip())
        self._chars_before_full_dictionary = full_dictionary_after
        self._jieba = self._tokenizer(full_dictionary=full_dictionary_after <= 0)
        self._log_total = math.log(self._jieba.total)

    def _tokenizer(self, full_dictionary: bool) -> jieba.Tokenizer:
        tokenizer = jieba.Tokenizer()
        store = None if full_dictionary else load_store()
        if store is None:
            tokenizer.initialize()
            self._chars_before_full_dictionary = 0
        else:
            tokenizer.FREQ, tokenizer.total = store
            tokenizer.initialized = True
        for word in self._user_words:
            tokenizer.add_word(word)
        return tokenizer

    def background_idf(self, word: str) -> float:
        """How rare a word is in general Chinese text (jieba's dictionary frequencies), whatever the base holds.

        A word the dictionary lacks (a name, a number, a typo) counts as rarer than any it has.
        """
        if word.isascii() and word.isdigit():
            # Longer numbers are more specific: "1" is everywhere, "9778" names one fact.
            return min(8.0 + 2.0 * len(word), self._log_total)
        return self._log_total - math.log(max(self._jieba.FREQ.get(word) or 0, 0) + 1)

    def words(self, normalized: str) -> list[str]:
        """jieba's words that hold at least one term character."""
        if self._chars_before_full_dictionary > 0:
            self._chars_before_full_dictionary -= len(normalized)
            if self._chars_before_full_dictionary <= 0:
                self._jieba = self._tokenizer(full_dictionary=True)  # made whole, then swapped in
        return [w for w in self._jieba.lcut(normalized) if any(is_term_char(c) for c in w)]

    def word_terms(self, normalized: str) -> list[int]:
        return [word_key(w) for w in self.words(normalized)]


@functools.lru_cache(maxsize=4)
def shared_segmenter(user_words: tuple[str, ...] = ()) -> Segmenter:
    """One segmenter per user dictionary for the whole process: the switch to jieba's own dict happens once."""
    return Segmenter(user_words)


def question_terms(normalized: str, segmenter: Segmenter) -> tuple[list[int], list[int], list[str]]:
    """A question's character/bigram keys and word keys (deduplicated, question words left out), and its words."""
    char_keys: list[int] = []
    previous = ""
    for ch in normalized:
        if is_term_char(ch):
            if ch not in QUESTION_CHARS:
                char_keys.append(ord(ch))
            if previous and previous not in QUESTION_CHARS and ch not in QUESTION_CHARS \
                    and previous + ch not in QUESTION_BIGRAMS:
                char_keys.append(bigram_key(previous, ch))
            previous = ch
        else:
            previous = ""
    words = [w for w in segmenter.words(normalized) if w not in QUESTION_WORDS and w not in QUESTION_CHARS]
    words = list(dict.fromkeys(words))
    return list(dict.fromkeys(char_keys)), [word_key(w) for w in words], words
