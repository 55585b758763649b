"""Knowledge bases of a chosen size for `qabot bench`, generated from two SQuAD-format sets.

Some source articles of each set (all paragraphs under one title) are held out as the evaluation
set: their paragraphs are written as articles as `qabot eval` writes them, and their questions are
asked. Filler articles are built only from the sentences of the other titles, recombined at random,
so every passage stays distinct and the base grows without the answers: paragraphs of one source
article restate each other's facts, and filler made from a held-out paragraph's siblings would hold
its answers under another article's name, which the evaluation counts as a miss.
"""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass
from pathlib import Path

from bot.config import PassageSettings
from bot.evaluation.squad import Question, load_squad, paragraph_article, paragraph_file_name, paragraph_questions
from bot.knowledge.formats import parse_article
from bot.knowledge.passages import split_article
from bot.text.sentences import split_sentences

EVAL_PARAGRAPHS = 300  # per set; whole source articles are held out, so the last one may add a few
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
        # At most half of a set is held out, so that a small set still leaves sentences for filler.
        wanted = min(eval_paragraphs, len(paragraphs) // 2)
        held_titles = held_out_titles(rng, [title for _, _, title, _ in paragraphs], wanted)
        held_sentences: set[str] = set()
        filler_sentences: list[str] = []
        for article_number, paragraph_number, title, paragraph in paragraphs:
            context = paragraph["context"].strip()
            if title in held_titles:
                name = f"eval/{paragraph_file_name(set_number, article_number, paragraph_number)}"
                material.eval_articles.append((name, paragraph_article(title, context)))
                material.questions.extend(paragraph_questions(paragraph, f"{articles_dir_name}/{name}"))
                held_sentences.update(sentences_of(context))
            else:
                material.titles.append(title)
                filler_sentences.extend(sentences_of(context))
        # Both sets repeat some sentences under different titles (a fish family's stock phrases).
        material.sentences.extend(s for s in filler_sentences if s not in held_sentences)
    return material


def held_out_titles(rng: random.Random, titles: list[str], paragraphs_wanted: int) -> set[str]:
    """Whole source articles, drawn at random until they hold `paragraphs_wanted` paragraphs."""
    order = sorted(set(titles))
    rng.shuffle(order)
    per_title = collections.Counter(titles)
    held: set[str] = set()
    count = 0
    for title in order:
        if count >= paragraphs_wanted:
            break
        held.add(title)
        count += per_title[title]
    return held


def sentences_of(context: str) -> list[str]:
    return [line[s:e].strip() for line in context.split("\n") for s, e in split_sentences(line, 300)
            if line[s:e].strip()]


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
