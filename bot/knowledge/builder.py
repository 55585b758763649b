"""Building a knowledge base: read every article file, cut passages, analyse them, index, swap in.

Articles whose bytes did not change since the last build are taken from that build as they are
(passages and analysed terms), so adding one article to a large base only analyses that one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from bot.config import Config, PassageSettings
from bot.errors import BuildFailed, IndexInvalid, IndexMissing, QabotError
from bot.index.arrays import pack_ragged
from bot.index.bm25 import build_sparse_index
from bot.index.knowledge_base import ArticleRecord, KnowledgeBase
from bot.index.store import FORMAT_VERSION, IndexWriter, build_lock
from bot.knowledge.files import Skipped, SourceFile, find_article_files, read_article_file
from bot.knowledge.formats import ParseError, parse_article
from bot.knowledge.passages import split_article
from bot.text.analysis import PIPELINE_VERSION, ArticleAnalysis, ArticleAnalyzer, load_user_words
from bot.text.terms import WORD_FLAG

log = logging.getLogger(__name__)

# Parallel workers only pay for themselves past this many articles to analyse.
PARALLEL_THRESHOLD = 200


@dataclass
class BuildReport:
    """What a build did, for the command line and for /reload."""

    articles: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    analysed: int = 0
    text_bytes: int = 0
    seconds: float = 0.0
    index_dir: Path | None = None

    @property
    def mb_per_second(self) -> float:
        return self.text_bytes / 1e6 / self.seconds if self.seconds else 0.0

    def summary_lines(self) -> list[str]:
        lines = [
            f"articles: {self.articles}, passages: {self.passages}",
            f"added: {len(self.added)}, changed: {len(self.changed)}, removed: {len(self.removed)}, "
            f"re-analysed: {self.analysed}",
            f"time: {self.seconds:.2f} s ({self.text_bytes / 1e6:.2f} MB of text, {self.mb_per_second:.2f} MB/s)",
        ]
        if self.skipped:
            lines.append(f"skipped: {len(self.skipped)}")
            lines.extend(f"  {s.key}: {s.reason}" for s in self.skipped)
        return lines


@dataclass
class AnalysedArticle:
    """An article ready for the index: metadata, passages and their analysis."""

    record: dict
    passage_ids: list[str]
    texts: list[str]
    headings: list[str]
    analysis: ArticleAnalysis
    text_bytes: int = 0


def build_knowledge_base(config: Config, progress: Callable[[Iterable, int], Iterable] | None = None,
                         workers: int | None = None) -> BuildReport:
    """Build from the articles directory and swap the result in; raises BuildFailed if nothing is usable."""
    started = time.perf_counter()
    if not config.articles_path.is_dir():
        raise BuildFailed(f"articles directory not found: {config.articles_path}")
    with build_lock(config.index_path):
        report = _build_locked(config, progress, workers)
    report.seconds = time.perf_counter() - started
    return report


def pipeline_fingerprint(config: Config) -> str:
    """Changes whenever cached passages or terms would come out differently."""
    user_dict = config.userdict_path.read_bytes() if config.userdict_path.is_file() else b""
    material = json.dumps([FORMAT_VERSION, PIPELINE_VERSION, config.passages.target_chars,
                           config.passages.max_chars, hashlib.sha256(user_dict).hexdigest()])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _build_locked(config: Config, progress, workers: int | None) -> BuildReport:
    report = BuildReport()
    fingerprint = pipeline_fingerprint(config)
    previous = _open_previous(config, fingerprint)
    paths, problems = find_article_files(config.articles_path, config.knowledge_dir)
    report.skipped.extend(problems)

    reused: dict[str, AnalysedArticle] = {}
    to_analyse: list[SourceFile] = []
    seen_digests: dict[str, str] = {}
    max_bytes = int(config.knowledge.max_file_mb * 1e6)
    for path in paths:
        source = read_article_file(path, config.knowledge_dir, max_bytes)
        if isinstance(source, Skipped):
            report.skipped.append(source)
            continue
        if source.digest in seen_digests:
            report.skipped.append(Skipped(source.key, f"duplicate of {seen_digests[source.digest]}"))
            continue
        seen_digests[source.digest] = source.key
        cached = previous.get(source.digest) if previous else None
        if cached is not None:
            reused[source.key] = _rekeyed(cached, source.key)
        else:
            to_analyse.append(source)

    analysed = _analyse_all(config, to_analyse, progress, workers)
    by_key: dict[str, AnalysedArticle] = dict(reused)
    for source, result in zip(to_analyse, analysed):
        if isinstance(result, Skipped):
            report.skipped.append(result)
        else:
            by_key[source.key] = result
    report.analysed = len(to_analyse)

    if not by_key:
        raise BuildFailed("no usable article found in " + str(config.articles_path) + _skip_hint(report.skipped))

    old_keys = set(previous.keys_by_digest.values()) if previous else set()
    old_digest_of = {k: d for d, k in previous.keys_by_digest.items()} if previous else {}
    for key, item in by_key.items():
        if key not in old_keys:
            report.added.append(key)
        elif old_digest_of.get(key) != item.record["digest"]:
            report.changed.append(key)
    report.removed = sorted(old_keys - set(by_key))
    report.skipped.sort(key=lambda s: s.key)

    ordered = [by_key[key] for key in sorted(by_key)]
    report.index_dir = _write_index(config, ordered, fingerprint)
    report.articles = len(ordered)
    report.passages = sum(len(a.texts) for a in ordered)
    report.text_bytes = sum(a.text_bytes for a in ordered)
    return report


def _skip_hint(skipped: list[Skipped]) -> str:
    if not skipped:
        return ""
    first = skipped[0]
    return f" ({len(skipped)} skipped, e.g. {first.key}: {first.reason})"


class _PreviousBuild:
    """Articles of the build being served, by content digest, for reuse."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.by_digest = {a.digest: a for a in kb.articles}
        self.number = {a.digest: n for n, a in enumerate(kb.articles)}
        self.keys_by_digest = {a.digest: a.key for a in kb.articles}

    def get(self, digest: str) -> AnalysedArticle | None:
        article = self.by_digest.get(digest)
        if article is None:
            return None
        kb = self.kb
        span = range(article.first_passage, article.first_passage + article.passage_count)
        texts = [kb.passage_texts[i] for i in span]
        first_sentence = int(kb.passage_sentences[span.start])
        sentence_bounds = [int(kb.passage_sentences[i]) for i in range(span.start, span.stop + 1)]
        analysis = ArticleAnalysis(
            title_terms=np.array(kb.title_terms[self.number[digest]]),
            passage_terms=[np.array(kb.passage_terms[i]) for i in span],
            passage_counts=[np.array(kb.passage_counts[kb.passage_terms.offsets[i]:kb.passage_terms.offsets[i + 1]])
                            for i in span],
            sentence_spans=[np.array(kb.sentence_spans[a:b]) for a, b in zip(sentence_bounds, sentence_bounds[1:])],
            sentence_flags=[np.array(kb.sentence_flags[a:b]) for a, b in zip(sentence_bounds, sentence_bounds[1:])],
            sentence_terms=[np.array(kb.sentence_terms[j]) for j in range(first_sentence, sentence_bounds[-1])],
        )
        return AnalysedArticle(
            record=article.to_json(),
            passage_ids=[kb.passage_ids[i].decode("ascii") for i in span],
            texts=texts,
            headings=[kb.passage_headings[i] for i in span],
            analysis=analysis,
            text_bytes=sum(len(t.encode("utf-8")) for t in texts),
        )


