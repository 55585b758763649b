"""`qabot eval`: build a temporary knowledge base from question sets and ask every question."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from bot.config import Config
from bot.evaluation.baseline import PlainBM25
from bot.evaluation.metrics import Shown, Tally
from bot.errors import BuildFailed, QabotError
from bot.evaluation.squad import Question, SetArticle, read_questions, read_set_articles, write_article_files
from bot.knowledge.builder import build_knowledge_base, iter_progress
from bot.retrieval.answer import Answer
from bot.service import QAService

ROWS = ("answer-in-top1", "answer-in-top5", "mrr@5", "right-article@1", "answered", "answered-right",
        "answered-when-shown", "false-answer", "p50_ms", "p99_ms", "build_s")
# Off-topic questions asked of each small base, unless --unanswerable-per-base says otherwise.
UNANSWERABLE_PER_BASE = 20


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    unanswerable = [Path(f) for group in (args.unanswerable or []) for f in group]
    if args.base_articles is not None and args.base_articles < 1:
        raise QabotError("--base-articles must be at least 1")
    figures = evaluate([Path(f) for f in args.files], unanswerable, config, baseline=args.baseline,
                       limit=args.limit, base_articles=args.base_articles,
                       per_base=args.unanswerable_per_base, seed=args.seed,
                       log=lambda m: print(m, file=sys.stderr))
    print(format_table(figures))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


def evaluate(sets: list[Path], unanswerable: list[Path], config: Config, baseline: bool = False,
             limit: int | None = None, base_articles: int | None = None, per_base: int = UNANSWERABLE_PER_BASE,
             seed: int = 0, log: Callable[[str], None] = lambda m: None) -> dict:
    """Figures for the retriever (and plain BM25 with baseline=True), keys as `qabot eval --json` prints.

    With `base_articles`, the sets' articles are shuffled (seeded) into bases of that many articles;
    each base answers its own articles' questions and `per_base` sampled unanswerable questions.
    """
    articles = read_set_articles(sets)
    others = [q for path in unanswerable for q in read_questions(path)]
    if limit is not None:
        others = others[:limit]
    bases = split_into_bases(articles, base_articles, seed)
    log(f"{len(bases)} knowledge base(s) of {len(articles)} articles in all")
    ours, plain, build_s, baseline_build_s = Tally(), Tally(), 0.0, 0.0
    sampler = random.Random(seed + 1)
    asked = 0
    for number, base in enumerate(bases):
        if limit is not None and asked >= limit:
            break
        with built_base(base, config, show_progress=len(bases) == 1) as (service, questions, seconds):
            build_s += seconds
            if limit is not None:
                questions = questions[:limit - asked]
            asked += len(questions)
            off_topic = others if base_articles is None else sampler.sample(others, min(per_base, len(others)))
            if number == 0:
                log(f"asking {len(questions)} questions" + (f" and {len(off_topic)} unanswerable ones" if off_topic else "")
                    + (" in the first base" if len(bases) > 1 else ""))
            with one_core():
                run_questions(lambda q: shown_by(service, q), questions, off_topic, ours)
                if baseline:
                    started = time.perf_counter()
                    ask_plain = PlainBM25(service.kb).ask if service else (lambda q: Shown((), False))
                    baseline_build_s += time.perf_counter() - started
                    run_questions(ask_plain, questions, off_topic, plain)
    figures = ours.figures(build_s, bool(others))
    figures["baseline"] = plain.figures(baseline_build_s, bool(others)) if baseline else None
    if base_articles is not None:
        figures["base_articles"] = base_articles
        figures["bases"] = len(bases)
    return figures


def split_into_bases(articles: list[SetArticle], size: int | None, seed: int) -> list[list[SetArticle]]:
    """The articles shuffled (seeded) into bases of `size`; None: one base of all, in file order."""
    if size is None:
        return [list(articles)]
    shuffled = list(articles)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[i:i + size] for i in range(0, len(shuffled), size)]


@contextmanager
def built_base(articles: list[SetArticle], config: Config, show_progress: bool = False,
               sentence_cap: int | None = None) -> Iterator[tuple[QAService | None, list[Question], float]]:
    """A temporary knowledge base of these articles: the service over it (None if none could be built),
    their questions, the build time. `sentence_cap`: see build_knowledge_base."""
    with tempfile.TemporaryDirectory(prefix="qabot-eval-") as tmp:
        knowledge = Path(tmp) / "knowledge"
        questions = write_article_files(articles, knowledge / "articles")
        eval_config = dataclasses.replace(config, knowledge_dir=knowledge)
        started = time.perf_counter()
        # A handful of articles is analysed faster in this process than worker processes start.
        try:
            build_knowledge_base(eval_config, workers=None if show_progress else 1,
                                 progress=lambda items, total: iter_progress(items, total, show_progress and sys.stderr.isatty()),
                                 sentence_cap=sentence_cap)
        except BuildFailed:
            # Every article of the base was skipped: its questions go unanswered, as a user's would.
            yield None, questions, time.perf_counter() - started
            return
        seconds = time.perf_counter() - started
        yield QAService.open(eval_config), questions, seconds


def sample_questions(questions: list[Question], size: int, seed: int) -> list[Question]:
    """A seeded sample of `size` questions (all of them when there are fewer), in the set's order."""
    picked = sorted(random.Random(seed).sample(range(len(questions)), min(size, len(questions))))
    return [questions[i] for i in picked]


def shown_by(service: QAService | None, question: str) -> Shown:
    if service is None:
        return Shown((), False)
    return shown(service.ask(question, k=max(5, service.config.retrieval.top_k)))


def shown(answer: Answer) -> Shown:
    """What an answer shows, as the metrics read it."""
    return Shown(tuple((r.passage.article.key, r.snippet) for r in answer.results), answer.answered)


def run_questions(ask: Callable[[str], Shown], questions: list[Question], others: list[Question],
                  tally: Tally | None = None) -> Tally:
    tally = tally if tally is not None else Tally()
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
