"""The conversation around the answers, through the real bot and the local Bot API stand-in: example questions
as buttons, small talk, related suggestions, group wording, and 分享 deep links."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.replies.render import NOT_ANSWERED, result_to_json
from bot.replies.smalltalk import REPLIES, Kind
from bot.service import QAService
from bot.storage import QuestionLog
from bot.telegram.callbacks import Example, encode, example_key
from bot.telegram.handlers import BAD_LINK, EXPIRED_BUTTON, PASSAGE_GONE
from bot.telegram.messages import TRY_EXAMPLES
from tests.conftest import BOT_USERNAME, GROUP_ID, PANDA_FACT, PANDA_QUESTION, USER_ID, RunningBot, make_config
from tests.support.telegram_server import FakeBotApi
from tests.test_telegram_bot import ADMIN_ID, JSON, ask, ask_private, buttons, press

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")


def ask_group(api: FakeBotApi, text: str) -> JSON:
    return ask(api, GROUP_ID, api.push_group_text, GROUP_ID, USER_ID, text)


def press_and_read(api: FakeBotApi, chat_id: int, message: JSON, label: str) -> tuple[JSON, JSON]:
    """Press a button that makes the bot send a message; (the callback answer, that message)."""
    before = len(api.sent_messages(chat_id))
    answer = press(api, chat_id if chat_id > 0 else USER_ID, message, label)
    return answer, api.wait_for_messages(chat_id, before + 1)[before]


# ---- /start and example questions --------------------------------------------------------------


def test_start_offers_example_questions_as_buttons_that_ask_them(bot: RunningBot, api: FakeBotApi,
                                                                 question_log: QuestionLog,
                                                                 shared_service: QAService) -> None:
    start = ask_private(api, USER_ID, "/start")
    examples = list(buttons(start))
    assert 3 <= len(examples) <= 5
    for example in examples:  # each really answered, with confidence, by this base
        answer = shared_service.ask(example, k=1)
        assert answer.answered and answer.best.score >= 0.6, example
    answer, reply = press_and_read(api, USER_ID, start, examples[0])
    assert not answer.get("text")
    assert reply["text"].startswith(f"问：{examples[0]}")
    assert {"原文", "分享", "👍", "👎"} <= set(buttons(reply))
    assert question_log.stats(days=1).top == ((examples[0], 1),)
    # Chosen once per loaded base, not per press: a second /start offers the same questions.
    assert list(buttons(ask_private(api, USER_ID, "/start"))) == examples


def test_questions_answered_with_a_thumbs_up_become_examples(start_bot, api: FakeBotApi, built_knowledge: Path,
                                                             shared_service: QAService,
                                                             question_log: QuestionLog) -> None:
    liked, shaky = "龙井茶以什么四绝著称", "火星上有没有液态水"  # answered with confidence; not answered
    for question in (liked, shaky):
        question_id = question_log.record_question(question, "private", True)
        question_log.record_feedback(question_id, "0123456789abcdef", USER_ID, True)
    start_bot(make_config(built_knowledge, api.base_url), service=shared_service, question_log=question_log)
    offered = list(buttons(ask_private(api, USER_ID, "/start")))
    assert liked in offered and shaky not in offered


def test_curated_faq_questions_become_examples(start_bot, api: FakeBotApi, knowledge_copy: Path,
                                              question_log: QuestionLog) -> None:
    (knowledge_copy / "faq.yaml").write_text(
        "- questions: [图书馆几点开门, 图书馆的开放时间]\n  answer: 周二至周日 9:00—17:00 开放，周一闭馆。\n",
        encoding="utf-8")
    config = make_config(knowledge_copy, api.base_url)
    start_bot(config, service=QAService.open(config), question_log=question_log)
    start = ask_private(api, USER_ID, "/start")
    assert list(buttons(start))[0] == "图书馆几点开门"
    _, reply = press_and_read(api, USER_ID, start, "图书馆几点开门")
    assert reply["text"].startswith("问：图书馆几点开门") and "周一闭馆" in reply["text"]


def test_a_forged_or_stale_button_gets_a_clear_word(bot: RunningBot, api: FakeBotApi) -> None:
    start = ask_private(api, USER_ID, "/start")
    stale = encode(Example(example_key("一个从来没有提供过的问题")), USER_ID)  # signed, but never offered
    for data in ("x:0123456789ab", "garbage", "v:1:zz:1", stale):
        update = api.push_callback_query(USER_ID, start, data)
        query_id = update["callback_query"]["id"]
        answer = api.wait_for(lambda s: next((a for a in s.callback_answers if a["callback_query_id"] == query_id),
                                             None))
        assert answer["text"] == EXPIRED_BUTTON


def test_groups_get_their_own_greeting_and_help(bot: RunningBot, api: FakeBotApi) -> None:
    start = ask_group(api, "/start")
    assert "/ask" in start["text"] and f"@{BOT_USERNAME}" in start["text"]
    assert "直接把问题发给我" not in start["text"]
    assert start["reply_to_message"]  # quotes the asker
    assert buttons(start)  # the example questions
    help_text = ask_group(api, "/help")["text"]
    assert help_text.startswith("在群里怎么提问") and "/ask" in help_text and f"@{BOT_USERNAME}" in help_text
    _, reply = press_and_read(api, GROUP_ID, start, list(buttons(start))[0])
    assert reply["text"].startswith("问：")


# ---- votes -------------------------------------------------------------------------------------


def test_a_second_press_changes_or_withdraws_the_vote_and_the_buttons_show_it(bot: RunningBot, api: FakeBotApi,
                                                                              question_log: QuestionLog) -> None:
    reply = ask_private(api, USER_ID, PANDA_QUESTION)

    def labels() -> list[str]:
        current = api.message(USER_ID, reply["message_id"])
        return [b["text"] for b in current["reply_markup"]["inline_keyboard"][1]]

    def votes() -> tuple[int, int]:
        stats = question_log.stats(days=1)
        return stats.helpful, stats.unhelpful

    steps = [("👍", "谢谢反馈！", ["👍 1", "👎"], (1, 0)),
             ("👎", "已改为 👎，谢谢反馈，我们会改进。", ["👍", "👎 1"], (0, 1)),
             ("👎", "已撤回你的 👎。", ["👍", "👎"], (0, 0)),
             ("👍", "谢谢反馈！", ["👍 1", "👎"], (1, 0))]
    for label, said, shown, counted in steps:
        assert press(api, USER_ID, reply, label)["text"] == said
        api.wait_for(lambda s: labels() == shown, what=f"the buttons to read {shown}")
        assert votes() == counted
    group_answer = ask_group(api, f"/ask {PANDA_QUESTION}")
    press(api, USER_ID, group_answer, "👍")
    press(api, 3003, group_answer, "👍")  # in a group the count is everyone's
    api.wait_for(lambda s: [b["text"] for b in s.message(GROUP_ID, group_answer["message_id"])["reply_markup"]
                            ["inline_keyboard"][1]] == ["👍 2", "👎"])


# ---- small talk --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [("你好", Kind.GREETING), ("谢谢！", Kind.THANKS), ("再见", Kind.GOODBYE),
                                        ("你是谁？", Kind.WHO), ("好的，谢谢", Kind.THANKS)])
def test_small_talk_gets_a_short_reply_and_is_not_logged(bot: RunningBot, api: FakeBotApi,
                                                         question_log: QuestionLog, text: str, kind: Kind) -> None:
    reply = ask_private(api, USER_ID, text)
    assert reply["text"].startswith(REPLIES[kind])
    offers = kind in (Kind.GREETING, Kind.WHO)  # a greeting offers example questions
    assert bool(buttons(reply)) == offers and reply["text"].endswith(TRY_EXAMPLES) == offers
    assert question_log.stats(days=1).asked == 0
    assert question_log.recent_unanswered() == []


def test_small_talk_in_a_group_and_a_question_with_a_greeting(bot: RunningBot, api: FakeBotApi,
                                                              question_log: QuestionLog) -> None:
    assert ask_group(api, f"@{BOT_USERNAME} 谢谢")["text"] == REPLIES[Kind.THANKS]
    assert PANDA_FACT in ask_private(api, USER_ID, f"你好，{PANDA_QUESTION}？")["text"]
    assert question_log.stats(days=1).asked == 1


# ---- refusals ----------------------------------------------------------------------------------


def test_a_refusal_suggests_only_related_articles_as_buttons(bot: RunningBot, api: FakeBotApi) -> None:
    unrelated = ask_private(api, USER_ID, "比特币现在多少钱")
    assert unrelated["text"].startswith(NOT_ANSWERED) and "reply_markup" not in unrelated
    near = ask_private(api, USER_ID, "长城有几个门")
    assert near["text"].startswith(NOT_ANSWERED) and "也许下面这些有关" in near["text"]
    offered = list(buttons(near))
    assert offered[0] == "📄 长城的长度与历史"
    # Then the example questions about the Great Wall, if /start's examples include any; never others.
    assert all(label.startswith("❓ ") and "长城" in label for label in offered[1:])
    _, passage = press_and_read(api, USER_ID, near, "📄 长城的长度与历史")
    assert passage["text"].startswith("长城的长度与历史 · 文化旅游报 · 2023-05-20")


def test_a_refusal_offers_related_example_questions_that_answer(bot: RunningBot, api: FakeBotApi) -> None:
    examples = list(buttons(ask_private(api, USER_ID, "/start")))
    subject = examples[0][:2]  # e.g. 卧龙 or 长江: a word that question is about
    near = ask_private(api, USER_ID, f"{subject}有没有比特币")
    assert f"❓ {examples[0]}" in buttons(near)
    _, reply = press_and_read(api, USER_ID, near, f"❓ {examples[0]}")
    assert reply["text"].startswith(f"问：{examples[0]}") and "分享" in buttons(reply)


# ---- deep links --------------------------------------------------------------------------------


def test_share_link_opens_the_passage_with_its_source(bot: RunningBot, api: FakeBotApi,
                                                      shared_service: QAService) -> None:
    reply = ask_private(api, USER_ID, PANDA_QUESTION)
    passage_id = result_to_json(shared_service.ask(PANDA_QUESTION, k=1).best)["passage_id"]  # as `qabot ask --json`
    link = buttons(reply)["分享"]
    assert link == f"https://t.me/{BOT_USERNAME}?start={passage_id}"
    other_user = 4004
    shown = ask_private(api, other_user, f"/start {passage_id}")
    assert shown["text"].startswith("有人分享给你这段内容：")
    assert "大熊猫的食物与生活习性 · 新华社 · 2024-03-01" in shown["text"] and PANDA_FACT in shown["text"]
    assert any(e["type"] == "blockquote" for e in shown.get("entities", []))


@pytest.mark.parametrize("payload, expected", [("0123456789abcdef", PASSAGE_GONE), ("garbage-payload_1", BAD_LINK),
                                               ("<b>x</b>", BAD_LINK)])
def test_a_deep_link_to_nothing_gets_a_polite_word(bot: RunningBot, api: FakeBotApi, payload: str,
                                                   expected: str) -> None:
    assert ask_private(api, USER_ID, f"/start {payload}")["text"] == expected


def test_a_share_link_survives_rebuilds_that_leave_its_passage_alone(start_bot, api: FakeBotApi,
                                                                     knowledge_copy: Path,
                                                                     question_log: QuestionLog) -> None:
    config = make_config(knowledge_copy, api.base_url)
    start_bot(config, service=QAService.open(config), question_log=question_log)
    link = buttons(ask_private(api, USER_ID, "卧龙国家级自然保护区位于哪里"))["分享"]
    payload = link.rsplit("=", 1)[1]
    articles = knowledge_copy / "articles"
    (articles / "tea.html").unlink()  # another article changes
    panda = articles / "panda.txt"
    panda.write_text(panda.read_text(encoding="utf-8").replace("100克", "一百克"), encoding="utf-8")  # another passage
    reload_and_wait(api)
    assert "位于四川省汶川县" in ask_private(api, USER_ID, f"/start {payload}")["text"]
    panda.write_text(panda.read_text(encoding="utf-8").replace("汶川县", "汶川县卧龙镇"), encoding="utf-8")
    reload_and_wait(api)
    assert ask_private(api, USER_ID, f"/start {payload}")["text"] == PASSAGE_GONE


def reload_and_wait(api: FakeBotApi) -> None:
    before = len(api.sent_messages(ADMIN_ID))
    api.push_private_text(ADMIN_ID, "/reload")
    report = api.wait_for_messages(ADMIN_ID, before + 2, timeout=60)[before + 1]
    assert "知识库已重建" in report["text"], report["text"]


# ---- /stats chart ------------------------------------------------------------------------------


def colour_share(png: bytes, colour: str) -> float:
    """The share of the chart's pixels painted in `colour` (#rrggbb)."""
    import io

    import numpy as np
    from matplotlib import image

    pixels = (image.imread(io.BytesIO(png))[..., :3] * 255).round().astype(int)
    wanted = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return float((np.abs(pixels - wanted).sum(axis=-1) <= 6).mean())


