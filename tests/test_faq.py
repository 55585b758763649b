"""Curated answers: faq.yaml checked entry by entry, matched before the articles, written without loss."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from bot.faq.entries import FaqEntry, parse_faq, read_faq
from bot.faq.matcher import CuratedAnswers
from bot.faq.writer import FaqWriteError, add_entry
from bot.service import QAService
from bot.text.terms import Segmenter
from tests.conftest import PANDA_FACT, PANDA_QUESTION, make_config

LIBRARY = """
- questions: [图书馆几点开门, 图书馆的开放时间]
  answer: 周二至周日 9:00—17:00 开放，周一闭馆。
  source: 市图书馆
  url: https://example.com/library
- questions: 如何办理借书证
  answer: 带身份证到一楼服务台办理。
"""


@pytest.fixture(scope="module")
def curated() -> CuratedAnswers:
    return CuratedAnswers(parse_faq(LIBRARY).entries, Segmenter())


@pytest.mark.parametrize("question", [
    "图书馆几点开门",
    "图书馆什么时候开门",  # another way of asking when
    "圖書館幾點開門",  # traditional characters
    "图书馆几点开们",  # a typo
    "开放时间图书馆",  # another word order
    "请问一下市图书馆周末几点开门啊",  # padded
])
def test_paraphrases_typos_and_traditional_characters_match(curated: CuratedAnswers, question: str) -> None:
    found = curated.match(question)
    assert found is not None and found[0].source == "市图书馆"


@pytest.mark.parametrize("question", ["图书馆在哪里", "博物馆几点开门", "开放时间", "近三年引进了多少急需紧缺人才？", "？？", ""])
def test_weak_matches_fall_through(curated: CuratedAnswers, question: str) -> None:
    assert curated.match(question) is None


def test_an_answer_taught_again_wins_over_the_older_one() -> None:
    faq = parse_faq(LIBRARY + "- questions: [图书馆几点开门]\n  answer: 改了：每天九点开门。\n")
    entry, score = CuratedAnswers(faq.entries, Segmenter()).match("图书馆几点开门")
    assert entry.answer == "改了：每天九点开门。" and score == 100


def test_each_bad_entry_is_skipped_with_its_reason_and_the_rest_kept() -> None:
    faq = parse_faq(LIBRARY + """
- questions: 5
  answer: 数字不是问题
- questions: [好问题]
  answer: [不是文字]
- questions: [有来源]
  answer: 好答案
  sourse: 拼错的键
- just a string
""")
    assert [e.questions[0] for e in faq.entries] == ["图书馆几点开门", "如何办理借书证"]
    reasons = {s.key: s.reason for s in faq.skipped}
    assert reasons == {
        "faq.yaml 第 3 条": "questions 应当是一个或多个问题的列表",
        "faq.yaml 第 4 条": "缺少 answer，或者 answer 不是文字",
        "faq.yaml 第 5 条": "不认识的键 “sourse”（可用的键：questions, answer, source, url）",
        "faq.yaml 第 6 条": "每条问答应当包含 questions 和 answer 两项",
    }


def test_a_file_of_the_wrong_type_is_one_skip_not_an_error() -> None:
    faq = parse_faq("questions: [图书馆几点开门]\nanswer: 九点\n")
    assert faq.entries == () and len(faq.skipped) == 1 and "问答列表" in faq.skipped[0].reason
    broken = parse_faq("- questions: [a\n")
    assert broken.entries == () and "YAML" in broken.skipped[0].reason


def test_ask_json_puts_the_curated_answer_first(qabot, knowledge_copy: Path) -> None:
    (knowledge_copy / "faq.yaml").write_text(LIBRARY + "- questions: 7\n  answer: x\n", encoding="utf-8")
    built = qabot("build", "--knowledge", str(knowledge_copy), "--workers", "1")
    assert built.returncode == 0, built.stderr
    assert "faq.yaml 第 3 条: questions 应当是一个或多个问题的列表" in built.stdout
    result = qabot("ask", "--json", "-k", "3", "--knowledge", str(knowledge_copy), "圖書館什麼時候開門")
    answer = json.loads(result.stdout)
    assert answer["answered"] is True
    first = answer["results"][0]
    assert first["snippet"] == "周二至周日 9:00—17:00 开放，周一闭馆。" and first["article"] == "faq.yaml"
    assert first["source"] == "市图书馆" and first["url"] == "https://example.com/library"
    assert first["title"].startswith("常见问题") and len(first["passage_id"]) == 16
    assert len(answer["results"]) == 3 and all(r["article"] != "faq.yaml" for r in answer["results"][1:])
    plain = qabot("ask", "--knowledge", str(knowledge_copy), PANDA_QUESTION)
    assert "大熊猫的食物与生活习性" in plain.stdout and "常见问题" not in plain.stdout


def test_more_results_after_a_curated_answer_continue_with_the_articles(knowledge_copy: Path) -> None:
    (knowledge_copy / "faq.yaml").write_text(f"- questions: [{PANDA_QUESTION}]\n  answer: 很多竹子。\n", encoding="utf-8")
    service = QAService.open(make_config(knowledge_copy))
    first = service.ask(PANDA_QUESTION, k=1)
    second = service.ask(PANDA_QUESTION, k=1, offset=1)
    assert first.best.snippet == "很多竹子。" and PANDA_FACT in second.best.snippet
    assert service.ask(PANDA_QUESTION, k=3).results[1].passage.passage_id == second.best.passage.passage_id


def test_adding_entries_keeps_hand_edits_comments_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    add_entry(path, FaqEntry(("第一问",), "第一答"))
    hand = path.read_text(encoding="utf-8") + "# 手写的注释\n- questions: [手写问题]\n  answer: 手写答案\n"
    path.write_text(hand, encoding="utf-8")
    add_entry(path, FaqEntry(("第二问",), "第二答", "来源"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(hand) and "# 手写的注释" in text
    assert [e.questions[0] for e in read_faq(path).entries] == ["第一问", "手写问题", "第二问"]
    assert (tmp_path / "faq.yaml.bak").read_text(encoding="utf-8") == hand


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    threads = [threading.Thread(target=add_entry, args=(path, FaqEntry((f"问题{n}",), f"答案{n}"))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(e.questions[0] for e in read_faq(path).entries) == sorted(f"问题{n}" for n in range(8))


def test_a_broken_faq_yaml_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text("answer: 这不是列表\n", encoding="utf-8")
    with pytest.raises(FaqWriteError, match="不是一个问答列表"):
        add_entry(path, FaqEntry(("问",), "答"))
    assert path.read_text(encoding="utf-8") == "answer: 这不是列表\n"
