"""Admin commands (/reload, /stats, /unanswered), allowed only for the numeric user ids in the config."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Awaitable

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.errors import IndexInvalid, IndexMissing, QabotError, os_error_paths
from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.build_wording import build_failure_zh, os_error_zh
from bot.quality.gate import GateRefused
from bot.telegram.callbacks import Action, decode, teach_keyboard
from bot.telegram.chats import is_group
from bot.telegram.quality import gate_refused_html, verdict_html
from bot.telegram.messages import reload_failed_html, reload_report_html, stats_html, unanswered_html
from bot.telegram.sending import reply_html
from bot.telegram.state import BotState, get_state

log = logging.getLogger(__name__)

# Telegram's stand-in sender for anonymous group admins: anyone could be behind it.
ANONYMOUS_ADMIN_ID = 1087968824
MAX_DAYS = 3650
MAX_LISTED = 50

NOT_ADMIN = "抱歉，这个命令只有机器人的管理员可以使用。"
ANONYMOUS = "匿名管理员的身份无法核实，请以个人身份发送这个命令。"
EDITED = "编辑过的消息不会执行管理命令，请重新发送。"
ADMINS_ONLY = "抱歉，只有机器人的管理员可以这样做。"
EXPIRED_BUTTON = "这个按钮已失效。"
PRIVATE_ONLY = "这个命令会显示用户的提问，请在和我的私聊中使用。"


async def command_allowed(update: Update, context: ContextTypes.DEFAULT_TYPE, private_only: bool = False) -> bool:
    """Whether an admin command may run; if not, the sender is told why."""
    message = update.effective_message
    user = update.effective_user
    if update.edited_message is not None:
        refusal = EDITED
    elif user is None or user.id == ANONYMOUS_ADMIN_ID or message.sender_chat is not None:
        refusal = ANONYMOUS
    elif not is_admin(update, context):
        refusal = NOT_ADMIN
    elif private_only and update.effective_chat.type != ChatType.PRIVATE:
        refusal = PRIVATE_ONLY
    else:
        return True
    command = (message.text or "").split(maxsplit=1)[:1] or ["?"]
    log.info("refused %s from user %s: %s", command[0], user.id if user else None, refusal)
    await reply_html(message, refusal, quote=is_group(update))
    return False


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in get_state(context).config.telegram.admins


async def admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE
                       ) -> tuple[CallbackQuery, Message, Action, BotState] | None:
    """The query, message and verified action of an admin's button pressed by an admin in a private
    chat, and the bot's state; for anyone else (a forged callback included) or a bad signature, an alert and None."""
    query = update.callback_query
    message = query.message if isinstance(query.message, Message) else None
    if not is_admin(update, context) or message is None or message.chat.type != ChatType.PRIVATE:
        log.warning("refused an admin button (%s) from user %s", (query.data or "")[:2], query.from_user.id)
        await query.answer(ADMINS_ONLY, show_alert=True)
        return None
    action = decode(query.data, message.chat_id)
    if action is None:  # signed for another chat, altered, or made up
        await query.answer(EXPIRED_BUTTON, show_alert=True)
        return None
    return query, message, action, get_state(context)


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rebuild the knowledge base off the event loop; the old one keeps answering until the new one is in."""
    if not await command_allowed(update, context):
        return
    force = bool(context.args) and context.args[0].lower() == "force"
    # In the background: the chat's next update (another /reload gets 正在重建) need not wait for the rebuild.
    state = get_state(context)
    task = asyncio.create_task(_reported(rebuild_and_report(update.effective_message, context, force,
                                                            quote=is_group(update))))
    state.background.add(task)
    task.add_done_callback(state.background.discard)


async def _reported(rebuild: Awaitable[None]) -> None:
    """A background task's error would go unreported otherwise."""
    try:
        await rebuild
    except Exception as exc:
        log.error("reload: could not report to the admin", exc_info=exc)


