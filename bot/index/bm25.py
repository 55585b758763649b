"""A sparse BM25 index over hashed terms, with scores computed at build time.

Like bm25s, each posting stores the finished BM25 contribution of a term to a passage, so a
query only sums a few slices. Terms are 64-bit keys (see bot.text.terms), so the index needs no
vocabulary at load time and a passage's terms can be cached between builds without renumbering.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bot.index.arrays import FileArray
from bot.index.schema import POSTING
from bot.text.key_sets import sorted_unique

# Not tuned: the usual BM25 values (Lucene's defaults, and the plain BM25 that `qabot eval --baseline`
# compares with). The rerank, not stage one, decides which sentence answers.
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
    table: np.ndarray | FileArray  # POSTING records, term after term
    n_docs: int

    def postings(self, term: int, limit: int | None = None) -> np.ndarray:
        """POSTING records of one term, at most `limit` of the best (empty when unknown)."""
        pos = int(np.searchsorted(self.term_keys, term))
        if pos >= len(self.term_keys) or int(self.term_keys[pos]) != term:
            return self.table[:0]
        start, end = int(self.indptr[pos]), int(self.indptr[pos + 1])
        if limit is not None:
            end = min(end, start + limit)
        return self.table[start:end]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For many keys at once: whether each is in the index, and its document frequency."""
        if not len(self.term_keys) or not len(keys):
            return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.term_keys, keys), len(self.term_keys) - 1)
        found = self.term_keys[pos] == keys
        doc_freq = np.where(found, self.indptr[pos + 1] - self.indptr[pos], 0)
        return found, doc_freq

    def score_keys(self, keys: np.ndarray, max_postings: np.ndarray | None = None) -> np.ndarray:
        """Dense BM25 scores of every passage for a set of keys, each with query weight 1;
        max_postings gives each key's cap (see score)."""
        caps = [None] * len(keys) if max_postings is None else [int(m) for m in max_postings]
        return self.score({int(k): 1.0 for k in keys}, dict(zip((int(k) for k in keys), caps)))

    def score(self, terms: dict[int, float], max_postings: dict[int, int | None] | None = None) -> np.ndarray:
        """Dense scores of every passage for a query given as {term hash: query weight}.

        max_postings keeps only a term's best postings: for a term in most passages the tail
        adds little but costs a lot in a large base.
        """
        parts, query_weights = [], []
        for term, query_weight in terms.items():
            records = self.postings(term, (max_postings or {}).get(term))
            if len(records):
                parts.append(records)
                query_weights.append(query_weight)
        if not parts:
            return np.zeros(self.n_docs)
        postings = np.concatenate(parts)
        weights = postings["weight"]
        if any(w != 1.0 for w in query_weights):
            weights = weights * np.repeat(np.array(query_weights, np.float32), [len(p) for p in parts])
        # float64, as bincount makes it: a float32 copy would cost as much as the sum at a million passages.
        return np.bincount(postings["doc"], weights, minlength=self.n_docs)


# Postings handled at once while building: bounds the build's memory, whatever the size of the base.
CHUNK_POSTINGS = 8_000_000
BUILD_THREADS = min(2, os.cpu_count() or 1)


