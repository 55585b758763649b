"""The index's file format, named in one place."""

from __future__ import annotations

# Bump whenever analysed terms would come out differently; cached articles are then re-analysed.
PIPELINE_VERSION = 5

# Bits of sentences.flags: what a sentence holds, for the rerank's question-type priors.
HAS_NUMBER = 1
HAS_DATE = 2
FIRST_SENTENCE = 4
