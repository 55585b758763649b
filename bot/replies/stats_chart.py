"""The /stats chart: questions per day (answered and not) and the articles that answered most, as a PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, so it is safe in a worker
thread). Chinese labels need a CJK font, and none can be counted on in a fresh install, so the
chart uses Noto Sans CJK SC as shipped by the `mplfonts` package: nothing is downloaded at run time.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import threading
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: no display here

from matplotlib import font_manager  # noqa: E402  (after choosing the backend)
from matplotlib.figure import Figure  # noqa: E402

from bot.index.knowledge_base import KnowledgeBase  # noqa: E402
from bot.storage import QuestionLog  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"
TOP_ARTICLES = 5
# Article titles are wrapped to lines of this many characters, at most two lines, so that a long
# government headline does not squeeze the bars into a corner.
TITLE_LINE_CHARS = 12
# Beyond this many days one bar a day is unreadable; the bars become weeks.
MAX_DAILY_BARS = 62
ANSWERED_COLOUR = "#2e7d32"
REFUSED_COLOUR = "#ef6c00"
ARTICLE_COLOUR = "#1565c0"

_draw_lock = threading.Lock()  # matplotlib's font cache and rcParams are shared by every figure


@dataclass(frozen=True)
class ChartData:
    """What the chart shows: one bar per period (a day, or a week for long spans), and the top articles."""

    days: float
    labels: tuple[str, ...]
    answered: tuple[int, ...]
    refused: tuple[int, ...]
    top_articles: tuple[tuple[str, int], ...]
    weekly: bool = False  # each bar is a week, labelled with its first day


def chart_data(log: QuestionLog, kb: KnowledgeBase, days: int, today: dt.date | None = None) -> ChartData:
    """The last `days` days of the question log, with answers counted by the article they came from."""
    today = today or dt.date.today()
    counts = {day: (asked, answered) for day, asked, answered in log.daily(days)}
    first = today - dt.timedelta(days=days - 1)
    if counts and days > MAX_DAILY_BARS:  # a long period starts at its first question, not years of empty bars
        first = max(first, min(dt.date.fromisoformat(day) for day in counts))
    span = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    step = 1 if len(span) <= MAX_DAILY_BARS else 7
    labels, answered, refused = [], [], []
    for start in range(0, len(span), step):
        period = span[start:start + step]
        asked_here = sum(counts.get(day.isoformat(), (0, 0))[0] for day in period)
        answered_here = sum(counts.get(day.isoformat(), (0, 0))[1] for day in period)
        labels.append(period[0].strftime("%Y-%m-%d" if step > 1 else "%m-%d"))
        answered.append(answered_here)
        refused.append(asked_here - answered_here)
    by_article: dict[str, int] = {}
    for passage_id, answers in log.answering_passages(days):
        index = kb.find_passage(passage_id)
        if index is not None:  # a passage a rebuild removed has no article to name
            title = kb.passage(index).article.title
            by_article[title] = by_article.get(title, 0) + answers
    top = sorted(by_article.items(), key=lambda item: (-item[1], item[0]))[:TOP_ARTICLES]
    return ChartData(days, tuple(labels), tuple(answered), tuple(refused), tuple(top), weekly=step > 1)


@lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontProperties:
    """Noto Sans CJK SC from the mplfonts package, registered with matplotlib once."""
    path = importlib.resources.files("mplfonts") / "fonts" / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes: a stacked bar per day (answered, not answered), then the top articles."""
    font = cjk_font()
    with _draw_lock, matplotlib.rc_context({"font.family": font.get_name(), "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, 7), dpi=110, layout="constrained")
        per_day, articles = figure.subplots(2, 1, height_ratios=(3, 2))
        _draw_days(per_day, data)
        _draw_articles(articles, data)
        figure.suptitle(f"最近 {data.days:g} 天的提问", fontsize=15)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _draw_days(axes, data: ChartData) -> None:
    positions = range(len(data.labels))
    axes.bar(positions, data.answered, color=ANSWERED_COLOUR, label="已回答")
    axes.bar(positions, data.refused, bottom=data.answered, color=REFUSED_COLOUR, label="未回答")
    axes.set_title("每周提问数" if data.weekly else "每天提问数", loc="left")
    axes.set_ylabel("问题数")
    every = max(1, len(data.labels) // 12)  # at most about twelve date labels
    axes.set_xticks(list(positions)[::every], data.labels[::every])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False)  # beside the title, off the bars
    if not any(data.answered) and not any(data.refused):
        axes.text(0.5, 0.5, "这段时间没有提问", transform=axes.transAxes, ha="center", va="center", fontsize=14,
                  color="grey")
        axes.set_ylim(0, 1)


def _draw_articles(axes, data: ChartData) -> None:
    axes.set_title("回答最多的文章", loc="left")
    if not data.top_articles:
        axes.text(0.5, 0.5, "还没有回答过的问题", transform=axes.transAxes, ha="center", va="center", fontsize=14,
                  color="grey")
        axes.set_axis_off()
        return
    titles = [_clip(title) for title, _ in reversed(data.top_articles)]
    counts = [count for _, count in reversed(data.top_articles)]
    bars = axes.barh(range(len(titles)), counts, color=ARTICLE_COLOUR)
    axes.set_yticks(range(len(titles)), titles)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("回答次数")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.margins(x=0.12)


def _clip(title: str) -> str:
    """At most two lines of TITLE_LINE_CHARS characters (Chinese has no spaces to wrap at), with … when cut."""
    title = " ".join(title.split())
    if len(title) > 2 * TITLE_LINE_CHARS:
        title = title[: 2 * TITLE_LINE_CHARS - 1] + "…"
    return "\n".join(title[i:i + TITLE_LINE_CHARS] for i in range(0, len(title), TITLE_LINE_CHARS))
