"""`qabot eval questions.yaml`: the admin's checks against the base being served, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Config
from bot.quality.checks import outcome_line, read_checks, run_checks


def cmd_checks(args: argparse.Namespace, config: Config) -> int:
    """Print ✓/✗ for every check and a total; exit 1 when any fails."""
    from bot.cli import _open_service

    checks = [check for name in args.files for check in read_checks(_existing(name))]
    service = _open_service(config)
    outcomes = run_checks(checks, lambda question: service.ask(question, k=1))
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
