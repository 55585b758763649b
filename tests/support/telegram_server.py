"""A local stand-in for the Telegram Bot API, for end-to-end tests and load benchmarks.

Stdlib only. ``FakeBotApi`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 in a background
thread and answers ``/bot<TOKEN>/<method>`` the way Telegram does: the same JSON envelopes,
HTTP status codes and error descriptions python-telegram-bot (PTB) maps to its exceptions.
Tests inject updates (``push_*``), read what the bot sent (``sent_messages`` ...), wait for
it (``wait_for``) and inject faults (``inject``). See the class docstring for the API.

The token is never printed or logged: the HTTP request log is switched off because the
request line holds it.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import math
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "ApiError",
    "Call",
    "FakeBotApi",
    "RateLimitEvent",
    "RateLimits",
    "UploadedFile",
    "check_telegram_html",
    "detect_entities",
    "parse_telegram_html",
    "post_webhook",
    "utf16_len",
]

JSON = dict[str, Any]

ANONYMOUS_ADMIN_ID = 1087968824
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
BLOCKED = "Forbidden: bot was blocked by the user"
TEXT_BUTTON = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
FAULTS = frozenset(
    {
        "http_502",
        "timeout",
        "reset",
        "conflict",
        "retry_after",
        "parse_entities",
        "error_500",
        "forbidden",
        "error",
    }
)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


# --------------------------------------------------------------------------------------
# HTML parse mode, modelled on tdlib's parse_html (MessageEntity.cpp)
# --------------------------------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_SPACE = " \t\r\n"
# Telegram trims these from both ends of a message text.
_TRIM = " \t\r\n\v\f"
_SPECIAL = re.compile(r"[<&]")
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z]{2,8}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_END_TAG = re.compile(r"</([^\s>]*)[ \t\r\n]*>")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``text[i] == '&'``: (character, end index) or None."""
    m = _HTML_ENTITY.match(text, i)
    if not m:
        return None
    dec, hexa, name = m.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, m.end()) if char else None
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset of the tag's content in the visible text
    argument: str
    byte_pos: int


def _parse_start_tag(text: str, i: int) -> tuple[_OpenTag, int, int]:
    """Parse ``<tag attr="v">`` at ``text[i]``; returns (tag, byte offset, index after '>')."""
    n = len(text)
    begin = _byte_offset(text, i)
    j = i + 1
    while j < n and text[j] not in _SPACE and text[j] != ">":
        j += 1
    if j >= n:
        raise ValueError(f"Unclosed start tag at byte offset {begin}")
    name = text[i + 1 : j].lower()
    if name not in _TAG_ENTITY:
        raise ValueError(f'Unsupported start tag "{name}" at byte offset {begin}')
    argument = ""
    while True:
        while j < n and text[j] in _SPACE:
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {begin}")
        if text[j] == ">":
            break
        attr_start = j
        while j < n and text[j] not in _SPACE and text[j] not in "=>":
            j += 1
        attr = text[attr_start:j].lower()
        if not attr:
            raise ValueError(f'Empty attribute name in the tag "{name}" at byte offset {begin}')
        while j < n and text[j] in _SPACE:
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {begin}")
        if text[j] != "=":
            if name == "blockquote" and attr == "expandable":
                argument = "expandable"
                continue
            raise ValueError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{name}" at byte offset {begin}'
            )
        j += 1
        while j < n and text[j] in _SPACE:
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {begin}")
        if text[j] in "'\"":
            quote = text[j]
            end = text.find(quote, j + 1)
            if end < 0:
                raise ValueError(f"Unclosed start tag at byte offset {begin}")
            value = _decode_attribute(text[j + 1 : end])
            j = end + 1
        else:
            # An unquoted name token: letters, digits, periods and hyphens only.
            token_start = j
            while j < n and (text[j].isalnum() or text[j] in ".-"):
                j += 1
            if j < n and text[j] not in _SPACE and text[j] != ">":
                raise ValueError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
            value = text[token_start:j].lower()
        if name == "a" and attr == "href":
            argument = value
        elif name == "code" and attr == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif name == "span" and attr == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif name == "tg-emoji" and attr == "emoji-id":
            argument = value
        # Telegram ignores every other attribute.
    if name == "span" and argument != "spoiler":
        raise ValueError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    if name == "tg-emoji" and not (argument.isdigit() and int(argument) > 0):
        raise ValueError("Invalid custom emoji identifier specified")
    return _OpenTag(name, 0, argument, begin), begin, j + 1


