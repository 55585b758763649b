"""A sparse BM25 index over hashed terms, with scores computed at build time.

Like bm25s, each posting stores the finished BM25 contribution of a term to a passage, so a
query only sums a few slices. Terms are 63-bit hashes, so the index needs no vocabulary at load
time and a passage's terms can be cached between builds without renumbering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75


def idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """Lucene's non-negative BM25 idf."""
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def term_saturation(tf: np.ndarray, doc_len: np.ndarray, avg_len: float, k1: float = K1, b: float = B) -> np.ndarray:
    """BM25's term-frequency part, normalised by document length."""
    return tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * doc_len / max(avg_len, 1e-9)))


@dataclass(frozen=True)
class SparseIndex:
    """Postings grouped by term hash; within a term, the highest-scoring passages come first."""

    term_hashes: np.ndarray  # uint64, sorted, unique
    indptr: np.ndarray  # int64, len(term_hashes) + 1
    doc_ids: np.ndarray  # int32
    weights: np.ndarray  # float32
    n_docs: int

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids and weights of one term (empty when unknown)."""
        pos = int(np.searchsorted(self.term_hashes, np.uint64(term)))
        if pos >= len(self.term_hashes) or int(self.term_hashes[pos]) != term:
            return self.doc_ids[:0], self.weights[:0]
        start, end = int(self.indptr[pos]), int(self.indptr[pos + 1])
        return self.doc_ids[start:end], self.weights[start:end]

    def doc_freq(self, term: int) -> int:
        return len(self.postings(term)[0])

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


def build_sparse_index(doc_terms: np.ndarray, doc_offsets: np.ndarray, k1: float = K1, b: float = B) -> SparseIndex:
    """Build from every passage's term hashes (repeats are term frequency), packed as values + offsets."""
    n_docs = len(doc_offsets) - 1
    lengths = np.diff(doc_offsets)
    docs = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
    order = np.lexsort((docs, doc_terms))
    terms_sorted, docs_sorted = doc_terms[order], docs[order]
    del order, docs
    # Runs of equal (term, passage) pairs give term frequencies.
    new_pair = np.ones(len(terms_sorted), dtype=bool)
    new_pair[1:] = (terms_sorted[1:] != terms_sorted[:-1]) | (docs_sorted[1:] != docs_sorted[:-1])
    pair_starts = np.flatnonzero(new_pair)
    tf = np.diff(np.append(pair_starts, len(terms_sorted))).astype(np.float32)
    pair_terms, pair_docs = terms_sorted[pair_starts], docs_sorted[pair_starts]
    del terms_sorted, docs_sorted, new_pair, pair_starts

    new_term = np.ones(len(pair_terms), dtype=bool)
    new_term[1:] = pair_terms[1:] != pair_terms[:-1]
    term_starts = np.flatnonzero(new_term)
    doc_freq = np.diff(np.append(term_starts, len(pair_terms)))
    term_idf = idf(doc_freq.astype(np.float64), n_docs)
    avg_len = float(lengths.mean()) if n_docs else 0.0
    weights = term_saturation(tf, lengths[pair_docs].astype(np.float32), avg_len, k1, b)
    weights *= np.repeat(term_idf, doc_freq).astype(np.float32)

    # Within each term, best postings first, so a query can stop after the head of a long list.
    term_of_pair = np.repeat(np.arange(len(term_starts)), doc_freq)
    order = np.lexsort((-weights, term_of_pair))
    indptr = np.append(term_starts, len(pair_terms)).astype(np.int64)
    return SparseIndex(
        term_hashes=pair_terms[term_starts].astype(np.uint64),
        indptr=indptr,
        doc_ids=pair_docs[order].astype(np.int32),
        weights=weights[order].astype(np.float32),
        n_docs=n_docs,
    )
