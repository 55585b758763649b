"""Building a knowledge base: read every article file, cut passages, analyse them, index, swap in.

Articles whose bytes did not change since the last build are taken from that build as they are
(passages and analysed terms), so adding one article to a large base only analyses that one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from bot.config import Config, PassageSettings
from bot.errors import BuildFailed, IndexInvalid, IndexMissing
from bot.index import schema
from bot.index.arrays import FileArray
from bot.index.bm25 import build_sparse_index
from bot.index.knowledge_base import ArticleRecord, KnowledgeBase
from bot.index.schema import FORMAT_VERSION, PIPELINE_VERSION
from bot.index.store import IndexWriter, build_lock
from bot.knowledge.analysis import ArticleAnalysis, ArticleAnalyzer
from bot.knowledge.assemble import IndexStream
from bot.knowledge.files import Skipped, SourceFile, find_article_files, read_article_file
from bot.knowledge.formats import READER_VERSION, ParseError, parse_article, parse_document
from bot.knowledge.orphans import end_with_parent
from bot.knowledge.passages import split_article
from bot.knowledge.untrusted import one_line
from bot.text.terms import WORD_FLAG
from bot.text.user_words import load_user_words

if TYPE_CHECKING:  # imported where the workers start: a small build starts none (0.008 s)
    from concurrent.futures import ProcessPoolExecutor

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
    replaced_unusable: str | None = None  # why the index found before the build could not be read

    @property
    def mb_per_second(self) -> float:
        return self.text_bytes / 1e6 / self.seconds if self.seconds else 0.0

    def summary_lines(self, wording: Callable[[str], str] = str) -> list[str]:
        """The report as lines; `wording` rewords each skip reason (the CLI shows them in Chinese)."""
        lines = [
            f"articles: {self.articles}, passages: {self.passages}",
            f"added: {len(self.added)}, changed: {len(self.changed)}, removed: {len(self.removed)}, "
            f"re-analysed: {self.analysed}",
            f"time: {self.seconds:.2f} s ({self.text_bytes / 1e6:.2f} MB of text, {self.mb_per_second:.2f} MB/s)",
        ]
        if self.replaced_unusable:
            lines.append(f"built anew: the previous index could not be read ({self.replaced_unusable})")
        if self.skipped:
            lines.append(f"skipped: {len(self.skipped)}")
            lines.extend(f"  {one_line(s.key)}: {one_line(wording(s.reason))}" for s in self.skipped)
        return lines


@dataclass
class AnalysedArticle:
    """An article ready for the index: metadata, passages and their analysis."""

    record: dict
    passage_ids: list[str]
    texts: list[str]
    headings: list[str]
    analysis: ArticleAnalysis


def build_knowledge_base(config: Config, progress: Callable[[Iterable, int], Iterable] | None = None,
                         workers: int | None = None, accept: Callable[[Path], None] | None = None,
                         sentence_cap: int | None = None) -> BuildReport:
    """Build from the articles directory and swap the result in; raises BuildFailed if nothing is usable.

    `accept` sees the finished build directory before it is swapped in and may refuse it by raising.
    `sentence_cap` replaces MAX_SENTENCE_CHARS (bot/knowledge/analysis.py), for tuning it.
    """
    started = time.perf_counter()
    if not config.articles_path.is_dir():
        raise BuildFailed(f"articles directory not found: {config.articles_path}")
    with build_lock(config.index_path):
        report = _build_locked(config, progress, workers, accept, sentence_cap)
    report.seconds = time.perf_counter() - started
    return report


def pipeline_fingerprint(config: Config, sentence_cap: int | None = None) -> str:
    """Changes whenever cached passages or terms would come out differently."""
    user_dict = config.userdict_path.read_bytes() if config.userdict_path.is_file() else b""
    parts = [FORMAT_VERSION, PIPELINE_VERSION, READER_VERSION, config.passages.target_chars,
             config.passages.max_chars, hashlib.sha256(user_dict).hexdigest()]
    # Only a tuning build's sentences differ; the shipped fingerprint stays what it was.
    material = json.dumps(parts if sentence_cap is None else [*parts, sentence_cap])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _build_locked(config: Config, progress, workers: int | None, accept: Callable[[Path], None] | None,
                  sentence_cap: int | None) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    fingerprint = pipeline_fingerprint(config, sentence_cap)
    previous, report.replaced_unusable = _open_previous(config, fingerprint)
    paths, problems = find_article_files(config.articles_path, config.knowledge_dir)
    report.skipped.extend(problems)

    # key -> the previous build's article number (unchanged bytes) or the file to analyse
    plan: dict[str, int | SourceFile] = {}
    digests: dict[str, str] = {}
    seen_digests: dict[str, str] = {}
    max_bytes = int(config.knowledge.max_file_mb * 1e6)
    for path in paths:
        source = read_article_file(path, config.knowledge_dir, max_bytes, config.articles_path)
        if isinstance(source, Skipped):
            report.skipped.append(source)
            continue
        if source.digest in seen_digests:
            report.skipped.append(Skipped(source.key, f"duplicate of {seen_digests[source.digest]}"))
            continue
        seen_digests[source.digest] = source.key
        cached = previous.reusable.get(source.digest) if previous else None
        plan[source.key] = cached if cached is not None else source
        digests[source.key] = source.digest

    keys = sorted(plan)
    to_analyse = [plan[key] for key in keys if isinstance(plan[key], SourceFile)]
    report.analysed = len(to_analyse)
    log.info("read %d files in %.1f s", len(plan), time.perf_counter() - started)
    started = time.perf_counter()
    analysed = _analyse_all(config, to_analyse, progress, workers, sentence_cap)
    writer = IndexWriter(config.index_path)
    try:
        stream = IndexStream(writer)
        written: list[str] = []
        for key in keys:
            item = plan[key]
            if isinstance(item, SourceFile):
                result = next(analysed)
                if isinstance(result, Skipped):
                    report.skipped.append(result)
                    continue
                stream.add(result)
            else:
                stream.reuse(previous.kb, item, key)
            written.append(key)
        if not written:
            raise BuildFailed("no usable article found in " + str(config.articles_path) + _skip_hint(report.skipped))
        records = stream.finish()
        log.info("analysed and wrote %d articles in %.1f s", len(records), time.perf_counter() - started)
        started = time.perf_counter()
        _write_sparse(writer)
        log.info("built the BM25 postings in %.1f s", time.perf_counter() - started)
        report.index_dir = writer.commit({"pipeline": fingerprint, "articles": len(records),
                                          "passages": stream.passages}, accept)
    except BaseException:
        writer.abort()
        raise

    old_digest_of = {k: d for d, k in previous.keys_by_digest.items()} if previous else {}
    for key in written:
        if key not in old_digest_of:
            report.added.append(key)
        elif old_digest_of[key] != digests[key]:
            report.changed.append(key)
    report.removed = sorted(set(old_digest_of) - set(written))
    report.skipped.sort(key=lambda s: s.key)
    report.articles = len(records)
    report.passages = stream.passages
    report.text_bytes = stream.text_bytes
    return report


def _write_sparse(writer: IndexWriter) -> None:
    """The BM25 postings, from the passage terms just written, a chunk at a time."""
    # Read a chunk at a time rather than mapped: mapped pages stay in the build's RSS once read.
    keys = FileArray(writer.path(schema.PASSAGE_TERMS.values))
    counts = FileArray(writer.path(schema.PASSAGE_COUNTS))
    offsets = np.load(writer.path(schema.PASSAGE_TERMS.offsets))
    sparse = build_sparse_index(keys, counts, offsets,
                                field_of=lambda start, stop, chunk: (chunk >= WORD_FLAG).astype(np.int64))
    writer.array(schema.BM25_TERMS, sparse.term_keys)
    writer.array(schema.BM25_INDPTR, sparse.indptr)
    writer.array(schema.BM25_POSTINGS, sparse.table)


def _skip_hint(skipped: list[Skipped]) -> str:
    if not skipped:
        return ""
    first = skipped[0]
    return f" ({len(skipped)} skipped, e.g. {first.key}: {first.reason})"


class _PreviousBuild:
    """The build being served: which of its articles can be copied into the new one, by content digest."""

    def __init__(self, kb: KnowledgeBase, reusable: bool) -> None:
        self.kb = kb
        # Empty when passages and terms would differ now: the keys are still kept, to report added/changed/removed.
        self.reusable = {a.digest: n for n, a in enumerate(kb.articles)} if reusable else {}
        self.keys_by_digest = {a.digest: a.key for a in kb.articles}


def _open_previous(config: Config, fingerprint: str) -> tuple[_PreviousBuild | None, str | None]:
    """The build being served, for reuse, or None and why it can't be read (None when there is none)."""
    try:
        kb = KnowledgeBase(config.index_path)
    except IndexMissing:
        return None, None
    except IndexInvalid as exc:
        return None, exc.reason
    return _PreviousBuild(kb, reusable=kb.manifest.get("pipeline") == fingerprint), None


