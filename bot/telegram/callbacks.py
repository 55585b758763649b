"""Inline buttons and their callback_data: short ASCII strings (Telegram allows 1-64 bytes), signed.

A modified client can send any callback_data, so every button this bot makes carries an HMAC
of its payload and the chat it was sent to, keyed with the install's key (bot/install_key.py):

    data = encode(action, chat_id)          # or sign(payload, chat_id) for a payload of your own
    action = decode(query.data, chat_id)    # or verify(query.data, chat_id) -> payload
    # None: forged, altered, or replayed from another chat -> answer "这个按钮已失效" and stop

Use these four for every new button; payloads may use any ASCII except "|" and must leave
MAC_CHARS + 1 of the 64 bytes free. `use_key` is called once at start-up; until then a random
key for this process is used (buttons then stop working after a restart).

Passages are named by their stable 16-hex passage_id, so a button still finds its passage after
a reload as long as the passage itself did not change. Questions are named by their id in the
question log; the question text itself is never put in a button.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.storage import LoggedQuestion
from bot.telegram.messages import clip

MAX_CALLBACK_BYTES = 64
MAC_CHARS = 16  # 96 bits of HMAC-SHA256, base64url: guessing one takes ~2**95 tries on the Bot API
SEPARATOR = "|"
_key = secrets.token_bytes(32)


def use_key(key: bytes) -> None:
    """Sign and check buttons with this key from now on (the install's, so buttons outlive restarts)."""
    global _key
    _key = key


def sign(payload: str, chat_id: int) -> str:
    """callback_data for any payload: the payload and its MAC for this chat; ValueError if over 64 bytes."""
    data = f"{payload}{SEPARATOR}{_mac(payload, chat_id)}"
    if SEPARATOR in payload or not payload.isascii() or len(data) > MAX_CALLBACK_BYTES:
        raise ValueError(f"cannot sign {payload!r} as callback data")
    return data


def verify(data: str | None, chat_id: int | None) -> str | None:
    """The payload of callback_data this bot signed for this chat, or None (forged, altered, other chat)."""
    if not data or chat_id is None or not data.isascii():
        return None
    payload, _, mac = data.rpartition(SEPARATOR)
    if not payload or not hmac.compare_digest(mac, _mac(payload, chat_id)):
        return None
    return payload


def _mac(payload: str, chat_id: int) -> str:
    digest = hmac.new(_key, f"{chat_id}{SEPARATOR}{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]

MORE = "更多结果"
ORIGINAL = "原文"
HELPFUL = "👍"
UNHELPFUL = "👎"
PREVIOUS_PAGE = "« 上一页"
NEXT_PAGE = "下一页 »"
SHARE = "分享"
RELATED_BUTTON_CHARS = 30


@dataclass(frozen=True)
class More:
    """Show the result after `offset` for question `question_id`."""

    question_id: int
    offset: int


@dataclass(frozen=True)
class Original:
    """Show a passage with its neighbours."""

    passage_id: str


@dataclass(frozen=True)
class Vote:
    """👍 or 👎 on one result of one question."""

    question_id: int
    passage_id: str
    helpful: bool


@dataclass(frozen=True)
class SourcesPage:
    """Page `number` (from 0) of /sources."""

    number: int


@dataclass(frozen=True)
class Example:
    """Ask the example question whose `example_key` is `key` (the text itself would not fit in 64 bytes)."""

    key: str


@dataclass(frozen=True)
class Teach:
    """教我: the admin will reply with the answer to logged question `question_id`."""

    question_id: int


@dataclass(frozen=True)
class ChoosePassages:
    """用这段: show the top passages for logged question `question_id`, to pick one as its answer."""

    question_id: int


@dataclass(frozen=True)
class UsePassage:
    """The passage picked as the curated answer to logged question `question_id`."""

    question_id: int
    passage_id: str


@dataclass(frozen=True)
class ReplaceUpload:
    """Answer to "replace the upload of the same name?": `pending` names the waiting file."""

    pending: str  # 16 hex
    replace: bool


@dataclass(frozen=True)
class DeleteUpload:
    """删除 under /articles: `name_hash` names the upload (its name may be too long for a button)."""

    name_hash: str  # 16 hex


Action = (More | Original | Vote | SourcesPage | Example | Teach | ChoosePassages | UsePassage | ReplaceUpload
          | DeleteUpload)

_QUESTION_ID = r"-?\d{1,18}"
_HEX16 = r"[0-9a-f]{16}"
_FLAG = r"[01]"
_NUMBER = r"\d{1,6}"
# Each action's payload: its letter, then its fields in order, ":" between; a flag is 0 or 1.
_FORMATS: dict[type, tuple[str, tuple[str, ...]]] = {
    More: ("m", (_QUESTION_ID, _NUMBER)),
    Original: ("o", (_HEX16,)),
    Vote: ("v", (_QUESTION_ID, _HEX16, _FLAG)),
    SourcesPage: ("s", (_NUMBER,)),
    Example: ("x", (r"[0-9a-f]{12}",)),
    Teach: ("t", (_QUESTION_ID,)),
    ChoosePassages: ("p", (_QUESTION_ID,)),
    UsePassage: ("u", (_QUESTION_ID, _HEX16)),
    ReplaceUpload: ("r", (_HEX16, _FLAG)),
    DeleteUpload: ("d", (_HEX16,)),
}
_PARSE_FIELD: dict[str, Callable[[str], object]] = {"int": int, "str": str, "bool": lambda text: text == "1"}
_PATTERNS = [(re.compile(":".join([letter, *(f"({part})" for part in parts)])), kind)
             for kind, (letter, parts) in _FORMATS.items()]


def example_key(question: str) -> str:
    """A short stable name for an example question, for its button."""
    return hashlib.blake2s(question.encode("utf-8"), digest_size=6).hexdigest()


def encode(action: Action, chat_id: int) -> str:
    """The signed callback_data for an action in a chat; raises ValueError if it would not fit in 64 bytes."""
    if type(action) not in _FORMATS:
        raise TypeError(f"not a button action: {action!r}")
    values = [getattr(action, field.name) for field in dataclasses.fields(action)]
    payload = ":".join([_FORMATS[type(action)][0], *(str(int(v) if isinstance(v, bool) else v) for v in values)])
    if _parse(payload) != action:
        raise ValueError(f"cannot encode {action!r} as callback data")
    return sign(payload, chat_id)


def decode(data: str | None, chat_id: int | None) -> Action | None:
    """The action behind callback_data, or None for anything this bot did not make for this chat."""
    payload = verify(data, chat_id)
    return None if payload is None else _parse(payload)


def claimed(data: object) -> type | None:
    """The kind of action callback_data claims to be, NOT verified: for routing a press to its
    handler only (CallbackQueryHandler patterns see no chat); the handler must still decode()."""
    if not isinstance(data, str):
        return None
    action = _parse(data.rpartition(SEPARATOR)[0])
    return None if action is None else type(action)


def _parse(payload: str) -> Action | None:
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(payload)
        if match:
            return kind(*(_PARSE_FIELD[field.type](value)
                          for field, value in zip(dataclasses.fields(kind), match.groups())))
    return None


def share_link(bot_username: str, passage_id: str) -> str:
    """The deep link that opens a private chat with the bot showing this passage."""
    return f"https://t.me/{bot_username}?start={passage_id}"


def answer_keyboard(question_id: int, passage_id: str, next_offset: int | None, chat_id: int,
                    bot_username: str | None = None, original: bool = True) -> InlineKeyboardMarkup:
    """更多结果 (when there is a next result), 原文, 分享, 👍 and 👎 under one answer; a curated answer
    (`original` false) has no article passage to show or share."""
    first_row = [InlineKeyboardButton(ORIGINAL, callback_data=encode(Original(passage_id), chat_id))] if original else []
    if next_offset is not None:
        first_row.insert(0, InlineKeyboardButton(MORE, callback_data=encode(More(question_id, next_offset), chat_id)))
    if bot_username and original:
        first_row.append(InlineKeyboardButton(SHARE, url=share_link(bot_username, passage_id)))
    votes = [
        InlineKeyboardButton(HELPFUL, callback_data=encode(Vote(question_id, passage_id, True), chat_id)),
        InlineKeyboardButton(UNHELPFUL, callback_data=encode(Vote(question_id, passage_id, False), chat_id)),
    ]
    return InlineKeyboardMarkup([first_row, votes] if first_row else [votes])


def with_votes(markup: InlineKeyboardMarkup | None, helpful: int, unhelpful: int,
               chat_id: int) -> InlineKeyboardMarkup | None:
    """The same keyboard with 👍 / 👎 showing the votes each has ("👍 1"); in a private chat, the user's own."""

    def counted(button: InlineKeyboardButton, action: Action | None) -> InlineKeyboardButton:
        if not isinstance(action, Vote):
            return button
        label, count = (HELPFUL, helpful) if action.helpful else (UNHELPFUL, unhelpful)
        return InlineKeyboardButton(f"{label} {count}" if count else label, callback_data=button.callback_data)

    return _rebuilt(markup, chat_id, counted)


def without_more(markup: InlineKeyboardMarkup | None, chat_id: int) -> InlineKeyboardMarkup | None:
    """The same keyboard minus its 更多结果 button (once pressed, it has done its job)."""
    return _rebuilt(markup, chat_id, lambda button, action: None if isinstance(action, More) else button)


def _rebuilt(markup: InlineKeyboardMarkup | None, chat_id: int,
             change: Callable[[InlineKeyboardButton, Action | None], InlineKeyboardButton | None]
             ) -> InlineKeyboardMarkup | None:
    """The keyboard with each button (and its verified action) through `change`: None drops it, and a row left empty."""
    if markup is None:
        return None
    rows = []
    for row in markup.inline_keyboard:
        kept = []
        for button in row:
            data = button.callback_data if isinstance(button.callback_data, str) else None
            changed = change(button, decode(data, chat_id))
            if changed is not None:
                kept.append(changed)
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(rows)


def sources_keyboard(number: int, pages: int, chat_id: int) -> InlineKeyboardMarkup | None:
    """« 上一页 / 下一页 » for /sources, or None when everything fits on one page."""
    row = []
    if number > 0:
        row.append(InlineKeyboardButton(PREVIOUS_PAGE, callback_data=encode(SourcesPage(number - 1), chat_id)))
    if number + 1 < pages:
        row.append(InlineKeyboardButton(NEXT_PAGE, callback_data=encode(SourcesPage(number + 1), chat_id)))
    return InlineKeyboardMarkup([row]) if row else None


def examples_keyboard(questions: Sequence[str], chat_id: int) -> InlineKeyboardMarkup | None:
    """One button per example question; pressing one asks it."""
    rows = [[InlineKeyboardButton(q, callback_data=encode(Example(example_key(q)), chat_id))] for q in questions]
    return InlineKeyboardMarkup(rows) if rows else None


def related_keyboard(passages: Sequence[tuple[str, str]], questions: Sequence[str],
                     chat_id: int) -> InlineKeyboardMarkup | None:
    """Under a refusal: a 原文 button per related article, named by its title ((title, passage id) pairs),
    then a button per related question the base answers (pressing one asks it)."""
    rows = [[InlineKeyboardButton(f"📄 {clip(title, RELATED_BUTTON_CHARS)}",
                                  callback_data=encode(Original(passage_id), chat_id))]
            for title, passage_id in passages]
    rows += [[InlineKeyboardButton(f"❓ {question}", callback_data=encode(Example(example_key(question)), chat_id))]
             for question in questions]
    return InlineKeyboardMarkup(rows) if rows else None


def teach_keyboard(rows: Sequence[LoggedQuestion], chat_id: int) -> InlineKeyboardMarkup | None:
    """Two buttons for each listed question whose text is known: n 教我 and n 用这段."""
    buttons = [[InlineKeyboardButton(f"{n} 教我", callback_data=encode(Teach(row.id), chat_id)),
                InlineKeyboardButton(f"{n} 用这段", callback_data=encode(ChoosePassages(row.id), chat_id))]
               for n, row in enumerate(rows, 1) if row.question]
    return InlineKeyboardMarkup(buttons) if buttons else None
