"""`qabot tune --passages SIZE`: re-derive stage one's posting caps (PostingCaps) on a large base.

The caps trade quality for speed only where a term's list is longer than its cap, so they are
measured where `qabot bench` measures scale: a base of SIZE passages generated from the sets
(bot/evaluation/bench_data.py: held-out source articles, filler recombined from the others), built
once, its held-out questions asked with the shipped caps and with each cap moved alone. Latency is
per question on one core, as `qabot eval` reports it, and as CPU time, which a shared machine
disturbs less.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Callable

from bot.config import Config
from bot.errors import QabotError
from bot.evaluation.command import one_core, run_questions, sample_questions, shown
from bot.evaluation.squad import Question
from bot.retrieval.retriever import Retriever
from bot.retrieval.weights import SHIPPED_CAPS, PostingCaps

FACTORS = (0.25, 0.5, 2.0, 4.0)  # tried values, as multiples of the shipped one


def tune_caps(sets: list[Path], config: Config, passages: int, sample: int, seed: int,
              log: Callable[[str], None] = lambda m: None) -> str:
    """The report: each cap's tried values with answer-in-top1, right-article@1 and latency."""
    from bot.evaluation.bench_data import load_material, write_base
    from bot.knowledge.builder import build_knowledge_base
    from bot.service import QAService

    material = load_material(sets)
    if not material.questions or not material.sentences:
        raise QabotError("the sets are too small for a generated base: they need at least two titles each")
    with tempfile.TemporaryDirectory(prefix="qabot-tune-") as tmp:
        base_config = dataclasses.replace(config, knowledge_dir=Path(tmp))
        n_filler = write_base(Path(tmp), material, passages, config.passages)
        report = build_knowledge_base(base_config)
        log(f"built {report.passages} passages ({n_filler} filler articles) in {report.seconds:.0f} s")
        retriever = QAService.open(base_config).loaded.retriever
        questions = sample_questions(material.questions, sample, seed)
        caps_figures(retriever, questions, SHIPPED_CAPS)  # a first pass reads the index into the page cache
        shipped = caps_figures(retriever, questions, SHIPPED_CAPS)
        rows = {f.name: [(value, caps_figures(retriever, questions, dataclasses.replace(SHIPPED_CAPS, **{f.name: value})))
                         for value in grid(f.name)] for f in dataclasses.fields(PostingCaps)}
        return caps_report(report.passages, len(questions), shipped, rows)


def grid(name: str) -> list[float]:
    shipped = getattr(SHIPPED_CAPS, name)
    return [type(shipped)(shipped * f) for f in FACTORS]


def caps_figures(retriever: Retriever, questions: list[Question], caps: PostingCaps) -> dict:
    """eval's figures, and the CPU time a question took: on a shared machine, waits for a core stretch
    the wall-clock latencies, not the CPU time."""
    tuned = retriever.tuned(caps=caps)
    started = time.process_time()
    with one_core():
        figures = run_questions(lambda text: shown(tuned.ask(text, k=1)), questions, []).figures(0.0, False)
    figures["cpu_ms"] = (time.process_time() - started) * 1000 / max(len(questions), 1)
    return figures


def caps_report(passages: int, questions: int, shipped: dict, rows: dict[str, list[tuple[float, dict]]]) -> str:
    shares_from = {name: round(getattr(SHIPPED_CAPS, name.removesuffix("_share")) / getattr(SHIPPED_CAPS, name))
                   for name in ("term_share", "char_share")}
    lines = [f"a generated base of {passages} passages, {questions} held-out questions; one cap moved at a time",
             "a cap cuts only lists longer than it; the shipped shares raise the caps only past "
             + " and ".join(f"{n} passages ({name})" for name, n in shares_from.items()),
             f"{'cap':<12}{'value':>9}{'top1':>8}{'article':>9}{'cpu ms':>9}{'p50 ms':>9}{'p99 ms':>9}"]
    for name, tried in rows.items():
        value = getattr(SHIPPED_CAPS, name)
        for v, figures in sorted([*tried, (value, shipped)], key=lambda row: row[0]):
            lines.append(f"{name:<12}{v:>9g}{figures['answer-in-top1']:>8.3f}{figures['right-article@1']:>9.3f}"
                         f"{figures['cpu_ms']:>9.2f}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}" + (" shipped" if v == value else ""))
    return "\n".join(lines)
