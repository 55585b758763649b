"""`qabot chat`: the same answers as plain text, "more" for the next result, a clean exit on EOF and Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from bot.config import RetrievalSettings
from bot.console import GOODBYE, NO_MORE, NO_QUESTION_YET, chat
from bot.replies.render import NOT_ANSWERED, render_plain
from bot.service import QAService
from tests.conftest import NO_ANSWER_QUESTION, PANDA_FACT, PANDA_QUESTION

THRESHOLD = RetrievalSettings().answer_threshold


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

    return chat(service.ask, read, out.append, threshold=THRESHOLD), out


def test_answers_match_the_shared_plain_rendering(shared_service: QAService) -> None:
    code, out = converse(shared_service, [PANDA_QUESTION])
    assert code == 0
    assert out[1] == render_plain(shared_service.ask(PANDA_QUESTION, k=1))
    assert PANDA_FACT in unbold(out[1]) and "新华社" in out[1]
    assert out[-1] == GOODBYE


def test_more_shows_other_confident_results_then_says_so(shared_service: QAService) -> None:
    _, out = converse(shared_service, ["大熊猫"] + ["more"] * 6)
    shown = out[1:out.index(NO_MORE)]
    assert len(shown) >= 2
    assert all(a != b for a, b in zip(shown, shown[1:]))  # never the same snippet twice in a row
    assert any("大熊猫国家公园" in text for text in shown)
    assert not any("长城" in text or "长江" in text for text in shown)  # weak results are not offered
    assert all(line == NO_MORE for line in out[out.index(NO_MORE):-1] if line)


def test_not_answered_says_so_and_offers_no_more(shared_service: QAService) -> None:
    _, out = converse(shared_service, ["更多", NO_ANSWER_QUESTION, "更多"])
    assert out[1] == NO_QUESTION_YET
    assert out[2].startswith(NOT_ANSWERED)
    assert out[3] == NO_MORE


def test_ctrl_c_and_quit_end_cleanly(shared_service: QAService) -> None:
    assert converse(shared_service, [PANDA_QUESTION], end=KeyboardInterrupt())[0] == 0
    code, out = converse(shared_service, ["", "   ", "quit", PANDA_QUESTION])
    assert code == 0 and out[-1] == GOODBYE and len(out) == 2  # greeting, goodbye: nothing asked


def test_qabot_chat_command_reads_stdin_until_eof(qabot, built_knowledge: Path) -> None:
    done = qabot("chat", "--knowledge", str(built_knowledge), stdin=f"{PANDA_QUESTION}\nmore\n")
    assert done.returncode == 0, done.stderr
    assert PANDA_FACT in unbold(done.stdout) and "Traceback" not in done.stderr
    assert done.stdout.rstrip().endswith(GOODBYE)
