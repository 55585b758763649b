"""Staying inside Telegram's flood limits: ~30 messages/s overall, 20/min per group, ~1/s per chat.

Not PTB's AIORateLimiter: its leaky buckets let 39 messages into one group in 60 s and 59 into one
private chat in 1 s (measured with 200 sends queued, the group's minute scaled to 6 s); this one
lets 2 into the private chat, and never more than 20 into a group in any 66 s. It keeps a token
bucket per chat, counts a sliding window per group and overall, and retries after a 429 as
Telegram asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from datetime import timedelta
from typing import Any, Callable, Coroutine

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Requests that put something into a chat and count against its limits.
_CHAT_METHOD_PREFIXES = ("send", "edit", "copy", "forward")
_NOT_COUNTED = frozenset({"sendChatAction"})
_MAX_IDLE_WINDOWS = 1024
# Requests reach Telegram a moment after they leave, unevenly: keep 10% under each limit.
MARGIN = 1.1
# Seconds between looks at a full window whose oldest request is still under way.
IN_FLIGHT_POLL = 0.02


class _Limit:
    """Waiters are served in arrival order; `pause` holds everyone after a 429 for this chat."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def wait_time(self, now: float) -> float:
        """Seconds to wait before one more request may go; 0 if it may go now."""
        raise NotImplementedError

    def take(self, now: float) -> object:
        """Count one request that goes now; what it returns goes to `finish` once it is answered."""
        raise NotImplementedError

    def finish(self, taken: object) -> None:
        """The request that `take` counted has been answered."""

    async def acquire(self) -> object:
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._paused_until - now if now < self._paused_until else self.wait_time(now)
                if wait <= 0:
                    return self.take(now)
                await asyncio.sleep(wait)

    @property
    def idle(self) -> bool:
        raise NotImplementedError


class _Sent:
    """One request in a sliding window: in flight until answered, then dated by its answer."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf


class SlidingWindow(_Limit):
    """At most `limit` requests in any `period` seconds (Telegram's "20 messages a minute" in groups).

    A request counts from when it leaves until `period` after its answer came back: Telegram has
    counted it by then, however long it was under way, so a slow request can't bring two
    windows' worth closer together than `period` on Telegram's clock.
    """

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.limit = limit
        self.period = period
        self._sent: deque[_Sent] = deque()

    def wait_time(self, now: float) -> float:
        while self._sent and self._sent[0].at <= now - self.period:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        oldest = self._sent[0].at
        return IN_FLIGHT_POLL if oldest == math.inf else oldest + self.period - now

    def take(self, now: float) -> _Sent:
        sent = _Sent()
        self._sent.append(sent)
        return sent

    def finish(self, taken: object) -> None:
        if isinstance(taken, _Sent):
            taken.at = self._clock()

    @property
    def idle(self) -> bool:
        now = self._clock()
        return (not self._lock.locked() and self._paused_until <= now
                and (not self._sent or self._sent[-1].at <= now - self.period))


class TokenBucket(_Limit):
    """`rate` requests a second on average, with bursts of up to `burst` (Telegram's ~1/s per chat)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = clock()

    def wait_time(self, now: float) -> float:
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate

    def take(self, now: float) -> None:
        self._tokens -= 1.0
        return None

    @property
    def idle(self) -> bool:
        now = self._clock()
        full = self._tokens + (now - self._stamp) * self.rate >= self.burst
        return full and not self._lock.locked() and self._paused_until <= now


class AllOf(_Limit):
    """A request goes when every part allows it (a group: ~1 a second and 20 a minute)."""

    def __init__(self, *parts: _Limit, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.parts = parts

    def wait_time(self, now: float) -> float:
        return max(part.wait_time(now) for part in self.parts)

    def take(self, now: float) -> list[object]:
        return [part.take(now) for part in self.parts]

    def finish(self, taken: object) -> None:
        for part, each in zip(self.parts, taken):  # type: ignore[call-overload]
            part.finish(each)

    @property
    def idle(self) -> bool:
        return not self._lock.locked() and self._paused_until <= self._clock() and all(p.idle for p in self.parts)


class FloodLimiter(BaseRateLimiter[int]):
    """Per-chat and overall sliding windows around every request that sends to a chat; retries 429s."""

    def __init__(self, overall_per_second: int = 30, group_per_minute: int = 20,
                 chat_per_second: float = 1.0, chat_burst: int = 2, max_retries: int = 3) -> None:
        self.overall = SlidingWindow(overall_per_second, 1.0 * MARGIN)
        self.group_per_minute = group_per_minute
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.max_retries = max_retries
        self._chats: dict[int | str, _Limit] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _window(self, chat: int | str) -> _Limit:
        window = self._chats.get(chat)
        if window is None:
            if len(self._chats) > _MAX_IDLE_WINDOWS:
                for key in [k for k, w in self._chats.items() if w.idle]:
                    del self._chats[key]
            is_group = isinstance(chat, str) or chat < 0
            # Telegram's ~1 a second holds in every chat; groups have 20 a minute on top. A burst one
            # short of what Telegram lets pass leaves room for replies that arrive bunched up.
            window = TokenBucket(self.chat_per_second / MARGIN, self.chat_burst)
            if is_group:
                window = AllOf(window, SlidingWindow(self.group_per_minute, 60.0 * MARGIN))
            self._chats[chat] = window
        return window

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat = int(chat)  # type: ignore[arg-type]
        counted = (chat is not None and endpoint.startswith(_CHAT_METHOD_PREFIXES)
                   and endpoint not in _NOT_COUNTED)
        window = self._window(chat) if counted else None
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            taken = await window.acquire() if window is not None else None
            overall = await self.overall.acquire() if chat is not None else None
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning("%s to chat %s still rate limited after %d retries", endpoint, chat, retries)
                    raise
                wait = retry_seconds(exc)
                log.info("%s to chat %s rate limited; retrying in %.1f s", endpoint, chat, wait)
                if window is not None:
                    window.pause(wait + 0.1)
                elif chat is not None:
                    self.overall.pause(wait + 0.1)
                else:
                    await asyncio.sleep(wait + 0.1)
            finally:
                if window is not None:
                    window.finish(taken)
                if chat is not None:
                    self.overall.finish(overall)
        raise AssertionError("unreachable")  # pragma: no cover


def retry_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (`retry_after` is an int now and a timedelta from PTB 23)."""
    with warnings.catch_warnings():
        # Reading it warns of that move, which both branches below already handle.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
