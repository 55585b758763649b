"""What the retriever returns; every front end (command line, chat, Telegram) renders these."""

from __future__ import annotations

from dataclasses import dataclass

from bot.index.knowledge_base import PassageView


@dataclass(frozen=True)
class Result:
    """One passage that may answer the question, with the part of it to show."""

    passage: PassageView
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) spans of the snippet that matched the question
    score: float  # confidence in [0, 1]; comparable across knowledge bases


@dataclass(frozen=True)
class Answer:
    """The retriever's reply to one question."""

    question: str
    answered: bool
    results: tuple[Result, ...]
    related_titles: tuple[str, ...] = ()  # offered when nothing answers
    features: tuple[float, ...] = ()  # the confidence's inputs (bot/retrieval/confidence.py), for fitting it

    @property
    def best(self) -> Result | None:
        return self.results[0] if self.results else None
