"""Which kind of chat an update comes from."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType


def is_group(update: Update) -> bool:
    """A group or supergroup: replies there quote the message they answer."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
