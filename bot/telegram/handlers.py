"""Update handlers: each turns one kind of update into QAService calls and replies. `register` adds them all."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.faq.matcher import is_curated
from bot.replies.browse import article_page, passage_context
from bot.replies.paging import LOOKAHEAD, next_offset, relevant
from bot.replies.examples import choose_examples
from bot.replies.related import related_questions, related_results
from bot.replies.smalltalk import Kind, small_talk
from bot.retrieval.answer import Answer
from bot.storage import StorageError
from bot.telegram import admin, teach, uploads
from bot.telegram.chats import is_group
from bot.telegram.callbacks import (
    Example,
    More,
    Original,
    SourcesPage,
    Vote,
    answer_keyboard,
    decode,
    example_key,
    examples_keyboard,
    related_keyboard,
    sources_keyboard,
    with_votes,
    without_more,
)
from bot.telegram.messages import (
    TRY_EXAMPLES,
    answer_html,
    asked_html,
    clip,
    context_html,
    help_html,
    not_answered_html,
    shared_passage_html,
    sources_html,
    start_html,
)
from bot.telegram.sending import NO_PREVIEW, edit_html, reply_html
from bot.telegram.telegram_html import esc, split_html
from bot.telegram.state import BotState, get_state
from bot.text.clean import replace_lone_surrogates

log = logging.getLogger(__name__)

INLINE_RESULTS = 10
SOMETHING_WRONG = "抱歉，处理这条消息时出了点问题，请稍后再试。"
ASK_USAGE = "用法：<code>/ask 你的问题</code>，也可以用 /ask 回复一条含有问题的消息。"
MENTION_USAGE = "请把问题写在 @ 我的同一条消息里。"
TEXT_ONLY = "我只能回答文字问题，请直接发送问题。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看用法，或者直接发送问题。"
EXPIRED_BUTTON = "这个按钮已失效，请重新提问。"
PASSAGE_GONE = "抱歉，这段内容已经不在知识库里了（文章可能更新或删除了）。可以直接提问，或者发送 /sources 看看有哪些文章。"
BAD_LINK = "抱歉，这个链接无效。可以直接把问题发给我，或者发送 /sources 看看有哪些文章。"
# Telegram allows A-Z, a-z, 0-9, _ and - in a /start payload; a passage id is 16 hex digits.
PASSAGE_PAYLOAD = re.compile(r"[0-9a-f]{16}")
# Questions with a 👍 that are considered for /start's examples (each is asked again to check it).
HELPFUL_CANDIDATES = 20


# ---- filters and text helpers ------------------------------------------------------------------


def _mentions(message: Message, username: str, bot_id: int) -> list[MessageEntity]:
    """The entities of `message` that name this bot."""
    found = []
    for entity, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.MENTION and text[1:].lower() == username.lower():
            found.append(entity)
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            found.append(entity)
    return found


class _AddressedToBot(filters.MessageFilter):
    """Group messages that @mention this bot or reply to one of its messages; other chatter is ignored."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        return bool(_mentions(message, bot.username, bot.id))


ADDRESSED_TO_BOT = _AddressedToBot(name="AddressedToBot")


def question_from(message: Message) -> str:
    """The message text without a leading /command and without mentions of this bot."""
    text = replace_lone_surrogates(message.text or "")
    bot = message.get_bot()
    spans = [(e.offset, e.length) for e in _mentions(message, bot.username, bot.id)]
    spans += [(e.offset, e.length) for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0]
    # Entity offsets count UTF-16 code units.
    data = text.encode("utf-16-le")
    kept, position = [], 0
    for offset, length in sorted(spans):
        kept.append(data[2 * position: 2 * offset])
        position = max(position, offset + length)
    kept.append(data[2 * position:])
    return " ".join(b"".join(kept).decode("utf-16-le", "ignore").split())


def _question_replied_to(message: Message) -> str | None:
    """The question an answer of ours replied to (groups quote it), after a restart emptied the cache."""
    asked = message.reply_to_message
    if asked is None or asked.text is None or (asked.from_user and asked.from_user.id == message.get_bot().id):
        return None
    return question_from(asked) or None


# ---- answering ---------------------------------------------------------------------------------


