"""Example questions for /start: questions this knowledge base really answers, checked by asking them.

Candidates come first from what people asked before (questions answered with 👍, curated FAQ
questions), then from questions made out of the articles' own sentences ("卧龙…位于四川省汶川县"
gives "卧龙…位于哪里？"). A candidate is offered only when the retriever answers it with high
confidence, and a made-up question only when the answer is the very passage it was made from.
"""

from __future__ import annotations

import random
import re
from typing import Callable, Iterable, Iterator

from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.answer import Answer

EXAMPLE_COUNT = 5
# Confidence an example must reach: well above the answer threshold, so a tap never gets a shaky
# answer. A margin chosen, not tuned.
EXAMPLE_CONFIDENCE = 0.6
# Questions asked at most while choosing: each costs a retrieval (a few ms), and this runs once per base.
MAX_ASKS = 60

_CLAUSE = re.compile(r"[^，。！？；,!?;：:\n“”\"（）()]+")
_LOCATION_VERBS = ("位于", "坐落于", "地处", "产于", "发源于", "起源于")
_TIME_VERBS = ("始于", "建于", "建立于", "成立于", "设立于", "创建于", "创立于", "诞生于", "开通于", "竣工于")
_AMOUNT_VERBS = ("约为", "达到", "超过", "约有", "共有", "为", "达", "约", "有")
_TEMPORAL = re.compile(r"^\s*(\d|[一二三四五六七八九十]+世纪|公元|春秋|战国|秦|汉|唐|宋|元|明|清|民国|上世纪|\S{0,4}年|\S{0,6}时期)")
_AMOUNT = re.compile(r"^\s*[\d一二三四五六七八九十百千万两几]")
_VERB = re.compile("(" + "|".join(sorted(_LOCATION_VERBS + _TIME_VERBS, key=len, reverse=True)) + ")")
_AMOUNT_VERB = re.compile("(" + "|".join(sorted(_AMOUNT_VERBS, key=len, reverse=True)) + r")(?=\s*[\d一二三四五六七八九十百千万两])")
# A subject that only points elsewhere ("它位于…") makes a question nobody could read on its own.
_POINTING = re.compile(r"^(这|那|其|它|他|她|该|此|并|而|但|且|和|与|同时|其中|以及|还|也|都|又|就|则|从而|因此|所以|其他)")
_BAD_SUBJECT = re.compile(r"[\d%％]")
# Modal words and adverbs end a subject badly: "圈养条件下可以超过30岁" must not give "圈养条件下可以是多少？".
_BAD_SUBJECT_END = ("的", "了", "是", "可以", "可", "只", "就", "已", "已经", "都", "也", "还", "将", "能", "会", "要", "共",
                    "一般", "大约", "总共", "仅")
# "近3年引进急需紧缺人才9778人" → "近3年引进了多少急需紧缺人才？": a count of what an action produced.
_COUNT_VERBS = ("遴选培养", "提拔重用", "引进", "培养", "选派", "选调", "招录", "表彰", "新发展", "发展", "组建", "建成",
                "新建", "培训", "完成", "新增", "吸纳", "带动", "帮助", "举办", "创建", "打造", "评选", "录用", "派出",
                "接待", "安置", "改造", "整治", "设立", "招聘", "救治", "培育", "建设", "认定")
_COUNT_VERB = "(?P<verb>" + "|".join(sorted(_COUNT_VERBS, key=len, reverse=True)) + ")"
_NUMBER = r"(?:\d[\d.,]*[万亿]?|[一二三四五六七八九十百千万两]+)(?:余|多)?(?P<unit>[名个人家所项次篇条支位户座])"
_NOUN = r"[\u4e00-\u9fff“”‘’]"
_COUNTS = (
    re.compile(rf"^(?P<pre>.{{0,14}}?){_COUNT_VERB}了?{_NUMBER}(?P<object>{_NOUN}{{2,16}})"),
    re.compile(rf"^(?P<pre>.{{0,14}}?){_COUNT_VERB}(?P<object>{_NOUN}{{2,12}}?){_NUMBER}$"),
)