def build_sparse_index(keys: np.ndarray, counts: np.ndarray, offsets: np.ndarray, fields: np.ndarray | None = None,
                       k1: float = K1, b: float = B, field_of=None, chunk_postings: int = CHUNK_POSTINGS) -> SparseIndex:
    """Build from every passage's unique term keys and their counts, packed as values + offsets.

    fields gives each key's field (a small int), or field_of computes it from a slice of keys;
    lengths are normalised per field, as BM25F does, so that short word lists are not judged
    against long character lists. keys and counts may be memory-mapped: they are read a chunk of
    passages at a time, and only the finished postings (and one int32 per posting) are held whole.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    n_docs = len(offsets) - 1
    total = int(offsets[-1]) if n_docs >= 0 else 0
    if field_of is None:
        all_fields = np.zeros(total, dtype=np.int8) if fields is None else np.asarray(fields)
        field_of = lambda start, stop, _keys: all_fields[start:stop].astype(np.int64)  # noqa: E731
    chunks = _doc_chunks(offsets, chunk_postings)

    # Pass 1: field lengths per passage and each chunk's vocabulary; then term ids of every posting.
    field_len_parts, vocab_parts = [], []
    term_ids = np.empty(total, dtype=np.int32)  # filled once the whole vocabulary is known
    for first_doc, last_doc in chunks:
        start, stop = int(offsets[first_doc]), int(offsets[last_doc])
        chunk_keys = np.asarray(keys[start:stop], dtype=np.int64)
        chunk_fields = field_of(start, stop, chunk_keys)
        chunk_n_fields = int(chunk_fields.max()) + 1 if len(chunk_fields) else 1
        docs = np.repeat(np.arange(last_doc - first_doc, dtype=np.int64), np.diff(offsets[first_doc:last_doc + 1]))
        field_len_parts.append(np.bincount(docs * chunk_n_fields + chunk_fields,
                                           weights=np.asarray(counts[start:stop]),
                                           minlength=(last_doc - first_doc) * chunk_n_fields).reshape(-1, chunk_n_fields))
        vocab_parts.append(sorted_unique(chunk_keys))
        del chunk_keys, chunk_fields, docs
    n_fields = max([part.shape[1] for part in field_len_parts], default=1)
    field_len = np.zeros((n_docs, n_fields))
    for (first_doc, last_doc), part in zip(chunks, field_len_parts):
        field_len[first_doc:last_doc, :part.shape[1]] = part
    del field_len_parts
    field_avg = field_len.mean(axis=0) if n_docs else np.zeros(n_fields)
    term_keys = sorted_unique(np.concatenate(vocab_parts)) if vocab_parts else np.zeros(0, dtype=np.int64)
    del vocab_parts
    doc_freq = np.zeros(len(term_keys), dtype=np.int64)
    lookup = _TermIds(term_keys)
    for first_doc, last_doc in chunks:
        start, stop = int(offsets[first_doc]), int(offsets[last_doc])
        # Each passage's keys are sorted, so the searches of a passage walk the same path: this is
        # several times faster than np.unique(..., return_inverse=True) and its argsort.
        ids = lookup(np.asarray(keys[start:stop], dtype=np.int64))
        term_ids[start:stop] = ids
        doc_freq += np.bincount(ids, minlength=len(term_keys))
    indptr = np.zeros(len(term_keys) + 1, dtype=np.int64)
    np.cumsum(doc_freq, out=indptr[1:])
    term_idf = idf(doc_freq.astype(np.float64), n_docs).astype(np.float32)

    # Pass 2: each posting's weight, placed in its term's list in passage order (a counting sort).
    table = np.empty(total, dtype=POSTING)

    def place(first_doc: int, last_doc: int, ids: np.ndarray, chunk_fill: np.ndarray) -> None:
        start, stop = int(offsets[first_doc]), int(offsets[last_doc])
        docs = np.repeat(np.arange(first_doc, last_doc, dtype=np.int32), np.diff(offsets[first_doc:last_doc + 1]))
        chunk_fields = field_of(start, stop, np.asarray(keys[start:stop], dtype=np.int64))
        tf = np.asarray(counts[start:stop]).astype(np.float32)
        doc_len = field_len[docs, chunk_fields].astype(np.float32)
        avg = field_avg[chunk_fields].astype(np.float32)
        chunk_weights = term_saturation(tf, doc_len, avg, k1, b)
        chunk_weights *= term_idf[ids]
        order, sorted_ids = _stable_order(ids)
        # A posting's place: its term's first slot for this chunk, plus its rank among the chunk's postings of that term.
        firsts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        rank = np.arange(len(sorted_ids)) - np.repeat(firsts, np.diff(np.r_[firsts, len(sorted_ids)]))
        positions = chunk_fill[sorted_ids] + rank
        placed = np.empty(len(order), dtype=POSTING)
        placed["doc"], placed["weight"] = docs[order], chunk_weights[order]
        table[positions] = placed  # one scatter of whole records, not two of strided fields

    # Within each term, best postings first, so a query can stop after the head of a long list.
    # One sort of packed (term, descending weight, position) keys per run of terms: the run is
    # small enough (or a single term) for the three to fit in 64 bits.
    def order_by_weight(run: tuple[int, int]) -> None:
        first_term, last_term = run
        start, stop = int(indptr[first_term]), int(indptr[last_term])
        if stop - start < 2:
            return
        term_bits = (last_term - first_term - 1).bit_length()
        pos_bits = (stop - start - 1).bit_length()
        term_of_posting = np.repeat(np.arange(last_term - first_term, dtype=np.uint64), doc_freq[first_term:last_term])
        packed = (term_of_posting << np.uint64(32)) | _descending_bits(table["weight"][start:stop])
        packed <<= np.uint64(pos_bits)
        packed |= np.arange(stop - start, dtype=np.uint64)
        packed.sort()
        order = (packed & np.uint64((1 << pos_bits) - 1)).astype(np.int64)
        assert term_bits + 32 + pos_bits <= 64
        table[start:stop] = table[start:stop][order]

    # numpy lets go of the GIL in its sorts and scatters, so two threads use two cores here.
    with ThreadPoolExecutor(max_workers=BUILD_THREADS) as pool:
        placing: deque[Future] = deque()
        fill = indptr[:-1].copy()  # each term's first free slot, for the next chunk
        for first_doc, last_doc in chunks:
            ids = term_ids[offsets[first_doc]:offsets[last_doc]]
            placing.append(pool.submit(place, first_doc, last_doc, ids, fill.copy()))
            fill += np.bincount(ids, minlength=len(term_keys))
            if len(placing) > BUILD_THREADS:  # a bounded number of chunks in memory at once
                placing.popleft().result()
        for future in placing:
            future.result()
        del term_ids, ids, fill
        list(pool.map(order_by_weight, _doc_chunks(indptr, SORT_RUN)))
    return SparseIndex(term_keys=term_keys.astype(np.int64), indptr=indptr, table=table,
                       n_docs=n_docs)


# Postings sorted at once when ordering each term's list by weight: with at most 2**16 postings
# (and so terms), a term's rank and a posting's position take 16 bits each beside the 32 of the weight.
SORT_RUN = 1 << 16


class _TermIds:
    """Ids (positions in term_keys) of keys known to be in term_keys: a multiplicative hash into a
    table where most slots hold one term, np.searchsorted for keys whose slot holds several."""

    MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, term_keys: np.ndarray) -> None:
        self.term_keys = term_keys
        self.bits = max(10, min(26, (4 * len(term_keys)).bit_length() + 2))
        slots = self._slots(term_keys)
        table = np.full(1 << self.bits, -1, dtype=np.int32)
        table[slots] = np.arange(len(term_keys), dtype=np.int32)
        shared = np.bincount(slots, minlength=1 << self.bits) > 1
        table[shared] = -1
        self.table = table

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        hashed = keys.view(np.uint64) * self.MULTIPLIER
        return (hashed >> np.uint64(64 - self.bits)).astype(np.intp)

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        ids = self.table[self._slots(keys)]
        missed = np.flatnonzero(ids < 0)
        if len(missed):
            ids[missed] = np.searchsorted(self.term_keys, keys[missed])
        return ids


def _stable_order(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """argsort(ids, kind="stable") and ids in that order, for non-negative ids: one sort of
    packed (id, position) keys, several times faster than a stable argsort."""
    n = len(ids)
    pos_bits = max(1, (n - 1).bit_length())
    id_bits = int(ids.max()).bit_length() if n else 0
    if id_bits + pos_bits > 63:
        order = np.argsort(ids, kind="stable")
        return order, ids[order]
    packed = ids.astype(np.int64) << pos_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    return packed & ((1 << pos_bits) - 1), packed >> pos_bits


def _descending_bits(values: np.ndarray) -> np.ndarray:
    """uint64 keys of float32 values whose ascending order is the values' descending order."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    ascending = np.where(bits >> np.uint64(31), ~bits & np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))
    return np.uint64(0xFFFFFFFF) - ascending


def _doc_chunks(offsets: np.ndarray, chunk: int) -> list[tuple[int, int]]:
    """Split rows into runs of about `chunk` values (a single larger row is a run of its own)."""
    n = len(offsets) - 1
    bounds = [0]
    while bounds[-1] < n:
        start = bounds[-1]
        stop = int(np.searchsorted(offsets, offsets[start] + chunk, side="right")) - 1
        bounds.append(min(n, max(stop, start + 1)))
    return list(zip(bounds, bounds[1:]))


def count_terms(docs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique keys, counts and offsets of documents given as arrays of keys with repeats."""
    uniques, counts = zip(*(np.unique(d, return_counts=True) for d in docs)) if docs else ((), ())
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(u) for u in uniques], out=offsets[1:])
    keys = np.concatenate(uniques) if docs else np.zeros(0, dtype=np.int64)
    tf = np.concatenate(counts) if docs else np.zeros(0, dtype=np.int64)
    return keys.astype(np.int64), tf, offsets
