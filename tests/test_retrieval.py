"""Retriever behaviour on small fixtures: normalisation, numerals, scripts, snippets, synonyms, honesty."""

import numpy as np
import pytest

from bot.config import load_config
from bot.knowledge.builder import build_knowledge_base
from bot.retrieval.query import numerals_as_digits
from bot.retrieval.retriever import Retriever, posting_caps
from bot.retrieval.weights import SHIPPED_CAPS
from bot.service import QAService
from bot.text.synonyms import load_synonyms
from bot.text.terms import bigram_key, word_key
from bot.text.normalize import normalize
from tests.support.knowledge import config_for, make_knowledge

ARTICLES = {
    "people/shangen.txt": "尚恩\n\n尚恩（1980年－），英国演员，出生于伦敦。他非常喜欢骑马，每年夏天都会去乡下的马场。"
                          "尚恩毕业于皇家戏剧艺术学院。2005年，尚恩凭借电影《雨夜》获得新人奖。",
    "people/zouyou.txt": "邹游\n\n邹游（），中国足球运动员，司职后卫。邹游出生于大连，少年时期进入大连足球学校。"
                         "2010年，邹游加盟上海申花俱乐部。邹游在2012年入选国家队。",
    "places/station.txt": "武藏浦和站\n\n武藏浦和站是一个位于埼玉县埼玉市南区的铁路车站，属于东日本旅客铁道。"
                          "车站于1985年启用。每日平均乘客约九万人次。",
    "numbers.md": "---\ntitle: 人才引进情况\nsource: 人事厅\ndate: 2023-01-02\n---\n"
                  "全省近3年引进急需紧缺人才9778人。新发展党员26.98万名。全省共有3197名优秀个人受到表彰。",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("retrieval")
    knowledge = make_knowledge(root, with_sample=False, files=ARTICLES)
    (knowledge / "synonyms.yaml").write_text("- [爱好, 喜欢, 喜爱]\n- [隶属, 属于]\n", encoding="utf-8")
    config = config_for(knowledge)
    build_knowledge_base(config)
    return QAService.open(config)


def test_normalisation_is_length_preserving():
    for text in ["ＡＢＣ１２３，", "漢字與臺灣", "Ⅻ㎡ﬁ", "mixed 中文 TEXT", "\u200b零宽"]:
        assert len(normalize(text)) == len(text)
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("陸特和漢斯雷頓") == "陆特和汉斯雷顿"


def test_chinese_numerals_as_digits():
    assert numerals_as_digits("近三年引进了多少人才") == "近3年引进了多少人才"
    assert numerals_as_digits("没有数字") is None


def test_numerals_in_the_question_meet_digits_in_the_text(service):
    answer = service.ask("近三年引进了多少急需紧缺人才？")
    assert answer.answered and "9778" in answer.best.snippet
    assert answer.best.passage.article.title == "人才引进情况"


def test_traditional_question_meets_simplified_text(service):
    answer = service.ask("武藏浦和站隸屬於什麼公司？")
    assert answer.answered and "东日本旅客铁道" in answer.best.snippet


def test_definitional_sentence_answers_a_question_about_occupation(service):
    answer = service.ask("邹游的职业是什么")
    assert answer.answered and "足球运动员" in answer.best.snippet


def test_synonyms_file_lets_a_question_word_meet_another(service):
    answer = service.ask("尚恩有什么爱好")
    assert answer.answered and "骑马" in answer.best.snippet


def test_snippet_holds_the_answering_sentence_and_marks_matches(service):
    answer = service.ask("邹游哪一年加盟上海申花")
    best = answer.best
    assert "2010年，邹游加盟上海申花俱乐部" in best.snippet
    assert len(best.snippet) <= service.config.retrieval.snippet_chars
    marked = [best.snippet[a:b] for a, b in best.highlights]
    assert any("上海申花" in m for m in marked)


def test_snippet_of_a_long_article_centres_on_the_answering_sentence(tmp_path):
    filler = "".join(f"第{n}段讲的是城市绿化的一般情况，没有具体数字。" for n in range(12))
    text = f"绿化报告\n\n{filler}今年全市新增公园绿地面积达到了四百二十公顷。{filler}"
    config = config_for(make_knowledge(tmp_path, with_sample=False, files={"green.txt": text}))
    build_knowledge_base(config)
    best = QAService.open(config).ask("今年全市新增公园绿地面积是多少").best
    # At most one sentence of lead-in before the answer; the rest of the budget follows it.
    assert 0 <= best.snippet.index("今年全市新增公园绿地面积达到了四百二十公顷。") <= 30
    assert len(best.snippet) <= config.retrieval.snippet_chars


def test_a_who_question_shows_the_name_before_the_he_sentence(tmp_path):
    filler = "".join(f"第{n}段讲的是城市交通的一般情况，没有具体数字。" for n in range(10))
    text = (f"人物介绍\n\n{filler}李明远是一位资深工程师。他在2015年主持设计了跨江大桥的主体结构。{filler}")
    config = config_for(make_knowledge(tmp_path, with_sample=False, files={"person.txt": text}))
    build_knowledge_base(config)
    best = QAService.open(config).ask("谁在2015年主持设计了跨江大桥的主体结构").best
    assert 0 <= best.snippet.index("李明远是一位资深工程师。他在2015年主持设计了跨江大桥的主体结构。") <= 30


def test_unrelated_question_is_not_answered(service):
    for question in ("量子计算机的工作原理是什么", "今天北京的天气怎么样", "How do I bake bread?"):
        answer = service.ask(question)
        assert answer.answered is False, question
        assert answer.best is None or answer.best.score < service.config.retrieval.answer_threshold


def test_scores_are_in_range_and_fall_with_rank(service):
    answer = service.ask("尚恩毕业于哪所学院", k=4)
    scores = [r.score for r in answer.results]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_a_republished_paragraph_is_shown_once(tmp_path):
    original = ("全省近3年引进急需紧缺人才9778人，其中博士学位人才1200人。"
                "引进人才主要分布在先进制造、生物医药和数字经济等领域。")
    knowledge = make_knowledge(tmp_path, with_sample=False, files={
        "a.md": "---\ntitle: 人才引进情况\nsource: 人事厅\n---\n" + original,
        # The same paragraph as another outlet carried it: other title and source, two characters edited.
        "b.md": "---\ntitle: 我省人才工作成效显著\nsource: 日报\n---\n" + original.replace("主要", "多数"),
        # Traditional script, otherwise the same.
        "c.md": "---\ntitle: 人才引進\nsource: 週報\n---\n全省近3年引進急需緊缺人才9778人，其中博士學位人才1200人。"
                "引進人才主要分佈在先進製造、生物醫藥和數字經濟等領域。",
        "d.md": "---\ntitle: 人才公寓\n---\n全省人才公寓已建成3000套，引进人才可按规定申请入住。",
    })
    config = config_for(knowledge)
    build_knowledge_base(config)
    results = QAService.open(config).ask("近3年引进了多少急需紧缺人才？", k=5).results
    assert "9778" in results[0].snippet
    assert sum("9778" in r.snippet for r in results) == 1
    assert any("人才公寓" in r.passage.text for r in results[1:])  # a different paragraph is still shown


def test_built_in_synonyms_let_a_question_word_meet_the_article_word(tmp_path):
    files = {"a.txt": "华兴公司\n\n华兴公司在2005年上市。", "b.txt": "华兴公司\n\n华兴公司的总部位于杭州。"}
    config = config_for(make_knowledge(tmp_path, with_sample=False, files=files))
    build_knowledge_base(config)
    question = "华兴公司坐落在哪个城市"  # 坐落 and 位于 share no character
    service = QAService.open(config)
    assert "杭州" in service.ask(question).best.snippet
    without_synonyms = Retriever(service.kb, config.retrieval, service.loaded.retriever.segmenter, synonyms={})
    assert "杭州" not in without_synonyms.ask(question).best.snippet


def test_synonyms_file_adds_to_the_built_in_groups(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_text("- [特长, 擅长]\n", encoding="utf-8")
    with_file, without = load_synonyms(path), load_synonyms(tmp_path / "missing.yaml")
    assert "擅长" in with_file["特长"] and "逝世" in with_file["去世"]
    assert "特长" not in without and "逝世" in without["去世"]


def test_retrieval_candidates_bounds_the_passages_the_rerank_reads(service, tmp_path):
    question = "哪一年出生或者加盟或者启用？"
    wide = service.ask(question, k=5)
    assert len({r.passage.article.key for r in wide.results}) >= 2
    knowledge = service.config.knowledge_dir
    (tmp_path / "narrow.yaml").write_text("retrieval:\n  top_k: 1\n  candidates: 1\n", encoding="utf-8")
    narrow_config = load_config(knowledge_dir=knowledge, config_file=tmp_path / "narrow.yaml")
    narrow = QAService.open(narrow_config).ask(question, k=5)
    # One stage-one passage and its neighbours, all of one article here.
    assert len({r.passage.article.key for r in narrow.results}) == 1


def test_stage_one_reads_a_growing_share_of_common_terms_only_in_large_bases():
    keys = np.array([ord("人"), bigram_key("人", "才"), word_key("人才")], dtype=np.int64)
    assert posting_caps(keys, 100_000).tolist() == [SHIPPED_CAPS.char, SHIPPED_CAPS.term, SHIPPED_CAPS.term]
    assert posting_caps(keys, 1_000_000).tolist() == [20_000, 100_000, 100_000]
