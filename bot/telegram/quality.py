"""Telegram texts for the quality gate (questions.yaml) in /reload's reply."""

from __future__ import annotations

from bot.index.knowledge_base import KnowledgeBase
from bot.quality.gate import Verdict
from bot.telegram.messages import still_serving
from bot.telegram.telegram_html import esc


def verdict_html(verdict: Verdict | None) -> str:
    """The checks' totals and the questions that changed, to follow the reload report; empty without checks."""
    if verdict is None:
        return ""
    return "\n" + "\n".join(esc(line) for line in verdict.summary_lines())


def gate_refused_html(verdict: Verdict, kb: KnowledgeBase) -> str:
    return (f"<b>新知识库没有换上</b>：它通过的检查比原来的少（{verdict.new_right} 项，原来 {verdict.old_right} 项）。"
            + verdict_html(verdict)
            + "\n" + still_serving(kb))
