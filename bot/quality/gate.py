"""The quality gate: a new knowledge base that gets fewer of the admin's checks right is not swapped in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from bot.errors import QabotError
from bot.quality.checks import Check, Outcome, outcome_line, run_checks
from bot.retrieval.answer import Answer


@dataclass(frozen=True)
class Verdict:
    """Checks on the serving base and on the new one; `old` is empty when nothing was serving."""

    new: tuple[Outcome, ...]
    old: tuple[Outcome, ...] = ()
    forced: bool = False

    @property
    def new_right(self) -> int:
        return sum(o.passed for o in self.new)

    @property
    def old_right(self) -> int | None:
        return sum(o.passed for o in self.old) if self.old else None

    @property
    def worse(self) -> bool:
        return self.old_right is not None and self.new_right < self.old_right

    @property
    def changed(self) -> list[tuple[Outcome, Outcome]]:
        """(before, after) for every check whose result differs between the two bases."""
        return [(old, new) for old, new in zip(self.old, self.new) if old.passed != new.passed]

    def summary_lines(self) -> list[str]:
        total = len(self.new)
        if self.old_right is None:
            lines = [f"questions.yaml：{self.new_right}/{total} 项通过"]
        else:
            lines = [f"questions.yaml：新知识库 {self.new_right}/{total} 项通过，原来的 {self.old_right}/{total}"]
        for old, new in self.changed:
            lines.append(f"  {'变好' if new.passed else '变差'}：{outcome_line(new)}")
        if self.worse:
            lines.append("  已用 force 强制换上新知识库" if self.forced else
                         "  新知识库没有换上，原来的继续使用（确认无误可用 qabot build --force 或 /reload force）")
        return lines


class GateRefused(QabotError):
    """The new base got fewer checks right than the serving one; it was not swapped in."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"新知识库通过 {verdict.new_right} 项检查，少于原来的 {verdict.old_right} 项，没有换上")
        self.verdict = verdict


@dataclass
class Gate:
    """Run as the builder's accept hook: judges the new base against the serving one, raises GateRefused."""

    checks: Sequence[Check]
    serving: Callable[[str], Answer] | None
    force: bool = False
    verdict: Verdict | None = field(default=None, init=False)

    def judge(self, candidate: Callable[[str], Answer]) -> Verdict:
        old = tuple(run_checks(self.checks, self.serving)) if self.serving is not None else ()
        self.verdict = Verdict(tuple(run_checks(self.checks, candidate)), old, self.force)
        if self.verdict.worse and not self.force:
            raise GateRefused(self.verdict)
        return self.verdict
