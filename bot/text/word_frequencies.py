"""jieba's word frequencies read from a memory-mapped trie, so a process segments its first question in milliseconds.

jieba's Tokenizer keeps its dictionary as FREQ, a dict of ~500,000 words and word prefixes (a prefix
that is not a word has frequency 0). Loading it from jieba's cache takes 0.5 s; most of it is never
read by a short question. The Tokenizer reads FREQ only through `in`, `get` and `[]`, and writes it
only in add_word (a user word and its prefixes). FrequencyStore answers those exactly as the dict
would: the same keys, the same values, with added words kept in a small dict over the trie. So
segmentation, and every figure built on it, is the same.

The trie is made once from jieba's own loaded dictionary and kept in the user's cache directory; when
it cannot be made or read there, the segmenter loads jieba's dictionary as jieba does.
"""

from __future__ import annotations

import array
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import marisa_trie

log = logging.getLogger(__name__)

STORE_VERSION = 1  # bump when the files below change
_TRIE = "words.marisa"
_FREQS = "freqs.int64"  # the frequency of trie key id i, native int64


class FrequencyStore:
    """jieba's FREQ with the same answers: a read-only trie of words and prefixes, with added words over it."""

    def __init__(self, trie: marisa_trie.Trie, freqs: array.array) -> None:
        self._trie = trie
        self._freqs = freqs
        self._added: dict[str, int] = {}

    def __contains__(self, word: object) -> bool:
        if word in self._added:
            return True
        try:
            return word in self._trie
        except (UnicodeEncodeError, TypeError):  # a lone surrogate (or a non-string) is in no dictionary
            return False

    def __getitem__(self, word: str) -> int:
        if word in self._added:
            return self._added[word]
        try:
            return self._freqs[self._trie[word]]
        except UnicodeEncodeError:
            raise KeyError(word) from None

    def get(self, word: str, default: int | None = None) -> int | None:
        if word in self._added:
            return self._added[word]
        try:
            key = self._trie.get(word)  # not self[word]: jieba asks for many strings it lacks, and raising is slow
        except (UnicodeEncodeError, TypeError):
            return default
        return default if key is None else self._freqs[key]

    def __setitem__(self, word: str, freq: int) -> None:
        self._added[word] = freq

    def __len__(self) -> int:
        return len(self._trie) + sum(1 for word in self._added if word not in self._trie)

    def __iter__(self) -> Iterator[str]:
        yield from self._added
        yield from (word for word in self._trie.iterkeys() if word not in self._added)


def default_cache_dir() -> Path:
    """Where the trie is kept: ~/.cache/qabot (the package reads no environment outside bot/config.py)."""
    return Path.home() / ".cache" / "qabot"


def load_store(cache_dir: Path | None = None) -> tuple[FrequencyStore, int] | None:
    """jieba's default dictionary as a FrequencyStore and its total, made on first use; None when that fails."""
    folder: Path | str = "the cache"
    try:
        # RuntimeError: no home directory, or marisa-trie refusing a damaged file.
        folder = (cache_dir or default_cache_dir()) / _store_name()
        if not folder.is_dir():
            _write_store(folder)
        return _read_store(folder)
    except (OSError, ValueError, RuntimeError) as exc:  # jieba's own loading still works
        log.debug("jieba's dictionary loaded in full: no frequency store in %s (%s)", folder, exc)
        return None


def _store_name() -> str:
    """Names the jieba version and its dict.txt's size, so an upgraded jieba gets a store of its own.

    jieba itself trusts its cache of the default dictionary without any check; every virtual
    environment with the same jieba shares one store.
    """
    import jieba

    size = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).stat().st_size
    return f"jieba-{jieba.__version__}-{size}-v{STORE_VERSION}"


def _read_store(folder: Path) -> tuple[FrequencyStore, int]:
    trie = marisa_trie.Trie()
    trie.mmap(str(folder / _TRIE))
    freqs = array.array("q")
    freqs.frombytes((folder / _FREQS).read_bytes())
    if len(freqs) != len(trie) + 1:  # the last slot holds the total
        raise ValueError(f"{folder} holds {len(trie)} words but {len(freqs) - 1} frequencies")
    total = freqs.pop()
    return FrequencyStore(trie, freqs), total


def _write_store(folder: Path) -> None:
    """Load jieba's dictionary as jieba does (its cache included) and write it as a trie, atomically."""
    import jieba

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        trie = marisa_trie.Trie(tokenizer.FREQ.keys())
        freqs = array.array("q", bytes(8 * (len(trie) + 1)))
        for word, freq in tokenizer.FREQ.items():
            freqs[trie[word]] = freq
        freqs[-1] = tokenizer.total
        trie.save(str(staging / _TRIE))
        (staging / _FREQS).write_bytes(freqs.tobytes())
        try:
            staging.rename(folder)
        except OSError:
            if not folder.is_dir():  # another process has just written the same store: use that one
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
