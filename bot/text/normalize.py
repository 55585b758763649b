"""Length-preserving normalisation, so offsets in normalised text are offsets in the original."""

from __future__ import annotations

import functools
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch


def normalize(text: str) -> str:
    """NFKC, full width to half width, lower case and traditional to simplified, one char for one char."""
    folded = "".join(_fold_char(ch) for ch in text)
    simplified = _T2S.convert(folded)
    # OpenCC's phrase tables can change a length; then the char-aligned version is the safe one.
    return simplified if len(simplified) == len(folded) else folded
