"""`qabot eval questions.yaml`: the admin's checks against the base being served, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from bot.quality.checks import outcome_line, read_checks, run_checks
from bot.retrieval.answer import Answer


def cmd_checks(args: argparse.Namespace, open_base: Callable[[], Callable[..., Answer]]) -> int:
    """Print ✓/✗ for every check and a total; exit 1 when any fails.

    `open_base` opens the base being served (the command line builds it when there is none) and
    gives its ask function; it is called once the checks are read, so a bad file builds nothing.
    """
    checks = [check for name in args.files for check in read_checks(_existing(name))]
    ask = open_base()
    outcomes = run_checks(checks, lambda question: ask(question, k=1))
    for outcome in outcomes:
        print(outcome_line(outcome, width=80))
    right = sum(o.passed for o in outcomes)
    print(f"{right}/{len(outcomes)} 项通过")
    return 0 if right == len(outcomes) else 1


def _existing(name: str) -> Path:
    from bot.quality.checks import ChecksInvalid

    path = Path(name)
    if not path.is_file():
        raise ChecksInvalid(f"找不到文件 {path}")
    return path
