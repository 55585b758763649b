"""`qabot tune --sentence-chars 90,120,160`: re-derive MAX_SENTENCE_CHARS (bot/knowledge/analysis.py).

The cap decides where long sentences are cut at clause breaks, at build time, so each value
needs its own build: every set's base is built once per value, and the same seeded sample of
its questions is asked of each, as `qabot tune` asks them (the first result only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from bot.config import Config
from bot.errors import QabotError
from bot.evaluation.command import built_base, run_questions, sample_questions, shown
from bot.evaluation.squad import read_set_articles
from bot.knowledge.analysis import MAX_SENTENCE_CHARS


def parse_caps(text: str) -> list[int]:
    """`90,120,160` as sentence caps, or a one-line error."""
    try:
        caps = [int(part) for part in text.split(",")]
    except ValueError:
        caps = []
    if not caps or min(caps) < 10:
        raise QabotError(f"--sentence-chars: {text!r} is not a list of sentence lengths such as 90,120,160")
    return sorted(set(caps))


def tune_sentence_chars(sets: list[Path], config: Config, caps: list[int], sample: int, seed: int,
                        log: Callable[[str], None] = lambda m: None) -> str:
    """The report: answer-in-top1 and right-article@1 of each set's sample under each cap."""
    figures: dict[int, list[tuple[float, float]]] = {cap: [] for cap in caps}
    names = []
    for path in sets:
        articles = read_set_articles([path])
        for cap in caps:
            with built_base(articles, config, sentence_cap=cap) as (service, questions, seconds):
                if service is None:
                    raise QabotError(f"{path}: no article of the set could be built")
                picked = sample_questions(questions, sample, seed)
                retriever = service.loaded.retriever
                tally = run_questions(lambda text: shown(retriever.ask(text, k=1)), picked, [])
                found = tally.figures(0.0, False)
                figures[cap].append((found["answer-in-top1"], found["right-article@1"]))
                log(f"{path.stem}, {cap} characters: built in {seconds:.1f} s, {len(picked)} questions asked")
        names.append(f"{path.stem} ({len(picked)})")
    return sentence_report(names, seed, config.passages.max_chars, figures)


def sentence_report(names: list[str], seed: int, max_chars: int, figures: dict[int, list[tuple[float, float]]]) -> str:
    header = f"{'cap':>6}{'top1':>8}{'article':>9}" + "".join(f"{name.split()[0][:16]:>17}" for name in names)
    lines = [f"sets (questions sampled, seed {seed}): {', '.join(names)}; each set built once per cap",
             f"a cap above passages.max_chars ({max_chars}) cuts nothing more; per set: top1/article",
             header]
    for cap, per_set in figures.items():
        mark = " shipped" if cap == MAX_SENTENCE_CHARS else ""
        lines.append(f"{cap:>6}{np.mean([t for t, _ in per_set]):>8.3f}{np.mean([a for _, a in per_set]):>9.3f}"
                     + "".join(f"{f'{t:.3f}/{a:.3f}':>17}" for t, a in per_set) + mark)
    return "\n".join(lines)
