"""The application core: the knowledge base being served, questions, and reloads without a restart."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.config import Config
from bot.errors import IndexMissing
from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.builder import BuildReport, build_knowledge_base
from bot.retrieval.answer import Answer
from bot.retrieval.retriever import Retriever
from bot.text.analysis import load_user_words
from bot.text.clean import replace_lone_surrogates
from bot.text.synonyms import load_synonyms
from bot.text.terms import Segmenter


@dataclass(frozen=True)
class Loaded:
    """One knowledge base and the retriever over it; replaced whole on reload, never mutated."""

    kb: KnowledgeBase
    retriever: Retriever


class QAService:
    """Answers questions from the current knowledge base; reload() swaps in a new one atomically."""

    def __init__(self, config: Config, loaded: Loaded) -> None:
        self.config = config
        self._loaded = loaded
        self._reload_lock = threading.Lock()

    @classmethod
    def open(cls, config: Config, build_if_missing: bool = False) -> "QAService":
        """Load the built knowledge base, building it first if asked and there is none."""
        try:
            kb = KnowledgeBase(config.index_path)
        except IndexMissing:
            if not build_if_missing:
                raise
            build_knowledge_base(config)
            kb = KnowledgeBase(config.index_path)
        return cls(config, _load(config, kb))

    @property
    def kb(self) -> KnowledgeBase:
        return self._loaded.kb

    def ask(self, question: str, k: int | None = None, offset: int = 0) -> Answer:
        # One read of the reference: a question never sees half of a reload.
        return self._loaded.retriever.ask(replace_lone_surrogates(question), k=k, offset=offset)

    @property
    def reloading(self) -> bool:
        return self._reload_lock.locked()

    def reload(self) -> BuildReport:
        """Rebuild from the articles and serve the result; on any error the old base keeps serving."""
        with self._reload_lock:
            report = build_knowledge_base(self.config)
            self._loaded = _load(self.config, KnowledgeBase(self.config.index_path))
            return report


def _load(config: Config, kb: KnowledgeBase) -> Loaded:
    segmenter = Segmenter(load_user_words(config.userdict_path))
    return Loaded(kb, Retriever(kb, config.retrieval, segmenter, load_synonyms(config.synonyms_path)))
