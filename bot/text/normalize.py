"""Length-preserving normalisation, so offsets in normalised text are offsets in the original."""

from __future__ import annotations

import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")


class _FoldTable(dict):
    """str.translate table that works out each character's fold on first sight."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        self[code] = result = folded if len(folded) == 1 else ch
        return result


_FOLD = _FoldTable()


def normalize(text: str) -> str:
    """NFKC, full width to half width, lower case and traditional to simplified, one char for one char."""
    folded = text.translate(_FOLD)
    simplified = _T2S.convert(folded)
    # OpenCC's phrase tables can change a length; then the char-aligned version is the safe one.
    return simplified if len(simplified) == len(folded) else folded
