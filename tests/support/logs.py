"""The whole log of a test at DEBUG, checked for secrets; import `debug_log` into a test module."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from tests.conftest import TOKEN

SECRET = "hook-Secret_42"  # the webhook secret the tests configure


@pytest.fixture(autouse=True)
def debug_log() -> Iterator[io.StringIO]:
    """The whole test's log at DEBUG, as `qabot run -vv` writes it; it must never hold a secret.

    The handler is in place before any bot starts, as the CLI's is, so the bot's redaction
    filter covers it the same way.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = stream.getvalue()
    for secret in (TOKEN, TOKEN.split(":", 1)[1], SECRET):
        assert secret not in text, "a secret reached the log"


def lines(log: io.StringIO, needle: str, level: str | None = None) -> list[str]:
    """The log lines containing `needle` (at `level`, if given)."""
    return [line for line in log.getvalue().splitlines()
            if needle in line and (level is None or line.startswith(level + " "))]
