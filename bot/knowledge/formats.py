"""Parsers for the article formats: plain text, Markdown with front matter, HTML, and PDF or Word files."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

import yaml

from bot.knowledge.article import Article, Block
from bot.knowledge.documents import DocumentError, read_document, split_title
from bot.knowledge.html_article import read_html_article
from bot.knowledge.html_lines import Line
from bot.knowledge.page_reader import read_page
from bot.knowledge.page_text import PageMeta, looks_like_heading, parse_date, read_page_header

# Bumped whenever a file would be read differently, so that the next build reads every file again.
READER_VERSION = 2

_SPACES = "\u3000\u00a0\ufeff\u200b \t"


class ParseError(ValueError):
    """A file whose structure can't be read; the message says what is wrong in one line."""


def parse_article(key: str, text: str) -> Article:
    """Parse a decoded file by its suffix."""
    suffix = PurePosixPath(key).suffix.lower()
    if suffix in (".md", ".markdown"):
        return parse_markdown(key, text)
    if suffix in (".html", ".htm"):
        return parse_html(key, text)
    return parse_text(key, text)


def parse_text(key: str, text: str) -> Article:
    """Plain text, or a portal page saved as text: one paragraph a line."""
    lines = _clean_lines(text)
    page = read_page([Line(line) for line in lines], [])
    if page.meta.title and (page.meta.date or page.meta.source):
        # A saved page: headline, dateline, body, furniture read as from the page's HTML.
        return _article(key, page.meta, _blocks_from_lines([text for text, _ in page.body]))
    meta, body = read_page_header(lines)
    return _article(key, meta, _blocks_from_lines(body))


def parse_markdown(key: str, text: str) -> Article:
    """Markdown with optional YAML front matter; # headings become section headings."""
    front, body_text = _split_front_matter(text)
    meta = PageMeta(
        title=_str_or_none(front.get("title")),
        source=_str_or_none(front.get("source")),
        url=_str_or_none(front.get("url")),
        section=_str_or_none(front.get("section") or front.get("category")),
    )
    if front.get("date") is not None:
        meta.date, meta.time = _front_matter_date(front["date"])
    blocks: list[Block] = []
    in_fence = False
    for raw in body_text.splitlines():
        line = raw.strip(_SPACES)
        if line.startswith("```") or line.startswith("~~~"):
            in_fence = not in_fence
            continue
        if not line:
            continue
        if in_fence:
            blocks.append(Block(line))
            continue
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", line)
        if heading:
            title_text = _strip_inline_markdown(heading.group(2))
            if len(heading.group(1)) == 1 and not blocks and meta.title in (None, title_text):
                meta.title = title_text  # the title, shown as a heading: not part of the body
            elif title_text:
                blocks.append(Block(title_text, is_heading=True))
            continue
        if re.fullmatch(r"[-*_=\s]{3,}", line):
            continue
        cleaned = _strip_inline_markdown(line)
        if cleaned:
            blocks.append(Block(cleaned))
    tags = front.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    article = _article(key, meta, _mark_last_heading(blocks))
    return _replace_tags(article, tuple(str(t) for t in tags))


def parse_html(key: str, text: str) -> Article:
    """An HTML page: headline, dateline, 来源 and the body without page furniture."""
    try:
        page = read_html_article(text)
    except (ValueError, TypeError):  # lxml's errors on markup it cannot read at all
        raise ParseError("无法解析 HTML：网页里没有可以读取的内容") from None
    blocks = [Block(text, is_heading=heading) for text, heading in page.body]
    return _article(key, page.meta, _mark_last_heading(blocks))


def parse_document(key: str, raw: bytes) -> Article:
    """A PDF or Word file: title from its metadata or first heading, paragraphs, table rows as lines."""
    try:
        title, lines, meta_date = read_document(PurePosixPath(key).suffix.lower(), raw)
    except DocumentError as exc:
        raise ParseError(str(exc)) from None
    title, lines, date = split_title(title, lines)
    meta = PageMeta(title=title, date=date or meta_date)
    return _article(key, meta, _mark_last_heading([Block(text, is_heading=heading) for text, heading in lines]))


def _article(key: str, meta: PageMeta, blocks: list[Block]) -> Article:
    title = (meta.title or PurePosixPath(key).stem).strip(_SPACES)
    if not blocks:
        raise ParseError("no text left after removing the title and page furniture")
    return Article(
        key=key,
        title=title,
        blocks=tuple(blocks),
        source=meta.source,
        date=meta.date,
        time=meta.time,
        url=meta.url,
        section=meta.section,
    )


def _replace_tags(article: Article, tags: tuple[str, ...]) -> Article:
    from dataclasses import replace

    return replace(article, tags=tags)


def _clean_lines(text: str) -> list[str]:
    lines = (line.strip(_SPACES) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [line for line in lines if line]


def _blocks_from_lines(lines: list[str]) -> list[Block]:
    blocks = [Block(line, is_heading=looks_like_heading(line)) for line in lines]
    return _mark_last_heading(blocks)


def _mark_last_heading(blocks: list[Block]) -> list[Block]:
    """A heading with no text after it is really a short paragraph, so keep it as text."""
    result = list(blocks)
    for i in range(len(result) - 1, -1, -1):
        if not result[i].is_heading:
            break
        result[i] = Block(result[i].text)
    return result


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = re.match(r"^---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)", text, re.DOTALL)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise ParseError(f"malformed front matter{where}") from None
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise ParseError("malformed front matter: it must be a mapping of keys to values")
    return front, text[match.end():]


def _front_matter_date(value: object) -> tuple[str | None, str | None]:
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat(), None
    return parse_date(str(value))


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _strip_inline_markdown(line: str) -> str:
    line = re.sub(r"^>\s?", "", line)
    line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", line)
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", line)
    line = re.sub(r"`([^`]*)`", r"\1", line)
    line = re.sub(r"<[^>]+>", "", line)
    if line.startswith("|"):
        line = " ".join(cell.strip() for cell in line.strip("|").split("|"))
        if re.fullmatch(r"[\s:-]*", line):
            return ""
    return line.strip(_SPACES)


__all__ = ["ParseError", "parse_article", "parse_text", "parse_markdown", "parse_html"]
