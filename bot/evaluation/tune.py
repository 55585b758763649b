"""`qabot tune`: re-derive the retrieval's weights (bot/retrieval/weights.py) from question sets.

Each set's knowledge base is built once and a seeded sample of its questions is asked with the
shipped weights, then with one weight at a time moved to a few values around its shipped one
(off, half, three quarters, one and a half, double) while the others stay shipped; so is
`retrieval.candidates`, the number of stage one's passages the rerank reads (⅓, ⅔, 1⅔ and 3⅓
times the configured one: 10, 20, 50, 100 around 30). Neither changes stage one, so every
question's BM25 passage scores are computed once and reused; only the question's term weights,
the rerank and the first snippet are redone. A hit is what `qabot eval` counts: the first
snippet is from the question's article and holds its answer.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from bot.config import Config, RetrievalSettings
from bot.errors import QabotError
from bot.evaluation.command import built_base, run_questions, sample_questions, shown
from bot.evaluation.metrics import Tally
from bot.evaluation.squad import Question, read_set_articles
from bot.retrieval.query import Query
from bot.retrieval.retriever import Retriever
from bot.retrieval.weights import SHIPPED, RankingWeights, weight_names

FACTORS = (0.0, 0.5, 0.75, 1.5, 2.0)  # tried values, as multiples of the shipped one
# Weights that are shares of something: above 1 they mean nothing (or turn negative).
AT_MOST_ONE = frozenset({"synonym_weight", "neighbour_credit", "distinctness_mix", "fragment_share",
                         "continuation_share"})
QUERY_WEIGHTS = ("char_weight", "bigram_weight", "word_weight", "synonym_weight")  # read when parsing
CANDIDATES = "candidates"  # retrieval.candidates, tuned beside the weights
CANDIDATE_FACTORS = (1 / 3, 2 / 3, 5 / 3, 10 / 3)  # tried values, as multiples of the configured one


def tunable_names() -> list[str]:
    return [*weight_names(), CANDIDATES]


@dataclass
class SetSample:
    """One set's base and sampled questions, with what no weight changes kept."""

    name: str
    retriever: Retriever
    questions: list[Question]
    stage_one: dict[str, np.ndarray | None] = field(default_factory=dict)
    queries: dict[tuple, Query] = field(default_factory=dict)

    def prepare(self) -> None:
        for question in self.questions:
            query = self.retriever.parse(question.text)
            self.stage_one[question.text] = self.retriever.stage_one(query) if len(query.keys) else None

    def tally(self, weights: RankingWeights, candidates: int) -> Tally:
        """The sample asked with these weights and candidates (the first result only)."""
        settings = dataclasses.replace(self.retriever.settings, candidates=candidates)
        retriever = self.retriever.tuned(weights, settings=settings)
        parse_with = tuple(getattr(weights, name) for name in QUERY_WEIGHTS)

        def ask(text: str):
            key = (text, parse_with)
            if key not in self.queries:
                self.queries[key] = retriever.parse(text)
            return shown(retriever.answer(text, self.queries[key], self.stage_one[text], k=1))

        return run_questions(ask, self.questions, [])


@dataclass(frozen=True)
class Trial:
    """One setting of the weights and candidates, and each set's (answer-in-top1, right-article@1) under it."""

    weights: RankingWeights
    candidates: int
    per_set: tuple[tuple[float, float], ...]

    def value(self, name: str) -> float:
        return self.candidates if name == CANDIDATES else getattr(self.weights, name)

    @property
    def top1(self) -> float:
        return float(np.mean([top1 for top1, _ in self.per_set]))

    @property
    def right_article(self) -> float:
        return float(np.mean([article for _, article in self.per_set]))


def cmd_tune(args: argparse.Namespace, config: Config) -> int:
    if args.sample < 1:
        raise QabotError("--sample must be at least 1")
    names = args.weights.split(",") if args.weights else tunable_names()
    unknown = [n for n in names if n not in tunable_names()]
    if unknown:
        raise QabotError(f"--weights: no weight named {', '.join(unknown)} (known: {', '.join(tunable_names())})")
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if args.passages and args.sentence_chars:
        raise QabotError("--passages and --sentence-chars tune different things: give one of them")
    if args.sentence_chars:
        from bot.evaluation.tune_sentences import parse_caps, tune_sentence_chars

        caps = parse_caps(args.sentence_chars)
        print(tune_sentence_chars([Path(f) for f in args.files], config, caps, args.sample, args.seed, log))
    elif args.passages:
        from bot.evaluation.bench import parse_size
        from bot.evaluation.tune_caps import tune_caps

        try:
            passages = parse_size(args.passages)
        except ValueError:
            raise QabotError(f"--passages: {args.passages!r} is not a number of passages such as 100k") from None
        print(tune_caps([Path(f) for f in args.files], config, passages, args.sample, args.seed, log))
    else:
        print(tune([Path(f) for f in args.files], config, args.sample, args.seed, names, log))
    return 0


