"""One chat's flood never stalls the others, and SIGTERM is honoured in seconds whatever is queued."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.telegram.fairness import FLOOD_NOTICE
from tests.conftest import ADMIN_ID, PANDA_FACT, TOKEN, make_config, wait_until
from tests.support.processes import BotProcess, clean_env
from tests.support.telegram_server import FakeBotApi
from tests.test_reliability import fast

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")

FLOODER = 7001
FLOOD_GROUP = -100777
GROUP_MEMBERS = [7100 + n for n in range(20)]
OTHER = 7002
QUESTION = "成年大熊猫每天吃多少公斤竹子"


@pytest.fixture
def api() -> FakeBotApi:
    """The stand-in with Telegram's flood limits on (this module's bots reply under them)."""
    server = FakeBotApi(token=TOKEN, bot_username="qabot_test_bot", enforce_rate_limits=True)
    server.start()
    yield server
    server.stop()
    assert not server.internal_errors


def flood(api: FakeBotApi) -> list[int]:
    """300 questions from one private chat and 200 /ask in one group, all different."""
    ids = [api.push_private_text(FLOODER, f"第{n}个问题：{QUESTION}")["update_id"] for n in range(300)]
    ids += [api.push_group_text(FLOOD_GROUP, GROUP_MEMBERS[n % 20], f"/ask 第{n}个问题：{QUESTION}")["update_id"]
            for n in range(200)]
    return ids


def other_users_answer_seconds(api: FakeBotApi) -> float:
    started = time.monotonic()
    api.push_private_text(OTHER, QUESTION)
    reply = api.wait_for_messages(OTHER, 1, timeout=30)[0]
    assert PANDA_FACT in reply["text"]
    return time.monotonic() - started


def test_a_flood_from_one_chat_and_one_group_leaves_others_answered_within_2_s(
        start_bot, api: FakeBotApi, built_knowledge: Path, shared_service, question_log) -> None:
    bot = start_bot(fast(make_config(built_knowledge, api.base_url)), service=shared_service,
                    question_log=question_log)
    flood(api)
    assert other_users_answer_seconds(api) < 2.0
    # Each flood got one notice, and only the few it had queued were (or will be) answered.
    private = wait_until(lambda: [m["text"] for m in api.sent_messages(FLOODER)
                                  if not bot.app.update_processor._lanes.get(("chat", FLOODER))], 30,
                         "the private flood to drain")
    assert private.count(FLOOD_NOTICE) == 1 and 2 <= len(private) <= 9  # the notice and a handful of answers
    group = wait_until(lambda: FLOOD_NOTICE in [m["text"] for m in api.sent_messages(FLOOD_GROUP)]
                       and [m["text"] for m in api.sent_messages(FLOOD_GROUP)], 30, "the group's notice")
    assert group.count(FLOOD_NOTICE) == 1 and len(group) <= 22  # a minute of replies at most, then stopped


def test_repeated_questions_and_reloads_collapse(start_bot, api: FakeBotApi, knowledge_copy: Path,
                                                 question_log) -> None:
    from bot.service import QAService

    config = fast(make_config(knowledge_copy, api.base_url))
    bot = start_bot(config, service=QAService.open(config), question_log=question_log)
    for _ in range(50):
        api.push_private_text(FLOODER, QUESTION)
    for _ in range(30):
        api.push_private_text(ADMIN_ID, "/reload")
    wait_until(lambda: not api.pending_updates and bot.app.update_processor.current_concurrent_updates == 0, 60,
               "the bot to go idle")
    answers = [m["text"] for m in api.sent_messages(FLOODER)]
    assert len(answers) == 2 and all(PANDA_FACT in a for a in answers)  # the running one and one collapsed copy
    admin = wait_until(lambda: [m["text"] for m in api.sent_messages(ADMIN_ID)
                                if "知识库已重建" in m["text"]] and [m["text"] for m in api.sent_messages(ADMIN_ID)],
                       60, "the rebuild's report")
    assert sum("知识库已重建" in t for t in admin) == 1  # one rebuild
    assert sum("正在重建" in t for t in admin) >= 1 and len(admin) <= 4  # started, 正在重建, rebuilt


def test_superseded_inline_queries_are_dropped(start_bot, api: FakeBotApi, built_knowledge: Path, shared_service,
                                               question_log) -> None:
    bot = start_bot(fast(make_config(built_knowledge, api.base_url)), service=shared_service,
                    question_log=question_log)
    typed = [QUESTION[:n] for n in range(2, len(QUESTION) + 1)] * 20  # a user typing, again and again
    ids = [api.push_inline_query(OTHER, text)["inline_query"]["id"] for text in typed]
    wait_until(lambda: not api.pending_updates and bot.app.update_processor.current_concurrent_updates == 0, 60,
               "the bot to go idle")
    answered = {a["inline_query_id"] for a in api.inline_answers}
    assert ids[-1] in answered  # the last one typed is always answered
    assert len(answered) < len(ids) / 2  # most were superseded before they ran


def test_sigterm_after_a_flood_exits_within_5_s_and_confirms_the_offset(api: FakeBotApi, knowledge_copy: Path,
                                                                        tmp_path: Path) -> None:
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url)
    bot = BotProcess(["run", "-v", "--knowledge", str(knowledge_copy)], env, tmp_path / "bot.log")
    try:
        api.wait_for_requests("getUpdates", timeout=45)
        ids = flood(api)
        assert other_users_answer_seconds(api) < 2.0
        started = time.monotonic()
    finally:
        status = bot.stop(timeout=20)
    took = time.monotonic() - started
    assert status == 0 and took < 5.0, (status, took)
    assert api.confirmed_offset > max(ids) and not api.pending_updates
    assert "queued updates dropped unanswered" in bot.log and "Traceback" not in bot.log
