"""Article files sent by an admin in a private chat, and /articles with a 删除 button per upload.

The checks and the saving are in bot.knowledge.uploads; this module downloads (getFile), asks
before replacing a file of the same name, and rebuilds through /reload's path.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.knowledge.uploads import (
    UPLOADS_DIR,
    UploadRefused,
    check_content,
    check_declared,
    delete_upload,
    existing_upload,
    list_uploads,
    safe_name,
    save_upload,
)
from bot.telegram import admin
from bot.telegram.callbacks import DeleteUpload, ReplaceUpload, claimed, encode
from bot.telegram.sending import reply_html
from bot.telegram.telegram_html import esc
from bot.telegram.state import get_state

log = logging.getLogger(__name__)

PENDING_KEY = "qabot.pending_uploads"
MAX_LISTED = 50
NOT_ADMIN = "谢谢！不过只有机器人的管理员可以上传文章。有问题的话，直接发文字问我就好。"


class PendingUploads:
    """Files waiting for 替换 / 保留: token -> (name, bytes); bounded, in memory."""

    def __init__(self, capacity: int = 10) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def add(self, name: str, data: bytes) -> str:
        token = secrets.token_hex(8)
        self._items[token] = (name, data)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return token

    def pop(self, token: str) -> tuple[str, bytes] | None:
        return self._items.pop(token, None)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in a private chat: an admin's is checked, saved and built; anyone else's is declined."""
    message = update.effective_message
    if not admin.is_admin(update, context):
        log.info("declined a document from non-admin user %s", update.effective_user.id if update.effective_user else None)
        await reply_html(message, NOT_ADMIN)
        return
    state = get_state(context)
    document = message.document
    try:
        name = safe_name(document.file_name)
        check_declared(name, document.file_size, state.config)
        telegram_file = await document.get_file()
        data = bytes(await telegram_file.download_as_bytearray())
        await asyncio.to_thread(check_content, name, data, state.config)
    except UploadRefused as exc:
        await reply_html(message, f"没有保存 {esc(document.file_name or '这个文件')}：{esc(str(exc))}")
        return
    except TelegramError as exc:
        log.warning("could not download an upload: %s", exc)
        # The Bot API's own (English) words go to the log; files over its 20 MB limit never get here.
        await reply_html(message, "没有保存：从 Telegram 下载文件失败，请再发一次。")
        return
    before = await asyncio.to_thread(existing_upload, state.config, name)
    if before == data:
        await reply_html(message, f"{esc(UPLOADS_DIR)}/{esc(name)} 已经有一模一样的文件了，没有改动。")
        return
    if before is not None:
        token = context.bot_data[PENDING_KEY].add(name, data)
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton("替换", callback_data=encode(ReplaceUpload(token, True), message.chat_id)),
            InlineKeyboardButton("保留原文件", callback_data=encode(ReplaceUpload(token, False), message.chat_id))]])
        await reply_html(message, f"已经有一个叫 {esc(name)} 的上传文件了（{len(before) / 1000:.1f} KB）。要用新文件替换它吗？",
                         keyboard)
        return
    await _save_and_rebuild(message, context, name, data)


async def _save_and_rebuild(message: Message, context: ContextTypes.DEFAULT_TYPE, name: str, data: bytes) -> None:
    state = get_state(context)
    try:
        await asyncio.to_thread(save_upload, state.config, name, data)
    except OSError as exc:
        log.error("could not save an upload", exc_info=exc)
        await reply_html(message, f"没有保存：无法写入文件（{esc(admin.os_error_text(exc, writing=True))}）")
        return
    log.info("saved upload %s (%d bytes)", name, len(data))
    await reply_html(message, f"已保存为 articles/{esc(UPLOADS_DIR)}/{esc(name)}。")
    if state.reloading:  # the build under way may have listed the files before this one arrived
        await reply_html(message, "知识库正在重建；等它完成后请再发送 /reload，让这个文件生效。")
        return
    await admin.rebuild_and_report(message, context)


async def articles(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/articles: the uploaded files, each with a 删除 button."""
    if not await admin.command_allowed(update, context, private_only=True):
        return
    uploads = await asyncio.to_thread(list_uploads, get_state(context).config)
    if not uploads:
        await reply_html(update.effective_message, "还没有上传的文章。把 .txt、.md、.html、.pdf、.docx 等文件发给我就能上传。")
        return
    lines = [f"<b>上传的文章</b>（articles/{UPLOADS_DIR}/，共 {len(uploads)} 个）", ""]
    buttons = []
    for n, upload in enumerate(uploads[:MAX_LISTED], 1):
        lines.append(f"{n}. {esc(upload.name)}（{upload.size / 1000:.1f} KB）")
        buttons.append([InlineKeyboardButton(f"删除 {n}. {upload.name}"[:60],
                                             callback_data=encode(DeleteUpload(upload.name_hash),
                                                                                update.effective_chat.id))])
    if len(uploads) > MAX_LISTED:
        lines.append(f"…另有 {len(uploads) - MAX_LISTED} 个")
    await reply_html(update.effective_message, "\n".join(lines), InlineKeyboardMarkup(buttons))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """替换 / 保留原文件 and 删除: admins only, in private chats."""
    pressed = await admin.admin_button(update, context)
    if pressed is None:
        return
    query, message, action, state = pressed
    if isinstance(action, ReplaceUpload):
        pending = context.bot_data[PENDING_KEY].pop(action.pending)
        if pending is None:
            await query.answer("这个文件已经处理过了，或者等待太久，请重新发送。", show_alert=True)
            return
        await query.answer()
        await message.edit_reply_markup(None)
        if not action.replace:
            await reply_html(message, f"保留了原来的 {esc(pending[0])}，新文件没有保存。")
            return
        await _save_and_rebuild(message, context, *pending)
    elif isinstance(action, DeleteUpload):
        removed = await asyncio.to_thread(delete_upload, state.config, action.name_hash)
        if removed is None:
            await query.answer("这个文件已经不在了。", show_alert=True)
            return
        await query.answer("已删除。")
        log.info("deleted upload %s", removed)
        await reply_html(message, f"已删除 articles/{esc(UPLOADS_DIR)}/{esc(removed)}。")
        await admin.rebuild_and_report(message, context)


def register(app: Application) -> None:
    """Upload handlers; added before the general ones so that they see their updates first."""
    app.bot_data.setdefault(PENDING_KEY, PendingUploads())
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.Document.ALL,
                                   on_document))
    app.add_handler(CommandHandler("articles", articles))
    app.add_handler(CallbackQueryHandler(
        on_button, pattern=lambda data: claimed(data) in (ReplaceUpload, DeleteUpload)))
