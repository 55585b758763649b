"""更多结果: which of a question's further results to offer next (Telegram's button and the chat's "more")."""

from __future__ import annotations

from typing import Sequence

from bot.retrieval.answer import Result

# Results fetched per 更多结果 step, to look past repeated snippets for the next one to offer.
LOOKAHEAD = 5


def relevant(results: Sequence[Result], threshold: float) -> tuple[Result, ...]:
    """The results worth offering: those whose confidence clears the answer threshold (the relevance floor)."""
    return tuple(r for r in results if r.score >= threshold)


def next_offset(results: Sequence[Result], offset: int, threshold: float) -> int | None:
    """Where 更多结果 continues after showing results[0] (the result at `offset`), or None.

    Only results whose confidence clears the answer threshold are offered, and one whose snippet
    repeats the one just shown is skipped (passages of one article can share a snippet).
    """
    if not results:
        return None
    shown = results[0]
    for position, result in enumerate(results[1:], 1):
        if result.score < threshold:
            return None
        if result.snippet != shown.snippet:
            return offset + position
    return None
