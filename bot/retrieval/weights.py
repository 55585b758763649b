"""The retrieval's tuned weights in one frozen object, passed down to the code that reads them.

Every weight was tuned by measurement, and one command re-derives them all from the four dev sets:

    qabot tune cmrc2018_dev.json drcd_dev.json ncp_policies_dev.json ats_news_dev.json --sample 1000

It moves one weight at a time and prints the change of answer-in-top1 in points. Each comment below
gives the figures of that run. Each figure is the mean over the four sets, with the set that moved
most in brackets. The sample was 1,000 questions a set (all 842 of ncp_policies_dev), so one
question is 0.1 points of a set and 0.025 of the mean. The run took 16 minutes on this shared
machine, over retrieval whose answers are identical to main's at beaac02. No other value beat a
shipped one by more than 0.3 points, and all the best values together gained 0.3.
A tuner tries other values in-process by passing another `RankingWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RankingWeights:
    """How question terms are weighted and how the rerank and the snippet combine their evidence."""

    # Question terms, by kind: a single character says much less than a bigram or a word.
    # char_weight: off −0.1 (ncp −0.6), doubled +0.1 (drcd +0.3).
    # bigram_weight: off −0.8 (ncp −1.7), doubled −0.4 (ncp −0.6), ¾ +0.1.
    # word_weight: off −0.6 (ncp −1.0), halved −0.3 (cmrc −0.5), 1½ +0.1 (drcd +0.2).
    char_weight: float = 0.3
    bigram_weight: float = 1.0
    word_weight: float = 1.0
    # A synonym counts this much of the question word it stands for. Off −0.1 (cmrc, drcd and ncp
    # −0.1 each); 0.6 changes nothing, 0.4 one drcd question. The confidence's fit assumed 0.8 too.
    synonym_weight: float = 0.8
    # A question term found only in the next or previous sentence counts this much. Off −0.7
    # (ncp −1.9); at 1, as much as in the sentence itself, −2.7 (ncp −4.2); ¾ −0.5 (cmrc −0.8).
    neighbour_credit: float = 0.5
    # How much within-article rarity re-weights a term for choosing the sentence. Off −0.2 (ncp
    # −0.5); at 1 −0.1; ¾ changes nothing.
    distinctness_mix: float = 0.5
    # Title terms pick the article, not the sentence: in sentence evidence they count this much.
    # Off −0.2 (cmrc −1.4, but ncp +0.9); doubled −0.6 (ncp −1.1).
    title_term_weight: float = 0.3
    # Article evidence against sentence evidence. Off −3.3 (cmrc −7.6; right-article@1 −5.1);
    # halved +0.3 (ats +0.6); doubled −0.2 (drcd and ats −0.3).
    article_weight: float = 2.0
    # In article evidence, beside the stage-one score against the best:
    # the best sentence window's coverage of the question: off −0.3 (ats −0.5), doubled +0.1;
    window_coverage_weight: float = 0.5
    # how much of the question the article's candidate sentences hold between them: off −0.1
    # (drcd −0.2), doubled −0.1 (ncp −0.2);
    article_coverage_weight: float = 0.5
    # how much of the article's title the question names: off +0.3 (ncp +1.1, ats +0.7, but cmrc
    # −0.3), halved +0.3 (ncp +1.1), doubled −0.7 (ncp −1.1). The largest gain any weight showed.
    title_match_weight: float = 0.5
    # Bonus for a sentence of the kind the question asks for (a number for 多少, a date for 何时).
    # Off −0.1 (cmrc −0.3), doubled +0.1 (ats +0.3).
    type_prior: float = 0.08
    # A snippet fragment apart from the answering sentence needs this share of its coverage: the
    # user reads every fragment, and weak ones cost more attention than the rare answer they carry.
    # Off −0.1 (ncp −0.8, but cmrc +0.5), doubled −0.3 (cmrc −0.9).
    fragment_share: float = 0.3
    # A question that asks how, or for several things ("如何申请", "有哪些要求"), is answered by a run
    # of sentences: what follows the answering sentence fills this share of the snippet before any
    # fragment from elsewhere. Answer-in-top1 on the whole dev sets at 0.6 / 0.75 / 0.9 / 1.0: ncp
    # 0.694 / 0.702 / 0.709 / 0.710, cmrc 0.948 / 0.948 / 0.946 / 0.944, ats and drcd within 0.1
    # points of each other. Without it, ncp read 0.684 (measured with the old snippet lengths).
    continuation_share: float = 0.9

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
    Tuned on `qabot bench`'s generated bases, and re-derived on one by

        qabot tune cmrc2018_dev.json drcd_dev.json --passages 100k --sample 3000

    which asks the bench's 2,215 held-out questions with each cap at ¼, ½, 2 and 4 times its value.
    One question is 0.045 points of answer-in-top1. The CPU time a question took varied by ±10%
    between settings that did the same work. The figures below are from that run (105,253 passages,
    7 minutes).
    """

    # For a bigram or a word. From ¼ to 4 times, answer-in-top1 moved by at most 0.1 points (−0.1 at
    # ¼), and the CPU time stayed within that noise.
    term: int = 20_000
    # Single characters are most of the postings a question touches (86% at 100,000 passages) and
    # say least about which passage answers it, so their cap is smaller. At 20,000, as for bigrams,
    # a question took 1.4x the CPU time (6.8 ms against 5.0) for +0.1 points. A cap of 1,250 saved
    # no more than the noise.
    char: int = 5_000
    # Past 200,000 passages the caps grow with the base, so that stage one reads the same share of a
    # common term's list as at 200,000 (with fixed caps it read a tenth of the 100,000 share at 1M).
    # Below that they change nothing, so `--passages 1M` re-derives them. That run needs about 7 GB
    # and was not repeated; the side measurement in docs/scale.md found the following at 1M:
    # +0.54 points of answer-in-top1 on the bench's base (+0.04 on a base generated the earlier
    # way), for a p50 of 14 ms instead of 10 and a p99 of 48 instead of 17.
    term_share: float = 0.10
    char_share: float = 0.02


SHIPPED_CAPS = PostingCaps()
