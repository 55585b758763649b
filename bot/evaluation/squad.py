"""Reading SQuAD-format sets and writing their paragraphs as article files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.errors import QabotError


@dataclass(frozen=True)
class Question:
    """A question with the article that holds its answer and the gold answer texts."""

    text: str
    article_key: str | None  # None for questions the knowledge base doesn't cover
    answers: tuple[str, ...]


def load_squad(path: Path) -> list[dict]:
    """The `data` list of a SQuAD file, with a one-line error for anything unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        articles = data["data"]
        for article in articles:
            for paragraph in article["paragraphs"]:
                paragraph["context"], paragraph["qas"]  # noqa: B018 - shape check
    except (OSError, UnicodeDecodeError) as exc:
        raise QabotError(f"cannot read {path}: {exc}") from None
    except (ValueError, KeyError, TypeError):
        raise QabotError(f"{path} is not a SQuAD-format JSON file (data[].paragraphs[].context/qas)") from None
    return articles


def write_articles(sets: list[Path], articles_dir: Path) -> list[Question]:
    """One .txt article per paragraph (title line + context); returns every question with its article."""
    questions: list[Question] = []
    for set_number, path in enumerate(sets):
        for article_number, article in enumerate(load_squad(path)):
            title = " ".join(str(article.get("title") or f"{path.stem} {article_number}").split())
            for paragraph_number, paragraph in enumerate(article["paragraphs"]):
                name = f"s{set_number}/{article_number:05d}_{paragraph_number:03d}.txt"
                file_path = articles_dir / name
                file_path.parent.mkdir(parents=True, exist_ok=True)
                # A labelled title line is read by the same text parser that reads real articles.
                file_path.write_text(f"标题：{title}\n\n{paragraph['context'].strip()}\n", encoding="utf-8")
                key = f"{articles_dir.name}/{name}"
                questions.extend(_questions(paragraph, key))
    return questions


def read_questions(path: Path) -> list[Question]:
    """Questions of a set the knowledge base does not cover."""
    return [q for article in load_squad(path) for p in article["paragraphs"] for q in _questions(p, None)]


def _questions(paragraph: dict, key: str | None) -> list[Question]:
    result = []
    for qa in paragraph["qas"]:
        answers = tuple(a["text"] for a in qa.get("answers", ()) if a.get("text"))
        if qa.get("question") and (answers or key is None):
            result.append(Question(qa["question"], key, answers))
    return result
