"""The parsed form of one article file, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A heading or a paragraph of an article body."""

    text: str
    is_heading: bool = False


@dataclass(frozen=True)
class Article:
    """An article's metadata and body, before it is cut into passages."""

    key: str  # the file path relative to the knowledge directory, with forward slashes
    title: str
    blocks: tuple[Block, ...]
    source: str | None = None
    date: str | None = None  # YYYY-MM-DD
    time: str | None = None  # HH:MM
    url: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def body(self) -> str:
        """The body as one string, blocks separated by newlines; passage offsets refer to it."""
        return "\n".join(block.text for block in self.blocks)