def _decode_attribute(raw: str) -> str:
    """Attribute values: entities are decoded; an undecodable '&' stays literal (as in tdlib)."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&" and (decoded := _decode_entity(raw, i)):
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _make_entity(tag: _OpenTag, end: int) -> JSON | None:
    length = end - tag.offset
    if length <= 0:
        return None
    entity: JSON = {"type": _TAG_ENTITY[tag.name], "offset": tag.offset, "length": length}
    if tag.name == "a":
        if not tag.argument:
            return None  # <a> without href is plain text
        entity["url"] = tag.argument
    elif tag.name == "pre" and tag.argument:
        entity["language"] = tag.argument
    elif tag.name == "blockquote" and tag.argument:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.argument
    return entity


def parse_telegram_html(text: str, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram-HTML like Bot API parse_mode=HTML: (visible text, entities).

    Raises ValueError(reason) where Telegram answers "can't parse entities: <reason>".
    With ``strict`` (the default) a '&' that does not start ``&lt; &gt; &amp; &quot;`` or a
    numeric entity is an error, as Telegram's documentation demands; real Telegram is
    laxer and keeps such a '&' literally (``strict=False``).
    The visible text is trimmed of leading/trailing whitespace like a sent message.
    """
    out: list[str] = []
    pos = 0  # UTF-16 length of ``out``
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    i, n = 0, len(text)
    while i < n:
        m = _SPECIAL.search(text, i)
        stop = m.start() if m else n
        if stop > i:
            chunk = text[i:stop]
            out.append(chunk)
            pos += utf16_len(chunk)
            i = stop
            continue
        if text[i] == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                if strict:
                    raise ValueError(
                        "Character '&' is reserved and must be escaped with '&amp;' "
                        f"at byte offset {_byte_offset(text, i)}"
                    )
                decoded = ("&", i + 1)
            out.append(decoded[0])
            pos += utf16_len(decoded[0])
            i = decoded[1]
        elif i + 1 < n and text[i + 1] == "/":
            begin = _byte_offset(text, i)
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {begin}")
            m_end = _END_TAG.match(text, i)
            if not m_end:
                raise ValueError(f"Unclosed end tag at byte offset {begin}")
            end_name = m_end.group(1).lower()
            tag = stack[-1]
            if end_name and end_name != tag.name:
                raise ValueError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                    f'found "</{end_name}>"'
                )
            stack.pop()
            if tag.name == "code" and tag.argument and stack and stack[-1].name == "pre":
                # <pre><code class="language-x"> is one pre entity with a language
                stack[-1].argument = stack[-1].argument or tag.argument
            elif (entity := _make_entity(tag, pos)) is not None:
                entities.append(entity)
            i = m_end.end()
        else:
            tag, _, i = _parse_start_tag(text, i)
            tag.offset = pos
            stack.append(tag)
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), entities)


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip surrounding whitespace as Telegram does, clipping entity ranges to match."""
    left = text.lstrip(_TRIM)
    lead = utf16_len(text[: len(text) - len(left)])
    result = left.rstrip(_TRIM)
    total = utf16_len(result)
    clipped: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    clipped.sort(key=lambda e: (e["offset"], -e["length"]))
    return result, clipped


def check_telegram_html(text: str) -> str:
    """Validate Telegram-HTML; return the visible (trimmed) text or raise ValueError(reason)."""
    return parse_telegram_html(text)[0]


# Commands and @mentions in user messages; PTB's CommandHandler and filters need entities.
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?!\w)")


def detect_entities(text: str) -> list[JSON]:
    """bot_command and mention entities Telegram would attach to a user's plain text."""
    found = [("bot_command", m) for m in _COMMAND.finditer(text)]
    found += [("mention", m) for m in _MENTION.finditer(text)]
    entities = [
        {
            "type": kind,
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for kind, m in found
    ]
    entities.sort(key=lambda e: e["offset"])
    return entities


# --------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


# Parameters that are plain strings even when they look like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_query_id", "url",
        "secret_token", "next_offset", "action", "language_code", "title", "description",
        "short_description", "name", "inline_message_id", "business_connection_id",
        "message_effect_id", "ip_address", "emoji", "question", "address", "first_name",
        "last_name", "phone_number", "custom_title", "sticker", "photo", "document", "video",
        "audio", "voice", "animation", "thumbnail", "payload", "currency", "start_parameter",
        "game_short_name", "invite_link", "explanation", "vcard", "error_message",
        "shipping_query_id", "pre_checkout_query_id", "file_id", "switch_pm_text",
        "switch_pm_parameter",
    }
)  # fmt: skip


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; Telegram refuses what it can't read as an image."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
    return struct.unpack(">II", data[16:24])


def _normalize_params(raw: dict[str, Any]) -> JSON:
    """Form values are strings; PTB JSON-encodes non-strings (reply_markup, ints, bools)."""
    params: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _STRING_FIELDS:
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value
            # A JSON string literal would strip quotes the client meant to send.
            value = value if isinstance(decoded, str) else decoded
        params[key] = value
    return params


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[str(name)] = payload.decode("utf-8")
        else:
            fields[str(name)] = UploadedFile(filename, part.get_content_type(), payload)
    return fields


def _parse_body(content_type: str, body: bytes, query: str) -> JSON:
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "multipart/form-data":
            raw.update(_parse_multipart(content_type, body))
        elif kind == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif body.strip():  # application/json, or no/unknown content type
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("JSON body is not an object")
            raw.update(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Bad Request: can't parse request body: {exc}") from None
    return _normalize_params(raw)


# --------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimits:
    """Telegram-like flood limits, enforced when ``enforce_rate_limits=True``."""

    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    global_per_second: int = 30


@dataclass(frozen=True)
class RateLimitEvent:
    """One enforced 429; ``t`` is seconds since the first rate-counted request (``t0``)."""

    t: float
    method: str
    chat_id: int | str
    scope: str  # "chat", "group" or "global"
    retry_after: int


class _RateLimiter:
    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._buckets: dict[Any, tuple[float, float]] = {}  # chat -> (tokens, last refill)
        self._groups: dict[Any, deque[float]] = {}
        self._global: deque[float] = deque()

    def check(self, chat_id: Any, now: float, *, global_only: bool) -> tuple[str, int] | None:
        """Count one message; return (scope, retry_after) instead if a limit is exceeded."""
        lim = self.limits
        while self._global and self._global[0] <= now - 1.0:
            self._global.popleft()
        if len(self._global) >= lim.global_per_second:
            return "global", max(1, math.ceil(self._global[0] + 1.0 - now))
        if not global_only:
            tokens, last = self._buckets.get(chat_id, (float(lim.per_chat_burst), now))
            tokens = min(float(lim.per_chat_burst), tokens + (now - last) * lim.per_chat_per_second)
            if tokens < 1.0:
                return "chat", max(1, math.ceil((1.0 - tokens) / lim.per_chat_per_second))
            window = None
            if isinstance(chat_id, int) and chat_id < 0:
                window = self._groups.setdefault(chat_id, deque())
                while window and window[0] <= now - 60.0:
                    window.popleft()
                if len(window) >= lim.group_per_minute:
                    return "group", max(1, math.ceil(window[0] + 60.0 - now))
                window.append(now)
            self._buckets[chat_id] = (tokens - 1.0, now)
        self._global.append(now)
        return None


# --------------------------------------------------------------------------------------
# The fake API
# --------------------------------------------------------------------------------------


@dataclass
class Call:
    """One finished API call: what came in and what was answered."""

    method: str
    params: JSON
    status: int  # HTTP status; 0 when the connection was reset / dropped
    result: Any = None
    description: str | None = None
    t: float = 0.0  # time.monotonic() when answered


@dataclass
class _Fault:
    method: str
    kind: str
    times: int
    kw: JSON


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    reset: bool = False
    payload: JSON | None = None  # the decoded body, kept for the call log


def _json_reply(status: int, payload: JSON) -> _Reply:
    try:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: Telegram sends it as a "\ud800" escape
        body = json.dumps(payload).encode("ascii")
    return _Reply(status, body, payload=payload)


def _error_reply(code: int, description: str, parameters: JSON | None = None) -> _Reply:
    payload: JSON = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return _json_reply(code, payload)


_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
# Types Telegram leaves out unless allowed_updates names them.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_KNOWN_UPDATES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
        "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
        "poll", "poll_answer", "my_chat_member", "chat_member", "chat_join_request",
        "chat_boost", "removed_chat_boost", "message_reaction", "message_reaction_count",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "purchased_paid_media",
    }
)  # fmt: skip
# Methods that only need recording and an answer of True.
_TRIVIAL_METHODS = (
    "logOut", "close", "pinChatMessage", "unpinChatMessage", "unpinAllChatMessages",
    "leaveChat", "setMyDescription", "setMyShortDescription", "setMyName",
    "setChatMenuButton", "setMyDefaultAdministratorRights", "banChatMember",
    "unbanChatMember", "restrictChatMember", "approveChatJoinRequest",
    "declineChatJoinRequest", "setMessageReaction",
)  # fmt: skip
_SENDING_METHODS = frozenset({"sendMessage", "sendPhoto"})
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_EDITING_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup"})