def tune(sets: list[Path], config: Config, sample: int, seed: int, names: list[str] | None = None,
         log: Callable[[str], None] = lambda m: None) -> str:
    """The report: every weight's tried values with their measured effect, and the lines to paste."""
    names = names or tunable_names()
    configured = config.retrieval.candidates
    with ExitStack() as stack:
        samples = []
        for path in sets:
            service, questions, seconds = stack.enter_context(built_base(read_set_articles([path]), config))
            if service is None:
                raise QabotError(f"{path}: no article of the set could be built")
            picked = sample_questions(questions, sample, seed)
            samples.append(SetSample(path.stem, service.loaded.retriever, picked))
            samples[-1].prepare()
            log(f"{path.stem}: built in {seconds:.1f} s, {len(picked)} of {len(questions)} questions sampled")
        shipped = trial(samples, SHIPPED, configured)
        rows = {name: [trial(samples, SHIPPED, value) if name == CANDIDATES
                       else trial(samples, dataclasses.replace(SHIPPED, **{name: value}), configured)
                       for value in grid(name, config.retrieval)] for name in names}
        best = {name: best_value(name, shipped, rows[name]) for name in names}
        best_weights = {name: value for name, value in best.items() if name != CANDIDATES}
        together = trial(samples, dataclasses.replace(SHIPPED, **best_weights), int(best.get(CANDIDATES, configured)))
    return report(samples, shipped, rows, best, together, seed)


def grid(name: str, settings: RetrievalSettings = RetrievalSettings()) -> list[float]:
    """The values tried for one weight (or the candidates) besides the shipped one."""
    if name == CANDIDATES:
        # Fewer candidates than results shown is no valid configuration; past 500 neither.
        values = {round(settings.candidates * f) for f in CANDIDATE_FACTORS}
        return sorted(v for v in values - {settings.candidates} if settings.top_k <= v <= 500)
    shipped = getattr(SHIPPED, name)
    values = [round(shipped * f, 6) for f in FACTORS]
    if name in AT_MOST_ONE:
        values = [v for v in values if v <= 1.0]
    return sorted(set(values) - {shipped})


def trial(samples: list[SetSample], weights: RankingWeights, candidates: int) -> Trial:
    figures = [s.tally(weights, candidates).figures(0.0, False) for s in samples]
    return Trial(weights, candidates, tuple((f["answer-in-top1"], f["right-article@1"]) for f in figures))


def best_value(name: str, shipped: Trial, tried: list[Trial]) -> float:
    """The value with the best mean answer-in-top1; of equals, the shipped one, else the nearest to it."""
    value = shipped.value(name)
    winner = max([shipped, *tried], key=lambda t: (round(t.top1, 6), t is shipped, -abs(t.value(name) - value)))
    return winner.value(name)


def report(samples: list[SetSample], shipped: Trial, rows: dict[str, list[Trial]], best: dict[str, float],
           together: Trial, seed: int) -> str:
    """One table: for every weight and value, the change against the shipped weights, in points."""
    header = f"{'weight':<24}{'value':>8}{'top1':>8}{'article':>9}" + "".join(f"{s.name[:12]:>13}" for s in samples)
    sampled = ", ".join(f"{s.name} ({len(s.questions)})" for s in samples)
    lines = [f"sets (questions sampled, seed {seed}): {sampled}; one weight moved at a time, the others shipped",
             "shipped: answer-in-top1 " + " ".join(f"{t:.3f}" for t, _ in shipped.per_set)
             + f" (mean {shipped.top1:.3f}), right-article@1 " + " ".join(f"{a:.3f}" for _, a in shipped.per_set)
             + f" (mean {shipped.right_article:.3f})",
             "top1, article: change of the mean answer-in-top1 and right-article@1 in points; per set: top1",
             header]
    for name, tried in rows.items():
        for t in sorted([shipped, *tried], key=lambda t: t.value(name)):
            mark = " shipped" if t is shipped else " best" if t.value(name) == best[name] else ""
            lines.append(f"{name:<24}{t.value(name):>8g}{_points(t.top1 - shipped.top1):>8}"
                         f"{_points(t.right_article - shipped.right_article):>9}"
                         + "".join(f"{_points(a - b):>13}" for (a, _), (b, _) in zip(t.per_set, shipped.per_set))
                         + mark)
    weights = {name: value for name, value in best.items() if name != CANDIDATES}
    candidates = f", retrieval.candidates={shipped.candidates}"
    lines.append("shipped: " + _line(SHIPPED) + candidates)
    lines.append("best:    " + _line(dataclasses.replace(SHIPPED, **weights))
                 + (f", retrieval.candidates={best[CANDIDATES]:g}" if CANDIDATES in best else candidates))
    lines.append(f"the best values together: answer-in-top1 {_points(together.top1 - shipped.top1)} points,"
                 f" right-article@1 {_points(together.right_article - shipped.right_article)} points")
    return "\n".join(lines)


def _points(delta: float) -> str:
    points = round(100 * delta, 1)
    return "0" if points == 0 else f"{points:+.1f}"


def _line(weights: RankingWeights) -> str:
    return "RankingWeights(" + ", ".join(f"{f.name}={getattr(weights, f.name):g}"
                                         for f in dataclasses.fields(weights)) + ")"
