"""The texts of the bot's messages, as Telegram HTML (every piece of user or article text through `esc`)."""

from __future__ import annotations

import time
from typing import Sequence

from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.build_wording import index_damage_zh, skip_reason_zh
from bot.knowledge.builder import BuildReport
from bot.replies.browse import ArticlePage, PassageContext
from bot.replies.render import NOT_ANSWERED, html_source_line, render_result_html
from bot.retrieval.answer import Result
from bot.storage import LoggedQuestion, Stats
from bot.telegram.telegram_html import esc

LISTED_QUESTION_CHARS = 200
TRY_EXAMPLES = "可以点下面的问题试试："


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_html(result: Result) -> str:
    """One result: the snippet with matched words in bold, then the linked source line."""
    return render_result_html(result)


def asked_html(question: str, body: str) -> str:
    """An answer to a question asked with a button: the question first, since no message of the user's shows it."""
    return f"<b>问：</b>{esc(question)}\n\n{body}"


def not_answered_html(related: bool) -> str:
    """Say plainly that nothing answers; the related articles and questions, if any, are buttons under it."""
    if related:
        return f"{esc(NOT_ANSWERED)}\n\n也许下面这些有关，点开看看："
    return f"{esc(NOT_ANSWERED)}\n可以换个说法再问，或者发送 /sources 看看有哪些文章。"


def _at(bot_username: str | None) -> str:
    return esc(f"@{bot_username}" if bot_username else "@机器人")


def start_html(first_name: str | None, has_examples: bool, group: bool = False,
               bot_username: str | None = None) -> str:
    """The /start greeting: how to ask here (privately, or in a group), and example questions below it."""
    if group:
        lines = ["大家好！我可以回答知识库里文章的问题，并注明出处。在群里请这样问我：",
                 "• 发送 <code>/ask 问题</code>",
                 f"• 在消息里 {_at(bot_username)} 并写上问题",
                 "• 回复我的消息"]
    else:
        greeting = f"你好，{esc(first_name)}！" if first_name else "你好！"
        lines = [greeting + "我可以回答知识库里文章的问题：直接把问题发给我，我会给出答案和出处。"]
    lines += ["", "发送 /help 查看全部用法。"]
    if has_examples:
        lines += ["", TRY_EXAMPLES]
    return "\n".join(lines)


def help_html(bot_username: str | None, is_admin: bool, group: bool = False) -> str:
    at = _at(bot_username)
    if group:
        lines = [
            "<b>在群里怎么提问</b>",
            f"• 发送 <code>/ask 问题</code>（或 <code>/ask{at} 问题</code>）",
            f"• 在消息里 {at} 并写上问题",
            "• 回复我的消息接着问",
            "",
            "私聊我时直接发送问题就行。",
        ]
    else:
        lines = [
            "<b>怎么提问</b>",
            "• 私聊：直接发送问题。",
            f"• 群组：发送 <code>/ask 问题</code>，或在消息里 {at}，或回复我的消息。",
            f"• 任意聊天：输入 <code>{at} 问题</code>，从弹出的结果里选一条发送。",
        ]
    lines += [
        "",
        "回答下面的按钮：<b>更多结果</b> 看下一条，<b>原文</b> 看整段原文，<b>分享</b> 把这段内容的链接发给别人，"
        "👍 / 👎 告诉我回答好不好（再按一次可以撤回）。",
        "",
        "<b>命令</b>",
        "/start 开始，/help 帮助，/ask 提问，/sources 文章列表",
    ]
    if is_admin:
        lines += ["", "<b>管理员命令</b>",
                  "/reload 重新读取文章并重建知识库（/reload force：新知识库通过的 questions.yaml 检查变少也换上）",
                  "/stats [天数] 提问统计和图表（默认 7 天）",
                  "/unanswered 最近没有答好的问题（可以教我答案）",
                  "/articles 上传的文章（发给我 .txt、.md、.html、.pdf、.docx 等文件即可上传）"]
    return "\n".join(lines)


def shared_passage_html(context: PassageContext) -> str:
    """A passage opened from a 分享 link: a line saying so, then the passage in context."""
    return "有人分享给你这段内容：\n\n" + context_html(context)