_worker_analyzer: ArticleAnalyzer | None = None


def _init_worker(user_words: list[str], max_chars: int, parent_pid: int, sentence_cap: int | None) -> None:
    global _worker_analyzer
    end_with_parent(parent_pid)  # a killed build must not leave workers of ~140 MB behind
    _worker_analyzer = ArticleAnalyzer(user_words, max_chars, sentence_cap)


def _analyse_in_worker(sources: list[SourceFile], settings: PassageSettings) -> list[AnalysedArticle | Skipped]:
    assert _worker_analyzer is not None
    return [analyse_source(source, _worker_analyzer, settings) for source in sources]


def _in_order(pool: ProcessPoolExecutor, sources: list[SourceFile], settings: PassageSettings,
              batch: int, window: int) -> Iterator[AnalysedArticle | Skipped]:
    """Results in the order of `sources`, with at most `window` batches submitted and not yet taken.

    Executor.map would submit everything at once, and results the writer has not reached yet
    would pile up in memory; this keeps the build's memory flat however many articles there are.
    """
    pending: deque = deque()
    starts = iter(range(0, len(sources), batch))
    for start in itertools.islice(starts, window):
        pending.append(pool.submit(_analyse_in_worker, sources[start:start + batch], settings))
    while pending:
        results = pending.popleft().result()
        for start in itertools.islice(starts, 1):
            pending.append(pool.submit(_analyse_in_worker, sources[start:start + batch], settings))
        yield from results


