"""A built knowledge base opened for serving: articles, passages and the sparse index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, overload

import numpy as np

from bot.index import schema
from bot.index.bm25 import SparseIndex
from bot.index.store import IndexFiles


@dataclass(frozen=True)
class ArticleRecord:
    """One article's metadata and where its passages are."""

    key: str
    title: str
    source: str | None
    date: str | None
    time: str | None
    url: str | None
    section: str | None
    tags: tuple[str, ...]
    digest: str
    first_passage: int
    passage_count: int

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "ArticleRecord":
        return cls(**{**row, "tags": tuple(row.get("tags") or ())})

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "tags": list(self.tags)}


class ArticleTable(Sequence):
    """The article table, each record made from its JSON row the first time it is asked for.

    At a million passages (~120,000 articles) making every record up front was a good part of
    the load time, and most are never looked at.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._records: list[ArticleRecord | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> ArticleRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[ArticleRecord]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        record = self._records[index]
        if record is None:
            # Two threads may both make it: the records are equal and either one is kept.
            record = self._records[index] = ArticleRecord.from_json(self._rows[index])
        return record

    def __iter__(self) -> Iterator[ArticleRecord]:
        for i in range(len(self._rows)):
            yield self[i]

    def total_passages(self) -> int:
        return sum(int(row["passage_count"]) for row in self._rows)


@dataclass(frozen=True)
class PassageView:
    """One passage with its article, as the retriever and the replies see it."""

    index: int
    passage_id: str
    text: str
    heading: str | None
    article: ArticleRecord
    position: int  # within its article


class KnowledgeBase:
    """Read-only access to one committed build; safe to share between threads."""

    def __init__(self, root: Path, build_dir: Path | None = None, verify: bool = True) -> None:
        files = IndexFiles(root, build_dir, verify)
        self.files = files
        self.manifest = files.manifest
        self.articles = ArticleTable(files.json(schema.ARTICLES))
        self.passage_texts = files.strings(schema.PASSAGE_TEXT)
        self.passage_headings = files.strings(schema.PASSAGE_HEADING)
        self.passage_ids = files.array(schema.PASSAGE_ID)
        self.passage_article = files.array(schema.PASSAGE_ARTICLE)
        self.passage_terms = files.ragged(schema.PASSAGE_TERMS)
        self.passage_counts = files.array(schema.PASSAGE_COUNTS)
        self.passage_sentences = files.array(schema.PASSAGE_SENTENCES)  # offsets into the sentence table
        self.sentence_spans = files.array(schema.SENTENCE_SPAN)
        self.sentence_flags = files.array(schema.SENTENCE_FLAGS)
        self.sentence_passage = files.array(schema.SENTENCE_PASSAGE)
        self.sentence_terms = files.ragged(schema.SENTENCE_TERMS)
        self.title_terms = files.ragged(schema.TITLE_TERMS)
        self.sparse = SparseIndex(
            term_keys=files.array(schema.BM25_TERMS),
            indptr=files.array(schema.BM25_INDPTR),
            table=files.array(schema.BM25_POSTINGS),
            n_docs=len(self.passage_texts),
        )
        self._check_shapes()
        # Passage indices in id order and the ids in that order, made on first use: 24 bytes a
        # passage instead of a dict entry of ~150.
        self._id_order: tuple[np.ndarray, np.ndarray] | None = None

    def _check_shapes(self) -> None:
        n = len(self.passage_texts)
        n_sentences = len(self.sentence_flags)
        sizes = {schema.PASSAGE_HEADING: (len(self.passage_headings), n), schema.PASSAGE_ID: (len(self.passage_ids), n),
                 schema.PASSAGE_ARTICLE: (len(self.passage_article), n), schema.PASSAGE_TERMS: (len(self.passage_terms), n),
                 schema.PASSAGE_COUNTS: (len(self.passage_counts), len(self.passage_terms.values)),
                 schema.PASSAGE_SENTENCES: (len(self.passage_sentences), n + 1),
                 schema.SENTENCE_SPAN: (len(self.sentence_spans), n_sentences),
                 schema.SENTENCE_PASSAGE: (len(self.sentence_passage), n_sentences),
                 schema.SENTENCE_TERMS: (len(self.sentence_terms), n_sentences),
                 schema.TITLE_TERMS: (len(self.title_terms), len(self.articles))}
        for spec, (size, expected) in sizes.items():
            if size != expected:
                raise self.files.damaged(f"{spec.name} has {size} rows, expected {expected}")
        if self.articles.total_passages() != n or int(self.passage_sentences[-1]) != n_sentences:
            raise self.files.damaged("articles, passages and sentences disagree")

    @property
    def passage_count(self) -> int:
        return len(self.passage_texts)

    def passage(self, index: int) -> PassageView:
        article = self.articles[int(self.passage_article[index])]
        heading = self.passage_headings[index] or None
        return PassageView(index, self.passage_ids[index].decode("ascii"), self.passage_texts[index],
                           heading, article, index - article.first_passage)

    def find_passage(self, passage_id: str) -> int | None:
        """The index of a passage by its stable id, or None if the current build lacks it."""
        try:
            wanted = np.array(passage_id.encode("ascii"), dtype=self.passage_ids.dtype)
        except (UnicodeEncodeError, ValueError):
            return None
        if wanted.tobytes().rstrip(b"\0") != passage_id.encode("ascii"):
            return None  # longer than any stored id, or ends in NUL
        if self._id_order is None:
            order = np.argsort(self.passage_ids, kind="stable")
            self._id_order = (order, self.passage_ids[order])
        order, sorted_ids = self._id_order
        pos = int(np.searchsorted(sorted_ids, wanted))
        if pos < len(order) and sorted_ids[pos] == wanted:
            return int(order[pos])
        return None

    def neighbours(self, index: int, before: int = 1, after: int = 1) -> list[PassageView]:
        """The passage with up to `before` and `after` passages of the same article around it."""
        article = self.articles[int(self.passage_article[index])]
        first = max(article.first_passage, index - before)
        last = min(article.first_passage + article.passage_count - 1, index + after)
        return [self.passage(i) for i in range(first, last + 1)]

    def article_sentences(self, article: int) -> tuple[int, int]:
        """The [first, last) sentence ids of an article."""
        record = self.articles[article]
        return (int(self.passage_sentences[record.first_passage]),
                int(self.passage_sentences[record.first_passage + record.passage_count]))

    def sentence_text(self, sentence: int) -> str:
        start, end = self.sentence_spans[sentence]
        return self.passage_texts[int(self.sentence_passage[sentence])][int(start):int(end)]
