"""Synonym groups an admin can extend: a question word may stand for a word the article uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.text.normalize import normalize


def load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """A YAML list of groups (lists of words); returns each word's other words. Missing file: none."""
    if not path.is_file():
        return {}
    try:
        groups = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise ConfigError(f"synonyms file {path} is not readable YAML") from None
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        raise ConfigError(f"synonyms file {path} must be a list of lists of words")
    others: dict[str, list[str]] = {}
    for group in groups:
        words = [normalize(str(w)).strip() for w in group if str(w).strip()]
        for word in words:
            bucket = others.setdefault(word, [])
            bucket.extend(w for w in words if w != word and w not in bucket)
    return {word: tuple(rest) for word, rest in others.items()}