def _analyse_all(config: Config, sources: list[SourceFile], progress, workers: int | None,
                 sentence_cap: int | None = None) -> Iterator:
    """Analyses in the order of `sources`, yielded as they come, so that they can be written and let go."""
    if not sources:
        return
    user_words = load_user_words(config.userdict_path)
    settings = config.passages
    workers = workers if workers is not None else (os.cpu_count() or 1)
    wrap = progress or (lambda items, total: items)
    if workers <= 1 or len(sources) < PARALLEL_THRESHOLD:
        analyzer = ArticleAnalyzer(user_words, settings.max_chars, sentence_cap)
        yield from wrap((analyse_source(s, analyzer, settings) for s in sources), len(sources))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a reload runs inside the bot's threads, and forking a threaded process can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(user_words, settings.max_chars, os.getpid(), sentence_cap)) as pool:
        yield from wrap(_in_order(pool, sources, settings, batch=32, window=4 * workers), len(sources))


def analyse_source(source: SourceFile, analyzer: ArticleAnalyzer, settings: PassageSettings) -> AnalysedArticle | Skipped:
    """Parse, cut and analyse one file, or say why it can't be indexed."""
    try:
        article = parse_document(source.key, source.raw) if source.raw is not None else parse_article(source.key, source.text)
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
    )


def iter_progress(items: Iterable, total: int, enabled: bool) -> Iterator:
    """Wrap an iterable in a tqdm bar when there are more than a handful of files."""
    if not enabled or total <= 5:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, unit="file", desc="analysing", leave=False)


__all__ = ["BuildReport", "build_knowledge_base", "analyse_source"]