def context_html(context: PassageContext) -> str:
    """An article's title and source, then the passage (quoted) between its neighbours."""
    lines = [f"<b>{html_source_line(context.article)}</b>", ""]
    heading = None
    for number, passage in enumerate(context.passages):
        if passage.heading and passage.heading != heading:
            lines.append(f"<b>{esc(passage.heading)}</b>")
        heading = passage.heading
        text = esc(passage.text)
        lines.append(f"<blockquote>{text}</blockquote>" if number == context.focus else text)
        lines.append("")
    return "\n".join(lines).strip()


def sources_html(page: ArticlePage) -> str:
    lines = [f"<b>知识库里的文章</b>（共 {page.total} 篇，第 {page.number + 1}/{page.pages} 页）", ""]
    for position, article in enumerate(page.articles, page.first + 1):
        lines.append(f"{position}. {html_source_line(article)}")
    return "\n".join(lines)


def stats_html(stats: Stats) -> str:
    days = f"{stats.days:g}"
    lines = [
        f"<b>最近 {days} 天</b>",
        f"提问：{stats.asked}",
        f"已回答：{stats.answered}",
        f"未回答：{stats.not_answered}",
        f"反馈：👍 {stats.helpful} · 👎 {stats.unhelpful}",
    ]
    if not stats.questions_logged:
        lines += ["", "（没有记录问题原文：storage.log_questions 为 false）"]
    elif stats.top:
        lines += ["", "<b>问得最多的问题</b>"]
        lines += [f"{n}. {esc(clip(q, LISTED_QUESTION_CHARS))}（{count} 次）" for n, (q, count) in enumerate(stats.top, 1)]
    return "\n".join(lines)


def unanswered_html(rows: Sequence[LoggedQuestion]) -> str:
    if not rows:
        return "最近没有未回答或被 👎 的问题。"
    lines = ["<b>最近没有答好的问题</b>", ""]
    for number, row in enumerate(rows, 1):
        when = time.strftime("%m-%d %H:%M", time.localtime(row.asked_at))
        text = esc(clip(row.question, LISTED_QUESTION_CHARS)) if row.question else "<i>（未记录原文）</i>"
        why = "未回答" if not row.answered else f"👎 ×{row.unhelpful_votes}"
        lines.append(f"{number}. {when} · {why} · {text}")
    return "\n".join(lines)


def _names(label: str, keys: Sequence[str], limit: int = 10) -> list[str]:
    if not keys:
        return []
    shown = [f"  {esc(k)}" for k in keys[:limit]]
    more = [f"  …另有 {len(keys) - limit} 篇"] if len(keys) > limit else []
    return [f"{label}（{len(keys)} 篇）："] + shown + more


def reload_report_html(report: BuildReport, damage: str | None = None) -> str:
    """What a /reload did: totals, which articles came and went, skipped files with reasons, time."""
    if report.added or report.changed or report.removed:
        changes = f"与上次相比：新增 {len(report.added)} 篇，修改 {len(report.changed)} 篇，删除 {len(report.removed)} 篇"
    else:
        changes = "与上次相比：文章没有变化"
    lines = [
        "<b>知识库已重建</b>",
        *([f"原来的索引无法使用（{esc(index_damage_zh(damage))}），所有文章都已重新分析。"] if damage else []),
        f"共 {report.articles} 篇文章，{report.passages} 个段落，用时 {report.seconds:.1f} 秒",
        changes,
    ]
    lines += _names("新增的文章", report.added) + _names("修改的文章", report.changed) + _names("删除的文章", report.removed)
    if report.skipped:
        lines.append(f"跳过的文件（{len(report.skipped)} 个）：")
        lines += [f"  {esc(s.key)}：{esc(skip_reason_zh(s.reason))}" for s in report.skipped[:20]]
        if len(report.skipped) > 20:
            lines.append(f"  …另有 {len(report.skipped) - 20} 个")
    return "\n".join(lines)


def reload_failed_html(reason: str, kb: KnowledgeBase, damage: str | None = None) -> str:
    lines = [f"<b>重建失败</b>：{esc(reason)}"]
    if damage:
        lines.append(f"磁盘上的索引无法使用：{esc(index_damage_zh(damage))}")
    lines.append(still_serving(kb))
    return "\n".join(lines)


def still_serving(kb: KnowledgeBase) -> str:
    """After a rebuild that was not swapped in: the base that keeps answering."""
    return f"仍在使用原来的知识库（{len(kb.articles)} 篇文章，{kb.passage_count} 个段落）。"
