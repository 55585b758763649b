"""One answer, three renderings: plain text (command line, chat), Telegram HTML, and JSON."""

from __future__ import annotations

import html
from typing import Any, Callable, TextIO

from bot.index.knowledge_base import ArticleRecord
from bot.retrieval.answer import Answer, Result

NOT_ANSWERED = "抱歉，知识库里没有找到能回答这个问题的内容。"
RELATED_INTRO = "也许相关的文章："


def source_parts(article: ArticleRecord) -> list[str]:
    """Title, source and date, whichever are known."""
    return [part for part in (article.title, article.source, article.date) if part]


def source_line(article: ArticleRecord) -> str:
    """title · source · date · url, as plain text."""
    return " · ".join(source_parts(article) + ([article.url] if article.url else []))


def marked(snippet: str, highlights: tuple[tuple[int, int], ...], wrap: Callable[[str], str],
           escape: Callable[[str], str] = lambda s: s) -> str:
    """The snippet with each highlighted span passed through `wrap`, everything else through `escape`."""
    parts = []
    cursor = 0
    for start, end in highlights:
        parts.append(escape(snippet[cursor:start]))
        parts.append(wrap(escape(snippet[start:end])))
        cursor = end
    parts.append(escape(snippet[cursor:]))
    return "".join(parts)


def markdown_bold(text: str) -> str:
    return f"**{text}**"


def bold_for(stream: TextIO) -> Callable[[str], str]:
    """Bold as a terminal shows it (ANSI), or as **text** in a pipe or a file."""
    return (lambda text: f"\033[1m{text}\033[0m") if stream.isatty() else markdown_bold


def render_plain(answer: Answer, bold: Callable[[str], str] = markdown_bold) -> str:
    """Plain text for a terminal or the local chat."""
    if not answer.answered:
        lines = [NOT_ANSWERED]
        if answer.related_titles:
            lines.append(RELATED_INTRO)
            lines.extend(f"  - {title}" for title in answer.related_titles)
        return "\n".join(lines)
    blocks = []
    numbered = len(answer.results) > 1
    for number, result in enumerate(answer.results, 1):
        prefix = f"[{number}] " if numbered else ""
        blocks.append(f"{prefix}{marked(result.snippet, result.highlights, bold)}\n—— {source_line(result.passage.article)}")
    return "\n\n".join(blocks)


def html_source_line(article: ArticleRecord) -> str:
    """The source line for Telegram: the title linked to the url when there is one."""
    title = html.escape(article.title, quote=False)
    if article.url and article.url.startswith(("http://", "https://")):
        title = f'<a href="{html.escape(article.url, quote=True)}">{title}</a>'
    rest = [html.escape(p, quote=False) for p in (article.source, article.date) if p]
    return " · ".join([title] + rest)


def render_result_html(result: Result) -> str:
    """A snippet with matched words in bold, then its source line; all text escaped."""
    snippet = marked(result.snippet, result.highlights, lambda s: f"<b>{s}</b>",
                     lambda s: html.escape(s, quote=False))
    return f"{snippet}\n\n—— {html_source_line(result.passage.article)}"


def result_to_json(result: Result) -> dict[str, Any]:
    article = result.passage.article
    return {
        "snippet": result.snippet,
        "passage": result.passage.text,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "url": article.url,
        "article": article.key,
        "passage_id": result.passage.passage_id,
        "score": round(float(result.score), 4),
    }


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """The `qabot ask --json` object."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "results": [result_to_json(r) for r in answer.results],
    }
