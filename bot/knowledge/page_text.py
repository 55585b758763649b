"""Reading a web page saved as text: breadcrumbs, title, the publication line, and page furniture.

Portal pages put the same few things above the body (首页 > 栏目 > 正文, the title, a line with
the time, 阅读 count, 来源 and 编辑) and sprinkle buttons such as 收藏本文 through it. Those
lines carry metadata but must never reach a passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>1[0-2]|0?[1-9])\s*[月\-/.]\s*(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)\s*日?"
)
TIME = re.compile(r"(?<![\d:])(?P<h>[01]?\d|2[0-3])\s*[:：]\s*(?P<mi>[0-5]\d)(?:[:：][0-5]\d)?(?![\d:])")
URL = re.compile(r"https?://[^\s<>\"'（）()，。]+")
_SOURCE = re.compile(r"(?:来源|來源|稿源|出处|信息来源|文章来源|source)\s*[:：]\s*(?P<v>[^\s|｜/]+)", re.IGNORECASE)
LABELLED = re.compile(r"^\s*(?P<k>标题|題目|title|来源|來源|source|日期|时间|發布時間|发布时间|发布日期|date|链接|網址|网址|原文链接|url)\s*[:：]\s*(?P<v>.+?)\s*$", re.IGNORECASE)
_META_WORDS = re.compile(r"阅读|閱讀|浏览|瀏覽|来源|來源|编辑|編輯|作者|发布|發布|点击|字号|收藏")
_BREADCRUMB_SEP = re.compile(r"\s*(?:>|›|»|＞|→)\s*")
_BREADCRUMB_HOME = re.compile(r"^(?:首页|首頁|主页|网站首页|(?:您|你)?现在的位置[:：]?.*|当前位置[:：]?.*|您的位置[:：]?.*|你的位置[:：]?.*|位置[:：]?.*)$")
_FURNITURE = re.compile(
    r"^(?:[【\[]?\s*(?:收藏本文|收藏本页|打印本页|打印本文|打印|关闭窗口|关闭本页|返回顶部|分享到|分享|扫一扫|"
    r"字[号體体]\s*[:：]?\s*[大中小\s]*|字体\s*[:：]?\s*[大中小\s]*|上一篇.*|下一篇.*|相关阅读|相关链接|责任编辑\s*[:：].*|"
    r"阅读\s*[:：]?\s*\d+|浏览次数\s*[:：]?\s*\d+|点击数\s*[:：]?\s*\d+|"
    r"字[号体體]?\s*(?:减小|增大|放大|缩小|默认)|[大中小]字号|返回首页>*|返回顶部|回到顶部|返回.{1,6}频道|(?:网站)?无障碍(?:浏览|阅读)?|"
    r"长者(?:模式|助手|版)|关怀版|简|繁|简体|繁体|EN|English|纠错|我要纠错|分享至.{0,4}|链接已复制|复制链接|阅读下一篇[:：]?|"
    r"在手机打开当前页|扫一扫在手机(?:上)?打开当前页|手机(?:版|看)|我要投稿|加载更多.{0,4}|查看更多|更多>*|"
    r"Play Video|播放视频|\d*小时.{0,4}排行(?:榜)?|.{0,6}点击排行(?:榜)?|热门排行|还没有评论.*|发表评论|我要评论|网友评论)\s*[】\]]?\s*)+$"
)

_TERMINAL = "。！？!?；;，,、：:…—"


@dataclass
class PageMeta:
    """Metadata found in a page's text lines."""

    title: str | None = None
    source: str | None = None
    date: str | None = None
    time: str | None = None
    url: str | None = None
    section: str | None = None