class FakeBotApi:
    """A Telegram Bot API server on 127.0.0.1 for tests; see the module docstring.

    Point PTB at it with ``Bot(token, base_url=api.base_url)`` or
    ``ApplicationBuilder().token(token).base_url(api.base_url)``. All public methods are
    thread-safe and may be called from any thread or from inside an event loop (none of
    them blocks, except the ``wait_for*`` helpers).
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int | None = None,
        bot_username: str = "qabot_test_bot",
        enforce_rate_limits: bool = False,
        *,
        bot_first_name: str = "QA Bot",
        rate_limits: RateLimits | None = None,
        strict_html: bool = True,
    ) -> None:
        prefix = token.split(":", 1)[0]
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(prefix) if prefix.isdigit() else 1
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.enforce_rate_limits = enforce_rate_limits
        self.rate_limits = rate_limits or RateLimits()
        self.strict_html = strict_html

        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self._handlers: dict[str, Callable[[JSON], Any]] = self._build_handlers()
        self._reset_state()

    def __repr__(self) -> str:  # never show the token
        where = self.base_url if self._httpd else "stopped"
        return f"<FakeBotApi @{self.bot_username} {where}>"

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeBotApi",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; pending long polls are answered with no updates."""
        if self._httpd is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        # Idle keep-alive connections would otherwise keep their handler threads alive.
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """The value for PTB's ``base_url``: ``http://127.0.0.1:PORT/bot``."""
        return f"http://127.0.0.1:{self.port}/bot"

    def _reset_state(self) -> None:
        self._requests: list[tuple[str, JSON]] = []
        self._calls: list[Call] = []
        self._sent: list[JSON] = []
        self._sent_by_chat: dict[Any, list[JSON]] = {}
        self._photos: list[tuple[JSON, UploadedFile]] = []
        self._edits: list[JSON] = []
        self._deleted: list[tuple[Any, int]] = []
        self._callback_answers: list[JSON] = []
        self._inline_answers: list[JSON] = []
        self._chat_actions: list[tuple[Any, str]] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._last_commands: list[JSON] = []
        self._messages: dict[tuple[Any, int], JSON] = {}
        self._next_message_id: dict[Any, int] = {}
        self._users: dict[int, JSON] = {}
        self._chats: dict[Any, JSON] = {}
        self._admins: dict[Any, dict[int, str]] = {}
        self._forbidden: dict[Any, str] = {}
        self._open_callbacks: set[str] = set()
        self._open_inline: set[str] = set()
        self._updates: list[JSON] = []
        self._next_update_id = 10_000
        self._confirmed_offset = 0
        self._delivered: set[int] = set()
        self._delivered_at: dict[int, float] = {}
        self._deliveries: Counter[int] = Counter()
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._webhook: JSON = {"url": "", "secret_token": None, "allowed_updates": None}
        self._faults: list[_Fault] = []
        self._internal_errors: list[str] = []
        self._files: dict[str, JSON] = {}  # file_id -> {"file": File dict, "data": bytes or None}
        self._downloads: list[str] = []  # file_paths fetched
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._method_counts: Counter[str] = Counter()
        self._status_counts: Counter[int] = Counter()
        self._faults_fired: Counter[str] = Counter()
        self._retry_after_sent = 0
        self._unauthorized = 0
        self._rate_events: list[RateLimitEvent] = []
        self._limiter = _RateLimiter(self.rate_limits)
        self.t0: float | None = None

    def reset_stats(self) -> None:
        """Zero ``stats``, the rate-limit state and events, and ``t0`` (e.g. after warm-up)."""
        with self._cond:
            self._reset_counters()

    # ---- what the bot did ----------------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, JSON]]:
        """Every call as (method, decoded params), in arrival order, incl. rejected ones."""
        with self._cond:
            return list(self._requests)

    @property
    def calls(self) -> list[Call]:
        """Every finished call with its HTTP status and result/description."""
        with self._cond:
            return list(self._calls)

    def request_count(self, method: str | None = None) -> int:
        """Calls (of ``method``) since start/reset_stats; cheap enough for ``wait_for``."""
        with self._cond:
            if method is None:
                return sum(self._method_counts.values())
            return self._method_counts[method]

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """Message dicts returned for successful sendMessage calls (as sent, read-only)."""
        with self._cond:
            if chat_id is None:
                return list(self._sent)
            return list(self._sent_by_chat.get(chat_id, ()))

    def sent_photos(self, chat_id: int | str | None = None) -> list[tuple[JSON, UploadedFile]]:
        """(message dict, the uploaded file) for successful sendPhoto calls; kept apart from sent_messages."""
        with self._cond:
            return [(m, f) for m, f in self._photos if chat_id is None or m["chat"]["id"] == chat_id]

    def edits(self, chat_id: int | str | None = None, message_id: int | None = None) -> list[JSON]:
        """Successful editMessageText/ReplyMarkup calls: dicts with keys method, chat_id,
        message_id, inline_message_id, text, entities, reply_markup, message (result or None)."""
        with self._cond:
            return [
                e
                for e in self._edits
                if (chat_id is None or e["chat_id"] == chat_id)
                and (message_id is None or e["message_id"] == message_id)
            ]

    def message(self, chat_id: int | str, message_id: int) -> JSON | None:
        """The current state of a stored message (after edits), or None if unknown/deleted."""
        with self._cond:
            return self._messages.get((chat_id, message_id))

    @property
    def deleted_messages(self) -> list[tuple[Any, int]]:
        with self._cond:
            return list(self._deleted)

    @property
    def callback_answers(self) -> list[JSON]:
        """answerCallbackQuery params (callback_query_id, text, show_alert, url, cache_time)."""
        with self._cond:
            return list(self._callback_answers)

    @property
    def inline_answers(self) -> list[JSON]:
        """answerInlineQuery params (inline_query_id, results as list, cache_time, ...)."""
        with self._cond:
            return list(self._inline_answers)

    @property
    def chat_actions(self) -> list[tuple[Any, str]]:
        with self._cond:
            return list(self._chat_actions)

    @property
    def commands(self) -> list[JSON]:
        """The commands of the last successful setMyCommands call (any scope)."""
        with self._cond:
            return list(self._last_commands)

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._cond:
            return list(self._commands.get(self._command_key(scope, language_code), []))

    @property
    def webhook(self) -> JSON:
        """{"url", "secret_token", "allowed_updates"} as last set; url "" when none."""
        with self._cond:
            return dict(self._webhook)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._updates)

    @property
    def confirmed_offset(self) -> int:
        """The highest getUpdates ``offset`` seen; updates below it are confirmed."""
        with self._cond:
            return self._confirmed_offset

    @property
    def delivered_update_ids(self) -> set[int]:
        """update_ids returned by getUpdates at least once."""
        with self._cond:
            return set(self._delivered)

    @property
    def delivered_at(self) -> dict[int, float]:
        """update_id -> time.monotonic() when getUpdates first handed it out (for latency figures)."""
        with self._cond:
            return dict(self._delivered_at)

    @property
    def redelivered_update_ids(self) -> dict[int, int]:
        """update_id -> times handed out, for updates handed out more than once (never confirmed in time)."""
        with self._cond:
            return {u: n for u, n in self._deliveries.items() if n > 1}

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of bugs in this fake (answered 500); tests may assert it is empty."""
        with self._cond:
            return list(self._internal_errors)

    @property
    def stats(self) -> JSON:
        """Counters: requests per method, total, HTTP statuses, 429s, faults fired, ..."""
        with self._cond:
            return {
                "requests": dict(self._method_counts),
                "total_requests": sum(self._method_counts.values()),
                "statuses": dict(self._status_counts),
                "retry_after_sent": self._retry_after_sent,
                "rate_limited": len(self._rate_events),
                "faults_fired": dict(self._faults_fired),
                "unauthorized": self._unauthorized,
            }

    @property
    def rate_limit_events(self) -> list[RateLimitEvent]:
        with self._cond:
            return list(self._rate_events)

    def count_429s(self, after: float = 0.0) -> int:
        """Enforced 429s at least ``after`` seconds after ``t0`` (the first counted send)."""
        with self._cond:
            return sum(1 for e in self._rate_events if e.t >= after)

    # ---- waiting -----------------------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[FakeBotApi], Any], timeout: float = 10.0, what: str = ""
    ) -> Any:
        """Block until ``predicate(self)`` is truthy (re-checked on every change); return it.

        Raises AssertionError naming ``what`` (or the predicate) and the last calls on timeout.
        """
        with self._cond:
            value = self._cond.wait_for(lambda: predicate(self), timeout)
            if value:
                return value
            recent = "\n  ".join(self._describe(c) for c in self._calls[-10:]) or "(none)"
            label = what or getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(
                f"timed out after {timeout:.1f}s waiting for {label}; "
                f"last calls:\n  {recent}\npending updates: {len(self._updates)}"
            )

    def wait_for_messages(
        self, chat_id: int | str, count: int = 1, timeout: float = 10.0
    ) -> list[JSON]:
        """Wait until ``chat_id`` received at least ``count`` messages; return all of them."""
        self.wait_for(
            lambda s: len(s._sent_by_chat.get(chat_id, ())) >= count,
            timeout,
            f"{count} message(s) to chat {chat_id}",
        )
        return self.sent_messages(chat_id)

    def wait_for_requests(self, method: str, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``method`` was called at least ``count`` times."""
        self.wait_for(
            lambda s: s._method_counts[method] >= count, timeout, f"{count} {method} call(s)"
        )

    @staticmethod
    def _describe(call: Call) -> str:
        detail = call.description or ""
        if call.method == "sendMessage":
            detail = detail or f"chat={call.params.get('chat_id')} text={call.params.get('text')!r}"
        return f"{call.method} -> {call.status} {detail[:120]}"

    # ---- setup helpers -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "U",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Register a user's profile; later pushes from ``user_id`` use it."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self._users[user_id] = user
        return dict(user)

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "supergroup",
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Register a group/supergroup/channel (title defaults to "Group <id>")."""
        chat: JSON = {"id": chat_id, "type": chat_type, "title": title or f"Group {chat_id}"}
        if username:
            chat["username"] = username
        with self._cond:
            self._chats[chat_id] = chat
        return dict(chat)

    def set_chat_admins(
        self, chat_id: int, admin_ids: Iterable[int], owner_id: int | None = None
    ) -> None:
        """getChatMember/getChatAdministrators will report these users as admins/owner."""
        with self._cond:
            roles = {uid: "administrator" for uid in admin_ids}
            if owner_id is not None:
                roles[owner_id] = "creator"
            self._admins[chat_id] = roles

    def forbid(self, chat_id: int, description: str = BLOCKED) -> None:
        """Make sends to ``chat_id`` fail with 403 (blocked bot, kicked bot, ...)."""
        with self._cond:
            self._forbidden[chat_id] = description

    def allow(self, chat_id: int) -> None:
        with self._cond:
            self._forbidden.pop(chat_id, None)

    def inject(self, method: str, fault: str, times: int = 1, **kw: Any) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail with ``fault``.

        Faults are consumed in injection order. Kinds and keyword arguments:
        http_502 (nginx HTML page), error_500, conflict (409), forbidden (403),
        retry_after (429, ``retry_after=1``), parse_entities (400 even for valid HTML),
        reset (TCP connection closed without an answer),
        timeout (hold for ``seconds=6.0`` then drop the connection; with ``deliver=True``
        process the call after all, like a reply lost on the way back),
        error (``code=400, description="Bad Request: ..."``).
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._cond:
            self._faults.append(_Fault(method, fault, times, kw))

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[tuple[str, str, int]]:
        """(method, fault, remaining times) not yet fired."""
        with self._cond:
            return [(f.method, f.kind, f.times) for f in self._faults]

    # ---- injecting updates ---------------------------------------------------------------

    def push_raw(self, update: JSON, *, keep_update_id: bool = False) -> JSON:
        """Queue any update dict as is (malformed ones too); update_id assigned unless kept."""
        with self._cond:
            self._remember_update_objects(update)
            return self._enqueue(update, keep_update_id=keep_update_id)

    def push_private_text(
        self,
        user_id: int,
        text: str,
        first_name: str | None = None,
        *,
        reply_to_message: JSON | int | None = None,
    ) -> JSON:
        """A user's text message in their private chat with the bot."""
        with self._cond:
            user = self._user(user_id, first_name)
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
            self._chats[user_id] = chat
            message = self._user_message(chat, user, text, reply_to_message)
            return self._enqueue({"message": message})

    def push_group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to_message: JSON | int | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A user's text message in a group; /cmd, /cmd@bot and @mentions get entities.

        ``chat_type`` defaults to the type given to ``add_chat``, else "supergroup".
        """
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._group_chat(chat_id, chat_type)
            message = self._user_message(chat, user, text, reply_to_message)
            return self._enqueue({"message": message})

    def push_anonymous_admin_text(
        self,
        chat_id: int,
        text: str,
        *,
        reply_to_message: JSON | int | None = None,
        chat_type: str | None = None,
    ) -> JSON:
        """A message from an anonymous group admin (from=GroupAnonymousBot, sender_chat=group)."""
        with self._cond:
            user = {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
            chat = self._group_chat(chat_id, chat_type)
            message = self._user_message(chat, user, text, reply_to_message)
            message["sender_chat"] = dict(chat)
            return self._enqueue({"message": message})

    def push_command(self, chat_id: int, user_id: int, command: str) -> JSON:
        """``/cmd args`` in the private chat (chat_id > 0) or in group ``chat_id`` (< 0)."""
        if not command.startswith("/"):
            command = "/" + command
        if chat_id > 0:
            return self.push_private_text(user_id, command)
        return self.push_group_text(chat_id, user_id, command)

    def push_document(
        self,
        user_id: int,
        file_name: str | None,
        data: bytes | None,
        *,
        mime_type: str | None = None,
        file_size: int | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A user sends a file (in their private chat, or group ``chat_id``); getFile and the
        download at ``/file/bot<token>/<file_path>`` serve ``data``. ``file_size`` overrides the
        declared size (for files over the 20 MB download limit, ``data`` may be None)."""
        with self._cond:
            user = self._user(user_id, None)
            if chat_id is None:
                chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
                self._chats[user_id] = chat
            else:
                chat = self._group_chat(chat_id, None)
            number = next(self._ids)
            size = file_size if file_size is not None else len(data or b"")
            document: JSON = {"file_id": f"DOC{number}", "file_unique_id": f"U{number}", "file_size": size}
            if file_name is not None:
                document["file_name"] = file_name
            if mime_type is not None:
                document["mime_type"] = mime_type
            suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
            self._files[document["file_id"]] = {
                "file": {"file_id": document["file_id"], "file_unique_id": document["file_unique_id"],
                         "file_size": size, "file_path": f"documents/file_{number}.{suffix}"},
                "data": data,
            }
            message = self._user_message(chat, user, "", None)
            del message["text"]
            message["document"] = document
            return self._enqueue({"message": message})

    @property
    def downloads(self) -> list[str]:
        """The file_paths the bot downloaded, in order."""
        with self._cond:
            return list(self._downloads)

    def push_callback_query(
        self,
        user_id: int,
        message: JSON | None,
        data: str,
        *,
        inline_message_id: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A button press on ``message`` (a Message dict the bot sent; its latest state is used)."""
        with self._cond:
            query_id = str(4_000_000_000_000_000 + next(self._ids))
            query: JSON = {
                "id": query_id,
                "from": self._user(user_id, first_name),
                "data": data,
            }
            if message is not None:
                key = (message["chat"]["id"], message["message_id"])
                current = self._messages.get(key, message)
                query["message"] = current
                query["chat_instance"] = str(abs(hash(key[0])) % 10**18)
            else:
                query["chat_instance"] = "0"
            if inline_message_id is not None:
                query["inline_message_id"] = inline_message_id
            self._open_callbacks.add(query_id)
            return self._enqueue({"callback_query": query})

    def push_inline_query(
        self,
        user_id: int,
        query: str,
        offset: str = "",
        *,
        chat_type: str = "private",
        first_name: str | None = None,
    ) -> JSON:
        """An inline query ``@bot query``."""
        with self._cond:
            query_id = str(5_000_000_000_000_000 + next(self._ids))
            self._open_inline.add(query_id)
            inline: JSON = {
                "id": query_id,
                "from": self._user(user_id, first_name),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            }
            return self._enqueue({"inline_query": inline})

    def push_edited_message(self, message: JSON, text: str) -> JSON:
        """The user edited ``message`` (a Message dict from an earlier push) to ``text``."""
        with self._cond:
            key = (message["chat"]["id"], message["message_id"])
            edited = dict(self._messages.get(key, message))
            edited["text"] = text
            edited["edit_date"] = int(time.time())
            entities = detect_entities(text)
            if entities:
                edited["entities"] = entities
            else:
                edited.pop("entities", None)
            self._messages[key] = edited
            return self._enqueue({"edited_message": edited})

    def post_to_webhook(self, update: JSON) -> int:
        """POST ``update`` to the webhook the bot set (with its secret token); HTTP status."""
        with self._cond:
            url, secret = self._webhook["url"], self._webhook["secret_token"]
        if not url:
            raise AssertionError("the bot has not set a webhook")
        return post_webhook(url, update, secret)

    # ---- internals: state ----------------------------------------------------------------

    def _enqueue(self, update: JSON, *, keep_update_id: bool = False) -> JSON:
        if not keep_update_id or "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        if isinstance(update.get("update_id"), int):
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._updates.append(update)
        self._cond.notify_all()
        return update

    def _remember_update_objects(self, update: JSON) -> None:
        """Make messages/queries inside a raw update known, so the bot may answer them."""
        for key in ("message", "edited_message", "channel_post"):
            message = update.get(key)
            try:
                self._messages[(message["chat"]["id"], int(message["message_id"]))] = message
            except (TypeError, KeyError, ValueError):
                pass
        queries = (("callback_query", self._open_callbacks), ("inline_query", self._open_inline))
        for key, ids in queries:
            obj = update.get(key)
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                ids.add(obj["id"])

    def _user(self, user_id: int, first_name: str | None) -> JSON:
        user = self._users.get(user_id)
        if user is None or (first_name is not None and user["first_name"] != first_name):
            user = {**(user or {"id": user_id, "is_bot": False, "language_code": "en"})}
            user["first_name"] = first_name or "U"
            self._users[user_id] = user
        return dict(user)

    def _group_chat(self, chat_id: int, chat_type: str | None) -> JSON:
        """The registered group (retyped if ``chat_type`` says so) or a new supergroup."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = {"id": chat_id, "type": chat_type or "supergroup", "title": f"Group {chat_id}"}
        elif chat_type and chat.get("type") != chat_type:
            chat = {**chat, "type": chat_type}
        self._chats[chat_id] = chat
        return dict(chat)

    def _chat(self, chat_id: Any) -> JSON:
        """A known chat, or one made up for an id the tests never introduced."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, int) and chat_id > 0:
                user = self._users.get(chat_id, {})
                chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "U")}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}
            self._chats[chat_id] = chat
        return dict(chat)

    def _new_message_id(self, chat_id: Any) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _reply_copy(self, chat_id: Any, reply_to: JSON | int | None) -> JSON | None:
        """The message replied to, without its own reply (Telegram nests only one level)."""
        if reply_to is None:
            return None
        message_id = reply_to if isinstance(reply_to, int) else reply_to["message_id"]
        original = self._messages.get((chat_id, message_id))
        if original is None and isinstance(reply_to, dict):
            original = reply_to
        if original is None:
            return None
        return {k: v for k, v in original.items() if k != "reply_to_message"}

    def _user_message(
        self, chat: JSON, user: JSON, text: str, reply_to: JSON | int | None
    ) -> JSON:
        message: JSON = {
            "message_id": self._new_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        entities = detect_entities(text)
        if entities:
            message["entities"] = entities
        reply = self._reply_copy(chat["id"], reply_to)
        if reply is not None:
            message["reply_to_message"] = reply
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    @property
    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ---- internals: HTTP entry point -----------------------------------------------------

    def _handle_http(self, path: str, query: str, content_type: str, body: bytes) -> _Reply:
        download = re.fullmatch(r"/file/bot([^/]+)/(.+)", unquote(path))  # clients percent-encode the path
        if download:
            return self._download(*download.groups())
        m = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]+)", path)
        if not m:
            return _error_reply(404, "Not Found")
        token, method_name = m.groups()
        if token != self.token:
            with self._cond:
                self._unauthorized += 1
            return _error_reply(401, "Unauthorized")
        method = self._canonical(method_name)
        try:
            params = _parse_body(content_type, body, query)
        except ApiError as exc:
            params, parse_error = {}, exc
        else:
            parse_error = None
        with self._cond:
            self._requests.append((method, params))
            self._method_counts[method] += 1
            self._cond.notify_all()
            fault = self._take_fault(method)
        reply: _Reply | None = None
        if fault is not None:
            reply = self._fire(fault)
        if reply is None:
            if parse_error is not None:
                reply = _error_reply(parse_error.code, parse_error.description)
            else:
                reply = self._call_method(method, params)
        self._finish(method, params, reply)
        return reply

    def _download(self, token: str, file_path: str) -> _Reply:
        """GET /file/bot<token>/<file_path>: the bytes of a file getFile handed out."""
        if token != self.token:
            return _error_reply(401, "Unauthorized")
        with self._cond:
            for stored in self._files.values():
                if stored["file"]["file_path"] == file_path and stored["data"] is not None:
                    self._downloads.append(file_path)
                    return _Reply(200, stored["data"], content_type="application/octet-stream")
        return _error_reply(404, "Not Found")

    def _get_file(self, params: JSON) -> JSON:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored["file"]["file_size"] > 20 * 1000 * 1000:
            raise ApiError(400, "Bad Request: file is too big")
        return dict(stored["file"])

    def _canonical(self, name: str) -> str:
        """Telegram method names are case-insensitive."""
        return self._canonical_names.get(name.lower(), name)

    def _call_method(self, method: str, params: JSON) -> _Reply:
        handler = self._handlers.get(method)
        if handler is None:
            return _error_reply(404, "Not Found")
        try:
            with self._cond:  # serialise under the lock: results share state with the log
                return _json_reply(200, {"ok": True, "result": handler(params)})
        except ApiError as exc:
            return _error_reply(exc.code, exc.description, exc.parameters)
        except Exception:  # a bug here must not look like a Telegram answer
            text = traceback.format_exc().replace(self.token, "<TOKEN>")
            with self._cond:
                self._internal_errors.append(text)
            sys.stderr.write(f"FakeBotApi internal error in {method}:\n{text}")
            return _error_reply(500, "Internal Server Error: FakeBotApi bug, see internal_errors")

    def _finish(self, method: str, params: JSON, reply: _Reply) -> None:
        payload = reply.payload or {}
        result, description = payload.get("result"), payload.get("description")
        status = 0 if reply.reset else reply.status
        with self._cond:
            self._status_counts[status] += 1
            if status == 429:
                self._retry_after_sent += 1
            self._calls.append(Call(method, params, status, result, description, time.monotonic()))
            self._cond.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in (method, "*"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self._faults_fired[fault.kind] += 1
                return fault
        return None

    def _fire(self, fault: _Fault) -> _Reply | None:
        """The faulty answer, or None to process the call normally after all."""
        kw = fault.kw
        if fault.kind == "http_502":
            return _Reply(502, _BAD_GATEWAY_HTML, "text/html")
        if fault.kind == "error_500":
            return _error_reply(500, "Internal Server Error")
        if fault.kind == "conflict":
            return _error_reply(409, kw.get("description", CONFLICT_POLLING))
        if fault.kind == "forbidden":
            return _error_reply(403, kw.get("description", BLOCKED))
        if fault.kind == "retry_after":
            seconds = int(kw.get("retry_after", 1))
            return _error_reply(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        if fault.kind == "parse_entities":
            reason = 'Unsupported start tag "x" at byte offset 0'
            return _error_reply(400, f"Bad Request: can't parse entities: {reason}")
        if fault.kind == "error":
            return _error_reply(int(kw.get("code", 400)), kw.get("description", "Bad Request"))
        if fault.kind == "reset":
            return _Reply(0, reset=True)
        # timeout: hold the request (without the lock) past the client's read timeout
        self._stopping.wait(float(kw.get("seconds", 6.0)))
        return None if kw.get("deliver") else _Reply(0, reset=True)

    # ---- internals: validation -----------------------------------------------------------

    def _chat_id(self, params: JSON) -> Any:
        value = params.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ApiError(400, "Bad Request: chat not found")
        if isinstance(value, str):
            for chat in self._chats.values():
                if value.startswith("@") and chat.get("username", "").lower() == value[1:].lower():
                    return chat["id"]
            raise ApiError(400, "Bad Request: chat not found")
        return value

    @staticmethod
    def _int_param(params: JSON, name: str, default: int | None = None) -> int:
        value = params.get(name)
        if (value is None or value == "") and default is not None:
            return default
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: {name} is empty")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(400, f"Bad Request: invalid {name} specified")
        return int(value)

    def _format_text(self, params: JSON, key: str = "text") -> tuple[str, list[JSON]]:
        """Visible text and entities of a text parameter, checked as Telegram does."""
        raw = params.get(key)
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                text, entities = parse_telegram_html(raw, strict=self.strict_html)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            # Markdown modes are not checked here; entities= is taken as given.
            given = params.get("entities")
            text, entities = _trim(raw, given if isinstance(given, list) else [])
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _check_markup(markup: Any) -> JSON | None:
        """Validate reply_markup; return it if it is an inline keyboard (echoed in Message)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards / ForceReply / remove are not echoed
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: inline_keyboard must be an Array of Arrays")
        for button in (b for row in rows for b in row):
            # A button needs a label and exactly one action besides it.
            if not isinstance(button, dict) or not button.get("text") or len(button) < 2:
                raise ApiError(400, TEXT_BUTTON)
            if "callback_data" in button:
                data = str(button["callback_data"]).encode("utf-8")
                if not 1 <= len(data) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _rate_limit(self, method: str, chat_id: Any) -> None:
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now
        if not self.enforce_rate_limits:
            return
        hit = self._limiter.check(chat_id, now, global_only=method not in _SENDING_METHODS)
        if hit is not None:
            scope, retry_after = hit
            event = RateLimitEvent(now - self.t0, method, chat_id, scope, retry_after)
            self._rate_events.append(event)
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _check_forbidden(self, chat_id: Any) -> None:
        if chat_id in self._forbidden:
            raise ApiError(403, self._forbidden[chat_id])

    def _target_message(self, params: JSON, action: str) -> tuple[Any, int, JSON]:
        chat_id = self._chat_id(params)
        message_id = self._int_param(params, "message_id")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return chat_id, message_id, message

    # ---- method handlers -----------------------------------------------------------------

    def _build_handlers(self) -> dict[str, Callable[[JSON], Any]]:
        handlers: dict[str, Callable[[JSON], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getFile": self._get_file,
        }
        for name in _TRIVIAL_METHODS:
            handlers[name] = lambda params: True
        self._canonical_names = {name.lower(): name for name in handlers}
        return handlers

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSON) -> list[JSON]:
        if self._webhook["url"]:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = self._int_param(params, "offset", 0)
        limit = min(max(self._int_param(params, "limit", 100), 1), 100)
        raw_timeout = params.get("timeout") or 0
        if isinstance(raw_timeout, bool) or not isinstance(raw_timeout, (int, float)):
            raise ApiError(400, "Bad Request: invalid timeout specified")
        timeout = max(float(raw_timeout), 0.0)  # fractions allowed, handy in tests
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(offset)
        # A newer poll terminates an older outstanding one with 409, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLLING)
            if self._stopping.is_set():
                return []
            batch = self._deliverable(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                break
            self._cond.wait(remaining)
        now = time.monotonic()
        for update in batch:
            if isinstance(update.get("update_id"), int):
                self._delivered.add(update["update_id"])
                self._delivered_at.setdefault(update["update_id"], now)
                self._deliveries[update["update_id"]] += 1
        return batch

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._confirmed_offset = max(self._confirmed_offset, offset)
            self._updates = [
                u for u in self._updates
                if not isinstance(u.get("update_id"), int) or u["update_id"] >= offset
            ]
        elif offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            self._updates = self._updates[offset:]
        self._cond.notify_all()

    def _wanted(self, update: JSON) -> bool:
        """Whether allowed_updates lets this update through (unknown kinds always pass)."""
        kind = next((k for k in update if k != "update_id"), "")
        if kind not in _KNOWN_UPDATES:
            return True  # malformed/unknown updates reach the bot, for robustness tests
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATES

    def _deliverable(self, limit: int) -> list[JSON]:
        # Telegram never stores updates of types the bot did not ask for: drop them.
        self._updates = [u for u in self._updates if self._wanted(u)]
        return self._updates[:limit]

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and not url.startswith("https://") and not url.startswith("http://"):
            # Real Telegram demands https; plain http is allowed so tests can run a local hook.
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        allowed = params.get("allowed_updates")
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": allowed if isinstance(allowed, list) else None,
        }
        self._cond.notify_all()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self._webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook["url"]:
            info["max_connections"] = 40
            if self._webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @staticmethod
    def _command_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _command_key_of(self, params: JSON) -> tuple[str, str]:
        return self._command_key(params.get("scope"), params.get("language_code"))

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for cmd in commands:
            name = str(cmd.get("command", "")) if isinstance(cmd, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._command_key_of(params)] = commands
        self._last_commands = commands
        self._cond.notify_all()
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get(self._command_key_of(params), [])

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._command_key_of(params), None)
        self._cond.notify_all()
        return True

    def _send_message(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        text, entities = self._format_text(params)
        message = self._new_message(chat_id, "sendMessage", params, {"text": text, "entities": entities})
        self._sent.append(message)
        self._sent_by_chat.setdefault(chat_id, []).append(message)
        self._cond.notify_all()
        return message

    def _new_message(self, chat_id: Any, method: str, params: JSON, content: JSON) -> JSON:
        """A message the bot sends, after the checks every sending method shares; empty content fields left out."""
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat_id, params)
        self._check_forbidden(chat_id)
        self._rate_limit(method, chat_id)
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "from": self._bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value},
        }
        if markup is not None:
            message["reply_markup"] = markup
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _send_photo(self, params: JSON) -> JSON:
        """A photo uploaded as a file (multipart); file ids and URLs are not accepted here."""
        chat_id = self._chat_id(params)
        photo = params.get("photo")
        if not isinstance(photo, UploadedFile):
            raise ApiError(400, "Bad Request: this stand-in accepts photos only as uploaded files")
        if not photo.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(photo.data) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption, entities = ("", [])
        if params.get("caption"):
            caption, entities = self._format_text(params, "caption")
            if len(caption) > MAX_CAPTION_LENGTH:
                raise ApiError(400, "Bad Request: message caption is too long")
        digest = hashlib.sha256(photo.data).hexdigest()[:32]
        width, height = _png_size(photo.data)
        sizes = [{"file_id": f"photo-{digest}", "file_unique_id": digest[:16], "width": width, "height": height,
                  "file_size": len(photo.data)}]
        message = self._new_message(chat_id, "sendPhoto", params,
                                    {"photo": sizes, "caption": caption, "caption_entities": entities})
        self._photos.append((message, photo))
        self._cond.notify_all()
        return message

    def _reply_target(self, chat_id: Any, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            target_chat = reply.get("chat_id", chat_id)
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id, target_chat = params["reply_to_message_id"], chat_id
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        found = self._reply_copy(target_chat, message_id) if isinstance(message_id, int) else None
        if found is None and not allow_missing:
            raise ApiError(400, "Bad Request: message to be replied not found")
        return found

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        text, entities = self._format_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit("editMessageText", params, text, entities, markup)

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit("editMessageReplyMarkup", params, None, None, markup)

    def _apply_edit(
        self,
        method: str,
        params: JSON,
        text: str | None,
        entities: list[JSON] | None,
        markup: JSON | None,
    ) -> JSON | bool:
        record: JSON = {
            "method": method,
            "chat_id": None,
            "message_id": None,
            "inline_message_id": params.get("inline_message_id"),
            "text": text,
            "entities": entities,
            "reply_markup": markup,
            "message": None,
        }
        if record["inline_message_id"]:
            self._rate_limit(method, record["inline_message_id"])
            self._edits.append(record)
            self._cond.notify_all()
            return True
        chat_id, message_id, current = self._target_message(params, "edit")
        if current.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        updated = dict(current)
        if text is not None:
            updated["text"] = text
            if entities:
                updated["entities"] = entities
            else:
                updated.pop("entities", None)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        if markup is not None:
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        if all(updated.get(k) == current.get(k) for k in ("text", "entities", "reply_markup")):
            raise ApiError(400, NOT_MODIFIED)
        self._check_forbidden(chat_id)
        self._rate_limit(method, chat_id)
        updated["edit_date"] = int(time.time())
        self._messages[(chat_id, message_id)] = updated
        record.update(chat_id=chat_id, message_id=message_id, message=updated)
        self._edits.append(record)
        self._cond.notify_all()
        return updated

    def _delete_message(self, params: JSON) -> bool:
        chat_id, message_id, _ = self._target_message(params, "delete")
        del self._messages[(chat_id, message_id)]
        self._deleted.append((chat_id, message_id))
        self._cond.notify_all()
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise ApiError(400, QUERY_TOO_OLD)
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self._callback_answers.append(dict(params))
        self._cond.notify_all()
        return True

    def _answer_inline_query(self, params: JSON) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline:
            raise ApiError(400, QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: results must be an array")
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", "")) if isinstance(result, dict) else ""
            if not 1 <= len(result_id.encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._format_text(content, "message_text")
            self._check_markup(result.get("reply_markup"))
        if len(str(params.get("next_offset") or "").encode("utf-8")) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        self._open_inline.discard(query_id)
        self._inline_answers.append(dict(params))
        self._cond.notify_all()
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        chat_id = self._chat_id(params)
        action = str(params.get("action") or "")
        if not action:
            raise ApiError(400, "Bad Request: action is empty")
        self._check_forbidden(chat_id)
        self._chat_actions.append((chat_id, action))
        self._cond.notify_all()
        return True

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat(self._chat_id(params))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat_id: Any, user_id: int) -> JSON:
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "U"}
        if user_id == self.bot_id:
            user = self._bot_user
        role = self._admins.get(chat_id, {}).get(user_id)
        if role == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if role == "administrator":
            rights = (
                "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
                "can_restrict_members can_promote_members can_change_info can_invite_users "
                "can_post_stories can_edit_stories can_delete_stories can_pin_messages"
            ).split()
            return {"status": "administrator", "user": user, "is_anonymous": False,
                    **{r: r != "can_be_edited" for r in rights}}
        return {"status": "member", "user": user}

    def _get_chat_member(self, params: JSON) -> JSON:
        return self._member(self._chat_id(params), self._int_param(params, "user_id"))

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat_id = self._chat_id(params)
        return [self._member(chat_id, uid) for uid in self._admins.get(chat_id, {})]


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 drops connections when a benchmark opens hundreds.
    request_queue_size = 1024

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.api._stopping.is_set():
            return  # clients hanging up (timeouts, resets) are business as usual
        text = traceback.format_exc().replace(self.api.token, "<TOKEN>")
        sys.stderr.write(f"FakeBotApi connection error:\n{text}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PTB's httpx pool expects
    # Headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms each.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.api._cond:
            self.server.api._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.api._cond:
                self.server.api._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line contains the bot token."""

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        reply = self.server.api._handle_http(
            url.path, url.query, self.headers.get("Content-Type", ""), body
        )
        if reply.reset:
            self._reset()
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    do_GET = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        """Close the TCP connection with RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


def post_webhook(
    url: str, update: JSON, secret_token: str | None = None, timeout: float = 10.0
) -> int:
    """POST ``update`` as JSON to a bot's webhook like Telegram does; return the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    request = urllib.request.Request(
        url, data=json.dumps(update).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)
