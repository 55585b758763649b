"""The index's file format, named in one place: every file of a build, its dtype, how it is read, the versions.

As bm25s's BM25.save and load do, this module lists every file of the format. The writer
(bot.knowledge.assemble and bot.knowledge.builder) and the reader (bot.index.knowledge_base) name
files only through the specs here, and bot.index.store writes and opens a file given its spec.
Whoever changes the format changes this module and FORMAT_VERSION, which the manifest carries
and every load checks.

A build directory (bot.index.store says where builds live and how one is swapped in) holds
manifest.json, articles.json and one .npy file (numpy's format, no pickles) per Array below.
Passages are in article order and sentences in passage order, so an article's passages, and a
passage's sentences, are one run of rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

FORMAT_NAME = "qabot-index"
FORMAT_VERSION = 3  # 3: the manifest carries a checksum of every file
# What the stored terms mean. Bump whenever analysed terms would come out differently (bot.text's
# normalisation, sentences and term keys, bot.knowledge.analysis); cached articles are then re-analysed.
PIPELINE_VERSION = 5

# Format name and version, build id and time, the pipeline fingerprint, counts of articles and
# passages, and every other file's size and checksum.
MANIFEST = "manifest.json"


class Read(enum.Enum):
    """How a loaded build reads an array."""

    MAPPED = "mapped"  # memory-mapped
    WHOLE = "whole"  # read into memory: small, and read on every question
    SCATTERED = "scattered"  # read in scattered small pieces: mapped when small, with pread when large


@dataclass(frozen=True)
class Array:
    """One .npy file: rows of `dtype`, each of `row_shape`."""

    name: str
    dtype: np.dtype
    row_shape: tuple[int, ...] = ()
    read: Read = Read.MAPPED
    is_offsets: bool = False  # int64 offsets into other rows: starts at 0, one longer than what it divides

    @property
    def file(self) -> str:
        return f"{self.name}.npy"


@dataclass(frozen=True)
class Ragged:
    """Rows of different lengths: their values concatenated, and offsets to find each again.

    A list of strings is one too: their UTF-8 bytes, in a values array named `<name>.blob`.
    """

    name: str
    values: Array
    offsets: Array

    @property
    def arrays(self) -> tuple[Array, Array]:
        return self.values, self.offsets


@dataclass(frozen=True)
class Table:
    """One .json file."""

    name: str

    @property
    def file(self) -> str:
        return f"{self.name}.json"


def _offsets(name: str, read: Read = Read.MAPPED) -> Array:
    return Array(name, np.dtype(np.int64), read=read, is_offsets=True)


def _ragged(name: str, dtype: type) -> Ragged:
    # Queries read the values of a few rows at a time, anywhere in the array.
    return Ragged(name, Array(f"{name}.values", np.dtype(dtype), read=Read.SCATTERED), _offsets(f"{name}.offsets"))


def _strings(name: str) -> Ragged:
    # The offsets are read on every look-up of a string, the bytes only for the strings shown.
    return Ragged(name, Array(f"{name}.blob", np.dtype(np.uint8)), _offsets(f"{name}.offsets", Read.WHOLE))


# One row per article: ArticleRecord's fields (bot.index.knowledge_base), with its first passage
# and how many passages it has.
ARTICLES = Table("articles")
TITLE_TERMS = _ragged("articles.title_terms", np.int64)  # one row per article: sorted unique keys of its title

# One row per passage.
PASSAGE_TEXT = _strings("passages.text")
PASSAGE_HEADING = _strings("passages.heading")  # the section heading above it, "" when none
PASSAGE_ID = Array("passages.id", np.dtype("S16"))  # its stable id: 16 hex digits (bot.knowledge.passages)
PASSAGE_ARTICLE = Array("passages.article", np.dtype(np.int32))  # its row in ARTICLES
# Its unique term keys (bot.text.terms), sorted, title and heading included, and how often each
# occurs (at most 65535), one count per key: the input of BM25.
PASSAGE_TERMS = _ragged("passages.terms", np.int64)
PASSAGE_COUNTS = Array("passages.counts", np.dtype(np.uint16), read=Read.SCATTERED)
PASSAGE_SENTENCES = _offsets("passages.sentences", Read.WHOLE)  # its run of rows in the sentence arrays

# One row per sentence.
SENTENCE_SPAN = Array("sentences.span", np.dtype(np.int32), (2,))  # [start, end) in its passage's text
SENTENCE_FLAGS = Array("sentences.flags", np.dtype(np.uint8))  # HAS_NUMBER | HAS_DATE | FIRST_SENTENCE
SENTENCE_PASSAGE = Array("sentences.passage", np.dtype(np.int32))  # its passage's row
SENTENCE_TERMS = _ragged("sentences.terms", np.int64)  # its sorted unique term keys

# Bits of SENTENCE_FLAGS: what a sentence holds, for the rerank's question-type priors.
HAS_NUMBER = 1
HAS_DATE = 2
FIRST_SENTENCE = 4  # the article's first sentence

# BM25 (bot.index.bm25), built from PASSAGE_TERMS and PASSAGE_COUNTS once every article is written.
# A posting is a passage and the term's finished BM25 weight in it; stored side by side, a term's
# postings are one contiguous read.
POSTING = np.dtype([("doc", "<i4"), ("weight", "<f4")])
BM25_TERMS = Array("bm25.terms", np.dtype(np.int64))  # every term key, sorted
BM25_INDPTR = _offsets("bm25.indptr")  # each term's run of postings
BM25_POSTINGS = Array("bm25.postings", POSTING, read=Read.SCATTERED)  # a term's best first

# The arrays bot.knowledge.assemble writes article by article, in the order they are written.
ARTICLE_ARRAYS: tuple[Array, ...] = (
    *PASSAGE_TEXT.arrays, *PASSAGE_HEADING.arrays, PASSAGE_ID, PASSAGE_ARTICLE, *PASSAGE_TERMS.arrays,
    PASSAGE_COUNTS, PASSAGE_SENTENCES, SENTENCE_SPAN, SENTENCE_FLAGS, SENTENCE_PASSAGE, *SENTENCE_TERMS.arrays,
    *TITLE_TERMS.arrays,
)
