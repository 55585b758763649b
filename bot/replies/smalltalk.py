"""Small talk: greetings, thanks, goodbyes and "who are you" get a short reply instead of a search.

A message counts as small talk only when every word of it is small talk ("你好！" or "谢谢，再见"),
so "你好，长城有多长？" is still a question. Shared by the Telegram bot and `qabot chat`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    GREETING = "greeting"
    THANKS = "thanks"
    OKAY = "okay"
    GOODBYE = "goodbye"
    WHO = "who"


# When a message mixes kinds ("谢谢，再见"), the later in this order wins.
_PRIORITY = (Kind.GREETING, Kind.OKAY, Kind.THANKS, Kind.GOODBYE, Kind.WHO)

_PHRASES: dict[Kind, tuple[str, ...]] = {
    Kind.GREETING: ("你好", "您好", "你们好", "大家好", "哈喽", "哈啰", "嗨", "hi", "hello", "hey", "早上好", "早安",
                    "上午好", "中午好", "下午好", "晚上好", "早", "在吗", "在不在", "你在吗", "有人吗"),
    Kind.THANKS: ("谢谢你", "谢谢您", "谢谢", "多谢", "感谢", "谢了", "谢啦", "thanks", "thankyou", "thank you", "thx",
                  "辛苦了", "太感谢了", "非常感谢"),
    Kind.OKAY: ("好的", "好", "嗯嗯", "嗯", "ok", "okay", "收到", "明白了", "明白", "知道了", "懂了", "了解"),
    Kind.GOODBYE: ("再见", "拜拜", "bye", "byebye", "回头见", "下次见", "晚安", "先这样"),
    Kind.WHO: ("你是谁", "您是谁", "你是什么", "你叫什么名字", "你叫什么", "你是机器人吗", "你是干什么的", "你能做什么",
               "你能干什么", "你会什么", "你会做什么", "你有什么用", "介绍一下你自己", "介绍一下自己", "介绍一下你",
               "自我介绍一下", "怎么用", "怎么用你"),
}

# Words that may surround small talk without making it a question: particles and ways to address the bot.
_FILLER = ("机器人", "小助手", "助手", "bot", "啊", "呀", "哈", "呢", "吧", "啦", "哦", "噢", "喔", "嘛", "哇", "咯", "了")

_TOKEN = re.compile("|".join(
    f"(?P<{kind.value}_{n}>{re.escape(phrase)})"
    for kind, phrases in _PHRASES.items()
    for n, phrase in enumerate(sorted(phrases, key=len, reverse=True))
) + "|(?P<filler>" + "|".join(map(re.escape, sorted(_FILLER, key=len, reverse=True))) + ")")

REPLIES: dict[Kind, str] = {
    Kind.GREETING: "你好！有什么想了解的，尽管问我。",
    Kind.THANKS: "不客气！还有问题随时问我。",
    Kind.OKAY: "好的，还有问题随时问我。",
    Kind.GOODBYE: "再见，有问题随时再来找我！",
    Kind.WHO: "我是一个问答机器人：你提问，我从知识库的文章里找出答案，并注明出处；文章里没有的，我会直说不知道。",
}


@dataclass(frozen=True)
class SmallTalk:
    """What kind of small talk a message is, and the reply to it."""

    kind: Kind
    reply: str


def _squeeze(text: str) -> str:
    """Lower case, without spaces, punctuation, symbols and emoji: only what words are made of."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def small_talk(text: str) -> SmallTalk | None:
    """The small talk this message is, or None when it should be answered from the articles."""
    squeezed = _squeeze(text)
    if not squeezed or len(squeezed) > 24:
        return None
    found: set[Kind] = set()
    position = 0
    while position < len(squeezed):
        match = _TOKEN.match(squeezed, position)
        if match is None:
            return None
        if match.lastgroup != "filler":
            found.add(Kind(match.lastgroup.rsplit("_", 1)[0]))
        position = match.end()
    if not found:
        return None  # only particles, such as "啊"
    kind = max(found, key=_PRIORITY.index)
    return SmallTalk(kind, REPLIES[kind])