async def _examples(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """Example questions for the knowledge base being served, chosen once per loaded base (and faq.yaml)."""
    state = get_state(context)
    loaded = state.service.loaded
    if state.examples is None or state.examples[0] is not loaded:
        try:
            liked = await asyncio.to_thread(state.log.helpful_questions, HELPFUL_CANDIDATES)
        except StorageError as exc:
            log.warning("could not read the questions answered with 👍: %s", exc)
            liked = []
        curated = [entry.questions[0] for entry in loaded.faq.entries if entry.questions]
        questions = await asyncio.to_thread(choose_examples, loaded.kb, lambda q: loaded.ask(q, k=1), curated + liked)
        state.examples = (loaded, questions)
        for question in questions:  # a button from before a reload still asks its question
            state.example_texts[example_key(question)] = question
    return state.examples[1]


async def _log_question(state: BotState, question: str, chat_type: str, answer: Answer) -> int:
    best = answer.best
    try:
        return await asyncio.to_thread(
            state.log.record_question, question, chat_type, answer.answered,
            best.score if best else None, best.passage.passage_id if best else None,
        )
    except StorageError as exc:
        log.warning("could not log a question: %s", exc)
        return state.recent.unlogged_id()


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str,
                          from_button: bool = False) -> None:
    """Reply to small talk in kind; otherwise ask the knowledge base and reply with the best result and its
    buttons, or say nothing answers (with related articles and questions as buttons when there are any).

    `from_button`: the question came from an example button, so the reply repeats it.
    """
    state = get_state(context)
    message = update.effective_message
    group = is_group(update)
    chat = small_talk(question) if not from_button else None
    if chat is not None:  # not a question: not searched and not logged
        wanted = chat.kind in (Kind.GREETING, Kind.WHO)  # a greeting offers the example questions
        keyboard = examples_keyboard(await _examples(context), message.chat_id) if wanted else None
        text = esc(chat.reply) + (f"\n\n{TRY_EXAMPLES}" if keyboard else "")
        await reply_html(message, text, keyboard, quote=group)
        return
    answer = await asyncio.to_thread(state.service.ask, question, LOOKAHEAD, 0)
    question_id = await _log_question(state, question, message.chat.type, answer)
    if not answer.answered or answer.best is None:
        related = related_results(answer)
        similar = [q for q in related_questions(question, await _examples(context)) if q != question]
        text = not_answered_html(bool(related or similar))
        keyboard = related_keyboard([(r.passage.article.title, r.passage.passage_id) for r in related], similar,
                                    message.chat_id)
        await reply_html(message, asked_html(question, text) if from_button else text, keyboard, quote=group)
        return
    state.recent.remember(question_id, question)
    best = answer.best
    following = next_offset(answer.results, 0, state.config.retrieval.answer_threshold)
    text = answer_html(best)
    await reply_html(message, asked_html(question, text) if from_button else text,
                     answer_keyboard(question_id, best.passage.passage_id, following, message.chat_id,
                                     context.bot.username, original=not is_curated(best.passage)),
                     quote=group)


# ---- commands and messages ---------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and offer example questions as buttons; /start <passage id> (a 分享 link) shows that passage."""
    message = update.effective_message
    group = is_group(update)
    if context.args and not group:
        await _shared_passage(message, context, context.args[0])
        return
    user = update.effective_user
    examples = await _examples(context)
    text = start_html(user.first_name if user else None, bool(examples), group, context.bot.username)
    await reply_html(message, text, examples_keyboard(examples, message.chat_id), quote=group)


async def _shared_passage(message: Message, context: ContextTypes.DEFAULT_TYPE, payload: str) -> None:
    """The passage a 分享 link names, with its source and neighbours, or a polite word that it is gone."""
    if payload == "inline":  # the button under inline results: a plain start
        examples = await _examples(context)
        user = message.from_user
        await reply_html(message, start_html(user.first_name if user else None, bool(examples)),
                         examples_keyboard(examples, message.chat_id))
        return
    if not PASSAGE_PAYLOAD.fullmatch(payload):
        log.info("a /start link with an unknown payload (%d characters)", len(payload))
        await reply_html(message, BAD_LINK)
        return
    found = await asyncio.to_thread(passage_context, get_state(context).service.kb, payload)
    if found is None:
        await reply_html(message, PASSAGE_GONE)
        return
    await reply_html(message, shared_passage_html(found))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask here (private chat or group), and list the commands."""
    is_admin = admin.is_admin(update, context)
    group = is_group(update)
    await reply_html(update.effective_message, help_html(context.bot.username, is_admin, group), quote=group)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask 问题 (or /ask@bot 问题, or /ask in reply to a message): answer the question."""
    message = update.effective_message
    question = question_from(message)
    replied = message.reply_to_message
    if not question and replied is not None and replied.text and not (
            replied.from_user and replied.from_user.id == context.bot.id):
        question = question_from(replied)
    if not question:
        await reply_html(message, ASK_USAGE, quote=is_group(update))
        return
    await answer_question(update, context, question)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every text message in a private chat is a question."""
    question = " ".join(replace_lone_surrogates(update.effective_message.text).split())
    if question:
        await answer_question(update, context, question)
    else:  # only separators that Telegram does not trim, such as U+001C
        await reply_html(update.effective_message, TEXT_ONLY)


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot or replies to it is a question."""
    question = question_from(update.effective_message)
    if not question:
        await reply_html(update.effective_message, MENTION_USAGE, quote=True)
        return
    await answer_question(update, context, question)


