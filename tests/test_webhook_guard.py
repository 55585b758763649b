"""The webhook refuses requests without the secret before reading their body, so a flood of large posts costs nothing."""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
from pathlib import Path

from tests.conftest import PANDA_FACT, PANDA_QUESTION, TOKEN, USER_ID
from tests.support.processes import BotProcess, clean_env, free_port
from tests.support.telegram_server import FakeBotApi, post_webhook

SECRET = "webhook-secret-for-the-guard-test"
MB = 1 << 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def post_large(port: int, path: str, size: int, secret: str | None) -> int | None:
    """POST `size` bytes of JSON-looking junk; the status, or None if the server hung up first."""
    headers = (f"POST /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {size}\r\n" + (f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n" if secret else "")
               + "\r\n").encode()
    block = b"[" * MB
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(headers)
        try:
            for _ in range(size // MB):
                sock.sendall(block)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status
        except (ConnectionResetError, http.client.RemoteDisconnected, OSError):
            return None


def test_posts_without_the_secret_are_refused_before_their_body_and_memory_stays_flat(
        api: FakeBotApi, built_knowledge: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/qabot-hook"
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url, QABOT_WEBHOOK_SECRET=SECRET)
    bot = BotProcess(["run", "--knowledge", str(built_knowledge), "--webhook", url, "--listen", f"127.0.0.1:{port}"],
                     env, tmp_path / "webhook.log")
    try:
        api.wait_for(lambda s: s.webhook["url"] == url, timeout=45, what="setWebhook")
        update = api.push_private_text(USER_ID, PANDA_QUESTION)
        deadline = time.monotonic() + 20
        while True:  # the server may need a moment to listen
            try:
                if post_webhook(url, update, SECRET) == 200:
                    break
            except urllib.error.URLError:
                pass
            assert time.monotonic() < deadline, "the webhook server never answered"
            time.sleep(0.2)
        assert PANDA_FACT in api.wait_for_messages(USER_ID, 1)[0]["text"]
        idle = rss_mb(bot.pid)
        started = time.monotonic()
        statuses = [post_large(port, "qabot-hook", 90 * MB, secret) for secret in [None, "wrong"] * 8]
        took = time.monotonic() - started
        after = rss_mb(bot.pid)
        assert all(status in (403, None) for status in statuses), statuses
        assert after - idle < 50, (idle, after)
        # With the secret, a body over the cap is refused too (413), and a normal update still goes through.
        assert post_large(port, "qabot-hook", 2 * MB, SECRET) in (413, None)
        second = api.push_private_text(USER_ID, PANDA_QUESTION)
        assert post_webhook(url, second, SECRET) == 200
        assert len(api.wait_for_messages(USER_ID, 2)) == 2
        print(f"16 x 90 MB without the secret: RSS {idle:.0f} -> {after:.0f} MB in {took:.1f} s")
    finally:
        assert bot.stop() == 0
    assert SECRET not in bot.log and "Traceback" not in bot.log
