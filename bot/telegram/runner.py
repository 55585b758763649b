"""`qabot run`: build the PTB Application, connect to the Bot API, and serve by long polling or webhook."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import secrets
import signal
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.config import Config
from bot.errors import ConfigError, QabotError
from bot.install_key import key_path_for, load_or_create_key, subkey
from bot.service import QAService, open_or_build
from bot.storage import QuestionLog
from bot.telegram import callbacks, webhook_guard
from bot.telegram.fairness import FairUpdateProcessor
from bot.telegram.handlers import register
from bot.telegram.limits import FloodLimiter, retry_seconds
from bot.telegram.logging_filter import RedactingFilter, install_redaction
from bot.telegram.polling import BotApiRequest, PollingRequest
from bot.telegram.state import STATE_KEY, BotState

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_STARTUP = "qabot.startup"

PUBLIC_COMMANDS = [
    BotCommand("start", "开始，并看看可以问什么"),
    BotCommand("help", "怎么提问"),
    BotCommand("ask", "提问，例如 /ask 问题（群组里用）"),
    BotCommand("sources", "知识库里的文章"),
]
ADMIN_COMMANDS = [
    BotCommand("reload", "重新读取文章并重建知识库"),
    BotCommand("stats", "提问统计，例如 /stats 7"),
    BotCommand("unanswered", "最近没有答好的问题"),
    BotCommand("articles", "上传的文章"),
]


class BotApiUnavailable(QabotError):
    """The Bot API could not be reached (or refused us) when starting."""


@dataclass(frozen=True)
class _Startup:
    """What post_init needs; service and log are None unless passed in already open."""

    config: Config
    service: QAService | None
    question_log: QuestionLog | None


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates (url) and where this process listens for them."""

    url: str
    host: str
    port: int
    path: str
    secret: str


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """Run the bot until SIGINT/SIGTERM; with --webhook as a webhook server, otherwise by long polling."""
    require_token(config)
    webhook = webhook_settings(args.webhook, args.listen, config) if args.webhook else None
    app = build_application(config, webhook_secret=webhook.secret if webhook else None)
    run_application(app, config, webhook)
    return 0


def require_token(config: Config) -> str:
    """The configured token, or a one-line ConfigError saying how to set it (never echoing it)."""
    token = config.telegram.token
    if not token:
        raise ConfigError("no Telegram bot token: set TELEGRAM_BOT_TOKEN (or telegram.token in the config file)")
    if not _TOKEN_SHAPE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters)")
    return token


