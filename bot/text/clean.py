"""Text from outside (Telegram JSON, command-line bytes) made encodable before anything else sees it."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def replace_lone_surrogates(text: str) -> str:
    """Lone UTF-16 surrogates become U+FFFD; a split pair is joined again.

    JSON may carry "\\ud800" alone (a webhook post can), and Python keeps argument bytes that are
    not UTF-8 as surrogates; either would make OpenCC, SQLite or the reply's encoding raise.
    """
    if not has_lone_surrogates(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