def parse_date(text: str) -> tuple[str | None, str | None]:
    """The first date (YYYY-MM-DD) and time (HH:MM) in a piece of text."""
    date_match = DATE.search(text)
    date = None
    if date_match:
        date = f"{int(date_match['y']):04d}-{int(date_match['m']):02d}-{int(date_match['d']):02d}"
    rest = text[date_match.end():] if date_match else text
    time_match = TIME.search(rest)
    time = f"{int(time_match['h']):02d}:{time_match['mi']}" if time_match else None
    return date, time


def is_furniture(line: str) -> bool:
    """A line that is only page buttons or counters (收藏本文, 打印, 阅读:123 ...)."""
    line = line.strip()
    return (len(line) <= 60 and bool(_FURNITURE.match(line))) or is_navigation(line)


def is_navigation(line: str) -> bool:
    """A row of short links separated by bars: 首页 | 新闻 | 图片 | 评论, 关于我们|联系我们|友情链接."""
    parts = [p.strip() for p in re.split(r"[|｜]", line)]
    return len(parts) >= 4 and len(line) <= 120 and sum(len(p) for p in parts) / len(parts) <= 8


def breadcrumb_section(line: str) -> str | None:
    """The section of a breadcrumb line (首页 > 时政要闻 > 正文 gives 时政要闻), or None if it isn't one."""
    parts = [p for p in _BREADCRUMB_SEP.split(line.strip()) if p]
    if len(parts) < 2 or len(line) > 80 or not _BREADCRUMB_HOME.match(parts[0]):
        return None
    crumbs = [p for p in parts[1:] if p not in ("正文", "正文内容", "详情", "內文", "内容")]
    return crumbs[-1] if crumbs else None


def is_publication_line(line: str) -> bool:
    """The line under a portal title with the date and fields such as 阅读, 来源 and 编辑."""
    if len(line) > 160 or not DATE.search(line):
        return False
    without_date = TIME.sub("", DATE.sub("", line)).strip()
    return bool(_META_WORDS.search(line)) or len(without_date) <= 4


def looks_like_heading(line: str, max_chars: int = 30) -> bool:
    """A short line without sentence punctuation at its end or inside: a section heading."""
    stripped = line.strip()
    if not stripped or len(stripped) > max_chars or stripped[-1] in _TERMINAL:
        return False
    return not any(ch in stripped for ch in "。！？!?；;")


def read_page_header(lines: list[str]) -> tuple[PageMeta, list[str]]:
    """Take metadata from the top lines and return the remaining body lines, furniture removed."""
    meta = PageMeta()
    index = 0
    # The header is at most a handful of lines; anything further down is body.
    while index < len(lines) and index < 8:
        line = lines[index].strip()
        section = breadcrumb_section(line)
        labelled = LABELLED.match(line)
        if section is not None and meta.section is None and meta.title is None:
            meta.section = section
        elif labelled:
            _take_labelled(meta, labelled["k"].lower(), labelled["v"])
        elif URL.fullmatch(line):
            meta.url = meta.url or line
        elif is_publication_line(line):
            _take_publication_line(meta, line)
        elif is_furniture(line):
            pass
        elif meta.title is None and len(line) <= 100 and line[-1] not in "。！？!?":
            meta.title = line
        else:
            break
        index += 1
    body = [line for line in lines[index:] if not is_furniture(line)]
    return meta, body


def _take_labelled(meta: PageMeta, key: str, value: str) -> None:
    if key in ("标题", "題目", "title"):
        meta.title = meta.title or value
    elif key in ("来源", "來源", "source"):
        meta.source = meta.source or value
    elif key in ("链接", "網址", "网址", "原文链接", "url"):
        found = URL.search(value)
        meta.url = meta.url or (found.group(0) if found else None)
    else:
        date, time = parse_date(value)
        meta.date = meta.date or date
        meta.time = meta.time or time


def _take_publication_line(meta: PageMeta, line: str) -> None:
    date, time = parse_date(line)
    meta.date = meta.date or date
    meta.time = meta.time or time
    source = _SOURCE.search(line)
    if source and not meta.source:
        meta.source = source["v"]