def test_stats_sends_the_text_and_then_a_chart_as_a_photo(bot: RunningBot, api: FakeBotApi) -> None:
    from bot.replies.stats_chart import ANSWERED_COLOUR, REFUSED_COLOUR

    ask_private(api, USER_ID, PANDA_QUESTION)
    ask_private(api, USER_ID, "比特币现在多少钱")
    text = ask_private(api, ADMIN_ID, "/stats 7")
    assert "提问：2" in text["text"]  # the text stays
    message, upload = api.wait_for(lambda s: next(iter(s.sent_photos(ADMIN_ID)), None), timeout=30,
                                   what="the chart")
    assert message["message_id"] > text["message_id"]
    assert message["caption"].startswith("最近 7 天")
    assert upload.data.startswith(b"\x89PNG") and message["photo"][0]["width"] >= 600
    assert colour_share(upload.data, ANSWERED_COLOUR) > 0.001 and colour_share(upload.data, REFUSED_COLOUR) > 0.001
    assert api.sent_photos(USER_ID) == []


def test_a_chart_that_cannot_be_drawn_leaves_the_text_and_says_so(bot: RunningBot, api: FakeBotApi,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.replies import stats_chart

    def broken(data):
        raise RuntimeError("no canvas")

    monkeypatch.setattr(stats_chart, "render_png", broken)  # stands in for a broken matplotlib install
    before = len(api.sent_messages(ADMIN_ID))
    api.push_private_text(ADMIN_ID, "/stats")
    text, apology = api.wait_for_messages(ADMIN_ID, before + 2)[before:]
    assert "提问：" in text["text"] and apology["text"].startswith("图表没能画出来")
    assert api.sent_photos() == []
