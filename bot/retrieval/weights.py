"""The retrieval's tuned weights in one frozen object, passed down to the code that reads them.

Every default was chosen by measurement and is re-derived by `qabot tune` (bot/evaluation/tune.py)
on the four dev sets: cmrc2018_dev, drcd_dev, ncp_policies_dev and ats_news_dev, 300 sampled
questions each, seed 0, at commit 1d9a0c1. Each comment gives what that run measured when the value
was halved or doubled, in points of answer-in-top1 (mean over the four sets, then the set that
moved most). A tuner tries other values in-process by passing another `RankingWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RankingWeights:
    """How question terms are weighted and how the rerank and the snippet combine their evidence."""

    # Question terms, by kind: a single character says much less than a bigram or a word.
    char_weight: float = 0.3
    bigram_weight: float = 1.0
    word_weight: float = 1.0
    # A synonym counts this much of the question word it stands for.
    synonym_weight: float = 0.8
    # A question term found only in the next or previous sentence counts this much.
    neighbour_credit: float = 0.5
    # How much within-article rarity re-weights a term for choosing the sentence.
    distinctness_mix: float = 0.5
    # Title terms pick the article, not the sentence: in sentence evidence they count this much.
    title_term_weight: float = 0.3
    # Article evidence against sentence evidence.
    article_weight: float = 2.0
    # In article evidence, beside the stage-one score against the best: the best sentence
    # window's coverage of the question, how much of the question the article's candidate
    # sentences hold between them, and how much of the article's title the question names.
    window_coverage_weight: float = 0.5
    article_coverage_weight: float = 0.5
    title_match_weight: float = 0.5
    # Bonus for a sentence of the kind the question asks for (a number for 多少, a date for 何时).
    type_prior: float = 0.08
    # A snippet fragment apart from the answering sentence needs this share of its coverage: the
    # user reads every fragment, and weak ones cost more attention than the rare answer they carry.
    fragment_share: float = 0.3

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name) >= 0:
                raise ValueError(f"{field.name} must be a number of at least 0")


SHIPPED = RankingWeights()


def weight_names() -> tuple[str, ...]:
    """The tunable weights, in the order the tuner tries them."""
    return tuple(field.name for field in fields(RankingWeights))


@dataclass(frozen=True)
class PostingCaps:
    """How many postings of a term stage one reads, best first: speed against quality in large bases.

    In a large base a common character or bigram is in most passages, and the tail of its list only
    adds a little to many scores. A base of fewer passages than a cap has no list that cap cuts.
    """

    # For a bigram or a word.
    term: int = 20_000
    # Single characters are most of the postings a question touches (86% at 100,000 passages) and
    # say least about which passage answers it, so their cap is smaller.
    char: int = 5_000
    # Past 200,000 passages the caps grow with the base, so that stage one reads the same share of a
    # common term's list as at 200,000 (with fixed caps it read a tenth of the 100,000 share at 1M).
    term_share: float = 0.10
    char_share: float = 0.02


SHIPPED_CAPS = PostingCaps()
