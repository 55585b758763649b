"""Small knowledge directories written to disk for tests (the project tests without ../shared)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
SAMPLE_ARTICLE = REPO / "knowledge" / "articles" / "000_be29e6b4f69db29d.txt"


def make_knowledge(root: Path, with_sample: bool = True, files: dict[str, str | bytes] | None = None) -> Path:
    """A knowledge directory with the bundled sample and/or the given files (relative to articles/)."""
    articles = root / "knowledge" / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    if with_sample:
        shutil.copy(SAMPLE_ARTICLE, articles / SAMPLE_ARTICLE.name)
    for name, content in (files or {}).items():
        path = articles / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root / "knowledge"


def config_for(knowledge: Path, **environ: str) -> Config:
    return load_config(knowledge_dir=knowledge, environ=environ)
