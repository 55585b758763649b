"""`qabot fit-confidence`: re-derive the confidence's weights and threshold from question sets.

For every set and every base size, the set's articles are split into bases (as `qabot eval
--base-articles` does); each base is asked its own questions and a sample of the other sets'
questions. A question whose first snippet shows its answer is one the bot should answer; another
set's question is one it should refuse, and so, at half the weight, is a question about one of the
set's articles the base lacks (RELATED_WEIGHT). A logistic regression over the features of
bot/retrieval/confidence.py is fitted with every (set, size) group weighing the same, so no one
set or size decides. The threshold is the lowest that keeps false answers within
`--false-answers` in every group; the bias is shifted so that this threshold is 0.5. The result is
printed as the line to paste into bot/retrieval/confidence.py.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.config import Config
from bot.errors import QabotError
from bot.evaluation.command import built_base, one_core, split_into_bases
from bot.evaluation.metrics import shows_answer
from bot.evaluation.squad import Question, read_questions, read_set_articles
from bot.retrieval.confidence import FEATURES

L2 = 1e-3  # keeps the fit finite when a group separates perfectly
# Questions about the set's other articles, asked of a base that lacks them, weigh this much of the
# off-topic ones in the regression. Half, because in a sample of them that small bases answered,
# about half were answered from the wrong notice (辽宁省…举措 from another province's) and half
# asked what any loaded article on the subject answers (袭击发生在什么时候, 防控经费怎样监管); so they
# are not held to the false-answer budget either. The command prints what the weight trades
# (related_weight_effects); the figures of the shipped fit are in the README.
RELATED_WEIGHT = 0.5
NEWTON_STEPS = 50


@dataclass
class Group:
    """The feature rows of one (set, base size) pair."""

    name: str
    positives: list[np.ndarray] = field(default_factory=list)
    negatives: list[np.ndarray] = field(default_factory=list)
    related: list[np.ndarray] = field(default_factory=list)  # the set's other articles' questions


def cmd_fit_confidence(args: argparse.Namespace, config: Config) -> int:
    sets = [Path(f) for f in args.files]
    if len(sets) < 2:
        raise QabotError("fit-confidence needs at least two sets: each one's questions are off-topic for the others")
    sizes = parse_sizes(args.sizes)
    groups = collect(sets, sizes, config, args.off_topic, args.seed, log=lambda m: print(m, file=sys.stderr))
    weights, threshold = fit(groups, args.false_answers)
    print(report(groups, weights, threshold))
    print(related_weight_effects(groups, args.false_answers))
    return 0


def parse_sizes(text: str) -> list[int | None]:
    sizes: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            sizes.append(None)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise QabotError(f"--sizes: {part!r} is neither a number of articles nor 'all'")
    return sizes


def collect(sets: list[Path], sizes: list[int | None], config: Config, off_topic: int, seed: int,
            log=lambda m: None) -> list[Group]:
    """Feature rows for every set at every base size."""
    groups = []
    for number, path in enumerate(sets):
        others = [q for other in sets if other != path for q in read_questions(other)]
        own = read_questions(path)
        articles = read_set_articles([path])
        for size in sizes:
            group = Group(f"{path.stem} @{size or 'all'}")
            bases = split_into_bases(articles, size, seed)
            # The same number of off-topic questions at every size, spread over its bases.
            per_base = max(1, off_topic // len(bases))
            sampler = random.Random(seed + 1 + number)
            related_sampler = random.Random(seed + 101 + number)
            for base in bases:
                with built_base(base, config) as (service, questions, _):
                    if service is None:
                        continue
                    with one_core():
                        for question in questions:
                            answer = service.ask(question.text, k=1)
                            best = answer.best
                            if best and shows_answer(question, best.passage.article.key, best.snippet):
                                group.positives.append(_features(answer))
                        for question in sampler.sample(others, min(per_base, len(others))):
                            answer = service.ask(question.text, k=1)
                            group.negatives.append(_features(answer))
                        if len(bases) > 1:
                            for question in related_sampler.sample(elsewhere := _asked_elsewhere(own, questions),
                                                                   min(max(1, per_base // 2), len(elsewhere))):
                                group.related.append(_features(service.ask(question.text, k=1)))
            log(f"{group.name}: {len(bases)} bases, {len(group.positives)} answerable, {len(group.negatives)} off-topic, "
                f"{len(group.related)} about the set's other articles")
            groups.append(group)
    return groups


def _features(answer) -> np.ndarray:
    return np.array(answer.features) if answer.features else np.zeros(len(FEATURES))


def _asked_elsewhere(own: list[Question], asked_here: list[Question]) -> list[Question]:
    """The set's questions about articles this base lacks (near-copies of its articles count as its own)."""
    keys = {q.article_key for q in asked_here}
    return [q for q in own if q.article_key not in keys and not (q.also_right & keys)]


