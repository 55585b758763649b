"""The webhook refuses a request on its headers: wrong secret, not JSON or too large, before any body is read.

PTB's handler reads the whole body (tornado buffers up to 100 MB) and only then compares the
secret with `!=`: sixteen 90 MB posts without the secret took the bot from 146 MB to 1.95 GB.
This handler streams the body, so tornado calls `prepare` as soon as the headers are in; the
secret is compared in constant time there, and a refused request is answered and its connection
closed without reading what follows. PTB's updater names its webhook application class at module
level and offers no way to pass another, so `install()` replaces that name with this one.
"""

from __future__ import annotations

import hmac
import logging
from http import HTTPStatus

import tornado.web
from telegram.ext import _updater
from telegram.ext._utils.webhookhandler import TelegramHandler, WebhookAppClass

log = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes; a message is at most 4,096 characters.
MAX_BODY_BYTES = 1 << 20
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@tornado.web.stream_request_body
class GuardedTelegramHandler(TelegramHandler):
    """PTB's handler, with every check made on the headers and the body bounded."""

    def prepare(self) -> None:
        if self.request.headers.get("Content-Type") != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self.secret_token is not None:
            given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, self.secret_token.encode("utf-8")):
                log.debug("webhook request without the right secret refused before its body")
                raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        length = self.request.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.request.connection.set_max_body_size(MAX_BODY_BYTES)
        self._chunks: list[bytes] = []
        self._received = 0

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > MAX_BODY_BYTES:  # more than Content-Length said
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self._chunks.append(chunk)

    async def post(self) -> None:
        self.request.body = b"".join(self._chunks)
        await super().post()

    def _validate_post(self) -> None:
        """Done in prepare(), before the body."""


class GuardedWebhookApp(WebhookAppClass):
    """PTB's webhook application (same path, same shared objects) with the guarded handler."""

    def __init__(self, webhook_path: str, bot, update_queue, secret_token: str | None = None) -> None:
        self.shared_objects = {"bot": bot, "update_queue": update_queue, "secret_token": secret_token}
        tornado.web.Application.__init__(self, [(rf"{webhook_path}/?", GuardedTelegramHandler, self.shared_objects)])


def install() -> None:
    """Make PTB's updater serve webhooks with the guarded handler."""
    _updater.WebhookAppClass = GuardedWebhookApp
