"""The words of a jieba user dictionary, which segmentation keeps whole (such as 党代会)."""

from __future__ import annotations

from pathlib import Path


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
