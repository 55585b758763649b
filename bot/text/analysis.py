"""What the index stores for each passage, computed once at build time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.text.normalize import normalize
from bot.text.tokenize import Analyzer

# Bump whenever passage terms would come out differently; cached builds are then re-analysed.
PIPELINE_VERSION = 1


def load_user_words(path: Path) -> list[str]:
    """Words from a jieba user dictionary (``word [freq] [tag]`` a line); missing file, no words."""
    if not path.is_file():
        return []
    words = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            words.append(parts[0])
    return words


class PassageAnalyzer:
    """Turns a passage (with its heading) into the term hashes the sparse index is built from."""

    def __init__(self, user_words: list[str]) -> None:
        self.analyzer = Analyzer(user_words)

    def passage_terms(self, title: str, heading: str | None, text: str) -> np.ndarray:
        context = f"{heading}\n{text}" if heading else text
        return self.analyzer.term_hashes(normalize(context))