def _open_previous(config: Config, fingerprint: str) -> _PreviousBuild | None:
    try:
        kb = KnowledgeBase(config.index_path)
    except (IndexMissing, IndexInvalid):
        return None
    previous = _PreviousBuild(kb)
    if kb.manifest.get("pipeline") != fingerprint:
        # Passages and terms would differ now; keep only the keys, to report added/changed/removed.
        previous.by_digest = {}
    return previous


def _rekeyed(item: AnalysedArticle, key: str) -> AnalysedArticle:
    if item.record["key"] == key:
        return item
    # The same bytes under a new name: passage ids include the key, so they are derived again.
    from bot.knowledge.passages import passage_id_for

    item.record["key"] = key
    seen: dict[str, int] = {}
    ids = []
    for text in item.texts:
        ids.append(passage_id_for(key, text, seen.get(text, 0)))
        seen[text] = seen.get(text, 0) + 1
    item.passage_ids = ids
    return item


_worker_analyzer: ArticleAnalyzer | None = None


def _init_worker(user_words: list[str], max_chars: int) -> None:
    global _worker_analyzer
    _worker_analyzer = ArticleAnalyzer(user_words, max_chars)


def _analyse_in_worker(args: tuple[SourceFile, PassageSettings]) -> AnalysedArticle | Skipped:
    source, settings = args
    assert _worker_analyzer is not None
    return analyse_source(source, _worker_analyzer, settings)


