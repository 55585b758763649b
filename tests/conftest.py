"""Shared fixtures: a small Chinese knowledge base built by the real builder, and the bot running
against the local Bot API stand-in (tests/support/telegram_server.py) over real HTTP.

Nothing here reads /work/shared or the network beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from bot.config import Config, load_config
from bot.knowledge.builder import build_knowledge_base
from bot.service import QAService
from bot.storage import QuestionLog
from tests.support.telegram_server import FakeBotApi

# The in-process `qabot` fixture, and the autouse fixture that keeps QABOT_/TELEGRAM_ settings out.
pytest_plugins = ["tests.support.cli"]

TOKEN = "123456:TEST-token_for-qabot"
BOT_USERNAME = "qabot_test_bot"
ADMIN_ID = 1001
USER_ID = 2002
GROUP_ID = -1001234567890

ARTICLES: dict[str, str] = {
    "panda.txt": """大熊猫的食物与生活习性

2024年03月01日 来源：新华社

大熊猫是中国特有的珍稀动物，主要生活在四川、陕西和甘肃的山区。大熊猫的食物几乎全部是竹子，成年大熊猫每天要花十多个小时进食，一天大约吃掉12到38公斤竹子。

野生大熊猫的寿命一般为18到20岁，圈养条件下可以超过30岁。大熊猫刚出生时体重只有100克左右，是母亲体重的千分之一。

卧龙国家级自然保护区位于四川省汶川县，是研究和保护大熊猫的重要基地，建立于1963年。
""",
    "greatwall.md": """---
title: 长城的长度与历史
source: 文化旅游报
date: 2023-05-20
url: https://example.com/greatwall
tags: [历史, 建筑]
---

# 长城的长度与历史

## 长度

根据国家文物局2012年公布的调查结果，历代长城总长度为21196.18千米，分布在15个省、自治区和直辖市。

## 历史

长城的修筑始于春秋战国时期，秦始皇统一六国后把各国的长城连接起来。现存的大部分长城是明朝修建的，八达岭长城是其中保存最好的一段。
""",
    "tea.html": """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>西湖龙井茶的产地</title>
<meta property="og:url" content="https://example.com/tea?a=1&amp;b=2">
<meta name="source" content="茶叶周刊">
<meta property="article:published_time" content="2022-04-15">
</head><body>
<nav>首页 | 新闻 | 关于</nav>
<article>
<h1>西湖龙井茶的产地</h1>
<p>西湖龙井茶产于浙江省杭州市西湖龙井村一带，已有一千二百多年的历史。</p>
<p>龙井茶以“色绿、香郁、味甘、形美”四绝著称，清明节前采摘的明前茶品质最好。</p>
</article>
<footer>版权所有</footer>
</body></html>
""",
    "escape.txt": """HTML转义规则 & <示例>

2021年07月09日 来源：编程周刊

在网页里直接写出 <b>&</pre> 这样的字符时，小于号必须写成 &lt; ，和号必须写成 &amp; ，否则浏览器会把它们当成标签。
""",
    "panda_park.txt": """大熊猫国家公园

2021年10月12日 来源：人民日报

大熊猫国家公园于2021年10月正式设立，跨四川、陕西、甘肃三省，总面积约2.2万平方公里，保护着全国70%以上的野生大熊猫。

园区内还生活着川金丝猴、羚牛等珍稀动物。
""",
    "river.txt": """长江的源头与流域

2020年11月02日 来源：地理杂志

长江发源于青藏高原的唐古拉山脉各拉丹冬峰，全长约6300公里，是中国第一长河。长江流域面积约180万平方公里，约占中国陆地面积的五分之一。

长江三峡指瞿塘峡、巫峡和西陵峡，三峡大坝位于湖北省宜昌市三斗坪镇。
""",
}

# Questions whose answers the articles above state outright.
PANDA_QUESTION = "成年大熊猫每天吃多少公斤竹子"
PANDA_FACT = "12到38公斤"
WOLONG_QUESTION = "卧龙国家级自然保护区位于哪里"
NO_ANSWER_QUESTION = "火星上有没有液态水"


def write_articles(knowledge_dir: Path, articles: dict[str, str] = ARTICLES) -> Path:
    folder = knowledge_dir / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return knowledge_dir


def make_config(knowledge_dir: Path, base_url: str | None = None, **env: str) -> Config:
    """The config `qabot run` would load with these environment variables (and no others)."""
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "QABOT_ADMINS": str(ADMIN_ID), **env}
    if base_url:
        environ["TELEGRAM_BOT_API_URL"] = base_url
    return load_config(knowledge_dir=knowledge_dir, environ=environ)


@pytest.fixture(scope="session")
def built_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge directory with the articles above, built once for the session; treat as read-only."""
    root = write_articles(tmp_path_factory.mktemp("knowledge"))
    build_knowledge_base(make_config(root), workers=1)
    return root


@pytest.fixture
def knowledge_copy(built_knowledge: Path, tmp_path: Path) -> Path:
    """A private copy of the built knowledge directory, for tests that change articles or reload."""
    target = tmp_path / "knowledge"
    shutil.copytree(built_knowledge, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def shared_service(built_knowledge: Path) -> QAService:
    """One QAService over the read-only knowledge base (never reloaded)."""
    return QAService.open(make_config(built_knowledge))


@pytest.fixture
def question_log(tmp_path: Path) -> Iterator[QuestionLog]:
    log = QuestionLog(tmp_path / "questions.sqlite")
    yield log
    log.close()


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME)
    server.start()
    yield server
    server.stop()
    assert not server.internal_errors


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll a condition that the fake server can't signal (application state, the database)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class RunningBot:
    """The application `qabot run` builds, served by long polling (or a webhook) in a background thread."""

    webhook: Any = None  # webhook settings; None polls

    def __init__(self, config: Config, service: QAService | None = None,
                 question_log: QuestionLog | None = None) -> None:
        from bot.telegram.runner import build_application

        self.config = config
        self.app = build_application(config, service=service, question_log=question_log)
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="qabot-under-test", daemon=True)

    def _run(self) -> None:
        from bot.telegram.runner import run_application

        try:
            run_application(self.app, self.config, self.webhook, handle_signals=False, loop=self.loop)
        except BaseException as exc:  # reported by start()/stop()
            self.error = exc

    def start(self, api: FakeBotApi) -> "RunningBot":
        self.thread.start()
        wait_until(lambda: self.error or (self.app.running and self.app.updater.running), 20, "the bot to start")
        if self.error:
            raise self.error
        if self.webhook is None:
            api.wait_for_requests("getUpdates")
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.app.stop_running)
            self.thread.join(20)
        assert not self.thread.is_alive(), "the bot did not stop"
        if self.error:
            raise self.error

    @property
    def state(self):
        from bot.telegram.state import STATE_KEY

        return self.app.bot_data[STATE_KEY]


@pytest.fixture
def start_bot(api: FakeBotApi) -> Iterator[Callable[..., RunningBot]]:
    """Start bots against `api`; each is stopped (and must stop cleanly) at the end of the test."""
    bots: list[RunningBot] = []

    def start(config: Config, **kwargs: Any) -> RunningBot:
        bot = RunningBot(config, **kwargs)
        bots.append(bot)
        return bot.start(api)

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def bot(start_bot, api: FakeBotApi, built_knowledge: Path, shared_service: QAService,
        question_log: QuestionLog) -> RunningBot:
    """The bot over the shared knowledge base, with its own question log."""
    return start_bot(make_config(built_knowledge, api.base_url), service=shared_service, question_log=question_log)
