"""A sparse BM25 index over hashed terms, with scores computed at build time.

Like bm25s, each posting stores the finished BM25 contribution of a term to a passage, so a
query only sums a few slices. Terms are 64-bit keys (see bot.text.terms), so the index needs no
vocabulary at load time and a passage's terms can be cached between builds without renumbering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75


def idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """Lucene's non-negative BM25 idf."""
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def term_saturation(tf: np.ndarray, doc_len: np.ndarray, avg_len: np.ndarray, k1: float = K1, b: float = B) -> np.ndarray:
    """BM25's term-frequency part, normalised by document length."""
    return tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * doc_len / np.maximum(avg_len, 1e-9)))


@dataclass(frozen=True)
class SparseIndex:
    """Postings grouped by term hash; within a term, the highest-scoring passages come first."""

    term_keys: np.ndarray  # int64 term keys, sorted, unique
    indptr: np.ndarray  # int64, len(term_keys) + 1
    doc_ids: np.ndarray  # int32
    weights: np.ndarray  # float32
    n_docs: int

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids and weights of one term (empty when unknown)."""
        pos = int(np.searchsorted(self.term_keys, term))
        if pos >= len(self.term_keys) or int(self.term_keys[pos]) != term:
            return self.doc_ids[:0], self.weights[:0]
        start, end = int(self.indptr[pos]), int(self.indptr[pos + 1])
        return self.doc_ids[start:end], self.weights[start:end]

    def doc_freq(self, term: int) -> int:
        return len(self.postings(term)[0])

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For many keys at once: whether each is in the index, and its document frequency."""
        if not len(self.term_keys) or not len(keys):
            return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.term_keys, keys), len(self.term_keys) - 1)
        found = self.term_keys[pos] == keys
        doc_freq = np.where(found, self.indptr[pos + 1] - self.indptr[pos], 0)
        return found, doc_freq

    def score_keys(self, keys: np.ndarray, max_postings: int | None = None) -> np.ndarray:
        """Dense BM25 scores of every passage for a set of keys, each with query weight 1."""
        return self.score({int(k): 1.0 for k in keys}, max_postings)

    def score(self, terms: dict[int, float], max_postings: int | None = None) -> np.ndarray:
        """Dense scores of every passage for a query given as {term hash: query weight}.

        max_postings keeps only each term's best postings: for a term in most passages the tail
        adds little but costs a lot in a large base.
        """
        ids, weights = [], []
        for term, query_weight in terms.items():
            doc_ids, term_weights = self.postings(term)
            if max_postings is not None:
                doc_ids, term_weights = doc_ids[:max_postings], term_weights[:max_postings]
            if len(doc_ids):
                ids.append(doc_ids)
                weights.append(term_weights * np.float32(query_weight))
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.bincount(np.concatenate(ids), np.concatenate(weights), minlength=self.n_docs).astype(np.float32)


def build_sparse_index(keys: np.ndarray, counts: np.ndarray, offsets: np.ndarray, fields: np.ndarray | None = None,
                       k1: float = K1, b: float = B) -> SparseIndex:
    """Build from every passage's unique term keys and their counts, packed as values + offsets.

    fields gives each key's field (a small int); lengths are normalised per field, as BM25F does,
    so that short word lists are not judged against long character lists.
    """
    n_docs = len(offsets) - 1
    lengths = np.diff(offsets)
    docs = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
    fields = np.zeros(len(keys), dtype=np.int64) if fields is None else fields.astype(np.int64)
    n_fields = int(fields.max()) + 1 if len(fields) else 1
    field_len = np.bincount(docs.astype(np.int64) * n_fields + fields, weights=counts,
                            minlength=n_docs * n_fields).reshape(n_docs, n_fields)
    field_avg = field_len.mean(axis=0) if n_docs else np.zeros(n_fields)

    order = np.lexsort((docs, keys))
    keys_sorted, docs_sorted = keys[order], docs[order]
    tf = counts[order].astype(np.float32)
    doc_len = field_len[docs_sorted, fields[order]].astype(np.float32)
    avg = field_avg[fields[order]].astype(np.float32)
    del order
    new_term = np.ones(len(keys_sorted), dtype=bool)
    new_term[1:] = keys_sorted[1:] != keys_sorted[:-1]
    term_starts = np.flatnonzero(new_term)
    doc_freq = np.diff(np.append(term_starts, len(keys_sorted)))
    weights = term_saturation(tf, doc_len, avg, k1, b)
    weights *= np.repeat(idf(doc_freq.astype(np.float64), n_docs).astype(np.float32), doc_freq)
    del tf, doc_len, avg

    # Within each term, best postings first, so a query can stop after the head of a long list.
    term_of_posting = np.repeat(np.arange(len(term_starts)), doc_freq)
    order = np.lexsort((-weights, term_of_posting))
    return SparseIndex(
        term_keys=keys_sorted[term_starts].astype(np.int64),
        indptr=np.append(term_starts, len(keys_sorted)).astype(np.int64),
        doc_ids=docs_sorted[order].astype(np.int32),
        weights=weights[order].astype(np.float32),
        n_docs=n_docs,
    )


def count_terms(docs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique keys, counts and offsets of documents given as arrays of keys with repeats."""
    uniques, counts = zip(*(np.unique(d, return_counts=True) for d in docs)) if docs else ((), ())
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(u) for u in uniques], out=offsets[1:])
    keys = np.concatenate(uniques) if docs else np.zeros(0, dtype=np.int64)
    tf = np.concatenate(counts) if docs else np.zeros(0, dtype=np.int64)
    return keys.astype(np.int64), tf, offsets
