"""The Telegram layer's pure parts: HTML splitting, callback data, log redaction, flood limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import warnings
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import RetryAfter

from bot.telegram.callbacks import (
    MAX_CALLBACK_BYTES,
    More,
    Original,
    SourcesPage,
    Vote,
    answer_keyboard,
    decode,
    encode,
    without_more,
)
from bot.telegram.limits import AllOf, FloodLimiter, SlidingWindow, TokenBucket, retry_seconds
from bot.telegram.logging_filter import REDACTED, RedactingFilter, install_redaction
from bot.telegram.telegram_html import MAX_TEXT, esc, html_to_plain, split_html, visible_length
from tests.support.telegram_server import parse_telegram_html

# PTB's RetryAfter reads its own deprecated attribute in __init__.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after. will be of type")

# ---- splitting -------------------------------------------------------------------------------

_words = st.text(alphabet=st.sampled_from(list("大熊猫吃竹子。，！ \n<>&\"'abcXYZ🐼") + ["\u3000"]), max_size=60)
_fragment = st.recursive(
    _words.map(esc),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["b", "i", "u", "code", "blockquote"]), inner).map(lambda t: f"<{t[0]}>{t[1]}</{t[0]}>"),
        inner.map(lambda s: f'<a href="https://example.com/?a=1&amp;b=2">{s}</a>'),
        st.lists(inner, max_size=4).map("".join),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_fragment, min_size=1, max_size=8).map("\n".join), st.integers(min_value=5, max_value=80))
def test_every_part_is_valid_telegram_html_within_the_limit(text: str, limit: int) -> None:
    parse_telegram_html(text)  # the input itself is valid
    parts = split_html(text, limit)
    for part in parts:
        visible, _ = parse_telegram_html(part)  # raises like Telegram's "can't parse entities"
        assert visible and visible_length(part) <= limit
    # Nothing is lost but the whitespace at the cuts (Telegram trims each message).
    squeeze = lambda s: "".join(s.split())  # noqa: E731
    assert "".join(squeeze(html_to_plain(p)) for p in parts) == squeeze(html_to_plain(text))


def test_short_messages_are_left_alone() -> None:
    text = "<b>大熊猫</b>吃竹子 &amp; 竹笋"
    assert split_html(text) == [text]
    assert split_html("  \n ") == [] and split_html("<b> </b>") == []


def test_long_text_is_cut_at_a_newline_and_tags_are_reopened() -> None:
    paragraph = "大熊猫每天吃竹子。" * 200  # 1800 characters
    text = "<b>标题</b>\n" + "\n".join([paragraph] * 4) + '\n<a href="https://example.com">来源 &amp; 链接</a>'
    parts = split_html(text)
    assert len(parts) >= 2
    assert all(len(parse_telegram_html(p)[0]) <= MAX_TEXT for p in parts)
    assert all(parse_telegram_html(p)[0].endswith("。") for p in parts[:-1])  # whole sentences
    quoted = "<blockquote>" + "长城很长，" * 1500 + "</blockquote>"
    cut = split_html(quoted)
    assert len(cut) == 2 and all(p.startswith("<blockquote>") and p.endswith("</blockquote>") for p in cut)


def test_cuts_never_split_an_entity_or_a_surrogate_pair() -> None:
    text = ("&amp;" * 30) + ("🐼" * 30)
    for limit in range(1, 40):
        for part in split_html(text, limit):
            parse_telegram_html(part)
            assert visible_length(part) <= limit or (limit == 1 and "🐼" in part)


def test_plain_fallback_is_the_visible_text() -> None:
    assert html_to_plain("<b>&lt;b&gt;&amp;&lt;/pre&gt;</b> <a href=\"x\">链接</a>") == "<b>&</pre> 链接"


# ---- callback data ---------------------------------------------------------------------------


@given(st.one_of(
    st.builds(More, st.integers(-10**17, 10**17), st.integers(0, 999_999)),
    st.builds(Original, st.text("0123456789abcdef", min_size=16, max_size=16)),
    st.builds(Vote, st.integers(-10**17, 10**17), st.text("0123456789abcdef", min_size=16, max_size=16), st.booleans()),
    st.builds(SourcesPage, st.integers(0, 999_999)),
))
def test_callback_data_round_trips_within_64_bytes(action) -> None:
    chat_id = -1001234567890123
    data = encode(action, chat_id)
    assert 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    assert decode(data, chat_id) == action
    assert decode(data, chat_id + 1) is None  # bound to its chat


def test_foreign_callback_data_is_ignored() -> None:
    for data in (None, "", "x", "m:1", "o:XYZ", "v:1:0123456789abcdef:2", "s:-1", "o:0123456789abcdef0",
                 "m:1:0", "v:1:0123456789abcdef:0", "o:0123456789abcdef|AAAAAAAAAAAAAAAA"):
        assert decode(data, 1) is None


def test_answer_keyboard_and_dropping_more() -> None:
    keyboard = answer_keyboard(42, "0123456789abcdef", 1, 7)
    texts = [b.text for row in keyboard.inline_keyboard for b in row]
    assert texts == ["更多结果", "原文", "👍", "👎"]
    assert [b.text for row in without_more(keyboard, 7).inline_keyboard for b in row] == ["原文", "👍", "👎"]
    assert "更多结果" not in [b.text for row in answer_keyboard(42, "0123456789abcdef", None, 7).inline_keyboard
                          for b in row]


# ---- log redaction ---------------------------------------------------------------------------


def test_redaction_covers_messages_arguments_and_tracebacks() -> None:
    token = "123456:SECRET-token"
    flt = RedactingFilter([token, "hook-secret"])
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s %s", (
        f"https://api.telegram.org/bot{token}/getMe", "hook-secret"), None)
    encoded = quote(token, safe="")
    try:
        raise RuntimeError(f"failed on /bot{encoded}/sendMessage")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert flt.filter(record)
    text = logging.Formatter().format(record)
    assert token not in text and "hook-secret" not in text and encoded not in text
    assert text.count(REDACTED) >= 3


def test_installed_filter_protects_every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    token = "987654:ANOTHER-token"
    caplog.set_level(logging.DEBUG)
    install_redaction(token)
    logging.getLogger("telegram.Bot").debug("Set Bot API URL: https://api.telegram.org/bot%s", token)
    logging.getLogger("some.library").warning("repr %r", {"token": token})
    assert caplog.text and token not in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


# ---- flood limits ----------------------------------------------------------------------------


def test_sliding_window_never_exceeds_its_limit_in_any_period() -> None:
    async def run() -> list[float]:
        window = SlidingWindow(3, 0.3)
        stamps: list[float] = []

        async def one() -> None:
            window.finish(await window.acquire())
            stamps.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(9)))
        return stamps

    stamps = asyncio.run(run())
    assert len(stamps) == 9
    for i in range(len(stamps) - 3):
        assert stamps[i + 3] - stamps[i] >= 0.3 - 0.01
    assert stamps[-1] - stamps[0] < 1.5


def test_a_window_counts_a_request_until_period_after_its_answer() -> None:
    clock = [0.0]
    window = SlidingWindow(2, 1.0, clock=lambda: clock[0])
    slow, fast = window.take(0.0), window.take(0.0)
    clock[0] = 0.1
    window.finish(fast)
    clock[0] = 5.0  # the first is still under way: no third request, however long ago it left
    assert window.wait_time(5.0) > 0
    window.finish(slow)
    assert window.wait_time(5.5) == pytest.approx(0.5)  # free a period after its answer
    assert window.wait_time(6.0) == 0


def test_flood_limiter_retries_after_429_and_gives_up_after_max_retries() -> None:
    from telegram.error import RetryAfter

    calls: list[float] = []

    async def flaky(fail_times: int):
        calls.append(time.monotonic())
        if len(calls) <= fail_times:
            raise RetryAfter(0)
        return True

    async def run(fail_times: int, retries: int):
        calls.clear()
        limiter = FloodLimiter(max_retries=retries)
        return await limiter.process_request(flaky, (fail_times,), {}, "sendMessage", {"chat_id": 5}, None)

    assert asyncio.run(run(2, 3)) is True and len(calls) == 3
    with pytest.raises(RetryAfter):
        asyncio.run(run(5, 1))
    assert len(calls) == 2


def test_every_chat_gets_bursts_then_one_a_second_and_groups_a_window_too() -> None:
    limiter = FloodLimiter(group_per_minute=20)
    private = limiter._window(42)
    group = limiter._window(-100)
    assert isinstance(private, TokenBucket) and private.burst == 2 and 0.85 <= private.rate < 1.0
    assert isinstance(group, AllOf)
    bucket, window = group.parts
    assert isinstance(bucket, TokenBucket) and bucket.burst == 2 and 0.85 <= bucket.rate < 1.0
    assert isinstance(window, SlidingWindow) and window.limit == 20 and 60.0 < window.period <= 66.0
    assert isinstance(limiter._window("@channel"), AllOf)


def test_a_group_gets_a_short_burst_then_one_a_second_within_its_minute() -> None:
    clock = [0.0]

    async def run() -> list[float]:
        group = AllOf(TokenBucket(1.0, 3, clock=lambda: clock[0]), SlidingWindow(5, 60.0, clock=lambda: clock[0]),
                      clock=lambda: clock[0])
        stamps = []
        for _ in range(7):
            while (wait := group.wait_time(clock[0])) > 0:
                clock[0] += wait
            group.finish(group.take(clock[0]))
            stamps.append(clock[0])
        return stamps

    stamps = asyncio.run(run())
    assert stamps[:3] == [0.0, 0.0, 0.0]  # the burst
    assert stamps[3:5] == pytest.approx([1.0, 2.0])  # then one a second
    assert stamps[5] == pytest.approx(60.0) and stamps[6] == pytest.approx(60.0)  # five a minute


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    async def run() -> list[float]:
        bucket = TokenBucket(rate=10.0, burst=3)
        stamps = []
        for _ in range(7):
            await bucket.acquire()
            stamps.append(time.monotonic())
        return stamps

    stamps = asyncio.run(run())
    assert stamps[2] - stamps[0] < 0.05  # the burst goes at once
    assert stamps[6] - stamps[2] >= 0.4 - 0.02  # then one every 0.1 s
    assert stamps[6] - stamps[0] < 1.0


# ---- run settings ----------------------------------------------------------------------------


def test_webhook_and_token_settings(tmp_path) -> None:
    from bot.errors import ConfigError
    from bot.telegram.runner import require_token, webhook_settings
    from tests.conftest import make_config

    config = make_config(tmp_path, QABOT_WEBHOOK_SECRET="abc_DEF-1")
    hook = webhook_settings("https://bot.example.com/qabot/hook", "127.0.0.1:8443", config)
    assert (hook.host, hook.port, hook.path, hook.secret) == ("127.0.0.1", 8443, "qabot/hook", "abc_DEF-1")
    assert webhook_settings("https://bot.example.com", "[::]:88", config).host == "::"
    generated = webhook_settings("https://x.example", ":8443", make_config(tmp_path))
    assert generated.host == "0.0.0.0" and len(generated.secret) >= 32
    for url, listen in (("ftp://x", "127.0.0.1:1"), ("https://x", "nohost"), ("https://x", "h:99999")):
        with pytest.raises(ConfigError):
            webhook_settings(url, listen, config)
    with pytest.raises(ConfigError, match="no Telegram bot token"):
        require_token(make_config(tmp_path, TELEGRAM_BOT_TOKEN=""))
    with pytest.raises(ConfigError, match="does not look like") as info:
        require_token(make_config(tmp_path, TELEGRAM_BOT_TOKEN="not a token"))
    assert "not a token" not in str(info.value)


@pytest.mark.parametrize("ptb_timedelta", ["false", "true"])
def test_retry_seconds_reads_the_public_retry_after_as_int_or_timedelta(monkeypatch, ptb_timedelta: str) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", ptb_timedelta)  # PTB 23 makes timedelta the only form
    whole, part = RetryAfter(3), RetryAfter(dt.timedelta(seconds=1.5))  # PTB's own __init__ warns
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading it here must not
        assert retry_seconds(whole) == 3.0 and retry_seconds(part) == 1.5
