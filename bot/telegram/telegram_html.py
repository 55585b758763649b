"""Telegram HTML: text escaped with `esc`, and a long message cut into parts under 4096 characters.

Every piece of user or article text goes through `esc`; the only markup is ours. A long message
is cut at a newline or sentence end when one is near the limit, never inside a tag or an
entity, and tags open at the cut are closed and reopened so each part is valid on its own.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Sequence

from telegram.constants import MessageLimit

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096


def esc(text: str) -> str:
    """Text for a Telegram HTML message: only <, > and & need escaping outside attributes."""
    return html.escape(text, quote=False)


_ATOM = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|.", re.DOTALL)
_BREAK_PRIORITY = {"\n": 3, **{c: 2 for c in "。！？!?；;"}, **{c: 1 for c in " ，,、：:）)」"}}


@dataclass(frozen=True)
class _Atom:
    raw: str
    kind: str  # "open", "close" or "text"
    name: str = ""
    width: int = 0  # visible length in UTF-16 code units
    char: str = ""


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for match in _ATOM.finditer(text):
        raw = match.group(0)
        if match.group(2):
            atoms.append(_Atom(raw, "close" if match.group(1) else "open", match.group(2).lower()))
        else:
            char = html.unescape(raw) if raw.startswith("&") else raw
            atoms.append(_Atom(raw, "text", width=utf16_len(char), char=char))
    return atoms


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_length(text: str) -> int:
    """The length of an HTML message as Telegram counts it (before trimming)."""
    return sum(a.width for a in _atoms(text))


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut Telegram HTML into parts of at most `limit` visible characters, each with balanced tags."""
    atoms = _atoms(text)
    if sum(a.width for a in atoms) <= limit:
        return [text] if _has_content(atoms) else []
    parts: list[str] = []
    stack: list[_Atom] = []  # open tags at the current cut
    i = 0
    while i < len(atoms):
        reopened = list(stack)
        current = list(stack)
        width = 0
        j = i
        best: dict[int, tuple[int, int, list[_Atom]]] = {}  # priority -> (cut index, width there, open tags)
        while j < len(atoms):
            atom = atoms[j]
            if atom.kind == "text":
                if width + atom.width > limit and width:  # a part holds at least one character
                    break
                width += atom.width
            elif atom.kind == "open":
                current.append(atom)
            elif current and current[-1].name == atom.name:
                current.pop()
            j += 1
            if atom.kind == "text":
                best[_BREAK_PRIORITY.get(atom.char, 0)] = (j, width, list(current))
        if j < len(atoms):
            # The latest break of the best kind that keeps the part at least half full.
            usable = [(p, cut) for p, cut in best.items() if cut[1] >= limit // 2] or list(best.items())
            _, (j, _, current) = max(usable, key=lambda item: (item[0], item[1][0]))
            while j < len(atoms) and atoms[j].kind == "close" and current and current[-1].name == atoms[j].name:
                current.pop()
                j += 1
        body = "".join(a.raw for a in reopened) + "".join(a.raw for a in atoms[i:j])
        body += "".join(f"</{a.name}>" for a in reversed(current))
        if _has_content(atoms[i:j]):
            parts.append(body)
        stack = current
        i = j
    return parts


def _has_content(atoms: Sequence[_Atom]) -> bool:
    """Telegram trims whitespace and refuses an empty message."""
    return any(a.kind == "text" and not a.char.isspace() for a in atoms)


def html_to_plain(text: str) -> str:
    """The visible text of Telegram HTML: tags dropped, entities decoded."""
    return "".join(a.char for a in _atoms(text) if a.kind == "text")
