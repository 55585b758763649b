"""Teaching from /unanswered: 教我 (the admin replies with the answer) and 用这段 (pick a passage).

Either way a faq.yaml entry is added (bot.faq.writer), the curated answers are read again at
once (no rebuild), and the question leaves /unanswered.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.errors import QabotError
from bot.faq.entries import MAX_ANSWER_CHARS, FaqEntry
from bot.faq.writer import add_entry
from bot.replies.render import html_source_line
from bot.service import faq_path
from bot.storage import LoggedQuestion, StorageError
from bot.telegram import admin
from bot.telegram.callbacks import ChoosePassages, Teach, UsePassage, claimed, encode
from bot.telegram.messages import clip
from bot.telegram.sending import reply_html
from bot.telegram.telegram_html import esc
from bot.telegram.state import get_state

log = logging.getLogger(__name__)

CHOICES = 3
NO_TEXT = "这个问题没有记录原文（storage.log_questions 为 false），没法教。"


_PROMPT = re.compile(r"请回复这条消息，写下问题 #(\d+) 的答案")


def prompted_question(message: Message) -> int | None:
    """The logged question id a reply answers, when it replies to one of our 教我 prompts."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != message.get_bot().id:
        return None
    match = _PROMPT.match(replied.text or "")
    return int(match[1]) if match else None


class _RepliesToPrompt(filters.MessageFilter):
    """A message replying to a 教我 prompt (the prompt names its question, so this survives a restart)."""

    def filter(self, message: Message) -> bool:
        return prompted_question(message) is not None


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """教我, 用这段 and the passage picked: admins only, in private chats."""
    pressed = await admin.admin_button(update, context)
    if pressed is None:
        return
    query, message, action, state = pressed
    logged = await asyncio.to_thread(state.log.question, action.question_id)
    if logged is None or not logged.question:
        await query.answer(NO_TEXT if logged else "找不到这个问题了。", show_alert=True)
        return
    if isinstance(action, Teach):
        await query.answer()
        await message.reply_text(
            f"请回复这条消息，写下问题 #{logged.id} 的答案（最多 {MAX_ANSWER_CHARS} 字）：\n\n<b>{esc(logged.question)}</b>",
            parse_mode="HTML", reply_markup=ForceReply(input_field_placeholder="答案"))
    elif isinstance(action, ChoosePassages):
        await _offer_passages(query, message, context, logged)
    elif isinstance(action, UsePassage):
        await _use_passage(query, message, context, logged, action.passage_id)


async def _offer_passages(query, message: Message, context: ContextTypes.DEFAULT_TYPE, logged: LoggedQuestion) -> None:
    state = get_state(context)
    answer = await asyncio.to_thread(state.service.ask_articles, logged.question, CHOICES)
    if not answer.results:
        await query.answer("知识库里没有和这个问题相关的段落，请用“教我”直接写答案。", show_alert=True)
        return
    await query.answer()
    lines = [f"<b>{esc(logged.question)}</b>", "选一段作为这个问题的答案：", ""]
    buttons = []
    for n, result in enumerate(answer.results, 1):
        lines += [f"{n}. {esc(result.snippet)}", f"—— {html_source_line(result.passage.article)}", ""]
        buttons.append(InlineKeyboardButton(f"用第 {n} 段", callback_data=encode(
            UsePassage(logged.id, result.passage.passage_id), message.chat_id)))
    await reply_html(message, "\n".join(lines).strip(), InlineKeyboardMarkup([buttons]))


async def _use_passage(query, message: Message, context: ContextTypes.DEFAULT_TYPE, logged: LoggedQuestion,
                       passage_id: str) -> None:
    state = get_state(context)
    answer = await asyncio.to_thread(state.service.ask_articles, logged.question, 10)
    chosen = next((r for r in answer.results if r.passage.passage_id == passage_id), None)
    if chosen is None:
        await query.answer("知识库更新后，这段已经不在前几名里了，请重新点“用这段”。", show_alert=True)
        return
    article = chosen.passage.article
    entry = FaqEntry((logged.question,), chosen.snippet, article.title or None,
                     article.url if article.url and article.url.startswith(("http://", "https://")) else None)
    if await _save(message, context, logged, entry):
        await query.answer("已采用这一段。")


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The admin's reply to a 教我 prompt: that text becomes the question's curated answer."""
    message = update.effective_message
    if not admin.is_admin(update, context):
        await reply_html(message, admin.ADMINS_ONLY)
        return
    text = (message.text or "").strip()
    if not text or len(text) > MAX_ANSWER_CHARS:
        await reply_html(message, f"答案应当是 1 到 {MAX_ANSWER_CHARS} 字的文字，请再回复一次。")
        return
    question_id = prompted_question(message)
    logged = await asyncio.to_thread(get_state(context).log.question, question_id)
    if logged is None or not logged.question:
        await reply_html(message, "找不到这个问题了。")
        return
    await _save(message, context, logged, FaqEntry((logged.question,), text))


async def _save(message: Message, context: ContextTypes.DEFAULT_TYPE, logged: LoggedQuestion, entry: FaqEntry) -> bool:
    """Add the entry to faq.yaml, serve it at once, and take the question off /unanswered."""
    state = get_state(context)
    try:
        await asyncio.to_thread(add_entry, faq_path(state.config), entry)
    except QabotError as exc:
        await reply_html(message, f"没有保存：{esc(str(exc))}")
        return False
    except OSError as exc:
        log.error("could not write faq.yaml", exc_info=exc)
        await reply_html(message, f"没有保存：无法写入 faq.yaml（{esc(admin.os_error_text(exc, writing=True))}）")
        return False
    faq = await asyncio.to_thread(state.service.refresh_faq)
    try:
        await asyncio.to_thread(state.log.mark_taught, logged.id)
    except StorageError as exc:  # the answer is saved and served; only /unanswered still lists it
        log.warning("could not mark question %s as taught: %s", logged.id, exc)
    log.info("taught an answer for question %s; faq.yaml has %d entries", logged.id, len(faq.entries))
    await reply_html(message, f"已记住。以后再问“{esc(clip(logged.question, 100))}”会直接给出这个答案：\n\n"
                              f"{html.escape(entry.answer, quote=False)}")
    return True


def register(app: Application) -> None:
    """The teaching handlers; added before the general ones so that they see their updates first."""
    fresh = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & fresh & filters.TEXT & ~filters.COMMAND
                                   & _RepliesToPrompt(name="RepliesToTeachPrompt"), on_answer))
    app.add_handler(CallbackQueryHandler(
        on_button, pattern=lambda data: claimed(data) in (Teach, ChoosePassages, UsePassage)))
