"""Fair scheduling of updates: one chat's flood never holds the slots other chats need.

PTB runs every update as a task that waits for one of `max_concurrent_updates` slots, in arrival
order, and a reply waiting in the flood limiter (about 1 a second per chat, 20 a minute per
group) keeps its slot. So 300 questions from one chat used to fill every slot, and another
user's answer waited for a minute. Here each chat (and each inline user) is a lane: one update
of a lane runs at a time and only a few wait; a newer copy of a waiting question collapses into
it; past the cap the chat gets one "请稍后再问" notice per flood and the rest is dropped. A newer
inline query from a user replaces the one still waiting. When the application stops, queues go on
for a short grace and what is left is then dropped, so SIGTERM is honoured in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor, TypeHandler

log = logging.getLogger(__name__)

FLOOD_NOTICE = "消息太多了，我先回答前面的问题，请稍后再问。"


@dataclass(frozen=True)
class Fairness:
    """Caps of the lanes; small, so that a flood costs a few replies, not hundreds."""

    chat_waiting: int = 5      # updates of one private chat that may wait behind the one running (5 s of replies)
    group_waiting: int = 20    # in a group: a minute of replies at Telegram's 20 a minute
    user_waiting: int = 3      # of those in a group, from one member (who can't take the whole lane)
    grace_seconds: float = 3.0  # how long running updates may go on once the application stops


@dataclass
class _Waiting:
    update: object
    coroutine: Awaitable[Any]
    user: int | None
    text: str | None
    turn: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass
class _Lane:
    running: bool = False
    waiting: deque[_Waiting] = field(default_factory=deque)
    dropped: int = 0  # in this flood; the notice goes out with the first drop


class FairUpdateProcessor(BaseUpdateProcessor):
    """Runs updates lane by lane (a chat, or a user's inline queries), each lane bounded."""

    def __init__(self, fairness: Fairness = Fairness(), max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self.fairness = fairness
        self.app: Application | None = None  # set by whoever builds the application: for notices and stop
        self._lanes: dict[tuple[str, int], _Lane] = {}
        self._running: set[asyncio.Task] = set()
        self._closing = False
        self._watcher: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self.dropped = 0

    @property
    def current_concurrent_updates(self) -> int:
        """Running and waiting: an update waiting in a lane is not done yet."""
        return super().current_concurrent_updates + sum(len(lane.waiting) for lane in self._lanes.values())

    async def initialize(self) -> None:
        self._watcher = asyncio.create_task(self._watch_for_stop())

    async def shutdown(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine  # pragma: no cover (process_update below does the work)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._closing:
            self._drop(coroutine)
            log.info("update %s dropped: the bot is stopping", getattr(update, "update_id", "?"))
            return
        key, user, text = _lane_of(update)
        if key is None or not self._answers(update):
            await self._run(coroutine)
            return
        lane = self._lanes.setdefault(key, _Lane())
        if not lane.running and not lane.waiting:
            lane.running = True
            try:
                await self._run(coroutine)
            finally:
                self._next(key, lane)
            return
        if not self._admit(key, lane, update, coroutine, user, text):
            return
        waiting = _Waiting(update, coroutine, user, text)
        lane.waiting.append(waiting)
        if not await waiting.turn:
            return
        try:
            await self._run(coroutine)
        finally:
            self._next(key, lane)

    def _answers(self, update: object) -> bool:
        """Whether a handler other than a catch-all takes the update: group chatter the bot ignores
        passes at once and never takes a place in its chat's lane."""
        if self.app is None:
            return True
        return any(not isinstance(handler, TypeHandler) and handler.check_update(update) not in (None, False)
                   for handler in self.app.handlers.get(0, ()))

    def _admit(self, key: tuple[str, int], lane: _Lane, update: object, coroutine: Awaitable[Any],
               user: int | None, text: str | None) -> bool:
        """Whether an update may wait in its lane; if not, it is dropped here (and the chat told once)."""
        if key[0] == "inline":  # a newer query from the same user supersedes the one waiting
            while lane.waiting:
                self._cancel_waiting(lane.waiting.popleft())
            return True
        if text is not None and any(w.text == text and w.user == user for w in lane.waiting):
            self._drop(coroutine)
            log.debug("update %s collapsed into the same question waiting in chat %s", _id(update), key[1])
            return False
        in_group = key[1] < 0  # in a private chat the chat is the user
        cap = self.fairness.group_waiting if in_group else self.fairness.chat_waiting
        if len(lane.waiting) < cap and not (
                in_group and sum(w.user == user for w in lane.waiting) >= self.fairness.user_waiting):
            return True
        self._drop(coroutine)
        lane.dropped += 1
        if lane.dropped == 1:
            log.warning("chat %s is flooding: updates beyond the %s waiting are dropped until it catches up",
                        key[1], "group's" if key[1] < 0 else "chat's")
            self._notify(key[1])
        return False

    def _next(self, key: tuple[str, int], lane: _Lane) -> None:
        """The lane's running update is done: hand its turn to the next one waiting, or close the lane."""
        while lane.waiting:
            waiting = lane.waiting.popleft()
            if not waiting.turn.done():
                waiting.turn.set_result(True)
                return
        lane.running = False
        if lane.dropped:
            log.info("chat %s caught up; %d updates were dropped", key[1], lane.dropped)
        if self._lanes.get(key) is lane:
            del self._lanes[key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._semaphore:
            task = asyncio.ensure_future(coroutine)
            self._running.add(task)
            try:
                await task
            except asyncio.CancelledError:
                if not (self._closing and task.cancelled()):
                    raise
            finally:
                self._running.discard(task)

    def _drop(self, coroutine: Awaitable[Any]) -> None:
        self.dropped += 1
        if asyncio.iscoroutine(coroutine):
            coroutine.close()

    def _cancel_waiting(self, waiting: _Waiting) -> None:
        self._drop(waiting.coroutine)
        if not waiting.turn.done():
            waiting.turn.set_result(False)

    def _notify(self, chat_id: int) -> None:
        if self.app is None:
            return
        task = asyncio.create_task(self._send_notice(chat_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_notice(self, chat_id: int) -> None:
        try:
            await self.app.bot.send_message(chat_id, FLOOD_NOTICE)
        except Exception as exc:  # a notice that can't go out is not worth more than a log line
            log.warning("could not tell chat %s to slow down: %s", chat_id, exc)

    async def _watch_for_stop(self) -> None:
        """Application.stop() waits for every update task; from the moment it starts, queues are dropped."""
        seen_running = False
        while True:
            await asyncio.sleep(0.05)
            if self.app is None:
                continue
            if self.app.running:
                seen_running = True
            elif seen_running:
                break
        self._closing = True
        deadline = asyncio.get_running_loop().time() + self.fairness.grace_seconds
        while self.current_concurrent_updates and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)  # what is queued may still be answered, for a moment
        dropped = 0
        for lane in self._lanes.values():
            while lane.waiting:
                self._cancel_waiting(lane.waiting.popleft())
                dropped += 1
        if dropped or self._running:
            log.warning("stopping: %d queued updates dropped unanswered, %d running ones cancelled after %.0f s",
                        dropped, len(self._running), self.fairness.grace_seconds)
        for task in list(self._running):
            task.cancel()


def _id(update: object) -> object:
    return getattr(update, "update_id", "?")


def _lane_of(update: object) -> tuple[tuple[str, int] | None, int | None, str | None]:
    """(lane, sender, text that makes two updates the same question) of an update."""
    if not isinstance(update, Update):
        return None, None, None
    user = update.effective_user.id if update.effective_user else None
    if update.inline_query is not None:
        return ("inline", update.inline_query.from_user.id), user, None
    chat = update.effective_chat
    if update.callback_query is not None:
        lane = ("chat", chat.id) if chat else ("user", user) if user is not None else None
        return lane, user, update.callback_query.data
    message = update.effective_message
    if message is not None and chat is not None:
        return ("chat", chat.id), user, message.text
    return None, user, None
