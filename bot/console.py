"""`qabot chat`: a conversation with the bot in the terminal, answers rendered as plain text."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from bot.config import Config
from bot.errors import IndexMissing
from bot.replies.render import render_plain
from bot.retrieval.answer import Answer
from bot.service import QAService

PROMPT = "问> "
MORE_WORDS = frozenset({"more", "m", "更多", "更多结果", "下一条"})
QUIT_WORDS = frozenset({"quit", "exit", "q", "退出", "再见"})
GREETING = "输入问题后回车；输入 more（或 更多）看下一条结果，quit 或 Ctrl-D 退出。"
NO_QUESTION_YET = "还没有问题，先问一个吧。"
NO_MORE = "没有更多结果了。"
GOODBYE = "再见！"


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    """Open the knowledge base (building it if there is none) and talk on stdin/stdout."""
    try:
        service = QAService.open(config)
    except IndexMissing:
        print(f"qabot: no knowledge base yet; building it from {config.articles_path}", file=sys.stderr)
        service = QAService.open(config, build_if_missing=True)
    bold = (lambda s: f"\033[1m{s}\033[0m") if sys.stdout.isatty() else (lambda s: f"**{s}**")
    return chat(service.ask, input, lambda text: print(text, flush=True), bold)


def chat(ask: Callable[..., Answer], read: Callable[[str], str], write: Callable[[str], None],
         bold: Callable[[str], str] = lambda s: f"**{s}**") -> int:
    """The conversation loop: one result per question, the next one on "more"; ends on EOF, Ctrl-C or quit."""
    write(GREETING)
    question: str | None = None
    shown = 0
    while True:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            write(GOODBYE)
            return 0
        text = " ".join(line.split())
        if not text:
            continue
        if text.lower() in QUIT_WORDS:
            write(GOODBYE)
            return 0
        if text.lower() in MORE_WORDS:
            if question is None:
                write(NO_QUESTION_YET)
                continue
            # Nothing more after a question that was not answered: weak results are not offered.
            answer = ask(question, k=1, offset=shown) if shown else Answer(question, False, ())
            if not answer.results:
                write(NO_MORE)
                continue
            # Shown even when weak: the user asked for more.
            answer = Answer(answer.question, True, answer.results)
        else:
            question, shown = text, 0
            answer = ask(question, k=1)
        if answer.answered:
            shown += len(answer.results)
        write(render_plain(answer, bold=bold))
