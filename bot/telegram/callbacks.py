"""Inline buttons and their callback_data: short ASCII strings (Telegram allows 1-64 bytes).

Passages are named by their stable 16-hex passage_id, so a button still finds its passage after
a reload as long as the passage itself did not change. Questions are named by their id in the
question log; the question text itself is never put in a button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64

MORE = "更多结果"
ORIGINAL = "原文"
HELPFUL = "👍"
UNHELPFUL = "👎"
PREVIOUS_PAGE = "« 上一页"
NEXT_PAGE = "下一页 »"


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


Action = More | Original | Vote | SourcesPage

_PATTERNS = (
    (re.compile(r"m:(-?\d{1,18}):(\d{1,6})"), lambda m: More(int(m[1]), int(m[2]))),
    (re.compile(r"o:([0-9a-f]{16})"), lambda m: Original(m[1])),
    (re.compile(r"v:(-?\d{1,18}):([0-9a-f]{16}):([01])"), lambda m: Vote(int(m[1]), m[2], m[3] == "1")),
    (re.compile(r"s:(\d{1,6})"), lambda m: SourcesPage(int(m[1]))),
)


def encode(action: Action) -> str:
    """The callback_data for an action; raises ValueError if it would not fit in 64 bytes."""
    if isinstance(action, More):
        data = f"m:{action.question_id}:{action.offset}"
    elif isinstance(action, Original):
        data = f"o:{action.passage_id}"
    elif isinstance(action, Vote):
        data = f"v:{action.question_id}:{action.passage_id}:{int(action.helpful)}"
    elif isinstance(action, SourcesPage):
        data = f"s:{action.number}"
    else:
        raise TypeError(f"not a button action: {action!r}")
    if decode(data) != action or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"cannot encode {action!r} as callback data")
    return data


def decode(data: str | None) -> Action | None:
    """The action behind callback_data, or None for anything this bot did not make."""
    if not data:
        return None
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(data)
        if match:
            return build(match)
    return None


def answer_keyboard(question_id: int, passage_id: str, next_offset: int | None) -> InlineKeyboardMarkup:
    """更多结果 (when there is a next result), 原文, 👍 and 👎 under one answer."""
    first_row = [InlineKeyboardButton(ORIGINAL, callback_data=encode(Original(passage_id)))]
    if next_offset is not None:
        first_row.insert(0, InlineKeyboardButton(MORE, callback_data=encode(More(question_id, next_offset))))
    votes = [
        InlineKeyboardButton(HELPFUL, callback_data=encode(Vote(question_id, passage_id, True))),
        InlineKeyboardButton(UNHELPFUL, callback_data=encode(Vote(question_id, passage_id, False))),
    ]
    return InlineKeyboardMarkup([first_row, votes])


def without_more(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus its 更多结果 button (once pressed, it has done its job)."""
    if markup is None:
        return None
    rows = []
    for row in markup.inline_keyboard:
        kept = [b for b in row if not isinstance(decode(b.callback_data if isinstance(b.callback_data, str) else None), More)]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(rows)


def sources_keyboard(number: int, pages: int) -> InlineKeyboardMarkup | None:
    """« 上一页 / 下一页 » for /sources, or None when everything fits on one page."""
    row = []
    if number > 0:
        row.append(InlineKeyboardButton(PREVIOUS_PAGE, callback_data=encode(SourcesPage(number - 1))))
    if number + 1 < pages:
        row.append(InlineKeyboardButton(NEXT_PAGE, callback_data=encode(SourcesPage(number + 1))))
    return InlineKeyboardMarkup([row]) if row else None
