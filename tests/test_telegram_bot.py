"""End to end: the application `qabot run` builds, long-polling the local Bot API stand-in over HTTP.

Every message the bot sends passes FakeBotApi's Telegram-like HTML check (a bad one would be
answered 400 "can't parse entities"), so asserting on `sent_messages` covers escaping too.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.replies.render import NOT_ANSWERED
from bot.service import QAService
from bot.storage import QuestionLog
from bot.telegram.admin import ANONYMOUS, EDITED, NOT_ADMIN
from bot.telegram.callbacks import More, Original, encode
from bot.telegram.handlers import SOMETHING_WRONG
from bot.telegram.logging_filter import install_redaction
from tests.conftest import (
    ADMIN_ID,
    ARTICLES,
    BOT_USERNAME,
    GROUP_ID,
    NO_ANSWER_QUESTION,
    PANDA_FACT,
    PANDA_QUESTION,
    TOKEN,
    USER_ID,
    WOLONG_QUESTION,
    RunningBot,
    make_config,
    wait_until,
)
from tests.support.telegram_server import FakeBotApi, RateLimits, parse_telegram_html

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")

JSON = dict[str, Any]
OTHER_USER = 3003
TITLES = {"大熊猫的食物与生活习性", "大熊猫国家公园", "长城的长度与历史", "西湖龙井茶的产地", "HTML转义规则 & <示例>",
          "长江的源头与流域"}


# ---- helpers ---------------------------------------------------------------------------------


def ask(api: FakeBotApi, chat_id: int, push, *args, **kwargs) -> JSON:
    """Push an update and return the next message the bot sends to `chat_id`."""
    before = len(api.sent_messages(chat_id))
    push(*args, **kwargs)
    return api.wait_for_messages(chat_id, before + 1)[before]


def ask_private(api: FakeBotApi, user_id: int, text: str) -> JSON:
    return ask(api, user_id, api.push_private_text, user_id, text)


def buttons(message: JSON) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data") or b["url"] for row in rows for b in row}


def press(api: FakeBotApi, user_id: int, message: JSON, label: str) -> JSON:
    """Press a button and wait until the bot has answered the callback query; returns that answer."""
    update = api.push_callback_query(user_id, message, buttons(message)[label])
    query_id = update["callback_query"]["id"]
    return api.wait_for(lambda s: next((a for a in s.callback_answers if a["callback_query_id"] == query_id), None),
                        what=f"the answer to pressing {label}")


def bold_words(message: JSON) -> list[str]:
    text = message["text"]
    utf16 = text.encode("utf-16-le")
    return [utf16[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in message.get("entities", []) if e["type"] == "bold"]


def settled(bot: RunningBot, api: FakeBotApi) -> None:
    """Every pushed update fetched and fully handled."""
    wait_until(lambda: not api.pending_updates and bot.app.update_queue.empty()
               and bot.app.update_processor.current_concurrent_updates == 0, what="the bot to go idle")


# ---- private chat ----------------------------------------------------------------------------


def test_private_question_gets_the_snippet_in_bold_with_its_source(bot: RunningBot, api: FakeBotApi,
                                                                   question_log: QuestionLog) -> None:
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in reply["text"]
    assert "—— 大熊猫的食物与生活习性 · 新华社 · 2024-03-01" in reply["text"]
    assert "大熊猫" in bold_words(reply)
    assert "reply_to_message" not in reply  # private chats are not quoted
    assert {"原文", "分享", "👍", "👎"} <= set(buttons(reply)) <= {"更多结果", "原文", "分享", "👍", "👎"}
    assert all(len(data.encode()) <= 64 for label, data in buttons(reply).items() if label != "分享")
    stats = question_log.stats(days=1)
    assert (stats.asked, stats.answered) == (1, 1) and stats.top == ((PANDA_QUESTION, 1),)


def test_the_source_title_links_to_the_article_url(bot: RunningBot, api: FakeBotApi) -> None:
    reply = ask_private(api, USER_ID, "西湖龙井茶产于浙江省哪个城市")
    assert "杭州" in reply["text"]
    links = [e for e in reply.get("entities", []) if e["type"] == "text_link"]
    assert [link["url"] for link in links] == ["https://example.com/tea?a=1&b=2"]


def test_no_answer_says_so_and_shows_no_unrelated_snippet(bot: RunningBot, api: FakeBotApi,
                                                          question_log: QuestionLog,
                                                          shared_service: QAService) -> None:
    reply = ask_private(api, USER_ID, NO_ANSWER_QUESTION)
    assert reply["text"].startswith(NOT_ANSWERED)
    assert "/sources" in reply["text"]
    body_text = "".join(ARTICLES.values())
    assert not any(sentence and sentence in reply["text"] for sentence in body_text.split("。") if len(sentence) > 8)
    assert "reply_markup" not in reply  # nothing in the base is about Mars: no unrelated suggestions
    assert question_log.stats(days=1).not_answered == 1


def test_more_results_then_none_left(bot: RunningBot, api: FakeBotApi, shared_service: QAService) -> None:
    first = ask_private(api, USER_ID, "大熊猫")
    seen = [first]
    current = first
    while "更多结果" in buttons(current):
        count = len(api.sent_messages(USER_ID))
        answer = press(api, USER_ID, current, "更多结果")
        assert not answer.get("text")
        following = api.wait_for_messages(USER_ID, count + 1)[count]
        assert following["text"] != current["text"] and {"原文", "👍", "👎"} <= set(buttons(following))
        assert buttons(following)["原文"] not in {buttons(m)["原文"] for m in seen}  # another passage
        # The pressed message keeps its other buttons but loses 更多结果.
        api.wait_for(lambda s: set(buttons(s.message(USER_ID, current["message_id"]))) == {"原文", "分享", "👍", "👎"})
        seen.append(following)
        current = following
    assert len(seen) >= 2
    threshold = bot.config.retrieval.answer_threshold
    confident = [r for r in shared_service.ask("大熊猫", k=20).results if r.score >= threshold]
    assert len(seen) <= len(confident)  # only results that clear the answer bar are offered
    # A stale 更多结果 button on an old message: nothing left to show is said in the callback answer.
    question_id = int(buttons(first)["更多结果"].split(":")[1])
    stale = {**first, "reply_markup": {"inline_keyboard": [[{"text": "更多结果",
                                                             "callback_data": encode(More(question_id, 15), USER_ID)}]]}}
    assert "没有更多" in press(api, USER_ID, stale, "更多结果")["text"]


def test_original_shows_the_whole_passage_with_its_neighbours(bot: RunningBot, api: FakeBotApi,
                                                              shared_service: QAService) -> None:
    reply = ask_private(api, USER_ID, WOLONG_QUESTION)
    count = len(api.sent_messages(USER_ID))
    press(api, USER_ID, reply, "原文")
    original = api.wait_for_messages(USER_ID, count + 1)[count]
    best = shared_service.ask(WOLONG_QUESTION, k=1).results[0]
    neighbours = shared_service.kb.neighbours(best.passage.index, 1, 1)
    assert original["text"].startswith("大熊猫的食物与生活习性")
    for passage in neighbours:
        assert passage.text in original["text"]
    quoted = [e for e in original["entities"] if e["type"] == "blockquote"]
    assert len(quoted) == 1


def test_votes_are_stored_and_acknowledged(bot: RunningBot, api: FakeBotApi, question_log: QuestionLog) -> None:
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    assert press(api, USER_ID, reply, "👍")["text"] == "谢谢反馈！"
    assert press(api, OTHER_USER, reply, "👎")["text"] == "谢谢反馈，我们会改进。"
    stats = question_log.stats(days=1)
    assert (stats.helpful, stats.unhelpful) == (1, 1)
    assert [row.question for row in question_log.recent_unanswered()] == [PANDA_QUESTION]


def test_unknown_buttons_are_answered_not_ignored(bot: RunningBot, api: FakeBotApi) -> None:
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    fake = {**reply, "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "not-ours"}]]}}
    assert press(api, USER_ID, fake, "x")["text"]
    gone = {**reply, "reply_markup": {"inline_keyboard": [[{"text": "原文",
                                                           "callback_data": encode(Original("f" * 16), USER_ID)}]]}}
    assert "不在" in press(api, USER_ID, gone, "原文")["text"]


# ---- groups ----------------------------------------------------------------------------------


def test_group_chatter_is_ignored_but_questions_to_the_bot_are_answered(bot: RunningBot, api: FakeBotApi) -> None:
    for text in ["大家好", PANDA_QUESTION, "/ask@some_other_bot 长城有多长", "@someone_else 你好"]:
        api.push_group_text(GROUP_ID, USER_ID, text)
    asked = {
        "command": api.push_group_text(GROUP_ID, USER_ID, f"/ask@{BOT_USERNAME} {PANDA_QUESTION}"),
        "bare": api.push_group_text(GROUP_ID, USER_ID, f"/ask {WOLONG_QUESTION}"),
        "mention": api.push_group_text(GROUP_ID, OTHER_USER, f"@{BOT_USERNAME} {WOLONG_QUESTION}"),
    }
    replies = api.wait_for_messages(GROUP_ID, 3)
    by_question = {r["reply_to_message"]["message_id"]: r for r in replies}
    for update in asked.values():
        answer = by_question[update["message"]["message_id"]]  # each answer quotes its question
        assert "大熊猫的食物与生活习性" in answer["text"]
    # Replying to one of the bot's answers is a question too; replying to a person is not.
    someone = api.push_group_text(GROUP_ID, OTHER_USER, "西湖龙井茶产于哪里")
    api.push_group_text(GROUP_ID, USER_ID, "龙井茶产于哪里", reply_to_message=someone["message"])
    follow_up = ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID, "西湖龙井茶产于浙江省哪个城市",
                    reply_to_message=replies[0])
    assert "杭州" in follow_up["text"]
    settled(bot, api)
    assert len(api.sent_messages(GROUP_ID)) == 4


def test_group_more_results_work_from_the_quoted_question_after_a_restart(bot: RunningBot, api: FakeBotApi) -> None:
    reply = ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID, f"/ask@{BOT_USERNAME} 大熊猫")
    bot.state.recent._items.clear()  # as if the bot had restarted since
    count = len(api.sent_messages(GROUP_ID))
    press(api, OTHER_USER, reply, "更多结果")
    following = api.wait_for_messages(GROUP_ID, count + 1)[count]
    assert following["reply_to_message"]["message_id"] == reply["message_id"]
    assert following["text"] != reply["text"]


def test_ask_without_a_question_explains_usage(bot: RunningBot, api: FakeBotApi) -> None:
    reply = ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID, f"/ask@{BOT_USERNAME}")
    assert "/ask" in reply["text"] and "reply_markup" not in reply


# ---- inline mode -----------------------------------------------------------------------------


def test_inline_mode_offers_articles_with_snippet_and_source(bot: RunningBot, api: FakeBotApi,
                                                            shared_service: QAService) -> None:
    api.push_inline_query(USER_ID, PANDA_QUESTION)
    answer = api.wait_for(lambda s: s.inline_answers[-1] if s.inline_answers else None)
    results = answer["results"]
    assert 1 <= len(results) <= 10
    assert answer["cache_time"] == bot.config.telegram.inline_cache_seconds
    first = results[0]
    assert first["type"] == "article" and first["title"] == "大熊猫的食物与生活习性"
    assert PANDA_FACT in first["description"] or "大熊猫" in first["description"]
    content = first["input_message_content"]
    visible, entities = parse_telegram_html(content["message_text"])
    assert content["parse_mode"] == "HTML" and "—— 大熊猫的食物与生活习性 · 新华社" in visible
    assert len({r["id"] for r in results}) == len(results)
    assert len({r["description"] for r in results}) == len(results)  # no result repeats another
    # Only results above the relevance floor (the answer threshold) are offered.
    threshold = bot.config.retrieval.answer_threshold
    assert len(results) == len([r for r in shared_service.ask(PANDA_QUESTION, k=10).results if r.score >= threshold])


def test_inline_mode_with_nothing_to_offer(bot: RunningBot, api: FakeBotApi) -> None:
    api.push_inline_query(USER_ID, "")
    api.push_inline_query(USER_ID, NO_ANSWER_QUESTION)
    answers = api.wait_for(lambda s: s.inline_answers if len(s.inline_answers) == 2 else None)
    assert all(a["results"] == [] and a["button"]["start_parameter"] == "inline" for a in answers)


# ---- commands --------------------------------------------------------------------------------


def test_commands_are_registered_at_startup(bot: RunningBot, api: FakeBotApi) -> None:
    public = [c["command"] for c in api.commands_for(None)]
    assert public == ["start", "help", "ask", "sources"]
    admin = [c["command"] for c in api.commands_for({"type": "chat", "chat_id": ADMIN_ID})]
    assert admin == public + ["reload", "stats", "unanswered", "articles"]


def test_start_help_and_sources(bot: RunningBot, api: FakeBotApi, shared_service: QAService) -> None:
    start = ask_private(api, USER_ID, "/start")
    assert "直接把问题发给我" in start["text"]
    examples = list(buttons(start))
    assert 3 <= len(set(examples)) <= 5 and all(shared_service.ask(e, k=1).answered for e in examples)
    assert all(e.endswith("？") for e in examples)  # questions, not titles
    help_text = ask_private(api, USER_ID, "/help")["text"]
    assert "/ask" in help_text and "/sources" in help_text and "/reload" not in help_text
    assert "/reload" in ask_private(api, ADMIN_ID, "/help")["text"]
    sources = ask_private(api, USER_ID, "/sources")
    assert all(title in sources["text"] for title in TITLES)
    assert "共 6 篇" in sources["text"] and "reply_markup" not in sources  # one page, no page buttons
    assert "没有这个命令" in ask_private(api, USER_ID, "/nonsense")["text"]


def test_html_in_questions_and_articles_comes_back_readable(bot: RunningBot, api: FakeBotApi) -> None:
    reply = ask_private(api, USER_ID, "<b>&</pre> 这样的字符怎么写")
    assert "<b>&</pre>" in reply["text"] and "HTML转义规则 & <示例>" in reply["text"]
    injected = "<b>&</pre><a href='javascript:x'>火星</a>"
    ask_private(api, USER_ID, injected)
    listed = ask_private(api, ADMIN_ID, "/unanswered")
    assert injected in listed["text"]
    top = ask_private(api, ADMIN_ID, "/stats 1")
    assert "提问：2" in top["text"] and injected in top["text"]


# ---- admin -----------------------------------------------------------------------------------


def test_admin_commands_are_refused_to_everyone_else(bot: RunningBot, api: FakeBotApi) -> None:
    for command in ("/reload", "/stats", "/unanswered"):
        assert ask_private(api, USER_ID, command)["text"] == NOT_ADMIN
    anonymous = ask(api, GROUP_ID, api.push_anonymous_admin_text, GROUP_ID, f"/reload@{BOT_USERNAME}")
    assert anonymous["text"] == ANONYMOUS
    sent = api.push_private_text(ADMIN_ID, "/stats")
    api.wait_for_messages(ADMIN_ID, 1)
    edited = ask(api, ADMIN_ID, api.push_edited_message, sent["message"], "/reload")
    assert edited["text"] == EDITED
    assert "只有机器人的管理员" in ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID,
                                      f"/stats@{BOT_USERNAME}")["text"]
    settled(bot, api)
    assert api.request_count("sendMessage") == 7  # six refusals and the admin's own /stats


def test_stats_and_unanswered_for_an_admin(bot: RunningBot, api: FakeBotApi) -> None:
    ask_private(api, USER_ID, PANDA_QUESTION)
    ask_private(api, USER_ID, PANDA_QUESTION)
    ask_private(api, OTHER_USER, NO_ANSWER_QUESTION)
    stats = ask_private(api, ADMIN_ID, "/stats 7")["text"]
    assert "最近 7 天" in stats and "提问：3" in stats and "已回答：2" in stats and "未回答：1" in stats
    assert f"1. {PANDA_QUESTION}（2 次）" in stats
    unanswered = ask_private(api, ADMIN_ID, "/unanswered")["text"]
    assert NO_ANSWER_QUESTION in unanswered and PANDA_QUESTION not in unanswered
    assert "用法" in ask_private(api, ADMIN_ID, "/stats lots")["text"]
    assert "私聊" in ask(api, GROUP_ID, api.push_group_text, GROUP_ID, ADMIN_ID, f"/stats@{BOT_USERNAME}")["text"]


NEW_ARTICLE = """黄山的四绝

