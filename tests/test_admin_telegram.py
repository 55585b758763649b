"""The admin loop through the real bot and the local Bot API stand-in: teaching from /unanswered,
uploading articles (getFile and the download included), /articles with 删除, and forged buttons."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.service import QAService
from bot.telegram.admin import ADMINS_ONLY
from bot.telegram.uploads import NOT_ADMIN
from tests.conftest import ADMIN_ID, NO_ANSWER_QUESTION, PANDA_FACT, PANDA_QUESTION, USER_ID, make_config
from tests.support.documents import make_pdf, make_scanned_pdf
from tests.test_telegram_bot import NEW_ARTICLE, ask, ask_private, buttons, press

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")

MARS_ANSWER = "目前的探测表明，火星表面没有稳定存在的液态水，只在极冠和地下有冰。"


@pytest.fixture
def admin_bot(start_bot, api, knowledge_copy: Path, question_log):
    config = make_config(knowledge_copy, api.base_url)
    return start_bot(config, service=QAService.open(config), question_log=question_log)


@pytest.fixture
def upload_bot(start_bot, api, knowledge_copy: Path, shared_service, question_log):
    """Uploads go to a private copy; answers come from the shared base (no rebuild happens with it)."""
    return start_bot(make_config(knowledge_copy, api.base_url), service=shared_service, question_log=question_log)


def _faq(knowledge: Path) -> list[dict]:
    return yaml.safe_load((knowledge / "faq.yaml").read_text(encoding="utf-8"))


def _next_message(api, chat_id: int, before: int) -> dict:
    return api.wait_for_messages(chat_id, before + 1)[before]


# ---- teaching --------------------------------------------------------------------------------


def test_teach_me_turns_the_admins_reply_into_a_curated_answer(admin_bot, api, knowledge_copy: Path) -> None:
    assert "没有找到" in ask_private(api, USER_ID, NO_ANSWER_QUESTION)["text"]
    hand = "# 管理员手写的\n- questions: [图书馆几点开门]\n  answer: 九点开门。\n"
    (knowledge_copy / "faq.yaml").write_text(hand, encoding="utf-8")
    listed = ask_private(api, ADMIN_ID, "/unanswered")
    assert f"1. " in listed["text"] and NO_ANSWER_QUESTION in listed["text"]
    assert set(buttons(listed)) == {"1 教我", "1 用这段"}
    before = len(api.sent_messages(ADMIN_ID))
    press(api, ADMIN_ID, listed, "1 教我")
    prompt = _next_message(api, ADMIN_ID, before)
    asked_for_reply = [params for method, params in api.requests
                       if method == "sendMessage" and (params.get("reply_markup") or {}).get("force_reply")]
    assert NO_ANSWER_QUESTION in prompt["text"] and len(asked_for_reply) == 1
    confirmed = ask(api, ADMIN_ID, api.push_private_text, ADMIN_ID, MARS_ANSWER, reply_to_message=prompt)
    assert "已记住" in confirmed["text"] and MARS_ANSWER in confirmed["text"]
    assert (knowledge_copy / "faq.yaml").read_text(encoding="utf-8").startswith(hand)  # the hand edit is kept
    assert _faq(knowledge_copy)[1] == {"questions": [NO_ANSWER_QUESTION], "answer": MARS_ANSWER}
    assert (knowledge_copy / "faq.yaml.bak").read_text(encoding="utf-8") == hand
    answer = ask_private(api, USER_ID, "火星上有没有液态水？")  # no rebuild needed
    assert MARS_ANSWER in answer["text"] and "常见问题" in answer["text"]
    assert "原文" not in buttons(answer) and {"👍", "👎"} <= set(buttons(answer))  # no article around it
    assert ask_private(api, ADMIN_ID, "/unanswered")["text"] == "最近没有未回答或被 👎 的问题。"


def test_use_this_passage_picks_an_article_passage_as_the_answer(admin_bot, api, knowledge_copy: Path) -> None:
    answer = ask_private(api, USER_ID, PANDA_QUESTION)
    press(api, USER_ID, answer, "👎")
    listed = ask_private(api, ADMIN_ID, "/unanswered")
    assert PANDA_QUESTION in listed["text"] and "👎 ×1" in listed["text"]
    before = len(api.sent_messages(ADMIN_ID))
    press(api, ADMIN_ID, listed, "1 用这段")
    choices = _next_message(api, ADMIN_ID, before)
    assert "选一段" in choices["text"] and "用第 1 段" in buttons(choices)
    before = len(api.sent_messages(ADMIN_ID))
    assert press(api, ADMIN_ID, choices, "用第 1 段").get("text") == "已采用这一段。"
    assert "已记住" in _next_message(api, ADMIN_ID, before)["text"]
    entry = _faq(knowledge_copy)[0]
    assert entry["questions"] == [PANDA_QUESTION] and PANDA_FACT in entry["answer"]
    assert entry["source"] == "大熊猫的食物与生活习性"
    again = ask_private(api, USER_ID, PANDA_QUESTION)["text"]
    assert again.startswith(entry["answer"][:20]) and "常见问题" in again
    assert PANDA_QUESTION not in ask_private(api, ADMIN_ID, "/unanswered")["text"]


def test_forged_admin_buttons_from_a_non_admin_change_nothing(admin_bot, api, knowledge_copy: Path) -> None:
    own = ask_private(api, USER_ID, NO_ANSWER_QUESTION)
    question_id = admin_bot.state.log.recent_unanswered(1)[0].id
    (knowledge_copy / "articles" / "uploads").mkdir()
    upload = knowledge_copy / "articles" / "uploads" / "keep.txt"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    from bot.knowledge.uploads import name_hash
    from bot.telegram.callbacks import ChoosePassages, DeleteUpload, Teach, UsePassage, encode

    before = len(api.sent_messages(USER_ID))
    for action in (Teach(question_id), ChoosePassages(question_id), UsePassage(question_id, "0123456789abcdef"),
                   DeleteUpload(name_hash("keep.txt"))):
        # Signed for the user's own chat (as a modified client might replay), still not an admin.
        update = api.push_callback_query(USER_ID, own, encode(action, USER_ID))
        query_id = update["callback_query"]["id"]
        reply = api.wait_for(lambda s: next((a for a in s.callback_answers if a["callback_query_id"] == query_id), None))
        assert reply["text"] == ADMINS_ONLY and reply["show_alert"] is True
    # An admin pressing a button made for another chat (or altered) gets 已失效 and nothing happens.
    admin_chat = ask_private(api, ADMIN_ID, "/unanswered")
    update = api.push_callback_query(ADMIN_ID, admin_chat, encode(DeleteUpload(name_hash("keep.txt")), USER_ID))
    query_id = update["callback_query"]["id"]
    reply = api.wait_for(lambda s: next((a for a in s.callback_answers if a["callback_query_id"] == query_id), None))
    assert reply["text"] == "这个按钮已失效。"
    assert len(api.sent_messages(USER_ID)) == before
    assert not (knowledge_copy / "faq.yaml").exists() and upload.is_file()
    assert "只有机器人的管理员" in ask_private(api, USER_ID, "/articles")["text"]


# ---- uploads ---------------------------------------------------------------------------------


def _send(api, user_id: int, name: str | None, data: bytes | None, **kwargs) -> dict:
    return ask(api, user_id, api.push_document, user_id, name, data, **kwargs)


def test_an_admin_uploads_an_article_and_it_is_answered_after_the_rebuild(admin_bot, api, knowledge_copy: Path) -> None:
    saved = _send(api, ADMIN_ID, "huangshan.txt", NEW_ARTICLE.encode("utf-8"))
    assert saved["text"] == "已保存为 articles/uploads/huangshan.txt。"
    report = api.wait_for_messages(ADMIN_ID, 3)[2]["text"]
    assert "知识库已重建" in report and "articles/uploads/huangshan.txt" in report
    assert api.downloads and api.request_count("getFile") == 1
    assert (knowledge_copy / "articles" / "uploads" / "huangshan.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    assert "奇松" in ask_private(api, USER_ID, "黄山以哪四绝闻名")["text"]

    # The same name again with other bytes: asked first; 保留原文件 keeps the old one.
    changed = NEW_ARTICLE.replace("1990年", "一九九零年").encode("utf-8")
    question = _send(api, ADMIN_ID, "huangshan.txt", changed)
    assert "要用新文件替换它吗" in question["text"] and set(buttons(question)) == {"替换", "保留原文件"}
    before = len(api.sent_messages(ADMIN_ID))
    press(api, ADMIN_ID, question, "保留原文件")
    assert "保留了原来的" in _next_message(api, ADMIN_ID, before)["text"]
    assert (knowledge_copy / "articles" / "uploads" / "huangshan.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    question = _send(api, ADMIN_ID, "huangshan.txt", changed)
    before = len(api.sent_messages(ADMIN_ID))
    press(api, ADMIN_ID, question, "替换")
    report = api.wait_for_messages(ADMIN_ID, before + 3)[before + 2]["text"]
    assert "知识库已重建" in report and "修改 1 篇" in report
    assert (knowledge_copy / "articles" / "uploads" / "huangshan.txt").read_bytes() == changed
    same = _send(api, ADMIN_ID, "huangshan.txt", changed)
    assert "一模一样" in same["text"]

    # /articles lists it with 删除.
    listed = ask_private(api, ADMIN_ID, "/articles")
    assert "huangshan.txt" in listed["text"] and "删除 1. huangshan.txt" in buttons(listed)
    before = len(api.sent_messages(ADMIN_ID))
    assert press(api, ADMIN_ID, listed, "删除 1. huangshan.txt")["text"] == "已删除。"
    report = api.wait_for_messages(ADMIN_ID, before + 3)[before + 2]["text"]
    assert "删除 1 篇" in report and not (knowledge_copy / "articles" / "uploads" / "huangshan.txt").exists()
    assert ask_private(api, ADMIN_ID, "/articles")["text"].startswith("还没有上传的文章")


@pytest.mark.parametrize("name, data, size, reason", [
    ("empty.txt", b"", None, "文件是空的（0 字节）"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), None, "文件内容不是文字（像是二进制文件），和扩展名 .txt 不符"),
    ("page.html", b"PK\x03\x04" + bytes(100), None, "文件内容不是文字（像是二进制文件），和扩展名 .html 不符"),
    ("tool.exe", b"MZ" + bytes(100), None, "不支持 .exe 文件"),
    ("big.txt", None, 21_000_000, "超过了 5 MB 的上限"),
    ("big.md", "标题\n\n正文。\n".encode("utf-8") * 600_000, None, "超过了 5 MB 的上限"),
    ("noext", b"text", None, "文件名没有扩展名"),
    ("fake.pdf", "其实是文字。".encode("utf-8"), None, "文件内容不是 .pdf 格式，和文件名不符"),
    ("letter.docx", b"%PDF-1.4\n" + bytes(100), None, "文件内容不是 .docx 格式，和文件名不符"),
    ("scan.pdf", make_scanned_pdf(), None, "读不出可用的文章内容"),
    ("only-furniture.txt", "收藏本文 打印\n".encode("utf-8"), None, "读不出可用的文章内容"),
])
def test_bad_uploads_are_refused_with_their_reason_and_not_saved(upload_bot, api, knowledge_copy: Path,
                                                                name, data, size, reason) -> None:
    before = sorted(p.name for p in (knowledge_copy / "articles").rglob("*"))
    reply = _send(api, ADMIN_ID, name, data, file_size=size)
    assert reply["text"].startswith(f"没有保存 {name}：") and reason in reply["text"]
    assert sorted(p.name for p in (knowledge_copy / "articles").rglob("*")) == before
    assert api.request_count("getFile") == (1 if data and size is None and "." in name and not name.endswith(".exe")
                                            and len(data) < 5_000_000 else 0)


def test_an_admin_uploads_a_pdf(admin_bot, api, knowledge_copy: Path) -> None:
    pdf = make_pdf(["黄山位于安徽省南部，以奇松、怪石、云海、温泉四绝闻名，1990年被列入世界文化与自然遗产名录。"],
                   title="黄山的四绝")
    assert _send(api, ADMIN_ID, "黄山.pdf", pdf)["text"] == "已保存为 articles/uploads/黄山.pdf。"
    report = api.wait_for_messages(ADMIN_ID, 3)[2]["text"]
    assert "知识库已重建" in report and "articles/uploads/黄山.pdf" in report
    assert "奇松" in ask_private(api, USER_ID, "黄山以哪四绝闻名")["text"]


def test_a_non_admins_document_is_declined_politely(upload_bot, api, knowledge_copy: Path) -> None:
    assert _send(api, USER_ID, "huangshan.txt", NEW_ARTICLE.encode("utf-8"))["text"] == NOT_ADMIN
    assert api.request_count("getFile") == 0 and not (knowledge_copy / "articles" / "uploads").exists()


def test_an_upload_during_a_rebuild_is_saved_and_the_admin_told_to_reload(admin_bot, api, knowledge_copy: Path) -> None:
    import fcntl

    from tests.conftest import wait_until

    with open(knowledge_copy / ".index" / ".lock", "w") as lock:  # holds the rebuild until released
        fcntl.flock(lock, fcntl.LOCK_EX)
        ask_private(api, ADMIN_ID, "/reload")
        wait_until(lambda: admin_bot.state.service.reloading, what="the reload to start")
        before = len(api.sent_messages(ADMIN_ID))
        api.push_document(ADMIN_ID, "huangshan.txt", NEW_ARTICLE.encode("utf-8"))
        saved, told = api.wait_for_messages(ADMIN_ID, before + 2)[before:before + 2]
        assert saved["text"] == "已保存为 articles/uploads/huangshan.txt。" and "再发送 /reload" in told["text"]
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert (knowledge_copy / "articles" / "uploads" / "huangshan.txt").is_file()
    api.wait_for(lambda s: any("知识库已重建" in m["text"] for m in s.sent_messages(ADMIN_ID)), what="the reload report")


def test_teaching_into_a_faq_yaml_of_the_wrong_type_changes_nothing(admin_bot, api, knowledge_copy: Path) -> None:
    ask_private(api, USER_ID, NO_ANSWER_QUESTION)
    broken = "questions: [这是一个映射，不是列表]\nanswer: 手写的\n"
    (knowledge_copy / "faq.yaml").write_text(broken, encoding="utf-8")
    listed = ask_private(api, ADMIN_ID, "/unanswered")
    before = len(api.sent_messages(ADMIN_ID))
    press(api, ADMIN_ID, listed, "1 教我")
    prompt = _next_message(api, ADMIN_ID, before)
    refused = ask(api, ADMIN_ID, api.push_private_text, ADMIN_ID, MARS_ANSWER, reply_to_message=prompt)
    assert refused["text"] == "没有保存：faq.yaml 现在不是一个问答列表，先修好它再添加问答（文件没有改动）"
    assert (knowledge_copy / "faq.yaml").read_text(encoding="utf-8") == broken
    assert NO_ANSWER_QUESTION in ask_private(api, ADMIN_ID, "/unanswered")["text"]


def test_reload_with_a_bad_questions_yaml_says_why_and_keeps_serving(admin_bot, api, knowledge_copy: Path) -> None:
    (knowledge_copy / "questions.yaml").write_text("- question: 长江有多长\n  expects: 6300\n", encoding="utf-8")
    (knowledge_copy / "articles" / "river.txt").unlink()
    ask_private(api, ADMIN_ID, "/reload")
    failed = api.wait_for_messages(ADMIN_ID, 2)[1]["text"]
    assert "重建失败" in failed and "第 1 项：不认识的键 “expects”（可用的键：question, expect, refuse）" in failed
    assert "6300" in ask_private(api, USER_ID, "长江全长多少公里")["text"]  # the old base, river.txt included



def test_a_failed_download_is_reported_in_chinese_and_nothing_is_saved(upload_bot, api, knowledge_copy: Path) -> None:
    reply = _send(api, ADMIN_ID, "lost.txt", None, file_size=100)  # getFile answers; the download itself fails
    assert reply["text"] == "没有保存：从 Telegram 下载文件失败，请再发一次。"
    assert api.request_count("getFile") == 1 and not (knowledge_copy / "articles" / "uploads").exists()