async def private_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos and the like in a private chat: ask for text."""
    await reply_html(update.effective_message, TEXT_ONLY)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command this bot does not have, in a private chat."""
    await reply_html(update.effective_message, UNKNOWN_COMMAND)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the articles in the knowledge base, a page at a time with page buttons."""
    page = article_page(get_state(context).service.kb, 0)
    await reply_html(update.effective_message, sources_html(page), sources_keyboard(page.number, page.pages, update.effective_chat.id),
                     quote=is_group(update))


# ---- buttons -----------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: 更多结果, 原文, 👍 / 👎 or a /sources page; every press is answered."""
    query = update.callback_query
    message = query.message if isinstance(query.message, Message) else None
    action = decode(query.data, message.chat_id if message else None)
    if action is None or message is None:
        await query.answer(EXPIRED_BUTTON)
        return
    if isinstance(action, More):
        await _more(update, context, action, message)
    elif isinstance(action, Original):
        await _original(update, context, action, message)
    elif isinstance(action, Vote):
        await _vote(update, context, action, message)
    elif isinstance(action, SourcesPage):
        page = article_page(get_state(context).service.kb, action.number)
        await query.answer()
        await edit_html(message, sources_html(page), sources_keyboard(page.number, page.pages, message.chat_id))
    elif isinstance(action, Example):
        question = get_state(context).example_texts.get(action.key)
        if question is None:
            await query.answer(EXPIRED_BUTTON)
            return
        await query.answer()
        await answer_question(update, context, question, from_button=True)


async def _drop_more_button(message: Message) -> None:
    try:
        await message.edit_reply_markup(without_more(message.reply_markup, message.chat_id))
    except BadRequest as exc:  # already gone, or the message is too old to edit
        log.debug("could not remove the 更多结果 button: %s", exc.message)


async def _more(update: Update, context: ContextTypes.DEFAULT_TYPE, action: More, message: Message) -> None:
    query = update.callback_query
    state = get_state(context)
    question = state.recent.get(action.question_id) or _question_replied_to(message)
    if not question:
        await query.answer(EXPIRED_BUTTON)
        return
    threshold = state.config.retrieval.answer_threshold
    answer = await asyncio.to_thread(state.service.ask, question, LOOKAHEAD, action.offset)
    if not answer.results or answer.results[0].score < threshold:
        await query.answer("没有更多结果了。")
        await _drop_more_button(message)
        return
    await query.answer()
    state.recent.remember(action.question_id, question)
    result = answer.results[0]
    following = next_offset(answer.results, action.offset, threshold)
    await reply_html(message, answer_html(result),
                     answer_keyboard(action.question_id, result.passage.passage_id, following, message.chat_id,
                                     context.bot.username),
                     quote=is_group(update))
    await _drop_more_button(message)


async def _original(update: Update, context: ContextTypes.DEFAULT_TYPE, action: Original, message: Message) -> None:
    query = update.callback_query
    found = await asyncio.to_thread(passage_context, get_state(context).service.kb, action.passage_id)
    if found is None:
        await query.answer("知识库更新后，这段原文已经不在了。", show_alert=True)
        return
    await query.answer()
    await reply_html(message, context_html(found), quote=is_group(update))


VOTE_REPLIES = {
    ("added", True): "谢谢反馈！",
    ("added", False): "谢谢反馈，我们会改进。",
    ("changed", True): "已改为 👍，谢谢反馈！",
    ("changed", False): "已改为 👎，谢谢反馈，我们会改进。",
    ("withdrawn", True): "已撤回你的 👍。",
    ("withdrawn", False): "已撤回你的 👎。",
}


