"""Choosing what to show: the answering sentence, then what else of its article helps most.

A snippet starts from the chosen sentence and grows with the article's other sentences in order
of how well they cover the question; pieces that are not next to each other are joined with
"…", as search engines do. Space left over is filled with the start of the next sentence (or
the end of the previous one), and a sentence longer than the whole budget is cut to the window
around the question's words.
"""

from __future__ import annotations

from typing import Iterable

from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.rerank import Ranking
from bot.text.normalize import normalize

ELLIPSIS = "…"
# A separate fragment needs this share of the answering sentence's coverage: the user reads every
# fragment, and weak ones cost more attention than the rare answer they carry (0.2 points of top-1).
FRAGMENT_SHARE = 0.3


class SnippetBuilder:
    """Builds the snippets of one answer; sentences shown in a better result aren't repeated lower down."""

    def __init__(self, kb: KnowledgeBase, ranking: Ranking, question_pairs: list[str], limit: int) -> None:
        self.kb = kb
        self.ranking = ranking
        self.question_pairs = question_pairs
        self.limit = limit
        self.shown: set[int] = set()

    def length(self, sentence: int) -> int:
        start, end = self.kb.sentence_spans[sentence]
        return int(end - start)

    def build(self, row: int) -> str:
        """The snippet for the candidate sentence at `row` of the ranking."""
        kb, limit = self.kb, self.limit
        chosen = int(self.ranking.sentences[row])
        if self.length(chosen) >= limit:
            self.shown.add(chosen)
            return self._trim_long(chosen)
        article = int(self.ranking.articles[row])
        record = kb.articles[article]
        first = int(kb.passage_sentences[record.first_passage])
        last = int(kb.passage_sentences[record.first_passage + record.passage_count])
        value = dict.fromkeys(range(first, last), 0.0)
        same_article = self.ranking.articles == article
        for sentence, coverage in zip(self.ranking.sentences[same_article], self.ranking.coverage[same_article]):
            value[int(sentence)] = float(coverage)
        spans = kb.sentence_spans[first:last]
        length = dict(zip(range(first, last), (spans[:, 1] - spans[:, 0]).tolist()))
        chosen_set = {chosen}
        used = length[chosen]
        fragment_floor = max(1e-6, FRAGMENT_SHARE * value[chosen])
        while True:
            best, best_key = None, None
            for sentence, v in value.items():
                if sentence in chosen_set:
                    continue
                adjacent = sentence - 1 in chosen_set or sentence + 1 in chosen_set
                # A separate fragment must earn its place by covering a fair part of the question.
                if not adjacent and (sentence in self.shown or v < fragment_floor):
                    continue
                cost = length[sentence] + (0 if adjacent else len(ELLIPSIS))
                # On equal value, what follows the answer beats what precedes it, and near beats far.
                key = (v, sentence > chosen, -abs(sentence - chosen))
                if used + cost <= limit and (best_key is None or key > best_key):
                    best, best_key = sentence, key
            if best is None:
                break
            adjacent = best - 1 in chosen_set or best + 1 in chosen_set
            chosen_set.add(best)
            used += length[best] + (0 if adjacent else len(ELLIPSIS))
        self.shown |= chosen_set
        runs = _runs(sorted(chosen_set))
        texts = [self._run_text(a, b) for a, b in runs]
        room = limit - sum(len(t) for t in texts) - len(ELLIPSIS) * (len(texts) - 1)
        lead = next(number for number, (a, b) in enumerate(runs) if a <= chosen <= b)
        if room > 0:
            texts[lead] = self._fill(texts[lead], *runs[lead], first, last, room, chosen_set)
        # The answering sentence leads; other fragments follow in the article's order.
        texts = [texts[lead]] + texts[:lead] + texts[lead + 1:]
        # Line breaks between sentences of a run aren't counted above; never exceed the budget for them.
        return ELLIPSIS.join(texts)[:limit]

    def _sentence_text(self, sentence: int) -> str:
        return self.kb.sentence_text(sentence)

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
        return "".join(parts)

    def _fill(self, text: str, first: int, last: int, article_first: int, article_last: int, room: int,
              taken: set[int]) -> str:
        """Use left-over room: the head of the next sentence, then the tail of the previous one."""
        following = last + 1
        if following < article_last and following not in taken and room > 0:
            head = self._sentence_text(following)[:room]
            text += head
            room -= len(head)
        preceding = first - 1
        if preceding >= article_first and preceding not in taken and room > 0:
            tail = self._sentence_text(preceding)
            text = tail[max(0, len(tail) - room):] + text
        return text

    def _trim_long(self, sentence: int) -> str:
        """A sentence longer than the budget: the window around where the question's words occur."""
        text = self._sentence_text(sentence)
        normalized = normalize(text)
        hits = sorted(at for pair in self.question_pairs for at in [normalized.find(pair)] if at >= 0)
        if not hits:
            return text[: self.limit]
        centre = hits[len(hits) // 2]
        start = max(0, min(centre - self.limit // 3, len(text) - self.limit))
        return text[start : start + self.limit]


def _runs(sentences: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for sentence in sentences:
        if runs and runs[-1][1] == sentence - 1:
            runs[-1] = (runs[-1][0], sentence)
        else:
            runs.append((sentence, sentence))
    return runs


def mark_spans(normalized: str, needles: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Merged [start, end) spans of every occurrence of the needles in normalised text."""
    spans = []
    for needle in needles:
        if not needle:
            continue
        at = normalized.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = normalized.find(needle, at + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
