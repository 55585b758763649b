"""Sending Telegram HTML: split into valid parts, and sent again as plain text if Telegram can't parse it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram.telegram_html import esc, html_to_plain, split_html

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _cannot_parse(exc: BadRequest) -> bool:
    return "can't parse entities" in exc.message.lower() or "can't find end tag" in exc.message.lower()


async def reply_html(message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None,
                     quote: bool = False) -> Message | None:
    """Reply with HTML, split as needed; buttons go under the last part, the first part quotes if asked."""
    parts = split_html(text)
    sent = None
    for number, part in enumerate(parts):
        markup = keyboard if number == len(parts) - 1 else None
        do_quote = quote and number == 0
        try:
            sent = await message.reply_text(part, parse_mode=ParseMode.HTML, reply_markup=markup,
                                            do_quote=do_quote, link_preview_options=NO_PREVIEW,
                                            allow_sending_without_reply=True if do_quote else None)
        except BadRequest as exc:
            if not _cannot_parse(exc):
                raise
            log.warning("Telegram rejected a reply's HTML (%s); sending it as plain text", exc.message)
            sent = await message.reply_text(html_to_plain(part), reply_markup=markup, do_quote=do_quote,
                                            link_preview_options=NO_PREVIEW,
                                            allow_sending_without_reply=True if do_quote else None)
    return sent


async def edit_html(message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Replace a message's text (first part only: edits are for short messages such as /sources pages)."""
    part = (split_html(text) or [esc("…")])[0]
    try:
        await message.edit_text(part, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return  # the same page pressed twice
        if not _cannot_parse(exc):
            raise
        log.warning("Telegram rejected an edit's HTML (%s); sending it as plain text", exc.message)
        await message.edit_text(html_to_plain(part), reply_markup=keyboard, link_preview_options=NO_PREVIEW)
