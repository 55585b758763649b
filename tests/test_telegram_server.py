"""Tests of the fake Telegram Bot API server, driven by PTB's real Bot over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import threading
import time
import warnings
from collections.abc import Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.support.telegram_server import (
    ANONYMOUS_ADMIN_ID,
    FakeBotApi,
    RateLimits,
    check_telegram_html,
    detect_entities,
    parse_telegram_html,
    post_webhook,
)

TOKEN = "123456:TEST-token"
# PTB itself reads RetryAfter.retry_after in __init__, which warns about the int->timedelta move.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as api:
        yield api
        assert api.internal_errors == []


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def bot_for(api: FakeBotApi, read_timeout: float = 5.0, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=api.base_url, request=HTTPXRequest(read_timeout=read_timeout))


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Press", callback_data=data)]])


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns that retry_after will become a timedelta
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ---- HTML checker (no HTTP) ----------------------------------------------------------


def test_html_parser_visible_text_and_entities() -> None:
    text, entities = parse_telegram_html(
        '<b>Hi</b> &amp; <a href="https://x.org/?a=1&amp;b=2">you</a> 😀<i>it</i>'
        '<pre><code class="language-python">x</code></pre>'
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>&#65;&#x42;'
    )
    assert text == "Hi & you 😀itxqsAB"
    assert entities[0] == {"type": "bold", "offset": 0, "length": 2}
    link = {"type": "text_link", "offset": 5, "length": 3, "url": "https://x.org/?a=1&b=2"}
    assert entities[1] == link
    # the emoji is two UTF-16 code units
    assert entities[2] == {"type": "italic", "offset": 11, "length": 2}
    assert entities[3] == {"type": "pre", "offset": 13, "length": 1, "language": "python"}
    assert entities[4]["type"] == "expandable_blockquote"
    assert entities[5]["type"] == "spoiler"
    assert check_telegram_html("  <b> padded </b>\n") == "padded"


@pytest.mark.parametrize(
    "bad",
    [
        "<b>&</pre>",
        "<b>unbalanced",
        "<i><b>x</i></b>",
        "<marquee>x</marquee>",
        "1 < 2",
        "Tom & Jerry",
        "&nbsp;",
        '<span class="x">s</span>',
        "</b>",
        "<a href=https://x.org>y</a>",
    ],
)
def test_html_parser_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        check_telegram_html(bad)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_escaped_text_round_trips(text: str) -> None:
    assert check_telegram_html(html.escape(text)) == text.strip(" \t\r\n\v\f")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>&/;#x0 =\"'biacode-spnqutg"))
def test_html_parser_fails_only_with_value_error(text: str) -> None:
    try:
        check_telegram_html(text)
    except ValueError:
        pass


def test_detect_entities_counts_utf16() -> None:
    assert detect_entities("😀 @qabot_test_bot /help") == [
        {"type": "mention", "offset": 3, "length": 15},
        {"type": "bot_command", "offset": 19, "length": 5},
    ]
    assert detect_entities("/start@qabot_test_bot x")[0]["length"] == len("/start@qabot_test_bot")


# ---- basic methods ---------------------------------------------------------------------


def test_get_me(server: FakeBotApi) -> None:
    async def go() -> Any:
        async with bot_for(server) as bot:
            return await bot.get_me()

    me = run(go())
    assert (me.id, me.username, me.is_bot) == (123456, "qabot_test_bot", True)
    assert server.requests[0] == ("getMe", {})
    assert TOKEN not in repr(server)


def test_send_message_is_recorded(server: FakeBotApi) -> None:
    async def go() -> Any:
        async with bot_for(server) as bot:
            first = await bot.send_message(42, "hello")
            second = await bot.send_message(
                42,
                '<b>Hi</b> &amp; <a href="https://example.org">you</a>',
                parse_mode="HTML",
                reply_markup=keyboard("ok"),
                reply_parameters=ReplyParameters(first.message_id),
            )
            return first, second

    first, msg = run(go())
    assert msg.message_id == first.message_id + 1
    assert msg.text == "Hi & you"
    assert [e.type for e in msg.entities] == ["bold", "text_link"]
    assert msg.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    assert msg.reply_to_message.message_id == first.message_id
    assert msg.from_user.username == "qabot_test_bot"
    assert msg.chat.id == 42
    sent = server.sent_messages(42)
    assert [m["text"] for m in sent] == ["hello", "Hi & you"]
    method, params = server.requests[-1]
    assert method == "sendMessage" and params["parse_mode"] == "HTML"
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok"


def test_bad_html_is_rejected(server: FakeBotApi) -> None:
    async def go() -> list[str]:
        errors = []
        async with bot_for(server) as bot:
            for text in ["<b>&</pre>", "<b>open", "<blink>x</blink>", "a < b"]:
                with pytest.raises(BadRequest) as info:
                    await bot.send_message(1, text, parse_mode="HTML")
                errors.append(info.value.message)
            await bot.send_message(1, "a < b & c")  # plain text needs no escaping
        return errors

    for message in run(go()):
        assert message.startswith("Can't parse entities")  # PTB capitalises the description
    assert [m["text"] for m in server.sent_messages()] == ["a < b & c"]


def test_text_length_limits(server: FakeBotApi) -> None:
    async def go() -> None:
        async with bot_for(server) as bot:
            await bot.send_message(1, "x" * 4096)
            await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)too long"):
                await bot.send_message(1, "x" * 4097)
            with pytest.raises(BadRequest, match="(?i)text is empty"):
                await bot.send_message(1, " \n ")
            with pytest.raises(BadRequest, match="(?i)text is empty"):
                await bot.send_message(1, "<b> </b>", parse_mode="HTML")

    run(go())
    assert len(server.sent_messages(1)) == 2


def test_callback_data_limit(server: FakeBotApi) -> None:
    async def go() -> None:
        async with bot_for(server) as bot:
            await bot.send_message(1, "ok", reply_markup=keyboard("x" * 64))
            with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
                await bot.send_message(1, "too long", reply_markup=keyboard("é" * 33))

    run(go())
    assert len(server.sent_messages(1)) == 1


def test_wrong_token_and_unknown_method(server: FakeBotApi) -> None:
    async def go() -> None:
        with pytest.raises(InvalidToken):
            async with bot_for(server, token="654321:WRONG"):  # initialize() calls getMe
                pass
        async with bot_for(server) as bot:
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")

    run(go())
    assert server.stats["unauthorized"] == 1


def test_request_encodings() -> None:
    """JSON, form and multipart bodies; nested fields as objects or JSON strings."""
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "d"}]]}
    encoded = json.dumps(markup)
    with FakeBotApi(TOKEN) as api:
        url = f"{api.base_url}{TOKEN}/sendMessage"
        replies = [
            httpx.post(url, json={"chat_id": 5, "text": "json", "reply_markup": markup}),
            httpx.post(url, json={"chat_id": "5", "text": "123", "reply_markup": encoded}),
            httpx.post(url, data={"chat_id": "5", "text": "form", "reply_markup": encoded}),
            httpx.post(
                url,
                data={"chat_id": "5", "text": "multi", "reply_markup": encoded},
                files={"document": ("a.txt", b"data", "text/plain")},
            ),
            httpx.get(f"{api.base_url}{TOKEN}/getme"),  # method names are case-insensitive
        ]
        assert [r.json()["ok"] for r in replies] == [True] * 5
        sent = api.sent_messages(5)
        assert [m["text"] for m in sent] == ["json", "123", "form", "multi"]
        assert all(m["reply_markup"] == markup for m in sent)
        assert api.requests[3][1]["document"].filename == "a.txt"
        wrong = httpx.post(f"{api.base_url}999:nope/getMe")
        assert (wrong.status_code, wrong.json()) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        assert httpx.post(f"{api.base_url}{TOKEN}/nope").json()["description"] == "Not Found"


# ---- getUpdates ------------------------------------------------------------------------


def test_long_poll_and_offset_confirmation(server: FakeBotApi) -> None:
    async def go() -> None:
        async with bot_for(server) as bot:
            threading.Timer(0.3, server.push_private_text, args=(7, "hi")).start()
            start = time.monotonic()
            (update,) = await bot.get_updates(timeout=5)
            assert 0.2 < time.monotonic() - start < 3
            assert update.message.text == "hi" and update.message.chat.type == "private"
            # not confirmed yet: delivered again
            assert len(await bot.get_updates(timeout=0)) == 1
            assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
            assert server.confirmed_offset == update.update_id + 1
            assert server.pending_updates == []
            start = time.monotonic()
            assert await bot.get_updates(offset=update.update_id + 1, timeout=1) == ()
            assert time.monotonic() - start >= 0.9
            for i in range(3):
                server.push_private_text(7, f"m{i}")
            batch = await bot.get_updates(offset=update.update_id + 1, limit=2)
            assert [u.message.text for u in batch] == ["m0", "m1"]
            assert [u.update_id for u in batch] == [update.update_id + 1, update.update_id + 2]

    run(go())


def test_second_poller_conflicts_the_first(server: FakeBotApi) -> None:
    async def go() -> None:
        async with bot_for(server) as first, bot_for(server) as second:
            older = asyncio.create_task(first.get_updates(timeout=5))
            await asyncio.to_thread(server.wait_for_requests, "getUpdates", 1, 5)
            newer = asyncio.create_task(second.get_updates(timeout=5))
            with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
                await older
            server.push_group_text(-100, 3, "hello")
            (update,) = await newer
            assert update.message.chat.type == "supergroup"

    run(go())


def test_webhook(server: FakeBotApi) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    hook_url = f"http://127.0.0.1:{hook.server_address[1]}/hook"

    async def go() -> None:
        async with bot_for(server) as bot:
            await bot.set_webhook(hook_url, secret_token="s3cret")
            assert (await bot.get_webhook_info()).url == hook_url
            with pytest.raises(Conflict, match="(?i)webhook is active"):
                await bot.get_updates()
            await bot.delete_webhook()
            assert await bot.get_updates(timeout=0) == ()
            with pytest.raises(BadRequest, match="(?i)secret token"):
                await bot.set_webhook(hook_url, secret_token="no spaces")
            await bot.set_webhook(hook_url, secret_token="s3cret")

    try:
        run(go())
        update = server.push_private_text(1, "via hook")
        assert server.post_to_webhook(update) == 200
        assert post_webhook(hook_url, {"update_id": 1}) == 200
    finally:
        hook.shutdown()
        hook.server_close()
    assert received[0] == ("s3cret", update)
    assert received[1] == (None, {"update_id": 1})


# ---- update injection and replies --------------------------------------------------------


def test_command_handler_end_to_end(server: FakeBotApi) -> None:
    """A real Application polls the fake; entities make CommandHandler fire."""

    async def start(update: Any, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = update.effective_user.id
        await update.effective_message.reply_text(f"start {who} {' '.join(context.args)}")

    app = ApplicationBuilder().token(TOKEN).base_url(server.base_url).build()
    app.add_handler(CommandHandler("start", start))

    async def go() -> list[dict[str, Any]]:
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            server.push_group_text(-100500, 11, "/start@qabot_test_bot a b")
            server.push_group_text(-100500, 11, "/start@other_bot ignored")
            server.push_anonymous_admin_text(-100500, "/start anon")
            server.push_command(11, 11, "/start private")
            await asyncio.to_thread(server.wait_for_messages, 11, 1, 5)
            messages = await asyncio.to_thread(server.wait_for_messages, -100500, 2, 5)
            await app.updater.stop()
            await app.stop()
            return messages

    messages = run(go())
    assert [m["text"] for m in messages] == ["start 11 a b", f"start {ANONYMOUS_ADMIN_ID} anon"]
    assert server.sent_messages(11)[0]["text"] == "start 11 private"
    assert server.pending_updates == []  # PTB confirmed everything on stop


def test_callback_query_answer_and_edit(server: FakeBotApi) -> None:
    async def go() -> None:
        async with bot_for(server) as bot:
            msg = await bot.send_message(9, "Pick", reply_markup=keyboard("yes"))
            server.push_callback_query(9, server.sent_messages(9)[0], "yes")
            (update,) = await bot.get_updates(timeout=1)
            query = update.callback_query
            assert query.data == "yes" and query.message.message_id == msg.message_id
            await bot.answer_callback_query(query.id, text="Done")
            with pytest.raises(BadRequest, match="(?i)query is too old"):
                await bot.answer_callback_query(query.id)
            edited = await bot.edit_message_text(
                "Picked <b>yes</b>", chat_id=9, message_id=msg.message_id, parse_mode="HTML"
            )
            assert edited.text == "Picked yes" and edited.reply_markup is None
            with pytest.raises(BadRequest, match="(?i)not modified"):
                await bot.edit_message_text(
                    "Picked <b>yes</b>", chat_id=9, message_id=msg.message_id, parse_mode="HTML"
                )
            with pytest.raises(BadRequest, match="(?i)to edit not found"):
                await bot.edit_message_text("x", chat_id=9, message_id=999)
            await bot.edit_message_reply_markup(9, msg.message_id, reply_markup=keyboard("again"))
            assert await bot.delete_message(9, msg.message_id) is True
            with pytest.raises(BadRequest, match="(?i)to delete not found"):
                await bot.delete_message(9, msg.message_id)

    run(go())
    assert server.callback_answers[0]["text"] == "Done"
    assert [e["method"] for e in server.edits(9)] == ["editMessageText", "editMessageReplyMarkup"]
    assert server.edits(9)[0]["text"] == "Picked yes"
    assert server.deleted_messages == [(9, 1)]


def test_inline_query_answers(server: FakeBotApi) -> None:
    def article(i: int, text: str = "x", mode: str | None = None) -> InlineQueryResultArticle:
        content = InputTextMessageContent(text, parse_mode=mode)
        return InlineQueryResultArticle(str(i), f"t{i}", content)

    async def go() -> None:
        async with bot_for(server) as bot:
            server.push_inline_query(3, "que")
            (update,) = await bot.get_updates(timeout=1)
            query_id = update.inline_query.id
            assert update.inline_query.query == "que"
            with pytest.raises(BadRequest):
                await bot.answer_inline_query(query_id, [article(i) for i in range(51)])
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.answer_inline_query(query_id, [article(1, "<b>x", "HTML")])
            with pytest.raises(BadRequest, match="(?i)result_id_duplicate"):
                await bot.answer_inline_query(query_id, [article(1), article(1)])
            await bot.answer_inline_query(query_id, [article(1, "<b>x</b>", "HTML")], cache_time=5)

    run(go())
    (answer,) = server.inline_answers
    assert answer["results"][0]["id"] == "1" and answer["cache_time"] == 5


def test_commands_actions_and_chat_info(server: FakeBotApi) -> None:
    server.set_chat_admins(-100, [5], owner_id=6)
    server.forbid(77)

    async def go() -> None:
        async with bot_for(server) as bot:
            await bot.set_my_commands([("start", "Start"), ("help", "Help")])
            assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
            with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
                await bot.set_my_commands([("Bad-Command", "x")])
            await bot.send_chat_action(1, "typing")
            assert (await bot.get_chat_member(-100, 5)).status == "administrator"
            assert (await bot.get_chat_member(-100, 6)).status == "creator"
            assert (await bot.get_chat_member(-100, 7)).status == "member"
            assert (await bot.get_chat(-100)).type == "supergroup"
            with pytest.raises(Forbidden, match="(?i)blocked"):
                await bot.send_message(77, "hi")

    run(go())
    assert server.commands == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert server.chat_actions == [(1, "typing")]


def test_push_raw_and_edited_message(server: FakeBotApi) -> None:
    raw = server.push_raw({"weird": True})
    server.add_chat(-5, "group", title="Friends")
    sent = server.push_group_text(-5, 2, "hi @qabot_test_bot")
    edited = server.push_edited_message(sent["message"], "/fixed")

    async def go() -> Any:
        async with bot_for(server) as bot:
            return await bot.get_updates(timeout=0)

    updates = run(go())
    assert [u.update_id for u in updates] == [u["update_id"] for u in (raw, sent, edited)]
    assert updates[0].api_kwargs == {"weird": True}
    assert updates[1].message.entities[0].type == "mention"
    assert (updates[1].message.chat.type, updates[1].message.chat.title) == ("group", "Friends")
    assert updates[2].edited_message.text == "/fixed"
    assert updates[2].edited_message.entities[0].type == "bot_command"


def test_wait_for_times_out_with_a_helpful_message(server: FakeBotApi) -> None:
    assert server.wait_for(lambda s: s.port, timeout=0.1) == server.port
    with pytest.raises(AssertionError, match="(?i)timed out after 0.1s waiting for the moon"):
        server.wait_for(lambda s: False, timeout=0.1, what="the moon")


# ---- faults and rate limits --------------------------------------------------------------


def test_injected_faults_map_to_ptb_errors(
    server: FakeBotApi, capfd: pytest.CaptureFixture[str]
) -> None:
    async def go() -> None:
        async with bot_for(server, read_timeout=0.5) as bot:
            server.inject("sendMessage", "http_502")
            with pytest.raises(NetworkError, match="(?i)Bad Gateway") as info:
                await bot.send_message(1, "x")
            assert not isinstance(info.value, BadRequest)

            server.inject("sendMessage", "retry_after", retry_after=3)
            with pytest.raises(RetryAfter) as retry:
                await bot.send_message(1, "x")
            assert retry_seconds(retry.value) == 3

            server.inject("getUpdates", "conflict")
            with pytest.raises(Conflict):
                await bot.get_updates()

            server.inject("sendMessage", "parse_entities")
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1, "<b>fine</b>", parse_mode="HTML")

            server.inject("sendMessage", "reset")
            with pytest.raises(NetworkError) as reset:
                await bot.send_message(1, "x")
            assert not isinstance(reset.value, TimedOut)

            server.inject("sendMessage", "timeout", seconds=1.0)
            with pytest.raises(TimedOut):
                await bot.send_message(1, "lost")

            server.inject("sendMessage", "timeout", seconds=0.7, deliver=True)
            with pytest.raises(TimedOut):
                await bot.send_message(1, "delivered late")
            await asyncio.to_thread(server.wait_for_messages, 1, 1, 3)

            # faults fire in injection order, "*" matches any method
            server.inject("*", "error_500")
            server.inject("sendMessage", "http_502", times=2)
            for _ in range(3):
                with pytest.raises(NetworkError):
                    await bot.send_message(1, "x")
            await bot.send_message(1, "finally")

    run(go())
    assert [m["text"] for m in server.sent_messages(1)] == ["delivered late", "finally"]
    stats = server.stats
    assert stats["faults_fired"] == {
        "http_502": 3,
        "retry_after": 1,
        "conflict": 1,
        "parse_entities": 1,
        "reset": 1,
        "timeout": 2,
        "error_500": 1,
    }
    assert stats["retry_after_sent"] == 1
    assert stats["requests"]["sendMessage"] == 10
    assert server.pending_faults == []
    out, err = capfd.readouterr()
    assert TOKEN not in out + err


def test_rate_limit_per_chat() -> None:
    with FakeBotApi(TOKEN, enforce_rate_limits=True) as api:

        async def go() -> None:
            async with bot_for(api) as bot:
                for i in range(3):  # the burst passes
                    await bot.send_message(1, f"m{i}")
                with pytest.raises(RetryAfter) as info:
                    await bot.send_message(1, "too fast")
                assert retry_seconds(info.value) >= 1
                await bot.send_message(2, "another chat is fine")

        run(go())
        assert api.count_429s() == 1
        assert api.rate_limit_events[0].scope == "chat"
        assert api.stats["retry_after_sent"] == 1


def test_rate_limit_per_group_and_global() -> None:
    fast_chats = RateLimits(per_chat_per_second=100, per_chat_burst=100, global_per_second=1000)
    few_global = RateLimits(global_per_second=5)
    with (
        FakeBotApi(TOKEN, enforce_rate_limits=True, rate_limits=fast_chats) as group_api,
        FakeBotApi(TOKEN, enforce_rate_limits=True, rate_limits=few_global) as global_api,
    ):

        async def go() -> None:
            async with bot_for(group_api) as bot:
                for i in range(20):
                    await bot.send_message(-100123, f"g{i}")
                with pytest.raises(RetryAfter) as info:
                    await bot.send_message(-100123, "one too many")
                assert 50 <= retry_seconds(info.value) <= 60
            async with bot_for(global_api) as bot:
                for chat in range(5):
                    await bot.send_message(chat + 1, "x")
                with pytest.raises(RetryAfter):
                    await bot.send_message(99, "x")

        run(go())
        assert [e.scope for e in group_api.rate_limit_events] == ["group"]
        assert [e.scope for e in global_api.rate_limit_events] == ["global"]
        assert global_api.count_429s(after=5.0) == 0
