"""Buttons can't be forged or moved: callback_data is signed for its chat, and votes count once per person."""

from __future__ import annotations

import secrets

from bot.storage import QuestionLog
from bot.telegram import callbacks
from bot.telegram.callbacks import More, Vote, encode
from bot.telegram.handlers import EXPIRED_BUTTON
from tests.conftest import PANDA_QUESTION, USER_ID, make_config
from tests.test_telegram_bot import ask_private, buttons, press, settled

OTHER_USER = 3003


def press_data(api, user_id, message, data):
    """Press a button with callback_data of the sender's choosing (what a modified client can do)."""
    fake = {**message, "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}}
    return press(api, user_id, fake, "x")


def question_id_of(reply) -> int:
    """The logged question's id, read from the reply's 👍 button (v:<question id>:<passage>:1|<signature>)."""
    return int(buttons(reply)["👍"].split(":")[1])


def test_another_users_question_cannot_be_opened_from_your_own_chat(bot, api, question_log: QuestionLog) -> None:
    theirs = ask_private(api, USER_ID, PANDA_QUESTION)
    question_id = question_id_of(theirs)  # A's question, as it stands in the log
    mine = ask_private(api, OTHER_USER, "长城有多长")
    sent_before = len(api.sent_messages(OTHER_USER))
    signed = encode(More(question_id, 0), USER_ID)
    for data in (f"m:{question_id}:0",   # the unsigned form of the attack
                 signed,                 # A's own signed button, replayed in B's chat
                 signed.replace(f"m:{question_id}:0", f"m:{question_id}:1")):  # altered payload
        assert press_data(api, OTHER_USER, mine, data)["text"] == EXPIRED_BUTTON
    settled(bot, api)
    assert len(api.sent_messages(OTHER_USER)) == sent_before  # nothing of A's reached B


def test_forged_votes_count_nothing_and_real_ones_count_once(bot, api, question_log: QuestionLog) -> None:
    answer = ask_private(api, USER_ID, PANDA_QUESTION)
    question_id = question_id_of(answer)
    for _ in range(300):
        forged = f"v:{question_id}:{secrets.token_hex(8)}:0|{secrets.token_urlsafe(12)[:16]}"
        assert press_data(api, USER_ID, answer, forged)["text"] == EXPIRED_BUTTON
    assert question_log.stats(days=1).unhelpful == 0
    thumbs_down = buttons(answer)["👎"]
    for n in range(5):  # the same button pressed (or replayed) again and again: a vote, withdrawn, again...
        assert ("谢谢" if n % 2 == 0 else "撤回") in press_data(api, USER_ID, answer, thumbs_down)["text"]
    assert "已改为 👍" in press(api, USER_ID, answer, "👍")["text"]  # changed, not added
    stats = question_log.stats(days=1)
    assert (stats.helpful, stats.unhelpful) == (1, 0)
    # A vote button signed for this chat, with the payload altered (another passage), is refused.
    altered = thumbs_down.replace(thumbs_down.split(":")[2], "0" * 16)
    assert press_data(api, USER_ID, answer, altered)["text"] == EXPIRED_BUTTON


def test_buttons_outlive_a_restart_because_the_key_is_the_installs(knowledge_copy) -> None:
    from bot.telegram.runner import build_application

    config = make_config(knowledge_copy)
    build_application(config)
    data = encode(Vote(5, "0123456789abcdef", True), USER_ID)
    callbacks.use_key(secrets.token_bytes(32))  # what another process would start with
    assert callbacks.decode(data, USER_ID) is None
    build_application(config)  # a restart loads the install's key again
    assert callbacks.decode(data, USER_ID) == Vote(5, "0123456789abcdef", True)
    assert (knowledge_copy / "qabot.key").stat().st_size == 32