async def _vote(update: Update, context: ContextTypes.DEFAULT_TYPE, action: Vote, message: Message) -> None:
    """👍 / 👎: vote, change the vote with the other button, withdraw it with the same one; the buttons show the count."""
    query = update.callback_query
    state = get_state(context)
    try:
        change = await asyncio.to_thread(state.log.toggle_feedback, action.question_id, action.passage_id,
                                         query.from_user.id, action.helpful)
    except StorageError as exc:
        log.warning("could not store feedback: %s", exc)
        change = None
    if change is None:
        await query.answer("这条回答的反馈无法记录了。")
        return
    await query.answer(VOTE_REPLIES[change.outcome, action.helpful])
    try:
        await message.edit_reply_markup(with_votes(message.reply_markup, change.helpful, change.unhelpful,
                                                   message.chat_id))
    except BadRequest as exc:  # unchanged (two presses crossed), or the message is too old to edit
        log.debug("could not show the votes on the buttons: %s", exc.message)


# ---- inline mode -------------------------------------------------------------------------------


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot 问题 in any chat: up to ten answers, each sent as snippet plus source."""
    query = update.inline_query
    state = get_state(context)
    cache_time = state.config.telegram.inline_cache_seconds
    text = " ".join(replace_lone_surrogates(query.query).split())
    if not text:
        await query.answer([], cache_time=cache_time,
                           button=InlineQueryResultsButton(text="输入问题，或点这里私聊提问", start_parameter="inline"))
        return
    answer = await asyncio.to_thread(state.service.ask, text, INLINE_RESULTS, 0)
    results = []
    if answer.answered:
        for result in relevant(answer.results, state.config.retrieval.answer_threshold):
            results.append(InlineQueryResultArticle(
                id=result.passage.passage_id,
                title=clip(result.passage.article.title, 100),
                description=clip(result.snippet, 200),
                input_message_content=InputTextMessageContent(
                    split_html(answer_html(result))[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW),
            ))
    offer = None if results else InlineQueryResultsButton(text="没有找到答案，点这里私聊提问", start_parameter="inline")
    await query.answer(results, cache_time=cache_time, button=offer)


# ---- updates no handler should see, and errors ----------------------------------------------------


async def drop_repeats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An update_id handled before (Telegram posts a webhook update again when the answer got lost) stops here."""
    if not get_state(context).seen.first_time(update.update_id):
        log.info("update %s was delivered again; ignored", update.update_id)
        raise ApplicationHandlerStop


async def ignored(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Whatever no other handler takes: chatter at DEBUG, kinds of update this bot doesn't know louder."""
    kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), None)
    if kind is None and update.api_kwargs:  # a type newer than this PTB: its fields land in api_kwargs
        log.warning("ignoring update %s of a kind this bot does not know (fields: %s)", update.update_id,
                    ", ".join(sorted(update.api_kwargs)))
    else:  # chatter, or a malformed update that bot.telegram.polling cut down to its id and reported
        log.debug("ignoring update %s (%s)", update.update_id, kind or "no content")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its traceback (the log filter removes the token), then tell the user."""
    error = context.error
    if update is None and isinstance(error, (Conflict, NetworkError)):
        # getUpdates failing: PTB retries by itself and bot.telegram.polling logs each outage once.
        log.debug("getting updates failed: %s", error)
        return
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    log.error("error while handling %s", where, exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SOMETHING_WRONG)
        elif update.inline_query is None and update.effective_message is not None:
            await update.effective_message.reply_text(SOMETHING_WRONG)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


# ---- registration ------------------------------------------------------------------------------


def register(app: Application) -> None:
    """Every handler of the bot, in the order they are tried."""
    fresh = filters.UpdateType.MESSAGE  # an edited message is not a new question
    text = filters.TEXT & fresh & ~filters.VIA_BOT
    teach.register(app)  # first: replies to 教我 prompts and admin buttons before questions and 原文/👍
    uploads.register(app)
    app.add_handler(CommandHandler("start", start, filters=fresh))
    app.add_handler(CommandHandler("help", help_command, filters=fresh))
    app.add_handler(CommandHandler("ask", ask_command, filters=fresh))
    app.add_handler(CommandHandler("sources", sources, filters=fresh))
    # Admin commands also see edits, so that the guard can refuse them out loud.
    app.add_handler(CommandHandler("reload", admin.reload))
    app.add_handler(CommandHandler("stats", admin.stats))
    app.add_handler(CommandHandler("unanswered", admin.unanswered))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & fresh & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & text & ~filters.COMMAND, private_text))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & fresh & ~filters.TEXT & ~filters.StatusUpdate.ALL
                                   & ~filters.VIA_BOT, private_other))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & text & ~filters.COMMAND & ADDRESSED_TO_BOT, group_message))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline_query))
    app.add_handler(TypeHandler(Update, ignored))  # last: only what nothing above took
    app.add_handler(TypeHandler(Update, drop_repeats), group=-1)  # before everything
    app.add_error_handler(on_error)
