"""Parsers for the three article formats: plain text, Markdown with front matter, and HTML."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath

import yaml

from bot.knowledge.article import Article, Block
from bot.knowledge.page_text import URL, PageMeta, looks_like_heading, parse_date, read_page_header

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
    meta, body = read_page_header(lines, want_title=True)
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
    """An HTML page: title and main text; scripts, styles and navigation are dropped."""
    reader = _PageReader()
    try:
        reader.feed(text)
        reader.close()
    except Exception as exc:  # html.parser raises assorted errors on broken markup
        raise ParseError(f"cannot parse HTML: {exc}") from None
    lines, heading_lines = reader.body_lines()
    meta, body = read_page_header(lines, want_title=False)
    title = reader.meta.get("og:title") or reader.title or reader.first_h1
    if title:
        title = title.strip(_SPACES)
    meta.title = title or meta.title
    meta.url = meta.url or reader.meta.get("og:url") or reader.canonical
    meta.source = meta.source or reader.meta.get("og:site_name") or reader.meta.get("source") or reader.meta.get("author")
    published = reader.meta.get("article:published_time") or reader.meta.get("pubdate") or reader.meta.get("publishdate")
    if published and not meta.date:
        meta.date, meta.time = parse_date(published)
    meta.section = meta.section or reader.breadcrumb
    blocks = [Block(line, is_heading=line in heading_lines) for line in body if not (title and line == title)]
    return _article(key, meta, _mark_last_heading(blocks))


def _article(key: str, meta: PageMeta, blocks: list[Block]) -> Article:
    title = (meta.title or PurePosixPath(key).stem).strip(_SPACES)
    if not any(not b.is_heading for b in blocks) and not blocks:
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


_SKIP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
              "template", "button", "select", "textarea", "head", "menu", "object", "canvas"}
_VOID_TAGS = {"br", "img", "meta", "link", "input", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "tr", "table", "section", "article", "main", "blockquote", "pre",
               "dd", "dt", "dl", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th", "center"}
_SKIP_CLASS = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|footer|sidebar|share|toolbar|comment|comments|advert|ads)(?:$|[\s_-])", re.I)
_CRUMB_CLASS = re.compile(r"crumb|position|location|weizhi", re.I)


class _PageReader(HTMLParser):
    """Collects the text lines of a page, skipping what is never article text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, in_main)
        self.lines: list[tuple[str, bool, bool]] = []  # (text, is_heading, in_main)
        self.current: list[str] = []
        self.title = ""
        self.first_h1 = ""
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.breadcrumb: str | None = None
        self._in_title = False
        self._crumb_depth: int | None = None
        self._crumb_parts: list[str] = []

    @property
    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    @property
    def _in_main(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        if tag == "meta":
            name = (attr.get("property") or attr.get("name") or "").lower()
            if name and attr.get("content"):
                self.meta.setdefault(name, attr["content"].strip())
            return
        if tag == "link" and "canonical" in attr.get("rel", "").lower():
            self.canonical = attr.get("href") or None
            return
        if tag == "title":
            self._in_title = True
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID_TAGS:
            return
        marker = f"{attr.get('class', '')} {attr.get('id', '')}"
        skipping = self._skipping or tag in _SKIP_TAGS or bool(_SKIP_CLASS.search(marker))
        in_main = self._in_main or tag in ("article", "main")
        if self._crumb_depth is None and _CRUMB_CLASS.search(marker):
            self._crumb_depth = len(self.stack)
            self._crumb_parts = []
            skipping = True
        self.stack.append((tag, skipping, in_main))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _VOID_TAGS:
            return
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                if tag in _BLOCK_TAGS or tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                    self._flush()
                del self.stack[depth:]
                break
        if self._crumb_depth is not None and len(self.stack) <= self._crumb_depth:
            crumbs = [p for p in self._crumb_parts if p not in (">", "›", "»", "首页", "正文")]
            self.breadcrumb = self.breadcrumb or (crumbs[-1] if crumbs else None)
            self._crumb_depth = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._crumb_depth is not None:
            part = data.strip(_SPACES + "\n\r")
            if part:
                self._crumb_parts.extend(p for p in re.split(r"\s*[>›»＞]\s*", part) if p)
            return
        if self._skipping:
            return
        self.current.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip(_SPACES)
        self.current = []
        if not text:
            return
        heading = bool(self.stack) and self.stack[-1][0] in ("h1", "h2", "h3", "h4", "h5", "h6")
        if heading and self.stack[-1][0] == "h1" and not self.first_h1:
            self.first_h1 = text
        self.lines.append((text, heading, self._in_main))

    def body_lines(self) -> tuple[list[str], set[str]]:
        """Lines of the main content (the <article>/<main> element when there is one)."""
        self._flush()
        chosen = [line for line in self.lines if line[2]] or self.lines
        headings = {text for text, heading, _ in chosen if heading}
        return [text for text, _, _ in chosen], headings


__all__ = ["ParseError", "parse_article", "parse_text", "parse_markdown", "parse_html", "URL"]
