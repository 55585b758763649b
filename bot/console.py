"""`qabot chat`: a conversation with the bot in the terminal, answers rendered as plain text."""

from __future__ import annotations

import sys
from typing import Callable

from bot.replies.paging import LOOKAHEAD, next_offset
from bot.replies.related import related_article_titles
from bot.replies.render import bold_for, markdown_bold, render_plain
from bot.replies.smalltalk import Kind, small_talk
from bot.retrieval.answer import Answer
from bot.service import QAService

PROMPT = "问> "
MORE_WORDS = frozenset({"more", "m", "/more", "更多", "更多结果", "下一条"})
QUIT_WORDS = frozenset({"quit", "exit", "q", "/quit", "/exit", "/q", "退出"})
HELP_WORDS = frozenset({"/help", "help", "/h", "帮助"})
GREETING = "输入问题后回车；输入 more（或 更多）看下一条结果，/help 查看帮助，/quit 或 Ctrl-D 退出。"
HELP = "\n".join([
    "直接输入问题后回车，我从知识库的文章里找答案，并注明出处。",
    "  more（或 更多）  看同一个问题的下一条结果",
    "  /help            显示这段帮助",
    "  /quit            退出（Ctrl-D 也可以）",
])
UNKNOWN_COMMAND = "没有这个命令。输入 /help 查看用法。"
NO_QUESTION_YET = "还没有问题，先问一个吧。"
NO_MORE = "没有更多结果了。"
GOODBYE = "再见！"


def cmd_chat(service: QAService) -> int:
    """Talk on stdin/stdout about the knowledge base `qabot chat` opened."""
    return chat(service.ask, input, lambda text: print(text, flush=True), bold_for(sys.stdout),
                threshold=service.config.retrieval.answer_threshold)


def chat(ask: Callable[..., Answer], read: Callable[[str], str], write: Callable[[str], None],
         bold: Callable[[str], str] = markdown_bold, threshold: float = 0.0) -> int:
    """The conversation loop: one result per question, the next one on "more"; ends on EOF, Ctrl-C or quit.

    "more" offers what Telegram's 更多结果 does: further results that clear `threshold`.
    """
    write(GREETING)
    question: str | None = None
    following: int | None = None
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
        if text.lower() in HELP_WORDS:
            write(HELP)
            continue
        chat = small_talk(text)
        if chat is not None:
            write(chat.reply)
            if chat.kind is Kind.GOODBYE:
                return 0
            continue
        if text.startswith("/") and text[1:].isascii():
            write(UNKNOWN_COMMAND)
            continue
        if text.lower() in MORE_WORDS:
            if question is None:
                write(NO_QUESTION_YET)
                continue
            answer = ask(question, k=LOOKAHEAD, offset=following) if following is not None else None
            if answer is None or not answer.results:
                write(NO_MORE)
                continue
            shown = answer.results[0]
            following = next_offset(answer.results, following, threshold)
            write(render_plain(Answer(question, True, (shown,)), bold=bold))
            continue
        question = text
        answer = ask(question, k=LOOKAHEAD)
        following = next_offset(answer.results, 0, threshold) if answer.answered else None
        shown = Answer(question, answer.answered, answer.results[:1], related_article_titles(answer))
        write(render_plain(shown, bold=bold))
