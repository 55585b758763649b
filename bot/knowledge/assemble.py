"""Writing a build article by article, so that no build holds the whole base in memory.

New articles come as analyses; unchanged ones are copied from the previous build a run of
consecutive articles at a time, with one slice per array instead of one per article. Every
array is one that bot.index.schema names, written as it says.
"""

from __future__ import annotations

import numpy as np

from bot.index import schema
from bot.index.knowledge_base import KnowledgeBase
from bot.index.schema import Array, Ragged
from bot.index.store import Column, IndexWriter
from bot.knowledge.passages import passage_ids

# Unchanged articles are copied from the previous build in runs of at most this many passages:
# each run's terms are read into memory (about 5 KB a passage), so this bounds the copy's memory.
REUSE_RUN_PASSAGES = 50_000


class IndexStream:
    """Appends articles to a build in order; finish() closes every array and writes the article table."""

    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer
        self.records: list[dict] = []
        self.columns: dict[Array, Column] = {spec: writer.column(spec) for spec in schema.ARTICLE_ARRAYS}
        # The last offset written to each offsets array, to continue from; each starts at 0.
        self.ends = {spec: 0 for spec in schema.ARTICLE_ARRAYS if spec.is_offsets}
        for spec in self.ends:
            self.columns[spec].append(np.zeros(1, dtype=spec.dtype))
        self.passages = 0
        # A run of articles of the previous build to copy: (its base, first article, last + 1, new key or None).
        self._run: tuple[KnowledgeBase, int, int, str | None] | None = None

    @property
    def text_bytes(self) -> int:
        """UTF-8 bytes of every passage written so far."""
        return self.ends[schema.PASSAGE_TEXT.offsets]

    def _offsets(self, spec: Array, lengths: np.ndarray) -> None:
        ends = self.ends[spec] + np.cumsum(lengths, dtype=np.int64)
        self.columns[spec].append(ends)
        if len(ends):
            self.ends[spec] = int(ends[-1])

    def _values(self, spec: Ragged, arrays: list[np.ndarray]) -> np.ndarray:
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        if arrays:
            self.columns[spec.values].append(np.concatenate(arrays))
        self._offsets(spec.offsets, lengths)
        return lengths

    def _strings(self, spec: Ragged, strings: list[str]) -> None:
        encoded = [s.encode("utf-8") for s in strings]
        self.columns[spec.values].append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
        self._offsets(spec.offsets, np.array([len(b) for b in encoded], dtype=np.int64))

    def add(self, item) -> None:
        """One newly analysed article (an AnalysedArticle)."""
        self._flush_run()
        n = len(item.texts)
        number = len(self.records)
        self.records.append({**item.record, "first_passage": self.passages, "passage_count": n})
        analysis = item.analysis
        self._strings(schema.PASSAGE_TEXT, item.texts)
        self._strings(schema.PASSAGE_HEADING, item.headings)
        self.columns[schema.PASSAGE_ID].append(np.array(item.passage_ids, dtype=schema.PASSAGE_ID.dtype))
        self.columns[schema.PASSAGE_ARTICLE].append(np.full(n, number))
        self._values(schema.PASSAGE_TERMS, analysis.passage_terms)
        self.columns[schema.PASSAGE_COUNTS].append(np.concatenate(analysis.passage_counts))
        per_passage = np.array([len(s) for s in analysis.sentence_spans], dtype=np.int64)
        self._offsets(schema.PASSAGE_SENTENCES, per_passage)
        self.columns[schema.SENTENCE_SPAN].append(
            np.concatenate(analysis.sentence_spans).reshape(-1, *schema.SENTENCE_SPAN.row_shape))
        self.columns[schema.SENTENCE_FLAGS].append(np.concatenate(analysis.sentence_flags))
        self.columns[schema.SENTENCE_PASSAGE].append(np.repeat(np.arange(self.passages, self.passages + n), per_passage))
        self._values(schema.SENTENCE_TERMS, analysis.sentence_terms)
        self._values(schema.TITLE_TERMS, [analysis.title_terms])
        self.passages += n

    def reuse(self, kb: KnowledgeBase, article: int, key: str) -> None:
        """Article number `article` of the previous build, unchanged, under `key` (its old one or a new name)."""
        new_key = None if kb.articles[article].key == key else key
        run = self._run
        if new_key is None and run is not None and run[0] is kb and run[2] == article and run[3] is None and \
                kb.articles[article].first_passage - kb.articles[run[1]].first_passage < REUSE_RUN_PASSAGES:
            self._run = (kb, run[1], article + 1, None)
            return
        self._flush_run()
        self._run = (kb, article, article + 1, new_key)

    def _flush_run(self) -> None:
        if self._run is None:
            return
        kb, first, last, new_key = self._run
        self._run = None
        records = kb.articles[first:last]
        p0, p1 = records[0].first_passage, records[-1].first_passage + records[-1].passage_count
        shift = self.passages - p0
        number = len(self.records)
        if new_key is None:
            self.records.extend({**r.to_json(), "first_passage": r.first_passage + shift} for r in records)
            ids = kb.passage_ids[p0:p1]
        else:
            # The same bytes under a new name (a run of one): passage ids include the key, so they are derived again.
            self.records.append({**records[0].to_json(), "key": new_key, "first_passage": self.passages})
            texts = [kb.passage_texts[i] for i in range(p0, p1)]
            ids = np.array(passage_ids(new_key, texts), dtype=schema.PASSAGE_ID.dtype)
        self._copy_strings(schema.PASSAGE_TEXT, kb.passage_texts, p0, p1)
        self._copy_strings(schema.PASSAGE_HEADING, kb.passage_headings, p0, p1)
        self.columns[schema.PASSAGE_ID].append(ids)
        self.columns[schema.PASSAGE_ARTICLE].append(np.asarray(kb.passage_article[p0:p1]) - first + number)
        t0, t1 = self._copy_ragged(schema.PASSAGE_TERMS, kb.passage_terms, p0, p1)
        self.columns[schema.PASSAGE_COUNTS].append(kb.passage_counts[t0:t1])
        s0, s1 = int(kb.passage_sentences[p0]), int(kb.passage_sentences[p1])
        self._copy_offsets(schema.PASSAGE_SENTENCES, kb.passage_sentences, p0, p1)
        self.columns[schema.SENTENCE_SPAN].append(kb.sentence_spans[s0:s1])
        self.columns[schema.SENTENCE_FLAGS].append(kb.sentence_flags[s0:s1])
        self.columns[schema.SENTENCE_PASSAGE].append(np.asarray(kb.sentence_passage[s0:s1]) + shift)
        self._copy_ragged(schema.SENTENCE_TERMS, kb.sentence_terms, s0, s1)
        self._copy_ragged(schema.TITLE_TERMS, kb.title_terms, first, last)
        self.passages += p1 - p0

    def _copy_offsets(self, spec: Array, offsets: np.ndarray, first: int, last: int) -> tuple[int, int]:
        start, stop = int(offsets[first]), int(offsets[last])
        self.columns[spec].append(np.asarray(offsets[first + 1:last + 1], dtype=np.int64) - start + self.ends[spec])
        self.ends[spec] += stop - start
        return start, stop

    def _copy_ragged(self, spec: Ragged, table, first: int, last: int) -> tuple[int, int]:
        start, stop = self._copy_offsets(spec.offsets, table.offsets, first, last)
        self.columns[spec.values].append(table.values[start:stop])
        return start, stop

    def _copy_strings(self, spec: Ragged, table, first: int, last: int) -> None:
        start, stop = self._copy_offsets(spec.offsets, table.offsets, first, last)
        self.columns[spec.values].append(table.blob[start:stop])

    def finish(self) -> list[dict]:
        """Close every array and write the article table; returns the article records."""
        self._flush_run()
        for column in self.columns.values():
            column.close()
        self.writer.json(schema.ARTICLES, self.records)
        return self.records
