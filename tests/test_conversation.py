"""The parts of the conversation that live outside Telegram: small talk, example questions, related
suggestions, Chinese wording of build reports, and `qabot chat` / `qabot ask` usage."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bot.console import GOODBYE, HELP, UNKNOWN_COMMAND
from bot.knowledge.build_wording import build_failure_zh, index_damage_zh, skip_reason_zh
from bot.knowledge.builder import build_knowledge_base
from bot.replies.examples import EXAMPLE_CONFIDENCE, choose_examples, questions_from_text
from bot.replies.related import related_article_titles, related_questions, related_results
from bot.replies.smalltalk import REPLIES, Kind, small_talk
from bot.service import QAService
from tests.conftest import NO_ANSWER_QUESTION, PANDA_QUESTION, make_config, write_articles
from tests.test_console import converse


@pytest.mark.parametrize("text, kind", [
    ("你好", Kind.GREETING), ("您好呀！", Kind.GREETING), ("Hi bot", Kind.GREETING), ("早上好，机器人", Kind.GREETING),
    ("谢谢", Kind.THANKS), ("thank you!", Kind.THANKS), ("好的谢谢", Kind.THANKS), ("嗯嗯", Kind.OKAY),
    ("再见👋", Kind.GOODBYE), ("谢谢，再见", Kind.GOODBYE), ("你是谁？", Kind.WHO), ("你好，你能做什么", Kind.WHO),
])
def test_small_talk_is_recognised(text: str, kind: Kind) -> None:
    found = small_talk(text)
    assert found is not None and found.kind is kind and found.reply == REPLIES[kind]


@pytest.mark.parametrize("text", ["你好，长城有多长？", "大熊猫", "早期的长城", "好多人去黄山吗", "啊", "", "？？",
                                  "谢谢你告诉我长城的长度，那长江呢"])
def test_questions_are_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_questions_are_made_from_sentences() -> None:
    made = list(questions_from_text("卧龙国家级自然保护区位于四川省汶川县，建立于1963年。近3年引进急需紧缺人才9778人。"
                                    "历代长城总长度为21196.18千米。圈养条件下可以超过30岁。它位于湖北省。"))
    assert made == ["卧龙国家级自然保护区位于哪里？", "近3年引进了多少急需紧缺人才？", "历代长城总长度是多少？"]


def test_examples_are_answered_with_confidence_from_several_articles(shared_service: QAService) -> None:
    examples = choose_examples(shared_service.kb, lambda q: shared_service.ask(q, k=1), rng=random.Random(7))
    assert 3 <= len(examples) <= 5
    answers = [shared_service.ask(q, k=1) for q in examples]
    assert all(a.answered and a.best.score >= EXAMPLE_CONFIDENCE for a in answers)
    articles = [a.best.passage.article.key for a in answers]
    assert len(set(articles[:4])) == 4  # one article at a time: four of the six articles make questions


def test_examples_on_a_one_article_base(tmp_path: Path) -> None:
    """The bundled article alone still gives questions (from one article, different passages)."""
    root = Path(__file__).resolve().parents[1] / "knowledge"
    config = make_config(write_articles(tmp_path, {p.name: p.read_text(encoding="utf-8")
                                                   for p in (root / "articles").iterdir()}))
    build_knowledge_base(config, workers=1)
    service = QAService.open(config)
    examples = choose_examples(service.kb, lambda q: service.ask(q, k=1), rng=random.Random(1))
    assert len(examples) >= 3 and all(q.endswith("？") for q in examples)


def test_related_suggestions_need_shared_words_and_some_confidence(shared_service: QAService) -> None:
    assert related_article_titles(shared_service.ask("长城有几个门", k=5)) == ("长城的长度与历史",)
    for question in ("比特币现在多少钱", NO_ANSWER_QUESTION, "今天天气怎么样"):
        answer = shared_service.ask(question, k=5)
        assert answer.related_titles and related_results(answer) == []  # the retriever's titles are unrelated
    assert related_results(shared_service.ask(PANDA_QUESTION, k=5)) == []  # answered: nothing to suggest


def test_related_questions_share_a_subject_word() -> None:
    examples = ["历代长城总长度是多少？", "长城的修筑始于何时？", "西湖龙井茶产于哪里？", "近3年引进了多少急需紧缺人才？",
                "面向脱贫攻坚一线定向招录了多少乡镇公务员？"]
    assert related_questions("长城有几个门", examples) == ["历代长城总长度是多少？", "长城的修筑始于何时？"]
    assert related_questions("龙井茶多少钱一斤", examples) == ["西湖龙井茶产于哪里？"]
    assert related_questions("今年引进了多少人才", examples) == ["近3年引进了多少急需紧缺人才？"]  # not 招录了多少
    assert related_questions("比特币现在多少钱", examples) == [] and related_questions("你好吗", examples) == []


BAD_FILES: dict[str, bytes] = {
    "empty.txt": b"",
    "binary.txt": b"\x00\x01\x02 not text",
    "mixed.txt": "标题\n\n正文第一行。\n".encode() + "第二行是别的编码。".encode("utf-16-le") + b"\xff\xfe\xfa",
    "notutf.txt": b"\xff\xfe\xfa\xfb\x80\x81" * 20,
    "front.md": "---\ntitle: [unclosed\n---\n正文内容在这里。\n".encode(),
    "list.md": "---\n- a\n- b\n---\n正文内容在这里。\n".encode(),
    "dots.txt": "标题\n\n。。。！！！\n".encode(),
    "copy.txt": "大熊猫的食物\n\n大熊猫吃竹子。\n".encode(),
    "copy2.txt": "大熊猫的食物\n\n大熊猫吃竹子。\n".encode(),
    "big.txt": "很长的文章。".encode() * 200_000,
    "comment.html": b"<!-- nothing but a comment: lxml finds no document -->",
}


def test_every_skip_reason_the_builder_gives_reads_as_chinese(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    for name, data in BAD_FILES.items():
        (articles / name).write_bytes(data)
    (tmp_path / "config.yaml").write_text("knowledge:\n  max_file_mb: 1\n", encoding="utf-8")
    report = build_knowledge_base(make_config(tmp_path), workers=1)
    reasons = {s.key: s.reason for s in report.skipped}
    assert len(reasons) == len(BAD_FILES) - 1  # one of the copies is kept
    for key, reason in reasons.items():
        wording = skip_reason_zh(reason)
        assert not wording.startswith("无法使用（"), f"{key}: {reason!r} has no Chinese wording"
        leftover = re.sub(r"UTF-8|GB18030|MB|HTML|front matter|articles/[\w.]+", "", wording)
        assert not re.search(r"[A-Za-z]{2,}", leftover), wording
    assert skip_reason_zh(reasons["articles/empty.txt"]) == "文件是空的"
    assert "第 2 行" in skip_reason_zh(reasons["articles/front.md"])
    assert reasons["articles/comment.html"] == "无法解析 HTML：网页里没有可以读取的内容"  # was a traceback
    assert skip_reason_zh("符号链接指向文章目录之外，已跳过") == "符号链接指向文章目录之外，已跳过"


def test_build_failures_read_as_chinese() -> None:
    assert build_failure_zh("articles directory not found: /k/articles") == "找不到文章目录 /k/articles"
    assert build_failure_zh("no usable article found in /k/articles (2 skipped, e.g. articles/a.txt: file is empty)") \
        == "/k/articles 里没有可用的文章（跳过了 2 个文件，例如 articles/a.txt：文件是空的）"


# ---- qabot chat and qabot ask --------------------------------------------------------------------


def test_chat_help_quit_and_small_talk(shared_service: QAService) -> None:
    code, out = converse(shared_service, ["/help", "你好", "/nonsense", "/quit", PANDA_QUESTION])
    assert code == 0
    assert out[1:] == [HELP, REPLIES[Kind.GREETING], UNKNOWN_COMMAND, GOODBYE]
    code, out = converse(shared_service, ["谢谢，再见", PANDA_QUESTION])
    assert out[1:] == [REPLIES[Kind.GOODBYE]]


def test_chat_refusal_offers_only_related_titles(shared_service: QAService) -> None:
    _, out = converse(shared_service, ["比特币现在多少钱", "长城有几个门"])
    assert "也许相关" not in out[1]
    assert "长城的长度与历史" in out[2] and "西湖龙井茶的产地" not in out[2]


def test_ask_with_an_empty_question_prints_usage(qabot, built_knowledge: Path) -> None:
    for question in ("", "   "):
        done = qabot("ask", "--knowledge", str(built_knowledge), question)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("usage: qabot ask") and "the question is empty" in done.stderr


@pytest.mark.parametrize("damage, wording", [
    (lambda index: (index / "manifest.json").unlink(), "清单文件（manifest）缺失或无法读取"),
    (lambda index: (index / "bm25.terms.npy").unlink(), "缺少文件 bm25.terms.npy"),
    (lambda index: (index / "passages.id.npy").write_bytes(b"\x93NUMPY"), "passages.id.npy 有 6 字节，应为"),
    (lambda index: flip_a_byte(index / "passages.id.npy"), "passages.id.npy 和它的校验和对不上"),
])
def test_index_damage_reads_as_chinese(knowledge_copy: Path, damage, wording: str) -> None:
    from bot.telegram.admin import index_damage

    index = (knowledge_copy / ".index" / "CURRENT").resolve()
    damage(index)
    reason = index_damage(knowledge_copy / ".index")
    assert reason is not None
    text = index_damage_zh(reason)
    assert "处的索引已损坏：" + wording in text, (reason, text)
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"manifest|\S+\.npy|/\S+", "", text)), text


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_sources_pages_list_the_newest_first_and_clamp_the_page_number(shared_service: QAService) -> None:
    from bot.replies.browse import article_page

    pages = [article_page(shared_service.kb, number, per_page=4) for number in (0, 1)]
    titles = [a.title for page in pages for a in page.articles]
    assert titles == ["大熊猫的食物与生活习性", "长城的长度与历史", "西湖龙井茶的产地", "大熊猫国家公园",
                      "HTML转义规则 & <示例>", "长江的源头与流域"]
    assert [(p.number, p.pages, p.total, p.first) for p in pages] == [(0, 2, 6, 0), (1, 2, 6, 4)]
    assert article_page(shared_service.kb, 99, per_page=4) == pages[1]
    assert article_page(shared_service.kb, -1, per_page=4) == pages[0]


def test_an_os_error_met_while_writing_is_worded_for_a_write() -> None:
    from bot.telegram.admin import os_error_text

    denied = PermissionError(13, "Permission denied", "/srv/knowledge/faq.yaml")
    assert os_error_text(denied) == "没有读取权限: /srv/knowledge/faq.yaml"
    assert os_error_text(denied, writing=True) == "没有写入权限: /srv/knowledge/faq.yaml"
    assert os_error_text(OSError(28, "No space left on device"), writing=True) == "磁盘空间不足"
    assert os_error_text(OSError(30, "Read-only file system", "a", None, "b"), writing=True) == "文件系统是只读的: a -> b"
