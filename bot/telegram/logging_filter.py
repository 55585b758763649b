"""Keeping the bot token and the webhook secret out of every log line.

httpx logs request URLs (which contain the token), PTB logs "Set Bot API URL" at DEBUG, and a
traceback can carry either. A filter on the root logger's handlers sees every record that is
written anywhere, whichever logger it came from, so the secrets are replaced there.
"""

from __future__ import annotations

import logging
from typing import Iterable
from urllib.parse import quote

REDACTED = "<redacted>"


class RedactingFilter(logging.Filter):
    """Replaces secrets in the message, its arguments and any formatted traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if secret:
                # The token's ':' is percent-encoded in some URLs.
                self.secrets.update({secret, quote(secret, safe="")})
        self._ordered = sorted(self.secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._ordered:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(*secrets: str | None) -> RedactingFilter:
    """Redact these secrets on every root handler (and the last-resort one); quiet httpx. Idempotent."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    existing = next((f for h in handlers for f in h.filters if isinstance(f, RedactingFilter)), None)
    active = existing or RedactingFilter()
    active.add(s for s in secrets if s)
    for handler in handlers:
        if active not in handler.filters:
            handler.addFilter(active)
    # httpx and httpcore log every request URL at INFO/DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return active
