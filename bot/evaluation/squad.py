"""Reading SQuAD-format sets and writing their paragraphs as article files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from bot.errors import QabotError


@dataclass(frozen=True)
class Question:
    """A question with the article that holds its answer and the gold answer texts."""

    text: str
    article_key: str | None  # None for questions the knowledge base doesn't cover
    answers: tuple[str, ...]
    # Near-copies of the article (the same notice reposted, the sets' `near_dup_cluster`): showing
    # the answer from one of them is showing the right article.
    also_right: frozenset[str] = frozenset()

    def is_its_article(self, key: str) -> bool:
        return key == self.article_key or key in self.also_right


@dataclass(frozen=True)
class SetArticle:
    """One `data[]` entry of a set: a title and its paragraphs, each written as one article file."""

    set_number: int
    number: int
    title: str
    paragraphs: tuple[dict, ...]
    cluster: str | None

    def file_names(self) -> list[str]:
        return [paragraph_file_name(self.set_number, self.number, p) for p in range(len(self.paragraphs))]


def paragraph_file_name(set_number: int, article_number: int, paragraph_number: int) -> str:
    """Where one paragraph of a set's article is written, below the articles directory."""
    return f"s{set_number}/{article_number:05d}_{paragraph_number:03d}.txt"


def paragraph_article(title: str, context: str) -> str:
    """A paragraph as an article file: a labelled title line, read by the parser that reads real articles."""
    return f"标题：{title}\n\n{context.strip()}\n"


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


def read_set_articles(sets: list[Path]) -> list[SetArticle]:
    """Every article of the sets, in file order."""
    result = []
    for set_number, path in enumerate(sets):
        for number, article in enumerate(load_squad(path)):
            title = " ".join(str(article.get("title") or f"{path.stem} {number}").split())
            cluster = article.get("near_dup_cluster")
            result.append(SetArticle(set_number, number, title, tuple(article["paragraphs"]),
                                     f"{set_number}:{cluster}" if cluster else None))
    return result


def write_article_files(articles: Iterable[SetArticle], articles_dir: Path) -> list[Question]:
    """One .txt article per paragraph (title line + context); returns every question with its article."""
    articles = list(articles)
    prefix = articles_dir.name
    cluster_keys: dict[str, set[str]] = {}
    for article in articles:
        if article.cluster:
            cluster_keys.setdefault(article.cluster, set()).update(f"{prefix}/{n}" for n in article.file_names())
    questions: list[Question] = []
    for article in articles:
        also_right = frozenset(cluster_keys.get(article.cluster, ()))
        for paragraph, name in zip(article.paragraphs, article.file_names()):
            file_path = articles_dir / name
            file_path.parent.mkdir(parents=True, exist_ok=True)
            file_path.write_text(paragraph_article(article.title, paragraph["context"]), encoding="utf-8")
            questions.extend(paragraph_questions(paragraph, f"{prefix}/{name}", also_right))
    return questions


def read_questions(path: Path) -> list[Question]:
    """Questions of a set the knowledge base does not cover."""
    return [q for article in load_squad(path) for p in article["paragraphs"] for q in paragraph_questions(p, None)]


def paragraph_questions(paragraph: dict, key: str | None, also_right: frozenset[str] = frozenset()) -> list[Question]:
    result = []
    for qa in paragraph["qas"]:
        answers = tuple(a["text"] for a in qa.get("answers", ()) if a.get("text"))
        if qa.get("question") and (answers or key is None):
            result.append(Question(qa["question"], key, answers, also_right))
    return result
