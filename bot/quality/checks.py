"""questions.yaml: questions with the text their first snippet must contain, or that must be refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from bot.config import YamlUnusable, read_yaml
from bot.errors import QabotError
from bot.retrieval.answer import Answer
from bot.text.normalize import normalize

QUESTIONS_FILE = "questions.yaml"
KNOWN_KEYS = ("question", "expect", "refuse")


class ChecksInvalid(QabotError):
    """questions.yaml can't be used as it is; the message names the entry and the problem."""


@dataclass(frozen=True)
class Check:
    """One question and what a right answer looks like."""

    question: str
    expect: str | None = None  # text the first snippet must contain
    refuse: bool = False  # the bot must say it doesn't know


@dataclass(frozen=True)
class Outcome:
    """How one check went: whether it passed and what the bot said."""

    check: Check
    passed: bool
    got: str  # the first snippet, or 拒答 when nothing answered


REFUSED = "（拒答）"


def read_checks(path: Path) -> list[Check]:
    """The checks in a questions.yaml; none when the file is missing; ChecksInvalid for any bad entry."""
    if not path.is_file():
        return []
    try:
        data = read_yaml(path)
    except YamlUnusable as problem:
        if problem.syntax:
            where = f"第 {problem.line} 行" if problem.line else ""
            raise ChecksInvalid(f"{path} 不是有效的 YAML（{where}有语法错误）") from None
        raise ChecksInvalid(f"无法读取 {path}：{getattr(problem.cause, 'strerror', None) or problem.cause}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ChecksInvalid(f"{path} 应当是一个检查列表（每项以 “- question:” 开头）")
    return [_check(path, number, item) for number, item in enumerate(data, 1)]


def _check(path: Path, number: int, item: object) -> Check:
    def bad(why: str) -> ChecksInvalid:
        return ChecksInvalid(f"{path} 第 {number} 项：{why}")

    if not isinstance(item, dict):
        raise bad("应当包含 question，以及 expect 或 refuse: true")
    unknown = [str(k) for k in item if k not in KNOWN_KEYS]
    if unknown:
        raise bad(f"不认识的键 “{unknown[0]}”（可用的键：{', '.join(KNOWN_KEYS)}）")
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise bad("缺少 question，或者 question 不是文字")
    expect, refuse = item.get("expect"), item.get("refuse", False)
    if isinstance(expect, (int, float)) and not isinstance(expect, bool):
        expect = str(expect)  # expect: 9778 without quotes
    if expect is not None and (not isinstance(expect, str) or not expect.strip()):
        raise bad("expect 应当是非空的文字")
    if not isinstance(refuse, bool):
        raise bad("refuse 只能是 true 或 false")
    if (expect is None) == (not refuse):
        raise bad("expect 和 refuse: true 必须有且只有一个")
    return Check(" ".join(question.split()), expect.strip() if expect else None, refuse)


def passes(check: Check, answer: Answer) -> bool:
    """Whether an answer is right by a check: refused when it should be, or the expected text in the first snippet."""
    if check.refuse:
        return not answer.answered
    best = answer.best
    return answer.answered and best is not None and normalize(check.expect) in normalize(best.snippet)


def run_checks(checks: Sequence[Check], ask: Callable[[str], Answer]) -> list[Outcome]:
    outcomes = []
    for check in checks:
        answer = ask(check.question)
        got = answer.best.snippet if answer.answered and answer.best else REFUSED
        outcomes.append(Outcome(check, passes(check, answer), got))
    return outcomes


def outcome_line(outcome: Outcome, width: int = 60) -> str:
    """✓/✗, the question, what was expected and, for a failure, what came instead."""
    check = outcome.check
    wanted = "应拒答" if check.refuse else f"应含 “{check.expect}”"
    line = f"{'✓' if outcome.passed else '✗'} {check.question}（{wanted}）"
    if not outcome.passed:
        got = " ".join(outcome.got.split())
        line += f" 实际：{got[:width] + ('…' if len(got) > width else '')}"
    return line
