"""Faults: what the bot does when the Bot API, the network, the disk or a handler misbehaves.

Each test starts the real application against FakeBotApi over HTTP and injects one kind of
fault. Every test also records the whole log at DEBUG and fails if the token or the webhook
secret appears in it. Faults covered elsewhere: a reply Telegram can't parse
(test_telegram_bot.py::test_an_unparsable_reply_is_resent_as_plain_text), an unreachable Bot API
or a knowledge base that can't load at start, and webhook posts without the secret
(test_telegram_process.py).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.telegram.handlers import SOMETHING_WRONG
from tests.conftest import (
    ADMIN_ID,
    BOT_USERNAME,
    PANDA_FACT,
    PANDA_QUESTION,
    TOKEN,
    USER_ID,
    RunningBot,
    make_config,
    wait_until,
)
from tests.support.logs import SECRET, debug_log, lines  # noqa: F401  (debug_log: autouse, every test)
from tests.support.telegram_server import FakeBotApi, post_webhook

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")

JSON = dict[str, Any]


# ---- set-up ----------------------------------------------------------------------------------


def fast(config: Config, **telegram: Any) -> Config:
    """Short long polls and request timeouts, so that faults play out in seconds."""
    settings = dict(poll_timeout=1, request_timeout=2.0, **telegram)
    return dataclasses.replace(config, telegram=dataclasses.replace(config.telegram, **settings))


@pytest.fixture
def fast_bot(start_bot, api: FakeBotApi, built_knowledge: Path, shared_service, question_log) -> RunningBot:
    return start_bot(fast(make_config(built_knowledge, api.base_url)), service=shared_service,
                     question_log=question_log)


def settled(bot: RunningBot, api: FakeBotApi) -> None:
    """Every pushed update confirmed by an offset (so never handed out again) and fully handled."""
    wait_until(lambda: not api.pending_updates and bot.app.update_queue.empty()
               and bot.app.update_processor.current_concurrent_updates == 0, 20, "the bot to go idle")


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent_messages(chat_id)]


# ---- getUpdates ------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, times, options", [
    ("timeout", 2, {"seconds": 3.5}),  # held past the client's 2 s + 1 s poll, then dropped
    ("reset", 2, {}),
    ("http_502", 3, {}),
], ids=["timeout", "reset", "502"])
def test_polling_recovers_from_failing_get_updates_and_answers_once(
        fast_bot: RunningBot, api: FakeBotApi, debug_log: io.StringIO, fault: str, times: int,
        options: JSON) -> None:
    api.inject("getUpdates", fault, times=times, **options)
    # The poll under way ends within a second; the next one meets the fault.
    api.wait_for(lambda s: s.stats["faults_fired"].get(fault), what="the first fault")
    asked = api.push_private_text(USER_ID, PANDA_QUESTION)
    reply = api.wait_for_messages(USER_ID, 1, timeout=30)[0]
    assert PANDA_FACT in reply["text"]
    assert api.stats["faults_fired"][fault] == times and not api.pending_faults  # asked during all of them
    settled(fast_bot, api)
    assert api.confirmed_offset > asked["update_id"] and len(api.sent_messages(USER_ID)) == 1
    # One line when the outage starts and one when it ends, not one per failed poll.
    assert len(lines(debug_log, "getting updates failed (", "WARNING")) == 1
    assert len(lines(debug_log, f"works again after {times} failed tries", "WARNING")) == 1
    assert not lines(debug_log, "", "ERROR")


def test_a_second_instance_is_logged_once_per_episode_and_the_bot_carries_on(
        fast_bot: RunningBot, api: FakeBotApi, debug_log: io.StringIO) -> None:
    api.inject("getUpdates", "conflict", times=3)
    api.wait_for(lambda s: s.stats["faults_fired"].get("conflict"), what="the conflict")
    asked = api.push_private_text(USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1, timeout=30)[0]["text"]
    polls = [c.t for c in api.calls if c.method == "getUpdates"]
    conflicts = [c.t for c in api.calls if c.method == "getUpdates" and c.status == 409]
    assert len(conflicts) == 3
    # PTB backs off: 1 s, then 1.5 s, then 2.25 s before the poll that works.
    after = [t for t in polls if t > conflicts[0]]
    gaps = [b - a for a, b in zip([conflicts[0], *after], after)][:3]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.4 and gaps[2] >= 2.1
    starts = lines(debug_log, "another process is getting updates for this bot", "ERROR")
    assert len(starts) == 1 and "409" in starts[0] and "Traceback" not in debug_log.getvalue()
    assert len(lines(debug_log, "works again after 3 failed tries")) == 1
    # A second episode is a second line.
    api.inject("getUpdates", "conflict", times=1)
    api.wait_for(lambda s: s.stats["faults_fired"]["conflict"] == 4, what="the second conflict")
    api.push_private_text(USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 2, timeout=30)[1]["text"]
    assert len(lines(debug_log, "another process is getting updates for this bot", "ERROR")) == 2
    settled(fast_bot, api)
    assert api.confirmed_offset > asked["update_id"] and len(api.sent_messages(USER_ID)) == 2


# ---- sending ---------------------------------------------------------------------------------


def test_a_429_holds_back_only_its_own_chat_which_then_gets_one_reply(fast_bot: RunningBot, api: FakeBotApi) -> None:
    api.inject("sendMessage", "retry_after", retry_after=2)
    api.push_private_text(USER_ID, PANDA_QUESTION)
    api.wait_for(lambda s: s.stats["faults_fired"].get("retry_after"), what="the 429")
    others = [7000 + n for n in range(5)]
    for user in others:
        api.push_private_text(user, PANDA_QUESTION)
    for user in others:
        assert PANDA_FACT in api.wait_for_messages(user, 1)[0]["text"]
    assert not api.sent_messages(USER_ID)  # still waiting as Telegram asked
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
    settled(fast_bot, api)
    sends = [c for c in api.calls if c.method == "sendMessage"]
    mine = [c for c in sends if c.params["chat_id"] == USER_ID]
    assert [c.status for c in mine] == [429, 200] and mine[1].t - mine[0].t >= 2.0
    assert all(c.status == 200 for c in sends if c.params["chat_id"] != USER_ID)
    assert len(api.sent_messages(USER_ID)) == 1


# ---- starting --------------------------------------------------------------------------------


def test_start_retries_as_configured_until_the_bot_api_answers(
        start_bot, api: FakeBotApi, built_knowledge: Path, shared_service, question_log,
        debug_log: io.StringIO) -> None:
    api.inject("getMe", "http_502", times=2)
    config = fast(make_config(built_knowledge, api.base_url), start_retries=3)
    start_bot(config, service=shared_service, question_log=question_log)
    api.push_private_text(USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
    retries = lines(debug_log, "not reachable", "WARNING")
    assert len(retries) == 2 and "retry 1/3" in retries[0] and "retry 2/3" in retries[1]


def test_a_bot_api_failure_while_starting_never_leaves_it_half_started(
        api: FakeBotApi, built_knowledge: Path, shared_service, question_log) -> None:
    from bot.telegram.runner import BotApiUnavailable

    api.inject("setMyCommands", "http_502")
    bot = RunningBot(fast(make_config(built_knowledge, api.base_url)), service=shared_service,
                     question_log=question_log)
    with pytest.raises(BotApiUnavailable, match="Bot API failed while starting: Bad Gateway") as info:
        bot.start(api)
    bot.thread.join(10)
    assert not bot.thread.is_alive() and "\n" not in str(info.value)
    assert api.request_count("getUpdates") == 0 and not bot.app.running


# ---- stopping --------------------------------------------------------------------------------


def test_sigterm_answers_what_is_queued_confirms_it_and_a_restart_answers_nothing_twice(
        api: FakeBotApi, knowledge_copy: Path, tmp_path: Path) -> None:
    from tests.support.processes import BotProcess, clean_env

    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url)
    args = ["run", "-vv", "--knowledge", str(knowledge_copy)]
    first = BotProcess(args, env, tmp_path / "first.log")
    try:
        api.wait_for_requests("getUpdates", timeout=45)
        users = [6000 + n for n in range(4)]
        # Five questions a chat: three go at once, the rest wait ~1 s each for the chat's flood limit.
        # Different questions: a repeat of one still waiting would collapse into it (bot.telegram.fairness).
        asked = [api.push_private_text(user, f"{PANDA_QUESTION} {n}")["update_id"] for n in range(5) for user in users]
        api.wait_for(lambda s: set(asked) <= s.delivered_update_ids and s.sent_messages(), what="the first reply")
        answered_at_sigterm = len(api.sent_messages())
    finally:
        status = first.stop()
    assert status == 0 and answered_at_sigterm < len(asked)
    sent_before_exit = len(api.sent_messages())
    # Answered within the grace after SIGTERM, or dropped with a log line saying how many.
    dropped = re.search(r"stopping: (\d+) queued updates dropped unanswered, (\d+) running ones cancelled", first.log)
    unanswered = int(dropped[1]) + int(dropped[2]) if dropped else 0
    assert sum(len(api.sent_messages(user)) for user in users) + unanswered == len(asked)
    assert all(len(api.sent_messages(user)) >= 1 for user in users)
    assert api.confirmed_offset > max(asked) and not api.pending_updates
    assert "Traceback" not in first.log and TOKEN not in first.log

    polls = api.request_count("getUpdates")
    second = BotProcess(args, env, tmp_path / "second.log")
    try:
        api.wait_for_requests("getUpdates", polls + 1, timeout=45)
        before = len(api.sent_messages(users[0]))
        api.push_private_text(users[0], "/help")
        assert "怎么提问" in api.wait_for_messages(users[0], before + 1, timeout=20)[before]["text"]
    finally:
        assert second.stop() == 0
    assert len(api.sent_messages()) == sent_before_exit + 1  # nothing from before was answered again
    assert TOKEN not in second.log


# ---- the knowledge base on disk --------------------------------------------------------------


def reloadable_bot(start_bot, api: FakeBotApi, knowledge: Path, question_log) -> RunningBot:
    """A bot with its own service over `knowledge`, so /reload can change it; quick retries."""
    from bot.service import QAService

    config = fast(make_config(knowledge, api.base_url))
    return start_bot(config, service=QAService.open(config), question_log=question_log)


def ask_and_read(api: FakeBotApi, chat_id: int, text: str, count: int = 1) -> list[str]:
    """Send `text` privately and return the texts of the next `count` replies."""
    before = len(api.sent_messages(chat_id))
    api.push_private_text(chat_id, text)
    return [m["text"] for m in api.wait_for_messages(chat_id, before + count, timeout=30)[before:]]


def _damage_manifest(index: Path) -> None:
    build = index / os.readlink(index / "CURRENT")
    (build / "manifest.json").write_text('{"format": "qabot-index", "vers', encoding="utf-8")


def _half_written_build(index: Path) -> None:
    """CURRENT moved to a build that a crashed copy left with one array and no manifest."""
    build = index / os.readlink(index / "CURRENT")
    half = index / "builds" / "half-written"
    half.mkdir()
    shutil.copy(build / "passages.id.npy", half / "passages.id.npy")
    (index / "CURRENT").unlink()
    os.symlink(Path("builds") / "half-written", index / "CURRENT")


@pytest.mark.parametrize("damage", [_damage_manifest, _half_written_build], ids=["damaged", "half-written"])
def test_reload_over_an_unusable_index_rebuilds_it_and_tells_the_admin_why(
        start_bot, api: FakeBotApi, knowledge_copy: Path, question_log, damage: Callable[[Path], None]) -> None:
    from bot.index.knowledge_base import KnowledgeBase

    reloadable_bot(start_bot, api, knowledge_copy, question_log)
    damage(knowledge_copy / ".index")
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]  # the base in memory still serves
    started, report = ask_and_read(api, ADMIN_ID, "/reload", 2)
    assert "知识库已重建" in report and "共 6 篇文章" in report
    assert "原来的索引无法使用" in report and "清单文件（manifest）缺失或无法读取" in report
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]
    assert len(KnowledgeBase(knowledge_copy / ".index").articles) == 6


def test_a_reload_that_cannot_replace_a_half_copied_index_keeps_the_old_base_and_says_why(
        start_bot, api: FakeBotApi, knowledge_copy: Path, question_log) -> None:
    index = knowledge_copy / ".index"
    reloadable_bot(start_bot, api, knowledge_copy, question_log)
    # Someone copied an index over by hand and the copy stopped half way: CURRENT is a directory.
    build = index / os.readlink(index / "CURRENT")
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    shutil.copy(build / "articles.json", index / "CURRENT" / "articles.json")
    _, failure = ask_and_read(api, ADMIN_ID, "/reload", 2)
    assert failure.startswith("重建失败：") and "CURRENT" in failure
    assert "磁盘上的索引无法使用" in failure and "仍在使用原来的知识库（6 篇文章" in failure
    assert "内部错误" not in failure  # a reason, not a class name
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]


# ---- handlers ------------------------------------------------------------------------------


def test_a_handler_that_raises_apologises_and_the_next_update_is_handled(
        fast_bot: RunningBot, api: FakeBotApi, debug_log: io.StringIO) -> None:
    # Text that isn't a string parses, but the handler trips over it.
    message = {"message_id": 1, "date": 1, "chat": {"id": USER_ID, "type": "private"},
               "from": {"id": USER_ID, "is_bot": False, "first_name": "U"}, "text": 12345}
    api.push_raw({"message": message})
    assert api.wait_for_messages(USER_ID, 1)[0]["text"] == SOMETHING_WRONG
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]
    errors = lines(debug_log, "error while handling update", "ERROR")
    assert len(errors) == 1 and "Traceback" in debug_log.getvalue()


# ---- webhook ---------------------------------------------------------------------------------


class WebhookBot(RunningBot):
    """The application served as a webhook (on 127.0.0.1) in a background thread."""

    def __init__(self, config: Config, url: str, **kwargs: Any) -> None:
        from bot.telegram.runner import webhook_settings

        super().__init__(config, **kwargs)
        self.webhook = webhook_settings(url, url.split("//")[1].split("/")[0], config)

    def idle(self) -> bool:
        return self.app.update_queue.empty() and self.app.update_processor.current_concurrent_updates == 0


def test_webhook_needs_the_secret_and_answers_a_redelivered_update_once(
        api: FakeBotApi, built_knowledge: Path, shared_service, question_log) -> None:
    from tests.support.processes import free_port

    url = f"http://127.0.0.1:{free_port()}/hook"
    config = make_config(built_knowledge, api.base_url, QABOT_WEBHOOK_SECRET=SECRET)
    bot = WebhookBot(config, url, service=shared_service, question_log=question_log).start(api)
    try:
        assert api.webhook["url"] == url and api.webhook["secret_token"] == SECRET
        update = api.push_private_text(USER_ID, PANDA_QUESTION)
        assert post_webhook(url, update) == 403 and post_webhook(url, update, "wrong") == 403
        assert post_webhook(url, update, SECRET) == 200
        assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
        assert post_webhook(url, update, SECRET) == 200  # Telegram posts it again: its answer got lost
        later = api.push_private_text(USER_ID, "/help")
        assert post_webhook(url, later, SECRET) == 200
        api.wait_for_messages(USER_ID, 2)
        wait_until(bot.idle, what="the webhook bot to go idle")
        assert "怎么提问" in texts(api, USER_ID)[1] and len(api.sent_messages(USER_ID)) == 2
    finally:
        bot.stop()
    assert api.request_count("getUpdates") == 0


# ---- bad input: questions ----------------------------------------------------------------------

_ODD_QUESTIONS = [
    "", " ", "\n\t", "\u200b", "\u200b\u200d\ufeff", "\x00\x01\x7f", "？？？", "👍🏽🇨🇳🐼" * 10,
    "<b>&</pre>", "</b><i>", "&amp;&lt;&#0;&#xD800;&bogus;", "<a href='javascript:alert(1)'>x</a>",
    "**粗体** _斜体_ `代码` [链接](http://x) ||剧透||", "\\*not\\* markdown",
    "مرحبا بالعالم", "\u202e反转文字\u202c", "שלום עולם", "近三年引進了多少急需緊缺人才", "大熊貓吃什麼",
    "a" * 4096, "党" * 4096, "🐼" * 2048, "/start@" + "x" * 40, "/ask", "@qabot_test_bot",
]
QUESTIONS = st.one_of(
    st.sampled_from(_ODD_QUESTIONS),
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=["Lo", "Nd", "Po", "Ps", "Pe", "Zs", "Cc", "Cf", "Mn", "So", "Sk"]),
            max_size=200),
    st.lists(st.sampled_from(["大熊猫", "<", ">", "&", "&amp;", "<b>", "</b>", "*", "_", "`", "\u200b", "\u202e",
                              "龍井", "\n", " ", "🐼", "卧龙", "？"]), max_size=40).map("".join),
)
_chat_ids = itertools.count(1)
TELEGRAM_TRIMS = " \t\r\n\v\f"


@pytest.fixture(scope="module")
def input_api() -> Iterator[FakeBotApi]:
    server = FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME).start()
    yield server
    server.stop()
    assert not server.internal_errors


@pytest.fixture(scope="module")
def input_bot(input_api: FakeBotApi, built_knowledge: Path, shared_service,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    from bot.storage import QuestionLog

    log = QuestionLog(tmp_path_factory.mktemp("input") / "questions.sqlite")
    bot = RunningBot(fast(make_config(built_knowledge, input_api.base_url)), service=shared_service,
                     question_log=log).start(input_api)
    yield bot
    bot.stop()
    log.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS, where=st.sampled_from(["private", "group", "inline"]))
def test_any_question_gets_one_reply_that_telegram_accepts(input_bot: RunningBot, input_api: FakeBotApi,
                                                          question: str, where: str) -> None:
    api, number = input_api, next(_chat_ids)
    calls_before = len(api.calls)
    user, group = 100_000 + number, -100_000 - number  # a fresh chat each time: no flood limit waits
    if where == "private" and not question.strip(TELEGRAM_TRIMS):
        where = "group"  # Telegram refuses to send a blank message; after /ask it can be blank
    if where == "private":
        api.push_private_text(user, question.strip(TELEGRAM_TRIMS))
        chat = user
    elif where == "group":
        api.push_group_text(group, user, f"/ask@{BOT_USERNAME} {question}")
        chat = group
    else:
        update = api.push_inline_query(user, question[:256])
        query_id = update["inline_query"]["id"]
    if where == "inline":
        api.wait_for(lambda s: any(a["inline_query_id"] == query_id for a in s.inline_answers), what="the answer")
    else:
        api.wait_for_messages(chat, 1)
    settled(input_bot, api)  # and nothing more comes: the update is confirmed and no handler is running
    new_calls = api.calls[calls_before:]
    # Every reply passed the HTML check the first time: no 400 and no plain-text second try.
    assert all(c.status == 200 for c in new_calls), [(c.method, c.status, c.description) for c in new_calls]
    if where == "inline":
        assert sum(a["inline_query_id"] == query_id for a in api.inline_answers) == 1
        return
    replies = texts(api, chat)
    assert len(replies) == 1 and replies[0] != SOMETHING_WRONG


# ---- bad input: updates ----------------------------------------------------------------------


MALFORMED_UPDATES = [
    {"message": {"message_id": 5, "text": "no chat, no date"}},
    {"message": "not an object"},
    {"callback_query": {"id": "77", "data": "m:1:1"}},  # no sender, no chat_instance
    {"edited_message": {"message_id": 9, "date": 1, "chat": {"id": USER_ID}}},  # chat without a type
    {"reaction_to_the_future": {"emoji": "🦄"}},  # a kind of update this bot has never heard of
]


def test_malformed_and_unknown_updates_are_ignored_with_a_log_line(fast_bot: RunningBot, api: FakeBotApi,
                                                                   debug_log: io.StringIO) -> None:
    for update in MALFORMED_UPDATES:
        api.push_raw(update)
    api.push_private_text(USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
    settled(fast_bot, api)
    assert len(api.sent_messages()) == 1 and api.request_count("getUpdates") < 10  # no tight loop
    assert len(lines(debug_log, "ignoring malformed update", "WARNING")) == 4
    assert len(lines(debug_log, "of a kind this bot does not know (fields: reaction_to_the_future)", "WARNING")) == 1
    assert "not an object" not in "\n".join(lines(debug_log, "ignoring malformed"))  # the shape, not the text
    assert not lines(debug_log, "", "CRITICAL")


# ---- bad input: article files ----------------------------------------------------------------

_FACT = "青石镇的卧云桥建于明朝万历二十三年，桥长四十二米。"


def _enormous_paragraph() -> str:
    """About 1 MB of prose on one line, with a long run without any punctuation in it."""
    filler = "".join(f"第{n}段文字讲述古镇的街巷、河道与集市，记录了当地人的日常生活，" for n in range(11000))
    unbroken = "桥梁与河道" * 4000
    return filler[: len(filler) // 2] + unbroken + "。" + _FACT + filler[len(filler) // 2:] + "。"


def test_bad_article_files_are_skipped_with_reasons_and_reload_reports_them(
        start_bot, api: FakeBotApi, knowledge_copy: Path, question_log) -> None:
    bot = reloadable_bot(start_bot, api, knowledge_copy, question_log)
    articles = knowledge_copy / "articles"
    paragraph = _enormous_paragraph()
    assert len(paragraph.encode("utf-8")) > 1_000_000 and "\n" not in paragraph
    (articles / "huge.txt").write_text(f"古镇长文\n\n2020年01月01日 来源：测试\n\n{paragraph}\n", encoding="utf-8")
    (articles / "mixed.txt").write_bytes("两种编码\n\n前一半是UTF-8，讲的是黄河。\n".encode("utf-8")
                                         + "后一半是GB18030，讲的是长江。\n".encode("gb18030"))
    (articles / "legacy.txt").write_bytes("旧编码文章\n\n这篇旧文章用GB18030编码保存，讲的是苏州园林的拙政园。\n".encode("gb18030"))
    (articles / "punctuation.txt").write_text("。，！？……——“”《》\n、；：\n", encoding="utf-8")
    (articles / "front.md").write_text("---\ntitle: [unclosed\ndate: 2020-01-01\n---\n正文。\n", encoding="utf-8")
    _, report = ask_and_read(api, ADMIN_ID, "/reload", 2)
    assert "知识库已重建" in report and "共 8 篇文章" in report and "新增 2 篇" in report
    assert "articles/mixed.txt：既不是 UTF-8 也不是 GB18030 编码：第 4 行之前是 UTF-8，第 4 行不是，可能混用了编码" in report
    assert "articles/punctuation.txt：没有可以检索的文字" in report
    assert "articles/front.md：开头的元数据（front matter）" in report
    assert "articles/huge.txt" in report and "articles/legacy.txt" in report
    kb = bot.state.service.kb
    huge = next(a for a in kb.articles if a.key == "articles/huge.txt")
    limit = bot.config.passages.max_chars
    assert huge.passage_count > 1000
    assert all(len(kb.passage_texts[i]) <= limit for i in range(huge.first_passage, huge.first_passage + huge.passage_count))
    assert "万历二十三年" in ask_and_read(api, USER_ID, "青石镇的卧云桥建于什么时候")[0]
    assert "拙政园" in ask_and_read(api, USER_ID, "旧文章讲的是苏州哪座园林")[0]
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]  # everything else is still indexed
