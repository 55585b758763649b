"""faq.yaml: a list of curated answers, each checked on its own so one bad entry costs only itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.files import Skipped

FAQ_FILE = "faq.yaml"
KNOWN_KEYS = ("questions", "answer", "source", "url")
MAX_ANSWER_CHARS = 1000


@dataclass(frozen=True)
class FaqEntry:
    """One curated answer and the phrasings that ask for it."""

    questions: tuple[str, ...]
    answer: str
    source: str | None = None
    url: str | None = None

    def to_yaml(self) -> dict[str, Any]:
        """The entry as faq.yaml writes it (optional keys only when set)."""
        data: dict[str, Any] = {"questions": list(self.questions), "answer": self.answer}
        if self.source:
            data["source"] = self.source
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class FaqFile:
    """The usable entries of faq.yaml and the ones skipped, each with a reason in Chinese."""

    entries: tuple[FaqEntry, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def read_faq(path: Path) -> FaqFile:
    """Read and check faq.yaml; a missing file has no entries, a broken one is one skip with its reason."""
    if not path.is_file():
        return FaqFile()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return FaqFile(skipped=(Skipped(FAQ_FILE, f"无法读取文件：{getattr(exc, 'strerror', None) or exc}"),))
    return parse_faq(text)


def parse_faq(text: str) -> FaqFile:
    """Entries from faq.yaml's text; see read_faq."""
    import yaml  # here: a base without faq.yaml needs no YAML

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else "某处"
        return FaqFile(skipped=(Skipped(FAQ_FILE, f"不是有效的 YAML（{where}有语法错误），其中的问答都没有使用"),))
    if data is None:
        return FaqFile()
    if not isinstance(data, list):
        return FaqFile(skipped=(Skipped(FAQ_FILE, "文件应当是一个问答列表（每项以 “- questions:” 开头），其中的问答都没有使用"),))
    entries, skipped = [], []
    for number, item in enumerate(data, 1):
        entry = check_entry(item)
        if isinstance(entry, str):
            skipped.append(Skipped(f"{FAQ_FILE} 第 {number} 条", entry))
        else:
            entries.append(entry)
    return FaqFile(tuple(entries), tuple(skipped))


def check_entry(item: Any) -> FaqEntry | str:
    """A valid entry, or why it is not one (a sentence in Chinese)."""
    if not isinstance(item, dict):
        return "每条问答应当包含 questions 和 answer 两项"
    unknown = [str(k) for k in item if k not in KNOWN_KEYS]
    if unknown:
        return f"不认识的键 “{unknown[0]}”（可用的键：{', '.join(KNOWN_KEYS)}）"
    questions = item.get("questions")
    if isinstance(questions, str):
        questions = [questions]
    if not isinstance(questions, list) or not questions:
        return "questions 应当是一个或多个问题的列表"
    if not all(isinstance(q, str) and q.strip() for q in questions):
        return "questions 里的每一项都应当是非空的文字"
    answer = item.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        return "缺少 answer，或者 answer 不是文字"
    if len(answer) > MAX_ANSWER_CHARS:
        return f"answer 太长（{len(answer)} 字，最多 {MAX_ANSWER_CHARS} 字）"
    for key in ("source", "url"):
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} 应当是文字"
    url = item.get("url")
    if url and not url.startswith(("http://", "https://")):
        return "url 应当以 http:// 或 https:// 开头"
    return FaqEntry(tuple(" ".join(q.split()) for q in questions), answer.strip(),
                    (item.get("source") or "").strip() or None, (url or "").strip() or None)
