"""Choosing what to show: the answering sentence, what follows it, then what else of its article helps.

Three small parts, as in whoosh's highlighter: where text may be cut (`clauses`), which sentences
a snippet shows (`SnippetBuilder`), and how matches are marked (`mark_spans`). A snippet starts at a
sentence or clause boundary, shows "…" wherever text was left out, and never exceeds its limit.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.rerank import Ranking
from bot.retrieval.weights import SHIPPED
from bot.text.normalize import normalize

ELLIPSIS = "…"
_ASKS_DESCRIPTION = re.compile(
    r"如何|怎样|怎么|哪些|什么(?:要求|内容|措施|规定|程序|条件|功能|作用|意义|目的|政策|办法|方面)|具体|有何|主要")
# Where a run of clauses may be cut: after a comma, a semicolon, a colon or an enumeration comma,
# but never inside a number (1,000 or 10:30).
_CLAUSE_END = re.compile(r"(?<![0-9])[，,；;：:、](?![0-9])|[，；：、]")
# What ends a sentence, or stands just after its end (a closing quote or bracket).
_SENTENCE_CLOSE = "。！？!?；;…\n”’」』)）】》\"'"
# Characters of one token: a number (3.5, 1,000, 50%) or a Latin word; marks never split one.
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:[.,:%][0-9A-Za-z]+)*%?")


def clauses(text: str) -> list[str]:
    """The text cut after every clause break; joined, the pieces give the text back."""
    pieces, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def head_of(text: str, room: int) -> str:
    """The longest run of whole clauses from the start of `text` that fits in `room` with a closing "…"."""
    taken = ""
    for piece in clauses(text):
        if len(taken) + len(piece) + len(ELLIPSIS) > room:
            break
        taken += piece
    if not taken:
        return ""
    return taken if taken == text else taken + ELLIPSIS


def clause_window(text: str, limit: int, centre: int) -> str:
    """Whole clauses around position `centre` of an over-long sentence, with "…" where it was cut."""
    pieces = clauses(text)
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    middle = max(0, next((i for i, s in enumerate(starts[1:]) if s > centre), len(pieces) - 1))
    first = last = middle
    # Grow forwards first: an answer usually continues after the words that match the question.
    for direction in (1, -1):
        while True:
            lo, hi = (first, last + 1) if direction > 0 else (first - 1, last)
            if lo < 0 or hi >= len(pieces):
                break
            marks = (lo > 0) + (hi < len(pieces) - 1)
            if starts[hi + 1] - starts[lo] + marks * len(ELLIPSIS) > limit:
                break
            first, last = lo, hi
    body = text[starts[first]:starts[last + 1]]
    cut_before, cut_after = first > 0, last < len(pieces) - 1
    room = limit - len(ELLIPSIS) * (cut_before + cut_after)
    if len(body) > room:  # one clause longer than the whole snippet: cut it, but not inside a token
        room -= len(ELLIPSIS) * (not cut_after)
        cut = room
        while cut > room // 2 and _TOKEN.fullmatch(body[cut - 1:cut + 1]):
            cut -= 1
        body, cut_after = body[:cut], True
    return (ELLIPSIS if cut_before else "") + body + (ELLIPSIS if cut_after else "")


_ITEM_NUMBER = re.compile(r"^\s*(?:[（(][一二三四五六七八九十0-9]+[)）]|[一二三四五六七八九十]+、|[0-9]+[.、．](?![0-9]))")


def asks_for_description(normalized_question: str) -> bool:
    """A question whose answer is a run of sentences (how, which ones, what requirements), not one fact."""
    return bool(_ASKS_DESCRIPTION.search(normalized_question))


def numbers_an_item(sentence: str) -> bool:
    """A sentence that starts a numbered item: "（四）", "二、", "3."."""
    return bool(_ITEM_NUMBER.match(sentence))


def introduces_list(sentence: str) -> bool:
    """A sentence that ends in a colon or starts a numbered item: what follows belongs to it."""
    return sentence.rstrip().endswith((":", "：")) or numbers_an_item(sentence)


class SnippetBuilder:
    """Builds the snippets of one answer; sentences shown in a better result aren't repeated lower down."""

    def __init__(self, kb: KnowledgeBase, ranking: Ranking, question_pairs: list[str], limit: int,
                 fragment_share: float = SHIPPED.fragment_share, continuation_share: float = 0.0) -> None:
        self.kb = kb
        self.ranking = ranking
        self.question_pairs = question_pairs
        self.limit = limit
        self.fragment_share = fragment_share  # see RankingWeights.fragment_share
        self.continuation_share = continuation_share  # 0 unless the answer runs on; see RankingWeights
        self.shown: set[int] = set()
        self._article_lengths: dict[int, dict[int, int]] = {}  # by the article's first sentence

    def build(self, row: int) -> str:
        """The snippet for the candidate sentence at `row` of the ranking."""
        chosen = int(self.ranking.sentences[row])
        text = self.kb.sentence_text(chosen)
        if len(text) > self.limit:
            self.shown.add(chosen)
            return clause_window(text, self.limit, self._centre(text))
        article = int(self.ranking.articles[row])
        first, last = self.kb.article_sentences(article)
        length = self._lengths(first, last)
        picked = self._pick(chosen, article, first, last, length)
        self.shown |= picked
        runs = _runs(sorted(picked))
        texts = [self._run_text(a, b) for a, b in runs]
        lead = next(number for number, (a, b) in enumerate(runs) if a <= chosen <= b)
        room = self.limit - sum(map(len, texts)) - len(ELLIPSIS) * (len(texts) - 1)
        following = runs[lead][1] + 1
        if room > len(ELLIPSIS) and following < last and following not in picked and following not in self.shown:
            texts[lead] += head_of(self.kb.sentence_text(following), room)
        # The answering sentence leads; other fragments follow in the article's order.
        ends = [b for a, b in runs]
        ends = [ends[lead]] + ends[:lead] + ends[lead + 1:]
        texts = [texts[lead]] + texts[:lead] + texts[lead + 1:]
        snippet = ELLIPSIS.join(texts)
        # Sentences over 120 characters were cut at clause breaks: say so where the snippet starts or
        # stops inside one.
        if self._starts_inside(runs[lead][0], first):
            snippet = ELLIPSIS + snippet
        if not snippet.endswith(ELLIPSIS) and self._stops_inside(ends[-1], last):
            snippet += ELLIPSIS
        return snippet if len(snippet) <= self.limit else head_of(snippet, self.limit) or snippet[:self.limit]

    def _pick(self, chosen: int, article: int, first: int, last: int, length: dict[int, int]) -> set[int]:
        """The chosen sentence, then the article's sentences that cover the question best while they fit."""
        value = dict.fromkeys(range(first, last), 0.0)
        same_article = self.ranking.articles == article
        for sentence, coverage in zip(self.ranking.sentences[same_article], self.ranking.coverage[same_article]):
            value[int(sentence)] = float(coverage)
        picked = {chosen}
        used = length[chosen]
        lead = self.kb.sentence_text(chosen)
        if introduces_list(lead):
            # "…要求明确：" or "（四）…支持。": the answer is what follows, whole while it fits, up to the
            # next numbered item unless the lead announced the list with a colon.
            announces = lead.rstrip().endswith((":", "："))
            following = chosen + 1
            while following < last and following not in self.shown and used + length[following] <= self.limit:
                if not announces and numbers_an_item(self.kb.sentence_text(following)):
                    break
                picked.add(following)
                used += length[following]
                following += 1
        following = max(picked) + 1
        while following < last and following not in self.shown \
                and used + length[following] <= self.continuation_share * self.limit:
            picked.add(following)
            used += length[following]
            following += 1
        fragment_floor = max(1e-6, self.fragment_share * value[chosen])
        while True:
            best, best_key = None, None
            for sentence, v in value.items():
                # Nothing an earlier result showed is shown again.
                if sentence in picked or sentence in self.shown:
                    continue
                adjacent = sentence - 1 in picked or sentence + 1 in picked
                # A separate fragment must earn its place by covering a fair part of the question.
                if not adjacent and v < fragment_floor:
                    continue
                cost = length[sentence] + (0 if adjacent else len(ELLIPSIS))
                # On equal value, what follows the answer beats what precedes it, and near beats far.
                key = (v, sentence > chosen, -abs(sentence - chosen))
                if used + cost <= self.limit and (best_key is None or key > best_key):
                    best, best_key = sentence, key
            if best is None:
                return picked
            adjacent = best - 1 in picked or best + 1 in picked
            picked.add(best)
            used += length[best] + (0 if adjacent else len(ELLIPSIS))

    def _starts_inside(self, sentence: int, article_first: int) -> bool:
        """The sentence is a clause cut from a longer one: what precedes it does not end a sentence."""
        if sentence == article_first:
            return False
        passage = int(self.kb.sentence_passage[sentence])
        before = self.kb.passage_texts[passage][:int(self.kb.sentence_spans[sentence][0])].rstrip(" \t\u3000")
        return bool(before) and before[-1] not in _SENTENCE_CLOSE

    def _stops_inside(self, sentence: int, article_last: int) -> bool:
        text = self.kb.sentence_text(sentence).rstrip()
        return sentence + 1 < article_last and bool(text) and text[-1] not in _SENTENCE_CLOSE

    def _lengths(self, first: int, last: int) -> dict[int, int]:
        """Characters each sentence of an article takes in a snippet: with the spacing after it, or the
        line break that ends its passage. Counting the text alone overran the limit in spaced-out
        notices, and the final cut then took the answer's end (0.4 points of answer-in-top1 on
        ncp_policies_dev). Worked out once per article for all the answer's results."""
        if first not in self._article_lengths:
            stop = min(last + 1, len(self.kb.sentence_passage))  # the sentence after the article, if any
            spans = np.asarray(self.kb.sentence_spans[first:stop], np.int64)
            passages = np.asarray(self.kb.sentence_passage[first:stop])
            count = last - first
            lengths = spans[:count, 1] - spans[:count, 0] + 1
            followed = np.flatnonzero(passages[1:count + 1] == passages[:len(passages) - 1][:count])
            lengths[followed] = spans[followed + 1, 0] - spans[followed, 0]
            self._article_lengths[first] = dict(zip(range(first, last), lengths.tolist()))
        return self._article_lengths[first]

    def _centre(self, text: str) -> int:
        """Where the question's words cluster in a sentence: the median of their first occurrences."""
        normalized = normalize(text)
        hits = sorted(at for pair in self.question_pairs for at in [normalized.find(pair)] if at >= 0)
        return hits[len(hits) // 2] if hits else 0

    def _run_text(self, first: int, last: int) -> str:
        """Consecutive sentences as they stand in the text (with the spacing between them)."""
        kb = self.kb
        parts = []
        sentence = first
        while sentence <= last:
            passage = int(kb.sentence_passage[sentence])
            end_sentence = sentence
            while end_sentence + 1 <= last and int(kb.sentence_passage[end_sentence + 1]) == passage:
                end_sentence += 1
            start = int(kb.sentence_spans[sentence][0])
            end = int(kb.sentence_spans[end_sentence][1])
            parts.append(kb.passage_texts[passage][start:end])
            sentence = end_sentence + 1
        # Passages mostly begin where a paragraph does: keep that break visible.
        return "\n".join(parts)


def _runs(sentences: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for sentence in sentences:
        if runs and runs[-1][1] == sentence - 1:
            runs[-1] = (runs[-1][0], sentence)
        else:
            runs.append((sentence, sentence))
    return runs


def mark_spans(normalized: str, needles: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Merged [start, end) spans of every occurrence of the needles in normalised text.

    A span never ends or starts inside a number or a Latin word: "20" is not marked in "3200".
    """
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(normalized)]
    spans = []
    for needle in needles:
        if not needle:
            continue
        at = normalized.find(needle)
        while at >= 0:
            span = _outside_tokens(at, at + len(needle), tokens)
            if span:
                spans.append(span)
            at = normalized.find(needle, at + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _outside_tokens(start: int, end: int, tokens: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The span shrunk so that no token is cut by it, or None when nothing is left."""
    for token_start, token_end in tokens:
        if token_end <= start or token_start >= end:
            continue
        if token_start < start:  # cuts a token on its left: leave that token out
            start = token_end
        if token_end > end:  # cuts a token on its right
            end = token_start if token_start >= start else end
            if token_start < start:
                return None
    return (start, end) if start < end else None
