"""Reading a portal page's lines as a careful reader does: the headline, the dateline and 来源
under it, and the run of body text, without the page furniture around and inside it.

The same rules read an HTML page (lines from bot.knowledge.html_lines) and a page saved as text,
so both give the same article. Nothing here knows any site: the rules follow how Chinese portal
pages are laid out (headline, then a line with the time and 来源, then the body, then editor
credits, share buttons and related links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.knowledge.html_lines import Line
from bot.knowledge.page_text import DATE, LABELLED, TIME, PageMeta, breadcrumb_section, is_furniture, parse_date

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_SENTENCE_END = "。！？!?…"
_PUNCT = re.compile(r"[。！？；，、：!?;,]")
# 来源/稿源 and its value, which ends at a space, a separator, the next label or a date glued to it.
SOURCE = re.compile(
    r"(?:来源|來源|稿源|文章来源|信息来源|消息来源|出处)\s*[:：]\s*(?P<v>.+?)\s*"
    r"(?=$|\s{1,}|[|｜丨/]|(?:19|20)\d\d\s*[-年/.]|(?:作者|编辑|責編|责编|责任编辑|记者|时间|发布|日期|浏览|阅读|点击|字号)\s*[:：]?)")
_LABELLED_DATE = re.compile(r"(?:发布时间|發布時間|发布日期|发文日期|成文日期|时间|日期|发表时间|更新时间)\s*[:：]\s*")
# Lines after which the article is over: related links, credits, buttons, copyright.
_END = re.compile(
    r"^[\[【(（]?\s*(?:相关新闻|相关阅读|相关推荐|相关链接|相关文章|相关稿件|延伸阅读|推荐阅读|热门推荐|热点推荐|为你推荐|"
    r"猜你喜欢|更多精彩|精彩推荐|往期回顾|热门点击|纠错|我要纠错|责任编辑|责编|阅读下一篇|下一篇|上一篇|分享到|分享至|"
    r"打印本页|关闭窗口|版权所有|版权声明|Copyright|©|网站地图|联系我们|扫一扫|违法和不良信息举报|举报电话|举报邮箱|主办单位|"
    r"承办单位|.{0,12}ICP备|.{0,12}公网安备)", re.I)
# A short line that credits the editor, reporter or photographer, or says where the text was printed.
_CREDIT = re.compile(
    r"^[\[【(（]?\s*(?:责任编辑|责编|編輯|编辑|作者|记者|校对|审核|审校|监制|出品|策划|摄影|来源|來源|稿源)\s*[:：]")
# A site's copyright notice, wherever it starts: "本网站由…版权所有，未经授权禁止复制".
_COPYRIGHT = re.compile(r"(?:版权所有|版權所有|Copyright|©|All rights reserved).{0,60}(?:未经|禁止|转载|授权|ICP|\d{4})|"
                        r"(?:未经|禁止).{0,30}(?:版权所有|转载|复制|镜像)", re.I)
_PRINT_LINE = re.compile(r"^《\s*[^》]{2,12}\s*》\s*[（(].{4,30}版\s*[）)]$")
_LABELS = re.compile(r"(?:作者|编辑|责编|记者|发布|发稿|时间|日期|浏览|阅读|点击|选稿|字号)\s*[:：]|阅读\s*\d|浏览\s*\d")
_BYLINE = re.compile(r"^(?:本报记者|本报通讯员|记者|通讯员|作者|文/|图/|文 /)")
_SPLIT_DATE = re.compile(r"(?<![\d/-])((?:19|20)\d{2})\s+(0?[1-9]|1[0-2])\s*/\s*(3[01]|[12]\d|0?[1-9])(?![\d/])")
_MAX_GAP_LINES = 6  # non-text lines (captions, subheads, buttons) a body may have between two paragraphs
_HEADER_LINES = 8  # how far below the headline the dateline and 来源 may be


@dataclass
class PageArticle:
    """The metadata found on a page and its body lines (text, is_heading)."""

    meta: PageMeta
    body: list[tuple[str, bool]]


def compact(text: str) -> str:
    """The text without any whitespace, for comparing and measuring Chinese lines."""
    return _SPACE.sub("", text)


def read_page(lines: list[Line], titles: list[str]) -> PageArticle:
    """Find the headline among `lines` (guided by `titles`: <title>, og:title ... best first) and the body."""
    meta = PageMeta()
    usable = [_joined_date(line) for line in lines if not is_furniture(line.text)]
    headline = _find_headline(usable, titles)
    start = headline + 1 if headline is not None else 0
    first, last = _body_span(usable, start)
    if headline is not None:
        meta.title = usable[headline].text
    else:
        meta.title = next((t for t in (strip_site_suffix(t) for t in titles) if t), None)
    header = usable[start:min(first, start + _HEADER_LINES)] if first is not None else usable[start:start + _HEADER_LINES]
    for line in header:
        _take_dateline(meta, line.text)
    if meta.section is None:
        for line in usable[:start + 1]:
            section = breadcrumb_section(line.text) if line.crumb or ">" in line.text else None
            if section:
                meta.section = section
    if first is None:
        return PageArticle(meta, [])
    tail = usable[last + 1:last + 1 + _HEADER_LINES]
    for line in tail:
        if meta.source is None and (found := SOURCE.search(line.text)):
            meta.source = _clean_source(found["v"])
        if meta.date is None and (label := _LABELLED_DATE.search(line.text)):
            meta.date, meta.time = parse_date(line.text[label.end():])
    body = [(line.text, bool(line.heading) and not _is_paragraph(line.text))
            for line in usable[first:last + 1] if not _is_furniture_in_body(line, meta.title)]
    return PageArticle(meta, body)


def _joined_date(line: Line) -> Line:
    """A short line whose date is printed in pieces (2024 05/09 22:27:02) with the pieces joined."""
    if len(line.text) > 80 or not _SPLIT_DATE.search(line.text):
        return line
    return replace(line, text=_SPLIT_DATE.sub(r"\1/\2/\3", line.text))


def strip_site_suffix(title: str) -> str:
    """A <title> without its site or channel name: '标题--经济·科技--人民网' gives '标题'."""
    title = _SPACE.sub(" ", title).strip()
    while True:
        match = re.match(r"^(?P<head>.+?)\s*(?:--|_|\||｜|-|—|–)\s*(?P<tail>[^_|｜]{1,24})$", title)
        if not match or not _looks_like_site(match["tail"]) or len(compact(match["head"])) < 4:
            return title
        title = match["head"].strip()


def _looks_like_site(text: str) -> bool:
    """A site or channel name: 人民网, 新闻频道, 某某省人民政府, China Daily; never a phrase with punctuation."""
    return bool(re.search(r"网|频道|政府|官网|门户|在线|日报|晚报|报社|新闻|中心|平台|电视台|客户端|\.(?:com|cn|net|org)|^[A-Za-z .]+$",
                          text)) and not _PUNCT.search(text.replace("·", ""))


def _find_headline(lines: list[Line], titles: list[str]) -> int | None:
    """The line that is the headline: it matches the page's title (when there is one: a page
    saved as text has none) and has a dateline, then prose, under it."""
    wanted = [compact(t) for t in titles if t]
    stripped = [compact(strip_site_suffix(t)) for t in titles if t]
    best, best_score = None, 0
    for i, line in enumerate(lines):
        if line.chrome or line.link_ratio > 0.5:
            continue
        text = compact(line.text)
        if not 4 <= len(text) <= 120 or text[-1] in "：:":
            continue
        matches = text in stripped or any(w.startswith(text) and len(text) >= min(8, len(w)) for w in wanted)
        dateline_at, content = _below(lines, i)
        near = max(0, 4 - dateline_at) if dateline_at else 0  # the headline stands right above its dateline
        score = 4 * matches + 2 * (line.heading in (1, 2, 3) or line.titled) + 2 * bool(dateline_at) + near + content
        if matches or line.heading == 1 or line.titled or (not titles and near and content and _could_be_headline(line.text)):
            if score > best_score:
                best, best_score = i, score
    return best if best_score >= 4 else None


def _could_be_headline(text: str) -> bool:
    """A line of a page saved as text that may be its headline: short, not a sentence, not a label."""
    stripped = text.strip()
    return (len(compact(stripped)) <= 80 and stripped[-1] not in "。；;，,：:" and not is_dateline(stripped)
            and not breadcrumb_section(stripped) and not _END.match(compact(stripped)) and not _CREDIT.match(compact(stripped))
            and len(re.findall(r"[|｜]", stripped)) < 2 and len(re.findall(r"[>›»＞]", stripped)) < 2 and not LABELLED.match(stripped)
            and not is_furniture(stripped) and not TIME.search(stripped) and not _BYLINE.match(stripped))


def _below(lines: list[Line], index: int) -> tuple[int, bool]:
    """How many lines below a line its dateline (a date or 来源 line, not a link) is, 0 for none,
    and whether prose follows."""
    dateline = 0
    for offset, line in enumerate(lines[index + 1:index + 1 + _HEADER_LINES], 1):
        if _is_content(line):
            return dateline, True
        if (not dateline and line.link_ratio <= 0.5 and len(compact(line.text)) <= 80
                and (DATE.search(line.text) or SOURCE.search(line.text))):
            dateline = offset
    return dateline, False


def _is_content(line: Line) -> bool:
    """A line of article text: long enough, punctuated like prose, and not mostly links."""
    if line.chrome or line.crumb or line.link_ratio > 0.5 or is_dateline(line.text):
        return False
    text = compact(line.text)
    if len(text) >= 30 and _PUNCT.search(text):
        return not _CREDIT.match(text)
    return len(text) >= 10 and text[-1] in _SENTENCE_END + "”」" and not _CREDIT.match(text)


def _body_span(lines: list[Line], start: int) -> tuple[int | None, int]:
    """The first and last line of the body: the run of prose with the most text below the headline."""
    runs: list[tuple[int, int, int]] = []  # (chars, first, last)
    i = start
    while i < len(lines):
        if not _is_content(lines[i]):
            i += 1
            continue
        first = last = i
        chars = len(compact(lines[i].text))
        gap = 0
        j = i + 1
        while j < len(lines) and gap <= _MAX_GAP_LINES:
            line = lines[j]
            if _ends_article(line):
                break
            if _is_content(line):
                last, gap = j, 0
                chars += len(compact(line.text))
            elif line.chrome or line.link_ratio > 0.5:
                gap += 1
            else:
                gap += 1 / 8  # a short text line (a subhead, a caption, a list item) is part of the body more often than not
            j += 1
        runs.append((chars, first, last))
        i = last + 1
    if not runs:
        return None, -1
    # The first run right under the headline is the body unless a far longer one follows (a
    # summary box or a lead-in can come first).
    chars, first, last = max(runs)
    lead = runs[0]
    if start and lead[0] * 3 >= chars:
        chars, first, last = lead
    # Lines between the dateline and the first paragraph that are text, not buttons: a lead line
    # such as "新华社北京5月19日电", a deck or a photo caption.
    while first - 1 >= start and _is_lead_in(lines[first - 1]):
        first -= 1
    return first, last


def is_dateline(text: str) -> bool:
    """The line under a headline: a date with 来源, 作者, 编辑 or similar labels, or a date alone."""
    if len(text) > 160 or not DATE.search(text):
        return False
    rest = compact(TIME.sub("", DATE.sub("", text)))
    return len(rest) <= 6 or bool(SOURCE.search(text) or _LABELS.search(text))


def _ends_article(line: Line) -> bool:
    """Related links, credits, buttons or a copyright notice: the article is over."""
    text = compact(line.text)
    return (bool(_END.match(text)) and not _is_content(line)) or (len(text) <= 120 and bool(_COPYRIGHT.search(text)))


def _is_lead_in(line: Line) -> bool:
    """Text between the dateline and the first paragraph that belongs to the article."""
    text = compact(line.text)
    return (not line.chrome and not line.crumb and line.link_ratio <= 0.3 and len(text) >= 6 and not DATE.search(line.text)
            and not _CREDIT.match(text) and not _END.match(text) and not is_furniture(text)
            and not SOURCE.search(text) and not line.heading)


def _is_furniture_in_body(line: Line, title: str | None) -> bool:
    """Page chrome, buttons, link lists, credits, print-edition lines and copyright inside the body run."""
    text = compact(line.text)
    if line.chrome or line.crumb or is_furniture(line.text) or (title and text == compact(title)):
        return True
    if line.link_ratio > 0.5 and not _is_content(line):
        return True
    if len(text) <= 60 and (_CREDIT.match(text) or _PRINT_LINE.match(text) or _END.match(text)):
        return True
    return len(text) <= 120 and bool(_COPYRIGHT.search(text))


def _is_paragraph(text: str) -> bool:
    return any(ch in text for ch in "。！？!?")


def _take_dateline(meta: PageMeta, text: str) -> None:
    if len(compact(text)) > 120:
        return
    if meta.date is None and DATE.search(text):
        meta.date, meta.time = parse_date(text)
    if meta.source is None and (found := SOURCE.search(text)):
        meta.source = _clean_source(found["v"])


def _clean_source(value: str) -> str | None:
    value = value.strip(" ：:|｜()（）[]【】")
    return value or None
