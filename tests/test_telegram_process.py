"""`python -m bot run` as a real process against the local Bot API stand-in: polling, webhook,
startup failures, and logs at DEBUG that never show the token or the webhook secret."""

from __future__ import annotations

import shutil
import time
import urllib.error
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import ADMIN_ID, PANDA_FACT, PANDA_QUESTION, TOKEN, USER_ID, wait_until
from tests.support.processes import BotProcess, clean_env, free_port, qabot
from tests.support.telegram_server import FakeBotApi, post_webhook

SECRET = "hook-Secret_42"


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.stop()


def test_polling_process_answers_and_stops_cleanly_without_logging_the_token(
        api: FakeBotApi, knowledge_copy: Path, tmp_path: Path, processes: list[BotProcess]) -> None:
    shutil.rmtree(knowledge_copy / ".index")  # the first start builds the knowledge base
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url, QABOT_ADMINS=str(ADMIN_ID))
    process = BotProcess(["run", "-vv", "--knowledge", str(knowledge_copy)], env, tmp_path / "run.log")
    processes.append(process)
    api.wait_for_requests("getUpdates", timeout=45)
    assert [c["command"] for c in api.commands_for(None)] == ["start", "help", "ask", "sources"]
    api.push_private_text(USER_ID, PANDA_QUESTION)
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
    last = api.push_private_text(USER_ID, "/start")
    assert "你好" in api.wait_for_messages(USER_ID, 2)[1]["text"]
    assert process.stop() == 0
    assert api.confirmed_offset > last["update_id"]  # a clean stop confirms what it handled
    log = process.log
    assert " DEBUG telegram" in log and "Set Bot API URL" in log  # really at DEBUG
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Traceback" not in log
    assert (knowledge_copy / "qabot.sqlite").exists()


def _wait_listening(url: str) -> int:
    def status() -> int | None:
        try:
            return post_webhook(url, {"update_id": 1}, None, timeout=2)
        except (urllib.error.URLError, ConnectionError):
            return None

    return wait_until(status, 30, "the webhook server to listen")


def test_webhook_process_needs_the_secret_and_answers(api: FakeBotApi, built_knowledge: Path, tmp_path: Path,
                                                      processes: list[BotProcess]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/qabot-hook"
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url, QABOT_WEBHOOK_SECRET=SECRET)
    process = BotProcess(["run", "-vv", "--knowledge", str(built_knowledge), "--webhook", url,
                          "--listen", f"127.0.0.1:{port}"], env, tmp_path / "webhook.log")
    processes.append(process)
    api.wait_for(lambda s: s.webhook["url"] == url, timeout=45, what="setWebhook")
    assert api.webhook["secret_token"] == SECRET
    assert _wait_listening(url) == 403  # no secret header
    update = api.push_private_text(USER_ID, PANDA_QUESTION)
    assert post_webhook(url, update, "wrong-secret") == 403
    assert api.post_to_webhook(update) == 200
    assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
    assert len(api.sent_messages(USER_ID)) == 1  # the rejected posts were not handled
    assert api.request_count("getUpdates") == 0
    assert process.stop() == 0
    log = process.log
    assert TOKEN not in log and SECRET not in log
    assert " ERROR " not in log  # the rejected posts are DEBUG noise (with a traceback), not errors


def test_unreachable_bot_api_exits_with_one_clear_line(built_knowledge: Path, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/bot"
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=dead)
    done = qabot("run", "--knowledge", str(built_knowledge), env=env)
    assert done.returncode != 0
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"qabot: error: cannot reach the Telegram Bot API at {dead}")
    assert TOKEN not in done.stderr + done.stdout

    config = tmp_path / "retry.yaml"
    config.write_text("telegram:\n  start_retries: 1\n")
    started = time.monotonic()
    done = qabot("run", "--knowledge", str(built_knowledge), "--config", str(config), env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and time.monotonic() - started >= 1.0
    assert len(lines) == 2 and "retry 1/1" in lines[0] and lines[1].startswith("qabot: error: cannot reach")


def test_missing_and_rejected_tokens_are_one_line_errors(api: FakeBotApi, built_knowledge: Path) -> None:
    done = qabot("run", "--knowledge", str(built_knowledge), env=clean_env(TELEGRAM_BOT_API_URL=api.base_url))
    assert done.returncode == 2
    assert done.stderr == "qabot: error: no Telegram bot token: set TELEGRAM_BOT_TOKEN (or telegram.token in the config file)\n"
    wrong = "999999:WRONG-token"
    done = qabot("run", "--knowledge", str(built_knowledge),
                 env=clean_env(TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_BOT_API_URL=api.base_url))
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert "rejected the token" in done.stderr and wrong not in done.stderr and "WRONG" not in done.stderr
    assert api.request_count("getUpdates") == 0


def test_a_bot_that_cannot_load_its_knowledge_never_starts_polling(api: FakeBotApi, tmp_path: Path) -> None:
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url)
    done = qabot("run", "--knowledge", str(tmp_path / "nothing-here"), env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("qabot: error: articles directory not found") and "Traceback" not in done.stderr
    assert api.request_count("getUpdates") == 0 and api.request_count("setMyCommands") == 0
