"""Knowledge bases of a chosen size for `qabot bench`, generated from two SQuAD-format sets.

Some paragraphs of each set are held out as the evaluation set: they are written as articles as
`qabot eval` writes them, and their questions are asked. Filler articles are built only from the
sentences of the other paragraphs, recombined at random, so the base grows without copies of the
answering sentences and every passage stays distinct.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from bot.config import PassageSettings
from bot.evaluation.squad import Question, _questions, load_squad
from bot.knowledge.formats import parse_article
from bot.knowledge.passages import split_article, split_sentences

EVAL_PARAGRAPHS = 300  # per set
FILES_PER_DIR = 1000


@dataclass
class Material:
    """The held-out evaluation paragraphs and the pool of sentences for filler articles."""

    eval_articles: list[tuple[str, str]]  # (relative file name, text)
    questions: list[Question]
    sentences: list[str]
    titles: list[str]


def load_material(sets: list[Path], seed: int = 7, eval_paragraphs: int = EVAL_PARAGRAPHS,
                  articles_dir_name: str = "articles") -> Material:
    rng = random.Random(seed)
    material = Material([], [], [], [])
    for set_number, path in enumerate(sets):
        paragraphs = []
        for article_number, article in enumerate(load_squad(path)):
            title = " ".join(str(article.get("title") or f"{path.stem} {article_number}").split())
            for paragraph_number, paragraph in enumerate(article["paragraphs"]):
                paragraphs.append((article_number, paragraph_number, title, paragraph))
        held_out = set(rng.sample(range(len(paragraphs)), min(eval_paragraphs, len(paragraphs))))
        for number, (article_number, paragraph_number, title, paragraph) in enumerate(paragraphs):
            context = paragraph["context"].strip()
            if number in held_out:
                name = f"eval/s{set_number}/{article_number:05d}_{paragraph_number:03d}.txt"
                material.eval_articles.append((name, f"标题：{title}\n\n{context}\n"))
                material.questions.extend(_questions(paragraph, f"{articles_dir_name}/{name}"))
            else:
                material.titles.append(title)
                for line in context.split("\n"):
                    material.sentences.extend(line[s:e].strip() for s, e in split_sentences(line, 300)
                                              if line[s:e].strip())
    return material


def filler_article(rng: random.Random, material: Material, number: int) -> str:
    """One news-like article: a distinct title, labelled headers, 3-12 paragraphs of 2-6 sentences."""
    sentences = material.sentences
    lead = rng.choice(sentences)
    title = f"{rng.choice(material.titles)}：{lead[: rng.randint(6, 18)]}"
    day = 1 + number % 28
    lines = [f"标题：{title}", f"来源：基准测试{number % 97}号", f"发布时间：2023-{1 + number % 12:02d}-{day:02d}", ""]
    for _ in range(rng.randint(3, 12)):
        lines.append("".join(rng.choice(sentences) for _ in range(rng.randint(2, 6))))
    return "\n".join(lines) + "\n"


def passages_per_article(material: Material, settings: PassageSettings, seed: int = 11, sample: int = 300) -> float:
    rng = random.Random(seed)
    total = 0
    for number in range(sample):
        total += len(split_article(parse_article("x.txt", filler_article(rng, material, number)), settings))
    return total / sample


def write_base(root: Path, material: Material, passages: int, settings: PassageSettings, seed: int = 13,
               eval_passages: int = 0) -> int:
    """Write the evaluation articles and enough filler for about `passages` passages; returns the filler count."""
    articles = root / "articles"
    for name, text in material.eval_articles:
        path = articles / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    per_article = passages_per_article(material, settings)
    n_filler = max(0, round((passages - eval_passages) / per_article))
    rng = random.Random(seed)
    for number in range(n_filler):
        path = filler_path(articles, number)
        if number % FILES_PER_DIR == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(filler_article(rng, material, number), encoding="utf-8")
    return n_filler


def filler_path(articles: Path, number: int) -> Path:
    return articles / "filler" / f"{number // FILES_PER_DIR:04d}" / f"{number:07d}.txt"
