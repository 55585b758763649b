"""Scoring ranked answers against gold answers, and latency percentiles."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import opencc

from bot.evaluation.squad import Question

_T2S = opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Compare in simplified form so traditional text is not penalised; case and spaces folded."""
    return "".join(_T2S.convert(text).lower().split())


def shows_answer(question: Question, article_key: str, snippet: str) -> bool:
    """A hit: the snippet is from the question's article (or a near-copy) and holds a gold answer."""
    return question.is_its_article(article_key) and any(simplified(a) in simplified(snippet) for a in question.answers)


@dataclass(frozen=True)
class Shown:
    """What one system showed for a question: ranked (article key, snippet) pairs and its verdict."""

    ranked: tuple[tuple[str, str], ...]
    answered: bool


@dataclass
class Tally:
    """Running totals for one system over one question set."""

    questions: int = 0
    top1: int = 0
    top5: int = 0
    reciprocal_rank: float = 0.0
    right_article: int = 0
    answered: int = 0
    answered_right: int = 0  # answered, with the answer in the first snippet
    unanswerable: int = 0
    false_answers: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, question: Question, shown: Shown, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        if question.article_key is None:
            self.unanswerable += 1
            self.false_answers += shown.answered
            return
        self.questions += 1
        self.answered += shown.answered
        hits = [shows_answer(question, key, snippet) for key, snippet in shown.ranked[:5]]
        if hits and hits[0]:
            self.top1 += 1
            self.answered_right += shown.answered
        if any(hits):
            self.top5 += 1
            self.reciprocal_rank += 1.0 / (hits.index(True) + 1)
        if shown.ranked and question.is_its_article(shown.ranked[0][0]):
            self.right_article += 1

    def figures(self, build_s: float, with_unanswerable: bool) -> dict:
        n = max(self.questions, 1)
        return {
            "questions": self.questions,
            "answer-in-top1": round(self.top1 / n, 4),
            "answer-in-top5": round(self.top5 / n, 4),
            "mrr@5": round(self.reciprocal_rank / n, 4),
            "right-article@1": round(self.right_article / n, 4),
            "answered": round(self.answered / n, 4),
            "answered-right": round(self.answered_right / n, 4),
            # Of the questions whose first snippet holds the answer, the share the bot dares to answer.
            "answered-when-shown": round(self.answered_right / max(self.top1, 1), 4),
            "false-answer": round(self.false_answers / max(self.unanswerable, 1), 4) if with_unanswerable else None,
            "p50_ms": round(percentile(self.latencies_ms, 50), 3),
            "p99_ms": round(percentile(self.latencies_ms, 99), 3),
            "build_s": round(build_s, 2),
        }


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] if pct < 100 else max(values)
