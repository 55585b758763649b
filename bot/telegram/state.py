"""What every handler shares, loaded once at startup and kept in `application.bot_data`."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Config
from bot.service import QAService
from bot.storage import QuestionLog

STATE_KEY = "qabot"


class RecentQuestions:
    """The text of recent questions by id, for 更多结果; bounded, oldest forgotten first.

    Kept in memory only, so question text never reaches the database when logging is off.
    Handlers all run on the event loop thread, so no lock is needed.
    """

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, str] = OrderedDict()
        self._unlogged_ids = itertools.count(-1, -1)

    def remember(self, question_id: int, question: str) -> None:
        self._items[question_id] = question
        self._items.move_to_end(question_id)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def get(self, question_id: int) -> str | None:
        return self._items.get(question_id)

    def unlogged_id(self) -> int:
        """A negative id for a question the log could not store (buttons still work for a while)."""
        return next(self._unlogged_ids)


class SeenUpdates:
    """The latest update_ids handled, so an update Telegram delivers twice is handled once.

    A webhook post that times out or fails on the way back is posted again by Telegram with
    the same update_id. Bounded: ids far older than the newest are forgotten.
    """

    def __init__(self, capacity: int = 10000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is seen (and remembers it), False for a repeat."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


@dataclass
class BotState:
    """The service answering questions, the question log, and a little per-process memory."""

    config: Config
    service: QAService
    log: QuestionLog
    recent: RecentQuestions = field(default_factory=RecentQuestions)
    seen: SeenUpdates = field(default_factory=SeenUpdates)
    examples: tuple[object, list[str]] | None = None  # (the Loaded base and faq they were chosen for, questions)
    example_texts: dict[str, str] = field(default_factory=dict)  # every example offered, by its button key
    reloading: bool = False
    background: set = field(default_factory=set)  # tasks such as a rebuild, kept referenced until done
    owns_log: bool = False  # opened at startup, so closed at shutdown


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[STATE_KEY]