2024年08月08日 来源：旅游周刊

黄山位于安徽省南部，以奇松、怪石、云海、温泉四绝闻名，1990年被列入世界文化与自然遗产名录。
"""


def _reloadable_bot(start_bot, api: FakeBotApi, knowledge: Path, question_log: QuestionLog) -> RunningBot:
    config = make_config(knowledge, api.base_url)
    return start_bot(config, service=QAService.open(config), question_log=question_log)


def test_reload_reports_what_changed_and_serves_the_new_base(start_bot, api: FakeBotApi, knowledge_copy: Path,
                                                              question_log: QuestionLog) -> None:
    bot = _reloadable_bot(start_bot, api, knowledge_copy, question_log)
    articles = knowledge_copy / "articles"
    (articles / "huangshan.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    (articles / "river.txt").unlink()
    (articles / "empty.txt").write_text("", encoding="utf-8")
    assert "&lt;" not in ask_private(api, USER_ID, "黄山以哪四绝闻名")["text"]  # not known yet
    assert ask_private(api, USER_ID, "/reload")["text"] == NOT_ADMIN
    started = ask_private(api, ADMIN_ID, "/reload")
    assert "开始重建" in started["text"]
    report = api.wait_for_messages(ADMIN_ID, 2)[1]["text"]
    assert "知识库已重建" in report and "共 6 篇文章" in report
    assert "与上次相比：新增 1 篇，修改 0 篇，删除 1 篇" in report
    assert "新增的文章（1 篇）：\n  articles/huangshan.txt" in report
    assert "删除的文章（1 篇）：\n  articles/river.txt" in report
    assert "articles/empty.txt：文件是空的" in report and "用时" in report
    assert "奇松、怪石、云海、温泉" in ask_private(api, USER_ID, "黄山以哪四绝闻名")["text"]
    assert ask_private(api, USER_ID, "长江发源于哪里")["text"].startswith(NOT_ANSWERED)


def test_a_failed_reload_keeps_the_old_base_and_says_why(start_bot, api: FakeBotApi, knowledge_copy: Path,
                                                        question_log: QuestionLog) -> None:
    bot = _reloadable_bot(start_bot, api, knowledge_copy, question_log)
    for path in (knowledge_copy / "articles").iterdir():
        path.unlink()
    ask_private(api, ADMIN_ID, "/reload")
    failure = api.wait_for_messages(ADMIN_ID, 2)[1]["text"]
    assert failure.startswith("重建失败：") and "里没有可用的文章" in failure
    assert "仍在使用原来的知识库（6 篇文章" in failure
    assert PANDA_FACT in ask_private(api, USER_ID, PANDA_QUESTION)["text"]


def test_questions_are_answered_from_the_old_base_while_a_reload_runs(start_bot, api: FakeBotApi,
                                                                    knowledge_copy: Path,
                                                                    question_log: QuestionLog) -> None:
    bot = _reloadable_bot(start_bot, api, knowledge_copy, question_log)
    (knowledge_copy / "articles" / "huangshan.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    users = [5000 + n for n in range(12)]
    # Another build holding the index lock keeps the reload waiting for as long as the test needs.
    with open(knowledge_copy / ".index" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ask_private(api, ADMIN_ID, "/reload")
        wait_until(lambda: bot.state.service.reloading, what="the reload to start")
        for user in users:
            api.push_private_text(user, PANDA_QUESTION)
            api.push_private_text(user, "黄山以哪四绝闻名")
        for user in users:
            first, second = api.wait_for_messages(user, 2)[:2]
            assert PANDA_FACT in first["text"] + second["text"]
            assert all(SOMETHING_WRONG not in m["text"] for m in (first, second))
        assert bot.state.service.reloading and len(api.sent_messages(ADMIN_ID)) == 1
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert "知识库已重建" in api.wait_for_messages(ADMIN_ID, 2)[1]["text"]
    for user in users:
        assert "奇松" in ask_private(api, user, "黄山以哪四绝闻名")["text"]
    assert all(c.status == 200 for c in api.calls if c.method == "sendMessage")


def test_sources_are_paged_with_buttons(start_bot, api: FakeBotApi, knowledge_copy: Path,
                                        question_log: QuestionLog) -> None:
    for n in range(12):
        (knowledge_copy / "articles" / f"extra{n:02d}.txt").write_text(
            f"第{n}号测试文章\n\n2019年01月{n + 1:02d}日 来源：测试\n\n这是第{n}号测试文章的正文，讲的是编号为{n}的事情。\n",
            encoding="utf-8")
    bot = _reloadable_bot(start_bot, api, knowledge_copy, question_log)
    bot.state.service.reload()
    first = ask_private(api, USER_ID, "/sources")
    assert "共 18 篇" in first["text"] and "第 1/2 页" in first["text"]
    assert set(buttons(first)) == {"下一页 »"}
    press(api, USER_ID, first, "下一页 »")
    second = api.wait_for(lambda s: (m := s.message(USER_ID, first["message_id"])) and "第 2/2 页" in m["text"] and m)
    assert set(buttons(second)) == {"« 上一页"} and "18. " in second["text"]


# ---- Telegram's rules ------------------------------------------------------------------------


LONG_PARAGRAPH = "".join(f"第{n}句话说明了<b>标签</b>和&符号在长文章里也要转义。" for n in range(150))


def test_a_long_original_is_split_into_valid_parts(start_bot, api: FakeBotApi, tmp_path: Path,
                                                   question_log: QuestionLog) -> None:
    from bot.knowledge.builder import build_knowledge_base
    from tests.conftest import write_articles

    body = "\n\n".join([LONG_PARAGRAPH, "青石镇的古桥名叫卧云桥，建于明朝万历年间。" + LONG_PARAGRAPH, LONG_PARAGRAPH])
    knowledge = write_articles(tmp_path / "long", {"long.txt": f"很长的文章\n\n2020年01月01日 来源：测试\n\n{body}"})
    (knowledge / "config.yaml").write_text("passages:\n  target_chars: 3000\n  max_chars: 4000\n")
    build_knowledge_base(make_config(knowledge), workers=1)
    bot = _reloadable_bot(start_bot, api, knowledge, question_log)
    reply = ask_private(api, USER_ID, "青石镇的古桥叫什么名字")
    count = len(api.sent_messages(USER_ID))
    press(api, USER_ID, reply, "原文")
    settled(bot, api)
    parts = api.sent_messages(USER_ID)[count:]
    assert len(parts) >= 2
    assert all(len(part["text"]) <= 4096 and "<b>标签</b>" in part["text"] for part in parts)
    assert any(e["type"] == "blockquote" for part in parts for e in part.get("entities", []))
    assert all(c.status == 200 for c in api.calls if c.method == "sendMessage")  # no plain-text fallback
    service = bot.state.service
    shown = service.kb.neighbours(service.ask("青石镇的古桥叫什么名字", k=1).best.passage.index, 1, 1)
    assert len(shown) == 3
    joined = "".join("".join(part["text"].split()) for part in parts)
    assert "".join("".join(p.text.split()) for p in shown) in joined  # nothing lost at the cuts


def test_an_unparsable_reply_is_resent_as_plain_text(bot: RunningBot, api: FakeBotApi) -> None:
    api.inject("sendMessage", "parse_entities")
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in reply["text"] and "entities" not in reply and "<b>" not in reply["text"]
    assert {"原文", "👍", "👎"} <= set(buttons(reply))


def test_flood_control_retry_after_is_honoured(bot: RunningBot, api: FakeBotApi) -> None:
    api.inject("sendMessage", "retry_after", retry_after=1)
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in reply["text"]
    sends = [c for c in api.calls if c.method == "sendMessage"]
    assert [c.status for c in sends] == [429, 200] and sends[1].t - sends[0].t >= 1.0


@pytest.fixture
def rate_limited_api() -> FakeBotApi:
    server = FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME, enforce_rate_limits=True,
                        rate_limits=RateLimits(per_chat_per_second=1.0, per_chat_burst=3))
    server.start()
    yield server
    server.stop()


def test_a_private_chat_gets_no_more_than_telegram_allows(rate_limited_api: FakeBotApi, built_knowledge: Path,
                                                          shared_service: QAService, question_log: QuestionLog) -> None:
    api = rate_limited_api
    bot = RunningBot(make_config(built_knowledge, api.base_url), service=shared_service,
                     question_log=question_log).start(api)
    try:
        for n in range(6):  # different questions: a repeat still waiting would collapse into the first
            api.push_private_text(USER_ID, f"{PANDA_QUESTION} {n}")
        api.wait_for_messages(USER_ID, 6, timeout=20)
        assert api.count_429s() == 0 and api.stats["retry_after_sent"] == 0
    finally:
        bot.stop()


def test_errors_are_logged_without_the_token_and_the_user_is_told(bot: RunningBot, api: FakeBotApi,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    install_redaction(TOKEN)  # this test's log handler did not exist when the bot started
    api.inject("sendMessage", "error_500")
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    assert reply["text"] == SOMETHING_WRONG
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot.")]
    assert errors and errors[0].exc_info
    assert TOKEN not in caplog.text
    assert PANDA_FACT in ask_private(api, USER_ID, PANDA_QUESTION)["text"]  # the next update is handled normally


def test_ask_in_reply_to_a_message_asks_that_message(bot: RunningBot, api: FakeBotApi) -> None:
    asked = api.push_group_text(GROUP_ID, OTHER_USER, "西湖龙井茶产于浙江省哪个城市")
    reply = ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID, f"/ask@{BOT_USERNAME}",
                reply_to_message=asked["message"])
    assert "杭州" in reply["text"]
