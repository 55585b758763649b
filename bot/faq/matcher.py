"""Which curated answer a question asks for, if any: fuzzy matching of content words.

Questions and phrasings go through the articles' normalisation (so traditional characters and
full-width forms match) and jieba; function and question words are dropped, and a few ways of
asking "when" count as one. What is left is compared with rapidfuzz: the plain ratio of the
joined words forgives a typo, the token-sort ratio forgives a different word order.
"""

from __future__ import annotations

import hashlib

from rapidfuzz import fuzz, process

from bot.faq.entries import FAQ_FILE, FaqEntry
from bot.index.knowledge_base import ArticleRecord, PassageView
from bot.retrieval.answer import Result
from bot.text.normalize import normalize
from bot.text.terms import FUNCTION_WORDS, QUESTION_CHARS, Segmenter

# Set between the scores of tests/test_faq.py's hand-made pairs, which fail when it stops parting
# them (`pytest tests/test_faq.py`): paraphrases, typos and reordered phrasings score 80-100; the
# same question about another subject (博物馆 for 图书馆) 78, a question naming only the subject 60.
MATCH_THRESHOLD = 80.0
TITLE_PREFIX = "常见问题："
# Ways of asking the same thing that jieba splits differently.
_SAME_ASKING = {"什么时候": "时间", "何时": "时间", "几点": "时间", "几时": "时间", "时候": "时间",
                "怎么办": "", "怎么样": "", "如何": "", "怎么": "", "怎样": ""}


class CuratedAnswers:
    """The entries of faq.yaml, ready to match; immutable, shared between threads."""

    def __init__(self, entries: tuple[FaqEntry, ...], segmenter: Segmenter) -> None:
        self.entries = entries
        self._segmenter = segmenter
        self._owner: list[int] = []
        self._joined: list[str] = []
        self._spaced: list[str] = []
        # Later entries first: extractOne keeps the first of equal scores, and an answer taught
        # again (a 👎 on a curated answer) must win over the one it replaces.
        for number in reversed(range(len(entries))):
            for question in entries[number].questions:
                words = self._words(question)
                if len("".join(words)) >= 2:
                    self._owner.append(number)
                    self._joined.append("".join(words))
                    self._spaced.append(" ".join(words))

    def __len__(self) -> int:
        return len(self.entries)

    def _words(self, text: str) -> list[str]:
        words = []
        for word in self._segmenter.words(normalize(text)):
            word = _SAME_ASKING.get(word, word)
            if word and word not in FUNCTION_WORDS and word not in QUESTION_CHARS:
                words.append(word)
        return words

    def match(self, question: str) -> tuple[FaqEntry, float] | None:
        """The best entry and its score (0-100) when it reaches the threshold, else None."""
        if not self._joined:
            return None
        words = self._words(question)
        joined = "".join(words)
        if len(joined) < 2:
            return None
        best: tuple[int, float] | None = None
        for choices, query, scorer in ((self._joined, joined, fuzz.ratio),
                                       (self._spaced, " ".join(words), fuzz.token_sort_ratio)):
            found = process.extractOne(query, choices, scorer=scorer, processor=None, score_cutoff=MATCH_THRESHOLD)
            if found is not None and (best is None or found[1] > best[1]):
                best = (found[2], found[1])
        if best is None:
            return None
        return self.entries[self._owner[best[0]]], best[1]

    def result(self, question: str) -> Result | None:
        """The curated answer as the first result of an answer, or None when no entry matches well."""
        found = self.match(question)
        if found is None:
            return None
        entry, score = found
        return Result(curated_passage(entry), entry.answer, (), round(score / 100.0, 4))


def is_curated(passage: PassageView) -> bool:
    """Whether a result's passage is a curated answer (it has no article text around it)."""
    return passage.index < 0 and passage.article.key == FAQ_FILE


def entry_id(entry: FaqEntry) -> str:
    """A stable 16-hex id for an entry, in the form of a passage id (buttons carry it)."""
    return hashlib.sha256(f"{FAQ_FILE}\n{entry.questions[0]}\n{entry.answer}".encode()).hexdigest()[:16]


def curated_passage(entry: FaqEntry) -> PassageView:
    """A curated answer dressed as a passage: its article is faq.yaml, its title says it is curated."""
    article = ArticleRecord(key=FAQ_FILE, title=TITLE_PREFIX + entry.questions[0], source=entry.source, date=None,
                            time=None, url=entry.url, section=None, tags=(), digest="", first_passage=-1,
                            passage_count=1)
    return PassageView(-1, entry_id(entry), entry.answer, None, article, 0)
