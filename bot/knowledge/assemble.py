"""Writing a build article by article, so that no build holds the whole base in memory.

New articles come as analyses; unchanged ones are copied from the previous build a run of
consecutive articles at a time, with one slice per array instead of one per article.
"""

from __future__ import annotations

import numpy as np

from bot.index.knowledge_base import KnowledgeBase
from bot.index.store import Column, IndexWriter

_COLUMNS = {
    "passages.text.blob": np.uint8, "passages.text.offsets": np.int64,
    "passages.heading.blob": np.uint8, "passages.heading.offsets": np.int64,
    "passages.id": "S16", "passages.article": np.int32,
    "passages.terms.values": np.int64, "passages.terms.offsets": np.int64, "passages.counts": np.uint16,
    "passages.sentences": np.int64,
    "sentences.flags": np.uint8, "sentences.passage": np.int32,
    "sentences.terms.values": np.int64, "sentences.terms.offsets": np.int64,
    "articles.title_terms.values": np.int64, "articles.title_terms.offsets": np.int64,
}
# Unchanged articles are copied from the previous build in runs of at most this many passages:
# each run's terms are read into memory (about 5 KB a passage), so this bounds the copy's memory.
REUSE_RUN_PASSAGES = 50_000

_OFFSETS = [name for name in _COLUMNS if name.endswith(".offsets")] + ["passages.sentences"]


class IndexStream:
    """Appends articles to a build in order; finish() closes every array and writes the article table."""

    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer
        self.records: list[dict] = []
        self.columns: dict[str, Column] = {name: writer.column(name, dtype) for name, dtype in _COLUMNS.items()}
        self.columns["sentences.span"] = writer.column("sentences.span", np.int32, (2,))
        self.ends = {name: 0 for name in _OFFSETS}  # last offset written, to continue from
        for name in _OFFSETS:
            self.columns[name].append(np.zeros(1, dtype=np.int64))
        self.passages = 0
        self._run: tuple[KnowledgeBase, int, int] | None = None

    def _offsets(self, name: str, lengths: np.ndarray) -> None:
        ends = self.ends[name] + np.cumsum(lengths, dtype=np.int64)
        self.columns[name].append(ends)
        if len(ends):
            self.ends[name] = int(ends[-1])

    def _values(self, name: str, arrays: list[np.ndarray]) -> np.ndarray:
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        if arrays:
            self.columns[name + ".values"].append(np.concatenate(arrays))
        self._offsets(name + ".offsets", lengths)
        return lengths

    def _strings(self, name: str, strings: list[str]) -> None:
        encoded = [s.encode("utf-8") for s in strings]
        self.columns[name + ".blob"].append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
        self._offsets(name + ".offsets", np.array([len(b) for b in encoded], dtype=np.int64))

    def add(self, item) -> None:
        """One newly analysed article (an AnalysedArticle)."""
        self._flush_run()
        n = len(item.texts)
        number = len(self.records)
        self.records.append({**item.record, "first_passage": self.passages, "passage_count": n})
        analysis = item.analysis
        self._strings("passages.text", item.texts)
        self._strings("passages.heading", item.headings)
        self.columns["passages.id"].append(np.array(item.passage_ids, dtype="S16"))
        self.columns["passages.article"].append(np.full(n, number, dtype=np.int32))
        self._values("passages.terms", analysis.passage_terms)
        self.columns["passages.counts"].append(np.concatenate(analysis.passage_counts))
        per_passage = np.array([len(s) for s in analysis.sentence_spans], dtype=np.int64)
        self._offsets("passages.sentences", per_passage)
        self.columns["sentences.span"].append(np.concatenate(analysis.sentence_spans).reshape(-1, 2))
        self.columns["sentences.flags"].append(np.concatenate(analysis.sentence_flags))
        self.columns["sentences.passage"].append(np.repeat(np.arange(self.passages, self.passages + n), per_passage))
        self._values("sentences.terms", analysis.sentence_terms)
        self._values("articles.title_terms", [analysis.title_terms])
        self.passages += n

    def reuse(self, kb: KnowledgeBase, article: int) -> None:
        """Article number `article` of the previous build, unchanged and under the same key."""
        if self._run is not None and self._run[0] is kb and self._run[2] == article and \
                kb.articles[article].first_passage - kb.articles[self._run[1]].first_passage < REUSE_RUN_PASSAGES:
            self._run = (kb, self._run[1], article + 1)
            return
        self._flush_run()
        self._run = (kb, article, article + 1)

    def _flush_run(self) -> None:
        if self._run is None:
            return
        kb, first, last = self._run
        self._run = None
        records = kb.articles[first:last]
        p0, p1 = records[0].first_passage, records[-1].first_passage + records[-1].passage_count
        shift = self.passages - p0
        number = len(self.records)
        self.records.extend({**r.to_json(), "first_passage": r.first_passage + shift} for r in records)
        self._copy_strings("passages.text", kb.passage_texts, p0, p1)
        self._copy_strings("passages.heading", kb.passage_headings, p0, p1)
        self.columns["passages.id"].append(kb.passage_ids[p0:p1])
        self.columns["passages.article"].append(np.asarray(kb.passage_article[p0:p1]) - first + number)
        t0, t1 = self._copy_ragged("passages.terms", kb.passage_terms.values, kb.passage_terms.offsets, p0, p1)
        self.columns["passages.counts"].append(kb.passage_counts[t0:t1])
        s0, s1 = int(kb.passage_sentences[p0]), int(kb.passage_sentences[p1])
        self._copy_offsets("passages.sentences", kb.passage_sentences, p0, p1)
        self.columns["sentences.span"].append(kb.sentence_spans[s0:s1])
        self.columns["sentences.flags"].append(kb.sentence_flags[s0:s1])
        self.columns["sentences.passage"].append(np.asarray(kb.sentence_passage[s0:s1]) + shift)
        self._copy_ragged("sentences.terms", kb.sentence_terms.values, kb.sentence_terms.offsets, s0, s1)
        self._copy_ragged("articles.title_terms", kb.title_terms.values, kb.title_terms.offsets, first, last)
        self.passages += p1 - p0

    def _copy_offsets(self, name: str, offsets: np.ndarray, first: int, last: int) -> tuple[int, int]:
        start, stop = int(offsets[first]), int(offsets[last])
        self.columns[name].append(np.asarray(offsets[first + 1:last + 1], dtype=np.int64) - start + self.ends[name])
        self.ends[name] += stop - start
        return start, stop

    def _copy_ragged(self, name: str, values: np.ndarray, offsets: np.ndarray, first: int, last: int) -> tuple[int, int]:
        start, stop = self._copy_offsets(name + ".offsets", offsets, first, last)
        self.columns[name + ".values"].append(values[start:stop])
        return start, stop

    def _copy_strings(self, name: str, table, first: int, last: int) -> None:
        start, stop = self._copy_offsets(name + ".offsets", table.offsets, first, last)
        self.columns[name + ".blob"].append(table.blob[start:stop])

    def finish(self) -> list[dict]:
        """Close every array and write the article table; returns the article records."""
        self._flush_run()
        for column in self.columns.values():
            column.close()
        self.writer.json("articles", self.records)
        return self.records
