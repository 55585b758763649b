"""questions.yaml: `qabot eval` runs it; `qabot build` and /reload keep the old base when a new one does worse."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.quality.checks import ChecksInvalid, read_checks
from tests.conftest import ADMIN_ID, PANDA_QUESTION, make_config
from tests.support.knowledge import SAMPLE_ARTICLE, make_knowledge
from tests.test_telegram_bot import ask_private

QUESTION = "近三年引进了多少急需紧缺人才？"
CHECKS = f"""
- question: {QUESTION}
  expect: "9778"
- question: 比特币今天多少钱
  refuse: true
"""


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    knowledge = make_knowledge(tmp_path)
    (knowledge / "questions.yaml").write_text(CHECKS, encoding="utf-8")
    return knowledge


def _break_the_answer(knowledge: Path) -> None:
    """The sample article with its 9778 changed: the first check then fails."""
    path = knowledge / "articles" / SAMPLE_ARTICLE.name
    path.write_text(path.read_text(encoding="utf-8").replace("9778", "1234"), encoding="utf-8")


def test_eval_prints_each_check(qabot, knowledge: Path) -> None:
    result = qabot("eval", "--knowledge", str(knowledge), str(knowledge / "questions.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"✓ {QUESTION}（应含 “9778”）", "✓ 比特币今天多少钱（应拒答）", "2/2 项通过"]
    (knowledge / "questions.yaml").write_text(CHECKS.replace("比特币今天多少钱\n  refuse: true", "比特币今天多少钱\n  expect: 元"),
                                              encoding="utf-8")
    failed = qabot("eval", "--knowledge", str(knowledge), str(knowledge / "questions.yaml"))
    assert failed.returncode == 1 and "✗ 比特币今天多少钱（应含 “元”） 实际：（拒答）" in failed.stdout


def test_a_build_that_gets_fewer_checks_right_is_not_swapped_in(qabot, knowledge: Path) -> None:
    first = qabot("build", "--knowledge", str(knowledge), "--workers", "1")
    assert first.returncode == 0 and "questions.yaml：2/2 项通过" in first.stdout
    _break_the_answer(knowledge)
    refused = qabot("build", "--knowledge", str(knowledge), "--workers", "1")
    assert refused.returncode == 3
    assert "新知识库 1/2 项通过，原来的 2/2" in refused.stdout
    assert f"变差：✗ {QUESTION}（应含 “9778”）" in refused.stdout and "--force" in refused.stdout
    assert refused.stderr.count("\n") == 1 and "没有换上" in refused.stderr
    assert "9778" in qabot("ask", "--knowledge", str(knowledge), QUESTION).stdout  # the old base serves
    forced = qabot("build", "--knowledge", str(knowledge), "--workers", "1", "--force")
    assert forced.returncode == 0 and "已用 force 强制换上新知识库" in forced.stdout
    assert "1234" in qabot("ask", "--knowledge", str(knowledge), QUESTION).stdout


def test_an_unknown_key_in_questions_yaml_is_one_line_and_changes_nothing(qabot, knowledge: Path) -> None:
    assert qabot("build", "--knowledge", str(knowledge), "--workers", "1").returncode == 0
    (knowledge / "questions.yaml").write_text(CHECKS + "- question: 还有吗\n  expected: 有\n", encoding="utf-8")
    _break_the_answer(knowledge)
    for command in (["build", "--workers", "1"], ["eval", str(knowledge / "questions.yaml")]):
        result = qabot(*command, "--knowledge", str(knowledge))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (f"qabot: error: {knowledge / 'questions.yaml'} 第 3 项：不认识的键 “expected”"
                                 "（可用的键：question, expect, refuse）\n")
    assert "9778" in qabot("ask", "--knowledge", str(knowledge), QUESTION).stdout


def test_reload_keeps_the_old_base_unless_forced(start_bot, api, knowledge_copy: Path, question_log) -> None:
    from bot.service import QAService

    (knowledge_copy / "questions.yaml").write_text(
        f"- question: {PANDA_QUESTION}\n  expect: 12到38公斤\n- question: 火星上有没有液态水\n  refuse: true\n",
        encoding="utf-8")
    config = make_config(knowledge_copy, api.base_url)
    start_bot(config, service=QAService.open(config), question_log=question_log)
    panda = knowledge_copy / "articles" / "panda.txt"
    panda.write_text(panda.read_text(encoding="utf-8").replace("12到38公斤", "很多"), encoding="utf-8")
    ask_private(api, ADMIN_ID, "/reload")
    refused = api.wait_for_messages(ADMIN_ID, 2)[1]["text"]
    assert "新知识库没有换上" in refused and f"变差：✗ {PANDA_QUESTION}（应含 “12到38公斤”）" in refused
    assert "12到38公斤" in ask_private(api, ADMIN_ID, PANDA_QUESTION)["text"]
    ask_private(api, ADMIN_ID, "/reload force")
    done = api.wait_for_messages(ADMIN_ID, 5)[4]["text"]
    assert "知识库已重建" in done and "已用 force 强制换上新知识库" in done
    assert "12到38公斤" not in ask_private(api, ADMIN_ID, PANDA_QUESTION)["text"]


def test_a_questions_yaml_that_cannot_be_read_or_parsed_is_one_line_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text("- question: 长城有多长\n  expect: [21196\n", encoding="utf-8")
    with pytest.raises(ChecksInvalid) as broken:
        read_checks(path)
    assert str(broken.value) == f"{path} 不是有效的 YAML（第 3 行有语法错误）"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ChecksInvalid) as unreadable:
        read_checks(path)
    assert str(unreadable.value).startswith(f"无法读取 {path}：'utf-8' codec can't decode byte 0xff")
