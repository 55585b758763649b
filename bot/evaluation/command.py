"""`qabot eval`: build a temporary knowledge base from question sets and ask every question."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from bot.config import Config
from bot.evaluation.baseline import PlainBM25
from bot.evaluation.metrics import Shown, Tally
from bot.evaluation.squad import Question, read_questions, write_articles
from bot.knowledge.builder import build_knowledge_base, iter_progress
from bot.service import QAService

ROWS = ("answer-in-top1", "answer-in-top5", "mrr@5", "right-article@1", "answered", "false-answer",
        "p50_ms", "p99_ms", "build_s")


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    figures = evaluate([Path(f) for f in args.files], Path(args.unanswerable) if args.unanswerable else None,
                       config, baseline=args.baseline, limit=args.limit, log=lambda m: print(m, file=sys.stderr))
    print(format_table(figures))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


def evaluate(sets: list[Path], unanswerable: Path | None, config: Config, baseline: bool = False,
             limit: int | None = None, log: Callable[[str], None] = lambda m: None) -> dict:
    """Figures for the retriever (and plain BM25 with baseline=True), keys as `qabot eval --json` prints."""
    with tempfile.TemporaryDirectory(prefix="qabot-eval-") as tmp:
        knowledge = Path(tmp) / "knowledge"
        questions = write_articles(sets, knowledge / "articles")
        if limit is not None:
            questions = questions[:limit]
        others = read_questions(unanswerable) if unanswerable else []
        if limit is not None:
            others = others[:limit]
        eval_config = dataclasses.replace(config, knowledge_dir=knowledge)
        log(f"building a knowledge base of {len(list((knowledge / 'articles').rglob('*.txt')))} articles")
        started = time.perf_counter()
        build_knowledge_base(eval_config, progress=lambda items, total: iter_progress(items, total, sys.stderr.isatty()))
        build_s = time.perf_counter() - started
        service = QAService.open(eval_config)
        top_k = max(5, config.retrieval.top_k)

        def ask_retriever(question: str) -> Shown:
            answer = service.ask(question, k=top_k)
            return Shown(tuple((r.passage.article.key, r.snippet) for r in answer.results), answer.answered)

        log(f"asking {len(questions)} questions" + (f" and {len(others)} unanswerable ones" if others else ""))
        with one_core():
            figures = run_questions(ask_retriever, questions, others).figures(build_s, bool(unanswerable))
            if baseline:
                started = time.perf_counter()
                plain = PlainBM25(service.kb)
                baseline_build_s = time.perf_counter() - started
                tally = run_questions(plain.ask, questions, others)
                figures["baseline"] = tally.figures(baseline_build_s, bool(unanswerable))
            else:
                figures["baseline"] = None
    return figures


def run_questions(ask: Callable[[str], Shown], questions: list[Question], others: list[Question]) -> Tally:
    tally = Tally()
    for question in [*questions, *others]:
        started = time.perf_counter()
        shown = ask(question.text)
        tally.add(question, shown, (time.perf_counter() - started) * 1000)
    return tally


class one_core:
    """Pin the process to one CPU while measuring, so latency is per core as the targets state."""

    def __enter__(self) -> None:
        self.saved = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        if self.saved:
            os.sched_setaffinity(0, {min(self.saved)})

    def __exit__(self, *exc: object) -> None:
        if self.saved:
            os.sched_setaffinity(0, self.saved)


def format_table(figures: dict) -> str:
    base = figures.get("baseline")
    lines = [f"questions: {figures['questions']}", f"{'measure':<18}{'qabot':>10}" + (f"{'plain BM25':>12}" if base else "")]
    for row in ROWS:
        value = figures[row]
        line = f"{row:<18}{_fmt(value):>10}"
        if base:
            line += f"{_fmt(base[row]):>12}"
        lines.append(line)
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
