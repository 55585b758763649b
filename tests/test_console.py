"""`qabot chat`: the same answers as plain text, "more" for the next result, a clean exit on EOF and Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable

import bot
from bot.console import GOODBYE, NO_MORE, NO_QUESTION_YET, chat
from bot.replies.render import NOT_ANSWERED, render_plain
from bot.service import QAService
from tests.conftest import NO_ANSWER_QUESTION, PANDA_FACT, PANDA_QUESTION

REPO = Path(bot.__file__).resolve().parents[1]


def unbold(text: str) -> str:
    return text.replace("**", "")


def converse(service: QAService, lines: Iterable[str], end: BaseException = EOFError()) -> tuple[int, list[str]]:
    """Run the chat loop over scripted input lines, then raise `end` as the terminal would."""
    pending = iter(lines)
    out: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(pending)
        except StopIteration:
            raise end from None

    return chat(service.ask, read, out.append), out


def test_answers_match_the_shared_plain_rendering(shared_service: QAService) -> None:
    code, out = converse(shared_service, [PANDA_QUESTION])
    assert code == 0
    assert out[1] == render_plain(shared_service.ask(PANDA_QUESTION, k=1))
    assert PANDA_FACT in unbold(out[1]) and "新华社" in out[1]
    assert out[-1] == GOODBYE


def test_more_walks_through_the_next_results_then_says_so(shared_service: QAService) -> None:
    available = len(shared_service.ask(PANDA_QUESTION, k=50).results)
    assert available >= 2
    _, out = converse(shared_service, [PANDA_QUESTION] + ["more"] * available)
    shown = out[1:1 + available]
    second = shared_service.ask(PANDA_QUESTION, k=1, offset=1).results[0]
    assert second.snippet[:10] in unbold(shown[1])
    assert len(set(shown)) == available  # every step shows a different result
    assert out[1 + available] == NO_MORE


def test_not_answered_says_so_and_offers_no_more(shared_service: QAService) -> None:
    _, out = converse(shared_service, ["更多", NO_ANSWER_QUESTION, "更多"])
    assert out[1] == NO_QUESTION_YET
    assert out[2].startswith(NOT_ANSWERED)
    assert out[3] == NO_MORE


def test_ctrl_c_and_quit_end_cleanly(shared_service: QAService) -> None:
    assert converse(shared_service, [PANDA_QUESTION], end=KeyboardInterrupt())[0] == 0
    code, out = converse(shared_service, ["", "   ", "quit", PANDA_QUESTION])
    assert code == 0 and out[-1] == GOODBYE and len(out) == 2  # greeting, goodbye: nothing asked


def test_qabot_chat_command_reads_stdin_until_eof(built_knowledge: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--knowledge", str(built_knowledge)],
                          input=f"{PANDA_QUESTION}\nmore\n", capture_output=True, text=True, env=env,
                          timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert PANDA_FACT in unbold(done.stdout) and "Traceback" not in done.stderr
    assert done.stdout.rstrip().endswith(GOODBYE)
