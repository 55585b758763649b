"""An HTML article page: metadata from meta tags, JSON-LD and the visible dateline; the body read
by bot.knowledge.page_reader.

Machine-readable tags win for the date (they are what the CMS stored); the visible 来源 line wins
for the source, because portals fill the `source` and `author` tags with the site's own name, an
editor's name or an internal id. The author tag is never read as a source.
"""

from __future__ import annotations

from bot.knowledge.html_lines import HtmlPage, read_html
from bot.knowledge.page_reader import PageArticle, read_page, strip_site_suffix
from bot.knowledge.page_text import PageMeta, parse_date

_TITLE_TAGS = ("articletitle", "og:title", "twitter:title", "headline", "title")
_DATE_TAGS = ("pubdate", "publishdate", "article:published_time", "og:article:published_time", "datepublished",
              "og:release_date", "publish_date", "publication_date", "dc.date", "dc.date.issued",
              "dcterms.created", "firstpublishedtime", "created", "date")
_SOURCE_TAGS = ("contentsource", "source", "og:article:source", "copyfrom")


def read_html_article(text: str) -> PageArticle:
    """Read an HTML page into metadata and body lines; raises ValueError if it can't be parsed."""
    page = read_html(text)
    titles = [t for t in (*(page.meta.get(name) for name in _TITLE_TAGS), _ld(page, "headline"), page.title_tag) if t]
    article = read_page(page.lines, titles)
    _merge_tags(article.meta, page)
    return article


def _merge_tags(meta: PageMeta, page: HtmlPage) -> None:
    tags = page.meta
    if meta.title is None:
        meta.title = next((strip_site_suffix(t) for t in (tags.get("articletitle"), tags.get("og:title"),
                                                            _ld(page, "headline"), page.title_tag) if t), None)
    for value in (*(tags.get(name) for name in _DATE_TAGS), _ld(page, "datePublished")):
        date, time = parse_date(value) if value else (None, None)
        if date:
            if date != meta.date:
                meta.time = time
            meta.date = date
            meta.time = meta.time or time
            break
    if meta.source is None:
        for value in (*(tags.get(name) for name in _SOURCE_TAGS), tags.get("og:site_name"), _ld_publisher(page)):
            value = (value or "").replace("来源：", "").replace("来源:", "").strip()
            if value and not value.isdigit():
                meta.source = value
                break
    meta.url = tags.get("og:url") if _is_article_url(tags.get("og:url")) else None
    meta.url = page.canonical or meta.url or tags.get("url") or None


def _is_article_url(url: str | None) -> bool:
    """og:url is often the site's home page; only a URL with a path says which article this is."""
    if not url:
        return False
    path = url.split("://", 1)[-1].partition("/")[2]
    return bool(path.strip("/"))


def _ld(page: HtmlPage, key: str) -> str | None:
    for item in page.json_ld:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _ld_publisher(page: HtmlPage) -> str | None:
    for item in page.json_ld:
        publisher = item.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return publisher["name"].strip() or None
    return None