async def rebuild_and_report(message: Message, context: ContextTypes.DEFAULT_TYPE, force: bool = False,
                             quote: bool = False) -> None:
    """Rebuild (questions.yaml decides the swap unless forced) and reply with the report or why not."""
    state = get_state(context)
    if state.reloading:
        await reply_html(message, "知识库正在重建，请等它完成。", quote=quote)
        return
    state.reloading = True
    try:
        await reply_html(message, "开始重建知识库，期间照常回答问题……", quote=quote)
        damage = await asyncio.to_thread(index_damage, state.config.index_path)
        if damage:
            log.warning("reload: the index on disk is unusable, so every article is analysed again: %s", damage)
        try:
            result = await asyncio.to_thread(state.service.reload, force)
        except GateRefused as exc:
            log.warning("reload refused by questions.yaml: %s", exc)
            await reply_html(message, gate_refused_html(exc.verdict, state.service.kb), quote=quote)
            return
        except QabotError as exc:
            log.warning("reload failed: %s", exc)
            reason = build_failure_zh(str(exc))
            await reply_html(message, reload_failed_html(reason, state.service.kb, damage), quote=quote)
            return
        except OSError as exc:  # e.g. the index directory can't be written
            log.error("reload failed", exc_info=exc)
            await reply_html(message, reload_failed_html(os_error_text(exc), state.service.kb, damage), quote=quote)
            return
        except Exception as exc:  # the old base still serves; the admin gets a sentence, the log the traceback
            log.error("reload failed", exc_info=exc)
            await reply_html(message, reload_failed_html(f"内部错误（{type(exc).__name__}），详情见日志",
                                                         state.service.kb, damage), quote=quote)
            return
        state.examples = None
        report = result.report
        log.info("reloaded: %s", "; ".join(report.summary_lines()))
        await reply_html(message, reload_report_html(report, damage) + verdict_html(result.verdict), quote=quote)
    finally:
        state.reloading = False


def index_damage(index_path: Path) -> str | None:
    """Why the built index on disk can't be read (damaged, half-written), or None if it loads.

    A rebuild then starts from nothing rather than from the previous build; the admin is told why.
    """
    try:
        KnowledgeBase(index_path)
    except IndexMissing:
        return None  # never built: nothing to report
    except IndexInvalid as exc:
        return exc.reason  # the advice to run `qabot build` doesn't fit a rebuild under way
    except QabotError as exc:
        return str(exc)
    except OSError as exc:
        return os_error_text(exc)
    return None


def os_error_text(exc: OSError, writing: bool = False) -> str:
    """'这是一个目录: a -> b' rather than a class name; `writing` for an error met while writing."""
    paths = os_error_paths(exc)
    text = os_error_zh(str(exc.strerror or exc), writing)
    return f"{text}: {paths}" if paths else text


async def _private_command_number(update: Update, context: ContextTypes.DEFAULT_TYPE, default: int, maximum: int,
                                  usage: str) -> int | None:
    """The number after an admin's private command (`default` without one); None, with a reply why, if refused or bad."""
    if not await command_allowed(update, context, private_only=True):
        return None
    if not context.args:
        return default
    text = context.args[0]
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        await reply_html(update.effective_message, usage)
        return None
    return int(text)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats [days]: how many questions were asked, answered and not, and the most asked ones."""
    days = await _private_command_number(update, context, 7, MAX_DAYS, f"用法：/stats 天数（1 到 {MAX_DAYS}），例如 /stats 30")
    if days is None:
        return
    state = get_state(context)
    figures = await asyncio.to_thread(state.log.stats, days)
    await reply_html(update.effective_message, stats_html(figures))
    await _send_chart(update, state, days)


async def _send_chart(update: Update, state, days: int) -> None:
    """The /stats chart as a photo after the text; drawn in a worker thread (it takes a few hundred ms)."""
    from bot.replies.stats_chart import chart_data, render_png  # matplotlib loads only when a chart is asked for

    def draw() -> bytes:
        return render_png(chart_data(state.log, state.service.kb, days))

    try:
        png = await asyncio.to_thread(draw)
    except Exception as exc:  # the text has gone out; a chart that can't be drawn must not turn into an apology
        log.error("could not draw the /stats chart", exc_info=exc)
        await reply_html(update.effective_message, "图表没能画出来，详情见日志；上面的文字统计不受影响。")
        return
    await update.effective_message.reply_photo(png, caption=f"最近 {days} 天：每天的提问（已回答 / 未回答）和回答最多的文章")


async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered [n]: the latest questions that got no answer or a 👎."""
    limit = await _private_command_number(update, context, 10, MAX_LISTED, f"用法：/unanswered 条数（1 到 {MAX_LISTED}）")
    if limit is None:
        return
    rows = await asyncio.to_thread(get_state(context).log.recent_unanswered, limit)
    await reply_html(update.effective_message, unanswered_html(rows), teach_keyboard(rows, update.effective_chat.id))