def webhook_settings(url: str, listen: str, config: Config) -> Webhook:
    """Check --webhook URL and --listen HOST:PORT; the secret comes from config or is made up for this run."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--webhook must be an http(s) URL, not '{url}'")
    match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d{1,5})", listen.strip())
    if not match or not 0 < int(match[2]) < 65536:
        raise ConfigError(f"--listen must be HOST:PORT, not '{listen}'")
    # Telegram sends the secret back in a header; without a configured one, a random one works per run.
    secret = config.telegram.webhook_secret or secrets.token_urlsafe(32)
    return Webhook(url, match[1] or "0.0.0.0", int(match[2]), parts.path.lstrip("/"), secret)


def build_application(config: Config, *, webhook_secret: str | None = None, service: QAService | None = None,
                      question_log: QuestionLog | None = None) -> Application:
    """The Application `qabot run` serves, handlers registered; state is loaded in post_init.

    `service` and `question_log` may be passed in already open (tests share one); otherwise
    post_init opens them from the config.
    """
    settings = config.telegram
    token = require_token(config)
    # Before the Bot exists: it logs its API URL, token included, at DEBUG.
    install_redaction(token, settings.webhook_secret, webhook_secret)
    seconds = settings.request_timeout
    app = (
        Application.builder()
        .token(token)
        .base_url(settings.base_url or DEFAULT_BASE_URL)
        .base_file_url(file_base_url(settings.base_url))
        .concurrent_updates(FairUpdateProcessor())
        .rate_limiter(FloodLimiter(group_per_minute=settings.group_messages_per_minute,
                                   max_retries=settings.flood_retries))
        .request(BotApiRequest(connection_pool_size=64, connect_timeout=seconds, read_timeout=seconds,
                               write_timeout=seconds, pool_timeout=seconds))
        # The long poll holds one connection; a second one lets the final offset confirmation through.
        # PTB adds the poll's own timeout to the read timeout of getUpdates.
        .get_updates_request(PollingRequest(connection_pool_size=2, connect_timeout=seconds,
                                            read_timeout=seconds, write_timeout=seconds, pool_timeout=seconds))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.update_processor.app = app  # flood notices, and dropping queues as soon as it stops
    app.bot_data[_STARTUP] = _Startup(config, service, question_log)
    # Buttons signed with the install's key keep working after a restart.
    callbacks.use_key(subkey(load_or_create_key(key_path_for(config.storage_path)), "buttons"))
    register(app)
    return app


def file_base_url(base_url: str | None) -> str:
    """Where files are downloaded: .../file/bot for a Bot API at .../bot (Telegram's own layout)."""
    if base_url and base_url.rstrip("/").endswith("/bot"):
        return base_url.rstrip("/")[: -len("/bot")] + "/file/bot"
    return "https://api.telegram.org/file/bot"


async def _post_init(app: Application) -> None:
    """Load the knowledge base and open the question log once, off the event loop; register commands."""
    startup: _Startup = app.bot_data.pop(_STARTUP)
    config = startup.config
    service = startup.service or await asyncio.to_thread(open_or_build, config, log.warning)
    question_log = startup.question_log or await asyncio.to_thread(QuestionLog.open, config)
    app.bot_data[STATE_KEY] = BotState(config, service, question_log, owns_log=startup.question_log is None)
    await register_commands(app, config.telegram.admins)
    log.info("serving %d articles (%d passages) as @%s", len(service.kb.articles), service.kb.passage_count,
             app.bot.username)


async def register_commands(app: Application, admins: tuple[int, ...]) -> None:
    """setMyCommands: the public commands for everyone, plus the admin ones in each admin's private chat."""
    await app.bot.set_my_commands(PUBLIC_COMMANDS)
    for admin in admins:
        try:
            await app.bot.set_my_commands(PUBLIC_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
        except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
            log.warning("could not set the admin command list for user %s: %s", admin, exc)


async def _post_shutdown(app: Application) -> None:
    state: BotState | None = app.bot_data.get(STATE_KEY)
    if state is not None and state.owns_log:
        state.log.close()


async def connect(app: Application, retries: int, base_url: str, redactor: RedactingFilter) -> None:
    """Initialize the application (getMe), retrying `retries` times (-1: forever); one clear error if it fails.

    Not PTB's `bootstrap_retries` for this step (run_* still get it, for deleteWebhook/setWebhook): that loop
    logs its retries at DEBUG only and gives up with a logged traceback; this one says each retry at WARNING.
    """
    attempt, delay = 0, 1.0
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            # PTB's message for this quotes the token, so it is not repeated here.
            await app.bot.shutdown()
            raise BotApiUnavailable("the Bot API rejected the token (401 Unauthorized); check TELEGRAM_BOT_TOKEN") from None
        except TelegramError as exc:
            reason = redactor.redact(str(exc))
            if 0 <= retries <= attempt:
                await app.bot.shutdown()
                raise BotApiUnavailable(f"cannot reach the Telegram Bot API at {base_url}: {reason}") from None
            wait = retry_seconds(exc) if isinstance(exc, RetryAfter) else delay
            attempt += 1
            total = "forever" if retries < 0 else f"{attempt}/{retries}"
            log.warning("Bot API at %s not reachable (%s); retry %s in %.1f s", base_url, reason, total, wait)
            await asyncio.sleep(wait)
            delay = min(30.0, delay * 1.5)


def run_application(app: Application, config: Config, webhook: Webhook | None = None,
                    handle_signals: bool = True, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Connect, then serve until SIGINT/SIGTERM (or `app.stop_running()` on `loop`); never half-started.

    A failure to start raises a QabotError with one line to show. A thread other than the main
    one can't install signal handlers, so it passes handle_signals=False and its own loop.
    """
    loop = loop or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    retries = config.telegram.start_retries
    redactor = install_redaction(config.telegram.token, webhook.secret if webhook else None)
    try:
        loop.run_until_complete(connect(app, retries, config.telegram.base_url or DEFAULT_BASE_URL, redactor))
    except BaseException:
        loop.close()
        raise
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT) if handle_signals else None
    common = dict(bootstrap_retries=retries, allowed_updates=ALLOWED_UPDATES, close_loop=True,
                  stop_signals=stop_signals)
    try:
        if webhook is None:
            app.run_polling(timeout=config.telegram.poll_timeout, **common)
        else:
            webhook_guard.install()  # the secret and the size are checked before the body is read
            app.run_webhook(listen=webhook.host, port=webhook.port, url_path=webhook.path,
                            webhook_url=webhook.url, secret_token=webhook.secret, **common)
    except TelegramError as exc:
        raise BotApiUnavailable(f"the Bot API failed while starting: {redactor.redact(str(exc))}") from None
    except OSError as exc:
        raise QabotError(f"cannot serve the webhook on {webhook.host}:{webhook.port}: {exc.strerror or exc}"
                         if webhook else f"network error: {exc}") from None