def fit(groups: list[Group], false_answers: float, related_weight: float = RELATED_WEIGHT) -> tuple[np.ndarray, float]:
    """Weights (bias first) of a group- and class-balanced logistic regression, and the threshold."""
    rows, labels, sample_weights = [], [], []
    for group in groups:
        for label, members, weight in ((1.0, group.positives, 1.0), (0.0, group.negatives, 1.0),
                                       (0.0, group.related, related_weight)):
            if members:
                rows.extend(members)
                labels.extend([label] * len(members))
                sample_weights.extend([weight / len(members)] * len(members))
    x = np.hstack([np.ones((len(rows), 1)), np.array(rows, np.float64)])
    y = np.array(labels)
    w = np.array(sample_weights)
    beta = np.zeros(x.shape[1])
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(x @ beta)
        gradient = x.T @ (w * (p - y)) + L2 * beta
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + L2 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    threshold = lowest_threshold(groups, beta, false_answers)
    beta[0] -= np.log(threshold / (1 - threshold))  # the threshold becomes 0.5
    return beta, threshold


def probabilities(rows: list[np.ndarray], beta: np.ndarray) -> np.ndarray:
    if not rows:
        return np.zeros(0)
    return _sigmoid(np.hstack([np.ones((len(rows), 1)), np.array(rows, np.float64)]) @ beta)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def lowest_threshold(groups: list[Group], beta: np.ndarray, false_answers: float) -> float:
    """The lowest threshold at which no group answers more than `false_answers` of its off-topic questions."""
    threshold = 0.01
    for group in groups:
        scores = np.sort(probabilities(group.negatives, beta))[::-1]
        allowed = int(np.floor(false_answers * len(scores)))
        if allowed < len(scores):
            threshold = max(threshold, float(scores[allowed]) + 1e-6)
    return min(threshold, 0.99)


def related_weight_effects(groups: list[Group], false_answers: float) -> str:
    """What RELATED_WEIGHT trades: answers in the small bases against the other articles' questions answered."""
    small = [group for group in groups if group.related]
    if not small:
        return ""
    lines = [f"{'related weight':<16}{'small bases: answerable answered':>34}{'other articles answered':>25}"]
    for weight in (0.0, 0.25, RELATED_WEIGHT, 1.0):
        beta, _ = fit(groups, false_answers, weight)
        answered = np.mean([(probabilities(g.positives, beta) >= 0.5).mean() for g in small])
        related = np.mean([(probabilities(g.related, beta) >= 0.5).mean() for g in small])
        lines.append(f"{weight:<16.2f}{answered:>34.3f}{related:>25.3f}")
    return "\n".join(lines)


def report(groups: list[Group], beta: np.ndarray, threshold: float) -> str:
    lines = [f"{'group':<28}{'answerable':>11}{'answered':>10}{'off-topic':>10}{'answered':>10}"
             f"{'other articles':>15}{'answered':>10}"]
    for group in groups:
        shares = [(probabilities(rows, beta) >= 0.5).mean() if rows else 0.0
                  for rows in (group.positives, group.negatives, group.related)]
        lines.append(f"{group.name:<28}{len(group.positives):>11}{shares[0]:>10.3f}{len(group.negatives):>10}"
                     f"{shares[1]:>10.3f}{len(group.related):>15}{shares[2]:>10.3f}")
    lines.append(f"threshold before the shift: {threshold:.4f}")
    lines.append("# bias, then " + ", ".join(FEATURES))
    lines.append("WEIGHTS = (" + ", ".join(f"{b:.3f}" for b in beta) + ")")
    return "\n".join(lines)