def _analyse_all(config: Config, sources: list[SourceFile], progress, workers: int | None) -> list:
    if not sources:
        return []
    user_words = load_user_words(config.userdict_path)
    settings = config.passages
    workers = workers if workers is not None else (os.cpu_count() or 1)
    wrap = progress or (lambda items, total: items)
    if workers <= 1 or len(sources) < PARALLEL_THRESHOLD:
        analyzer = ArticleAnalyzer(user_words, settings.max_chars)
        return list(wrap((analyse_source(s, analyzer, settings) for s in sources), len(sources)))
    # spawn, not fork: a reload runs inside the bot's threads, and forking a threaded process can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(user_words, settings.max_chars)) as pool:
        jobs = ((s, settings) for s in sources)
        return list(wrap(pool.map(_analyse_in_worker, jobs, chunksize=32), len(sources)))


def analyse_source(source: SourceFile, analyzer: ArticleAnalyzer, settings: PassageSettings) -> AnalysedArticle | Skipped:
    """Parse, cut and analyse one file, or say why it can't be indexed."""
    try:
        article = parse_article(source.key, source.text)
    except ParseError as exc:
        return Skipped(source.key, str(exc))
    passages = split_article(article, settings)
    analysis = analyzer.analyse(article.title, [(p.heading, p.text) for p in passages])
    if not passages or not any(len(t) for t in analysis.sentence_terms):
        return Skipped(source.key, "no indexable text (only punctuation, symbols or page furniture)")
    record = ArticleRecord(
        key=article.key, title=article.title, source=article.source, date=article.date, time=article.time,
        url=article.url, section=article.section, tags=article.tags, digest=source.digest,
        first_passage=0, passage_count=len(passages),
    ).to_json()
    texts = [p.text for p in passages]
    return AnalysedArticle(
        record=record,
        passage_ids=[p.passage_id for p in passages],
        texts=texts,
        headings=[p.heading or "" for p in passages],
        analysis=analysis,
        text_bytes=sum(len(t.encode("utf-8")) for t in texts),
    )


def _write_index(config: Config, articles: list[AnalysedArticle], fingerprint: str) -> Path:
    writer = IndexWriter(config.index_path)
    try:
        records, texts, headings, ids, owners = [], [], [], [], []
        passage_terms, passage_counts, spans, flags, sentence_terms, title_terms = [], [], [], [], [], []
        for number, item in enumerate(articles):
            records.append({**item.record, "first_passage": len(texts), "passage_count": len(item.texts)})
            texts.extend(item.texts)
            headings.extend(item.headings)
            ids.extend(item.passage_ids)
            owners.extend([number] * len(item.texts))
            analysis = item.analysis
            passage_terms.extend(analysis.passage_terms)
            passage_counts.extend(analysis.passage_counts)
            spans.extend(analysis.sentence_spans)
            flags.extend(analysis.sentence_flags)
            sentence_terms.extend(analysis.sentence_terms)
            title_terms.append(analysis.title_terms)
        writer.json("articles", records)
        writer.strings("passages.text", texts)
        writer.strings("passages.heading", headings)
        writer.array("passages.id", np.array(ids, dtype="S16"))
        writer.array("passages.article", np.array(owners, dtype=np.int32))
        keys, offsets = pack_ragged(passage_terms, np.int64)
        counts = np.concatenate(passage_counts).astype(np.uint16)
        writer.array("passages.terms.values", keys)
        writer.array("passages.terms.offsets", offsets)
        writer.array("passages.counts", counts)
        sentences_per_passage = np.array([len(s) for s in spans], dtype=np.int64)
        writer.array("passages.sentences", np.concatenate([[0], np.cumsum(sentences_per_passage)]).astype(np.int64))
        writer.array("sentences.span", np.concatenate(spans).astype(np.int32).reshape(-1, 2))
        writer.array("sentences.flags", np.concatenate(flags).astype(np.uint8))
        writer.array("sentences.passage", np.repeat(np.arange(len(spans), dtype=np.int32), sentences_per_passage))
        writer.ragged("sentences.terms", sentence_terms, np.int64)
        writer.ragged("articles.title_terms", title_terms, np.int64)
        sparse = build_sparse_index(keys, counts, offsets, fields=(keys >= WORD_FLAG).astype(np.int8))
        writer.array("bm25.terms", sparse.term_keys)
        writer.array("bm25.indptr", sparse.indptr)
        writer.array("bm25.doc_ids", sparse.doc_ids)
        writer.array("bm25.weights", sparse.weights)
        return writer.commit({"pipeline": fingerprint, "articles": len(records), "passages": len(texts)})
    except BaseException:
        writer.abort()
        raise


def iter_progress(items: Iterable, total: int, enabled: bool) -> Iterator:
    """Wrap an iterable in a tqdm bar when there are more than a handful of files."""
    if not enabled or total <= 5:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, unit="file", desc="analysing", leave=False)


__all__ = ["BuildReport", "build_knowledge_base", "analyse_source", "QabotError"]
