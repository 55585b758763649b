"""`qabot …` run in the test process through `bot.cli.main`, as sqlite-utils tests its CLI with CliRunner.

No interpreter start-up and no second jieba load per call, and the environment is this test's
own: conftest's autouse fixture has removed every QABOT_/TELEGRAM_ setting of the developer's
shell. What needs a real process (exit on a signal, the installed entry point, a build that may
hang or is killed) uses tests/support/processes.py instead.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bot.cli import build_parser, main
from tests.support.processes import PREFIXES


def subcommands() -> list[str]:
    """The commands `qabot` has, as its parser knows them (argparse keeps them in a private list)."""
    return list(next(a for a in build_parser()._actions if a.dest == "command").choices)


@dataclass(frozen=True)
class Ran:
    """What a run of `qabot` left: its exit status and everything it wrote."""

    returncode: int
    stdout: str
    stderr: str


class Qabot:
    """Call as `qabot("ask", "--json", question, stdin=…, env={…}, cwd=…)`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Ran:
        with self._monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            if cwd is not None:
                patch.chdir(cwd)
            data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin or b""
            # A real stdin: bytes decoded as UTF-8, so `ask -` meets undecodable lines as it would.
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
            self._capsys.readouterr()
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help, --version and usage errors
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            out, err = self._capsys.readouterr()
        return Ran(code, out, err)


@pytest.fixture(autouse=True)
def no_qabot_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No QABOT_/TELEGRAM_ variable of the developer's environment reaches a test."""
    for name in [name for name in os.environ if name.startswith(PREFIXES)]:
        monkeypatch.delenv(name)


@pytest.fixture
def qabot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Qabot]:
    """`qabot …` in this process, with its stdout, stderr and exit status."""
    yield Qabot(monkeypatch, capsys)
