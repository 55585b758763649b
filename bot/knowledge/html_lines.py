"""An HTML page as a reader sees it: its visible text lines in order, its meta tags and JSON-LD.

lxml parses (it is fast and forgiving of the broken markup portals serve); what a reader never
sees (scripts, styles, hidden elements, forms) is left out, and each block element gives one line
that remembers whether it was a heading and how much of it was link text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_INVISIBLE = {"script", "style", "noscript", "template", "svg", "iframe", "select", "textarea", "button",
              "head", "object", "canvas", "video", "audio", "map", "input", "option"}
# Page chrome: never article text, though a headline or dateline may sit in a <header>.
_CHROME = {"nav", "footer", "aside", "menu"}
_BLOCK = {"p", "div", "li", "ul", "ol", "tr", "table", "section", "article", "main", "blockquote", "pre", "dd",
          "dt", "dl", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th", "center",
          "header", "form", "hr", "address", "tbody", "thead", "body", "html"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CHROME_CLASS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|footer|sidebar|share|bdshare|toolbar|comment|comments|advert|ads|hidden|"
    r"hide|player|qrcode|ewm|vote|survey|poll|login|search)(?:$|[\s_-])", re.I)
_CRUMB_CLASS = re.compile(r"crumb|position|location|weizhi|daohang", re.I)
_TITLE_CLASS = re.compile(r"title|headline|biaoti", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_EMPTY_CELL = re.compile(r"\|(?=\s*\|)")
# Inside a cell, these make a table a page layout rather than a table of data.
_LAYOUT_INSIDE = {"p", "div", "table", "ul", "ol", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                  "article", "blockquote", "pre", "dl", "form", "img"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)


@dataclass
class Line:
    """One visible block of text."""

    text: str
    heading: int = 0  # 1-6 for h1-h6, 0 otherwise
    titled: bool = False  # inside an element whose class or id says title/headline
    link_ratio: float = 0.0  # the share of its characters (spaces aside) that are link text
    chrome: bool = False  # navigation, footer, sidebar, share bar
    crumb: bool = False  # inside a breadcrumb ("you are here") element


@dataclass
class HtmlPage:
    """What the reader of a page gets before deciding what is the article."""

    lines: list[Line] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    title_tag: str = ""
    canonical: str | None = None
    json_ld: list[dict] = field(default_factory=list)


def read_html(text: str) -> HtmlPage:
    """Parse a page; raises ValueError when there is nothing lxml can read."""
    import lxml.etree
    import lxml.html  # imported here: `qabot ask` never parses HTML and should not pay for lxml

    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise ValueError("the page is empty")
    try:
        root = lxml.html.document_fromstring(text)
    except lxml.etree.ParserError:  # nothing but comments or processing instructions: no document at all
        raise ValueError("the page has no markup lxml can read") from None
    page = HtmlPage()
    for element in root.iter("meta"):
        name = (element.get("name") or element.get("property") or element.get("itemprop") or "").strip().lower()
        content = element.get("content")
        if name and content and content.strip():
            page.meta.setdefault(name, _SPACE.sub(" ", content).strip())
    for element in root.iter("link"):
        if "canonical" in (element.get("rel") or "").lower() and element.get("href"):
            page.canonical = page.canonical or element.get("href").strip()
    title = root.find(".//title")
    if title is not None:
        page.title_tag = _SPACE.sub(" ", title.text_content()).strip()
    for script in root.iter("script"):
        if "ld+json" in (script.get("type") or "").lower():
            page.json_ld.extend(_json_ld(script.text or ""))
    _Walker(page.lines).walk(root)
    return page


def _json_ld(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    found = []
    for item in items:
        if isinstance(item, dict):
            found.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                found.extend(g for g in graph if isinstance(g, dict))
    return found


def _is_data_row(row) -> bool:
    """A table row of short cells (a data table in an article), read as one line with its cells
    joined by ' | ', like a Word table; a layout row, whose cells hold blocks, is not."""
    cells = [c for c in row if isinstance(c.tag, str)]
    if len(cells) < 2 or any(c.tag.lower() not in ("td", "th") for c in cells):
        return False
    return not any(isinstance(d.tag, str) and d.tag.lower() in _LAYOUT_INSIDE for c in cells for d in c.iterdescendants())


class _Walker:
    """Turns the element tree into lines, one per block, in document order."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.parts: list[str] = []
        self.link_chars = 0
        self.context = (0, False, False, False)  # heading, titled, chrome, crumb of the open line
        self.cells = -1  # cells seen in the table row being read as one line, -1 outside such a row

    def walk(self, root) -> None:
        self._element(root, 0, False, False, False, False)
        self._flush()

    def _element(self, element, heading: int, titled: bool, chrome: bool, crumb: bool, in_link: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag:  # comments and processing instructions: only their tail is text
            self._text(element.tail, in_link)
            return
        tag = tag.lower()
        if tag in _INVISIBLE or element.get("hidden") is not None or _HIDDEN_STYLE.search(element.get("style") or ""):
            self._text(element.tail, in_link)
            return
        marker = f"{element.get('class') or ''} {element.get('id') or ''}"
        row = tag == "tr" and self.cells < 0 and _is_data_row(element)
        cell = self.cells >= 0 and tag in ("td", "th")
        block = tag in _BLOCK and not cell
        if block:
            self._flush()
        if row:
            self.cells = 0
        if cell:
            self.parts.append(" | " if self.cells else "")
            self.cells += 1
        heading = _HEADINGS.get(tag, heading)
        titled = titled or bool(_TITLE_CLASS.search(marker))
        chrome = chrome or tag in _CHROME or bool(_CHROME_CLASS.search(marker))
        crumb = crumb or bool(_CRUMB_CLASS.search(marker))
        in_link = in_link or tag == "a"
        self.context = (heading, titled, chrome, crumb)
        self._text(element.text, in_link)
        for child in element:
            self._element(child, heading, titled, chrome, crumb, in_link)
            self.context = (heading, titled, chrome, crumb)
        if block:
            self._flush()
        if row:
            self.cells = -1
        self._text(element.tail, in_link and tag != "a")

    def _text(self, text: str | None, in_link: bool) -> None:
        if text:
            self.parts.append(text)
            if in_link:
                self.link_chars += len(_SPACE.sub("", text))

    def _flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self.parts)).strip()
        if self.cells >= 0:  # an empty cell inside a row keeps its place, so numbers stay under their heads
            text = _EMPTY_CELL.sub("| —", text.strip(" |"))
        if text:
            heading, titled, chrome, crumb = self.context
            chars = len(_SPACE.sub("", text))
            self.lines.append(Line(text, heading, titled, min(self.link_chars, chars) / chars, chrome, crumb))
        self.parts = []
        self.link_chars = 0
