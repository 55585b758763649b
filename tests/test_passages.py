"""Splitting invariants: coverage, maximum length, whole numbers, heading context, stable ids."""

import re

from hypothesis import given, settings, strategies as st

from bot.config import PassageSettings
from bot.knowledge.article import Article, Block
from bot.knowledge.formats import parse_article
from bot.knowledge.passages import split_article
from bot.text.sentences import split_sentences
from tests.support.knowledge import SAMPLE_ARTICLE

SETTINGS = PassageSettings(target_chars=150, max_chars=300)
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*%?")


def sample_article():
    return parse_article("articles/" + SAMPLE_ARTICLE.name, SAMPLE_ARTICLE.read_text(encoding="utf-8"))


def covered_positions(article, passages):
    covered = set()
    for p in passages:
        assert article.body[p.start:p.end] == p.text
        covered.update(range(p.start, p.end))
    offset = 0
    for block in article.blocks:
        if block.is_heading:
            covered.update(range(offset, offset + len(block.text)))
        offset += len(block.text) + 1
    return covered


def assert_covers(article, passages):
    covered = covered_positions(article, passages)
    missing = [i for i, ch in enumerate(article.body) if not ch.isspace() and i not in covered]
    assert not missing, f"characters not in any passage: {article.body[missing[0]:missing[0] + 20]!r}"


def test_every_character_of_the_sample_lands_in_a_passage():
    article = sample_article()
    passages = split_article(article, SETTINGS)
    assert_covers(article, passages)
    assert all(len(p.text) <= SETTINGS.max_chars for p in passages)


def test_sample_numbers_and_dates_stay_whole():
    article = sample_article()
    passages = split_article(article, PassageSettings(target_chars=40, max_chars=60))
    for number in ("9778", "3197", "26.98", "2.3万", "2018年"):
        assert any(number in p.text for p in passages), number


def test_heading_is_carried_as_context():
    passages = split_article(sample_article(), SETTINGS)
    answer = next(p for p in passages if "9778" in p.text)
    assert answer.heading == "深化体制机制改革 打造人才集聚高地"
    assert passages[0].heading is None


def test_quoted_phrase_is_not_cut():
    text = "他说：“我们今天完成了任务！明天继续努力。”大家都鼓掌了。"
    spans = split_sentences(text, 300)
    assert [text[a:b] for a, b in spans] == ["他说：“我们今天完成了任务！明天继续努力。”", "大家都鼓掌了。"]


def test_long_sentence_is_cut_at_commas_not_inside_numbers():
    text = "，".join(f"第{i}项投资为12,345.67万元" for i in range(40)) + "。"
    spans = split_sentences(text, 100)
    pieces = [text[a:b] for a, b in spans]
    assert "".join(pieces) == text
    assert all(len(p) <= 100 for p in pieces)
    for piece in pieces:
        assert piece.endswith("，") or piece.endswith("。"), piece


def test_ids_are_stable_when_other_text_changes():
    article = sample_article()
    before = split_article(article, SETTINGS)
    edited = Article(article.key, article.title, (Block("新增的第一段内容。"),) + article.blocks)
    after_ids = {p.passage_id for p in split_article(edited, SETTINGS)}
    # Passages under later headings have the same text, so the same ids; positions moved on.
    unchanged = [p for p in before if p.heading is not None and p.heading != before[1].heading]
    assert unchanged and all(p.passage_id in after_ids for p in unchanged)
    assert len({p.passage_id for p in before}) == len(before)
    renamed = {p.passage_id for p in split_article(Article("articles/other.txt", article.title, article.blocks), SETTINGS)}
    assert not renamed & {p.passage_id for p in before}


def test_list_items_are_never_cut():
    items = [f"{i}. 完成第{i}项重点任务，投入资金{i * 100}万元；" for i in range(1, 30)]
    article = Article("articles/list.txt", "清单", tuple(Block(item) for item in items))
    passages = split_article(article, PassageSettings(target_chars=60, max_chars=120))
    for item in items:
        assert any(item in p.text for p in passages), item


sentence_text = st.text(
    alphabet=st.sampled_from(list("政府工作报告指出今年经济增长人口城市发展。！？；，、“”《》（）0123456789.%ab \n")),
    min_size=0, max_size=1500,
)


@settings(max_examples=150, deadline=None)
@given(sentence_text, st.integers(min_value=20, max_value=200))
def test_split_sentences_covers_text_and_respects_max(text, max_chars):
    spans = split_sentences(text, max_chars)
    assert "".join(text[a:b] for a, b in spans) == text
    assert all(0 < b - a <= max_chars for a, b in spans)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(sentence_text, st.booleans()), min_size=1, max_size=8), st.integers(20, 120))
def test_split_article_invariants(blocks, target):
    blocks = [Block(t.strip() or "空", is_heading=h and len(t.strip()) < 20) for t, h in blocks]
    article = Article("articles/p.txt", "题目", tuple(blocks))
    config = PassageSettings(target_chars=target, max_chars=target * 2)
    passages = split_article(article, config)
    assert_covers(article, passages)
    assert all(len(p.text) <= config.max_chars for p in passages)
    for p in passages:
        for number in NUMBER.finditer(article.body):
            a, b = number.span()
            # A number is never split across two passages.
            assert not (p.start < a < p.end < b or a < p.start < b <= p.end), number.group()
