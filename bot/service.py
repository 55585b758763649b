"""The application core: the knowledge base being served, questions, and reloads without a restart."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from bot.config import Config
from bot.errors import IndexInvalid, IndexMissing
from bot.faq.entries import FAQ_FILE, FaqFile, read_faq
from bot.faq.matcher import CuratedAnswers
from bot.index.knowledge_base import KnowledgeBase
from bot.quality.checks import QUESTIONS_FILE
from bot.retrieval.answer import Answer
from bot.retrieval.retriever import Retriever
from bot.text.clean import replace_lone_surrogates
from bot.text.synonyms import load_synonyms
from bot.text.terms import shared_segmenter
from bot.text.user_words import load_user_words

if TYPE_CHECKING:  # building is imported where it runs: `qabot ask` on a built base never needs it
    from bot.knowledge.builder import BuildReport
    from bot.quality.gate import Verdict


@dataclass(frozen=True)
class Loaded:
    """One knowledge base, the retriever over it and the curated answers; replaced whole, never mutated."""

    kb: KnowledgeBase
    retriever: Retriever
    curated: CuratedAnswers
    faq: FaqFile

    def ask(self, question: str, k: int | None = None, offset: int = 0) -> Answer:
        """A curated answer that matches well comes first; the article results follow it."""
        first = self.curated.result(question)
        if first is None:
            return self.retriever.ask(question, k=k, offset=offset)
        k = k or self.retriever.settings.top_k
        if offset > 0:  # the curated answer holds place 0 of the list
            return replace(self.retriever.ask(question, k=k, offset=offset - 1), answered=True, related_titles=())
        rest = self.retriever.ask(question, k=k - 1).results if k > 1 else ()
        return Answer(question, True, (first, *rest))

    def with_faq(self, config: Config) -> "Loaded":
        """The same base with faq.yaml read again."""
        faq = read_faq(faq_path(config))
        return replace(self, curated=CuratedAnswers(faq.entries, self.retriever.segmenter), faq=faq)


@dataclass(frozen=True)
class BuildResult:
    """A build that was swapped in: its report, the loaded base, and the verdict of questions.yaml (if any)."""

    report: BuildReport
    loaded: Loaded
    verdict: Verdict | None


class QAService:
    """Answers questions from the current knowledge base; reload() swaps in a new one atomically."""

    def __init__(self, config: Config, loaded: Loaded) -> None:
        self.config = config
        self._loaded = loaded
        self._reload_lock = threading.Lock()
        self._swap_lock = threading.Lock()  # faq.yaml is read and the result assigned as one step

    @classmethod
    def open(cls, config: Config, build_if_missing: bool = False) -> "QAService":
        """Load the built knowledge base, building it first if asked and there is none."""
        try:
            kb = KnowledgeBase(config.index_path)
        except IndexMissing:
            if not build_if_missing:
                raise
            from bot.knowledge.builder import build_knowledge_base

            build_knowledge_base(config)
            kb = KnowledgeBase(config.index_path)
        return cls(config, load(config, kb))

    @property
    def kb(self) -> KnowledgeBase:
        return self._loaded.kb

    @property
    def loaded(self) -> Loaded:
        return self._loaded

    def ask(self, question: str, k: int | None = None, offset: int = 0) -> Answer:
        # One read of the reference: a question never sees half of a reload.
        return self._loaded.ask(replace_lone_surrogates(question), k=k, offset=offset)

    def ask_articles(self, question: str, k: int | None = None) -> Answer:
        """The article results alone, without curated answers (for choosing a passage to teach)."""
        return self._loaded.retriever.ask(replace_lone_surrogates(question), k=k)

    @property
    def reloading(self) -> bool:
        return self._reload_lock.locked()

    def reload(self, force: bool = False) -> BuildResult:
        """Rebuild from the articles, check it with questions.yaml and serve it; on any error
        (GateRefused included) the old base keeps serving."""
        with self._reload_lock:
            result = build_checked(self.config, self._loaded, force)
            with self._swap_lock:
                # faq.yaml again: an entry taught while the build ran must not be lost.
                self._loaded = result.loaded.with_faq(self.config)
            return result

    def refresh_faq(self) -> FaqFile:
        """Read faq.yaml again and serve its entries at once (no rebuild)."""
        with self._swap_lock:
            self._loaded = self._loaded.with_faq(self.config)
            return self._loaded.faq


def faq_path(config: Config) -> Path:
    return config.knowledge_dir / FAQ_FILE


def checks_path(config: Config) -> Path:
    return config.knowledge_dir / QUESTIONS_FILE


def load(config: Config, kb: KnowledgeBase) -> Loaded:
    segmenter = shared_segmenter(tuple(load_user_words(config.userdict_path)))
    faq = read_faq(faq_path(config))
    retriever = Retriever(kb, config.retrieval, segmenter, load_synonyms(config.synonyms_path))
    return Loaded(kb, retriever, CuratedAnswers(faq.entries, segmenter), faq)


def build_checked(config: Config, serving: Loaded | None, force: bool = False,
                  progress: Callable[[Iterable, int], Iterable] | None = None,
                  workers: int | None = None) -> BuildResult:
    """Build, run questions.yaml on the new base (and the serving one) before it is swapped in, and load it.

    Raises ChecksInvalid before building when questions.yaml is bad, and GateRefused (nothing
    swapped in) when the new base gets fewer checks right than the serving one, unless forced.
    """
    from bot.knowledge.builder import build_knowledge_base
    from bot.quality.checks import read_checks
    from bot.quality.gate import Gate

    gate = Gate(read_checks(checks_path(config)), serving.ask if serving is not None else None, force)
    candidate: list[Loaded] = []

    def accept(build_dir: Path) -> None:
        # The writer hashed every file as it wrote it; reading them all again here would double the cost.
        loaded = load(config, KnowledgeBase(config.index_path, build_dir, verify=False))
        candidate.append(loaded)
        if gate.checks:
            gate.judge(loaded.ask)

    report = build_knowledge_base(config, progress=progress, workers=workers, accept=accept)
    loaded = candidate[0]
    report.skipped.extend(loaded.faq.skipped)  # faq.yaml's entries are checked with every build
    return BuildResult(report, loaded, gate.verdict)


def open_or_build(config: Config, announce: Callable[[str], None]) -> QAService:
    """The knowledge base to serve; when there is none yet, `announce` says so and it is built first."""
    try:
        return QAService.open(config)
    except IndexMissing:
        announce(f"no knowledge base yet; building it from {config.articles_path}")
        return QAService.open(config, build_if_missing=True)


def serving_base(config: Config) -> Loaded | None:
    """The base being served on disk, for comparing a new build with; None when there is none or it is unusable."""
    try:
        return load(config, KnowledgeBase(config.index_path))
    except (IndexMissing, IndexInvalid):
        return None
