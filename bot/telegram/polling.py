"""getUpdates that survives a bad network, a second poller and a malformed update.

PTB retries a failed long poll by itself (at once after a timeout, otherwise with a backoff from
1 s growing to 30 s) but reports every failure to the error handler, so a long outage or a 409
Conflict from a second instance would be a log line a second. This request object sees each
poll's outcome and logs one line when trouble starts and one when polling works again.

PTB also parses a whole batch of updates at once: one update it can't parse (a field missing)
fails the batch, the offset never moves on, and the same batch is fetched again in a tight loop
for ever. Here such an update is cut down to its bare update_id, which PTB parses, no handler
takes, and the next getUpdates confirms.
"""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

_OK = 200
_CONFLICT = 409


class PollingHealth:
    """Outage episodes of getUpdates: one line when one starts or changes kind, one when it ends."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self.kind: str | None = None  # "conflict" or "failure" while an episode lasts
        self.failures = 0
        self.since = 0.0

    def failed(self, kind: str, reason: str) -> None:
        if self.kind != kind:
            if self.kind is None:
                self.since = self._clock()
            self.kind = kind
            if kind == "conflict":
                log.error("another process is getting updates for this bot (%s); is a second qabot running? "
                          "Backing off until it stops", reason)
            else:
                log.warning("getting updates failed (%s); retrying with a growing pause", reason)
        else:
            log.debug("getting updates failed again (%s)", reason)
        self.failures += 1

    def succeeded(self) -> None:
        if self.kind is None:
            return
        tries = "try" if self.failures == 1 else "tries"
        log.warning("getting updates works again after %d failed %s in %.1f s", self.failures, tries,
                    self._clock() - self.since)
        self.kind, self.failures = None, 0


class BotApiRequest(HTTPXRequest):
    """PTB's HTTP client, except that a proxy's HTML error page becomes a Bot API error answer.

    PTB logs an ERROR with a traceback for every answer that isn't JSON (nginx's "502 Bad
    Gateway" page) before raising the same NetworkError it raises for a JSON error.
    """

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if code >= 300 and _description(payload) is None:
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "HTTP error"
            payload = json.dumps({"ok": False, "error_code": code, "description": phrase}).encode()
        return code, payload


class PollingRequest(BotApiRequest):
    """The HTTP client PTB uses for getUpdates only (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.health = PollingHealth()

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(url, method, *args, **kwargs)
        except TelegramError as exc:  # TimedOut and NetworkError: no answer at all
            self.health.failed("failure", str(exc) or type(exc).__name__)
            raise
        if code == _OK:
            self.health.succeeded()
            return code, without_malformed_updates(payload)
        reason = f"{code} {_description(payload) or ''}".strip()
        self.health.failed("conflict" if code == _CONFLICT else "failure", reason)
        return code, payload


def _description(payload: bytes) -> str | None:
    """The description of a JSON answer ("" if it has none), or None if the answer isn't JSON."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return str(data.get("description") or "") if isinstance(data, dict) else None


def without_malformed_updates(payload: bytes) -> bytes:
    """A getUpdates answer with every update PTB can't parse reduced to its update_id (and logged)."""
    try:
        data = json.loads(payload)
        updates = data["result"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return payload  # not an answer this can repair; PTB reports it
    if not isinstance(updates, list):
        return payload
    repaired = False
    for position, update in enumerate(updates):
        try:
            Update.de_json(update, None)
            continue
        except Exception as exc:  # any parse failure would stall polling; see the module docstring
            reason = f"{type(exc).__name__}: {exc}"
        update_id = update.get("update_id") if isinstance(update, dict) else None
        kinds = sorted(k for k in update if k != "update_id") if isinstance(update, dict) else []
        # The content is the sender's; the log gets its shape, not its text.
        log.warning("ignoring malformed update %s (%s; fields: %s)", update_id, reason, ", ".join(kinds) or "none")
        updates[position] = {"update_id": update_id} if isinstance(update_id, int) else None
        repaired = True
    if not repaired:
        return payload
    data["result"] = [u for u in updates if u is not None]
    return json.dumps(data).encode("utf-8")