def questions_from_text(text: str) -> Iterator[str]:
    """Questions that a sentence answers, made from its clauses: "X位于Y" → "X位于哪里？", "X为300米" → "X是多少？"."""
    for clause in _CLAUSE.findall(text):
        clause = clause.strip()
        match = _VERB.search(clause)
        if match:
            subject, verb, rest = clause[:match.start()].strip(), match.group(1), clause[match.end():]
            if verb in _LOCATION_VERBS:
                asked = "哪里"
            elif _TEMPORAL.match(rest):
                asked = "何时"
            else:
                continue
            if _good_subject(subject):
                yield f"{subject}{verb}{asked}？"
            continue
        match = _AMOUNT_VERB.search(clause)
        if match and _AMOUNT.match(clause[match.end():]):
            subject = clause[:match.start()].strip()
            if _good_subject(subject) and not subject.endswith(_BAD_SUBJECT_END):
                yield f"{subject}是多少？"
            continue
        for pattern in _COUNTS:
            match = pattern.match(clause)
            if match and not _POINTING.match(match["pre"]) and not match["object"].endswith(("的", "和", "及")):
                yield f"{match['pre']}{match['verb']}了多少{match['object']}？"
                break


def _good_subject(subject: str) -> bool:
    return 4 <= len(subject) <= 18 and not _POINTING.match(subject) and not _BAD_SUBJECT.search(subject)


def choose_examples(kb: KnowledgeBase, ask: Callable[[str], Answer], asked_before: Iterable[str] = (),
                    count: int = EXAMPLE_COUNT, rng: random.Random | None = None,
                    max_asks: int = MAX_ASKS) -> list[str]:
    """Up to `count` questions the base answers with confidence, from as many articles as possible."""
    rng = rng or random.Random()
    checked: list[tuple[str, str, str]] = []  # (question, article key, passage id), in the order found
    asks = 0

    def check(question: str, passage_id: str | None) -> None:
        nonlocal asks
        asks += 1
        answer = ask(question)
        best = answer.best
        if not answer.answered or best is None or best.score < EXAMPLE_CONFIDENCE:
            return
        if passage_id is not None and best.passage.passage_id != passage_id:
            return
        if all(best.passage.passage_id != p for _, _, p in checked):
            checked.append((question, best.passage.article.key, best.passage.passage_id))

    def enough() -> bool:
        return asks >= max_asks or len({key for _, key, _ in checked}) >= count

    for question in dict.fromkeys(q.strip() for q in asked_before if q and q.strip()):
        if enough():
            break
        check(question, None)
    for question, passage_id in _made_up_questions(kb, rng):
        if enough():
            break
        if all(question != q for q, _, _ in checked):
            check(question, passage_id)
    return _spread(checked, count)


def _spread(checked: list[tuple[str, str, str]], count: int) -> list[str]:
    """The first `count` questions taking one article at a time, so that one article does not fill the list."""
    chosen: list[str] = []
    rounds: dict[str, int] = {}
    ranked = []
    for position, (question, key, _) in enumerate(checked):
        rounds[key] = rounds.get(key, -1) + 1
        ranked.append((rounds[key], position, question))
    for _, _, question in sorted(ranked)[:count]:
        chosen.append(question)
    return chosen


def _made_up_questions(kb: KnowledgeBase, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(question, passage id) from the articles in random order, one article's passages at a time."""
    # Shuffled by number, so only the articles looked at are read (the same order as shuffling the records).
    numbers = list(range(len(kb.articles)))
    rng.shuffle(numbers)
    for article in map(kb.articles.__getitem__, numbers):
        for number in range(article.first_passage, article.first_passage + article.passage_count):
            passage = kb.passage(number)
            for question in questions_from_text(passage.text):
                yield question, passage.passage_id
