"""The README's command and configuration tables against the parser and the config schema
(as sqlite-utils' tests/test_docs.py keeps its docs true): a command or key added to the code
and not to the README, or the other way round, fails here."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.config import SECTIONS
from tests.support.cli import subcommands

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def table_rows(heading: str) -> list[list[str]]:
    """The cells of the first table under a `## heading`, header and rule left out."""
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_every_command_is_in_the_readme_and_every_documented_command_exists() -> None:
    documented = {m.group(1) for row in table_rows("Commands") for m in [re.match(r"`qabot ([a-z-]+)", row[0])] if m}
    assert documented == set(subcommands())


def test_every_config_key_is_in_the_readme_with_its_default() -> None:
    rows = {row[0].strip("`"): row[1] for row in table_rows("Configuration")}
    keys = {f"{section}.{field.name}": field for section, cls in SECTIONS.items() for field in dataclasses.fields(cls)}
    assert set(rows) == set(keys)
    for key, field in keys.items():
        shown, default = rows[key].strip("`"), field.default
        if isinstance(default, bool):
            assert shown == str(default).lower(), key
        elif isinstance(default, (int, float)):
            assert float(shown) == float(default), key
        elif isinstance(default, str) and default:
            assert shown == default, key
