"""The builder's reasons for skipping a file or failing a build, in the Chinese an admin reads in Telegram.

The builder words its reasons in English for `qabot build`'s log; /reload shows them to the admin
in Chinese. Each pattern here is checked against the builder's real output in tests, so a new or
reworded reason fails a test instead of reaching an admin in English.
"""

from __future__ import annotations

import re
from typing import Callable

_OS_ERRORS = {
    "permission denied": "没有读取权限",
    "no such file or directory": "文件不存在",
    "is a directory": "这是一个目录",
    "not a directory": "不是目录",
    "too many levels of symbolic links": "符号链接层数太多",
    "input/output error": "读写错误",
}


# Where a write failed, the same errors read differently (and a full disk is one only a write meets).
_OS_WRITE_ERRORS = {
    "permission denied": "没有写入权限",
    "no space left on device": "磁盘空间不足",
    "read-only file system": "文件系统是只读的",
    "disk quota exceeded": "超出了磁盘配额",
}


def os_error_zh(text: str, writing: bool = False) -> str:
    """An OS error's text (strerror) in Chinese where we know it, else as it is."""
    key = text.strip().lower()
    return (writing and _OS_WRITE_ERRORS.get(key)) or _OS_ERRORS.get(key, text)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_RULES: tuple[_Rule, ...] = (
    (re.compile(r"file is empty"), lambda m: "文件是空的"),
    (re.compile(r"file is binary, not text"), lambda m: "是二进制文件，不是文本"),
    (re.compile(r"file is ([\d.]+) MB, over the ([\d.]+) MB limit"),
     lambda m: f"文件有 {m[1]} MB，超过了 {m[2]} MB 的上限"),
    (re.compile(r"file is neither UTF-8 nor GB18030 text \(UTF-8 until line (\d+), which is not: mixed encodings\?\)"),
     lambda m: f"既不是 UTF-8 也不是 GB18030 编码：第 {m[1]} 行之前是 UTF-8，第 {m[1]} 行不是，可能混用了编码"),
    (re.compile(r"file is neither UTF-8 nor GB18030 text \(not UTF-8 from line (\d+)\)"),
     lambda m: f"既不是 UTF-8 也不是 GB18030 编码（从第 {m[1]} 行起不是 UTF-8）"),
    (re.compile(r"file is neither UTF-8 nor GB18030 text"), lambda m: "既不是 UTF-8 也不是 GB18030 编码的文本"),
    (re.compile(r"cannot read file: (.*)"), lambda m: f"无法读取文件：{os_error_zh(m[1])}"),
    (re.compile(r"cannot read directory: (.*)"), lambda m: f"无法读取目录：{os_error_zh(m[1])}"),
    (re.compile(r"duplicate of (.+)"), lambda m: f"和 {m[1]} 内容相同"),
    (re.compile(r"no indexable text.*"), lambda m: "没有可以检索的文字（只有标点、符号或网页栏目）"),
    (re.compile(r"no text left after removing the title and page furniture"),
     lambda m: "去掉标题和网页栏目之后没有正文"),
    (re.compile(r"malformed front matter at line (\d+)"), lambda m: f"开头的元数据（front matter）第 {m[1]} 行格式有误"),
    (re.compile(r"malformed front matter: it must be a mapping of keys to values"),
     lambda m: "开头的元数据（front matter）应当是“键: 值”的形式"),
    (re.compile(r"malformed front matter"), lambda m: "开头的元数据（front matter）格式有误"),
)


def skip_reason_zh(reason: str) -> str:
    """The Chinese wording of one skip reason; one this module doesn't know is labelled as the builder's own."""
    if _CJK.search(reason) or not re.search(r"[A-Za-z]{3,}", reason):
        return reason  # already worded in Chinese where it was made (PDF 已加密…), whatever names it quotes
    for pattern, wording in _RULES:
        match = pattern.fullmatch(reason)
        if match:
            return wording(match)
    return f"无法使用（{reason}）"


_NO_ARTICLE = re.compile(r"no usable article found in (.+?)(?: \((\d+) skipped, e\.g\. (.+?): (.+)\))?")


def build_failure_zh(message: str) -> str:
    """The Chinese wording of why a rebuild failed (bot.knowledge.builder's BuildFailed messages)."""
    match = re.fullmatch(r"articles directory not found: (.+)", message)
    if match:
        return f"找不到文章目录 {match[1]}"
    match = _NO_ARTICLE.fullmatch(message)
    if match:
        text = f"{match[1]} 里没有可用的文章"
        if match[2]:
            text += f"（跳过了 {match[2]} 个文件，例如 {match[3]}：{skip_reason_zh(match[4])}）"
        return text
    return message


_DAMAGE_RULES: tuple[_Rule, ...] = (
    (re.compile(r"its manifest is missing or unreadable"), lambda m: "清单文件（manifest）缺失或无法读取"),
    (re.compile(r"its manifest is not a qabot index manifest"), lambda m: "清单文件（manifest）不是 qabot 的索引清单"),
    (re.compile(r"its manifest lists no files"), lambda m: "清单文件（manifest）没有列出任何文件"),
    (re.compile(r"its manifest does not list its files and their checksums"),
     lambda m: "清单文件（manifest）没有列出文件和它们的校验和"),
    (re.compile(r"(\S+) does not match its checksum"), lambda m: f"{m[1]} 和它的校验和对不上"),
    (re.compile(r"(\S+) is missing"), lambda m: f"缺少文件 {m[1]}"),
    (re.compile(r"(\S+) has (\d+) bytes, expected (\d+)"), lambda m: f"{m[1]} 有 {m[2]} 字节，应为 {m[3]} 字节"),
    (re.compile(r"(\S+) has (\d+) rows, expected (\d+)"), lambda m: f"{m[1]} 有 {m[2]} 行，应为 {m[3]} 行"),
    (re.compile(r"articles, passages and sentences disagree"), lambda m: "文章、段落和句子的数据对不上"),
    (re.compile(r"(\S+) cannot be read: (.*)"), lambda m: f"无法读取 {m[1]}（{m[2]}）"),
)


def index_damage_zh(reason: str) -> str:
    """The Chinese wording of why the index on disk can't be used (bot.index.store's IndexInvalid reasons)."""
    match = re.fullmatch(r"knowledge base at (.+) is damaged \((.+)\)", reason)
    if match:
        why = match[2]
        for pattern, wording in _DAMAGE_RULES:
            found = pattern.fullmatch(why)
            if found:
                why = wording(found)
                break
        return f"{match[1]} 处的索引已损坏：{why}"
    match = re.fullmatch(r"knowledge base at (.+) has format version (.+), this qabot reads version (.+)", reason)
    if match:
        return f"{match[1]} 处的索引是第 {match[2]} 版格式，这个 qabot 只能读第 {match[3]} 版"
    return reason
