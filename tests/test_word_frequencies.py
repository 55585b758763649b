"""jieba over the word-frequency store segments exactly as jieba over its own dictionary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.text.normalize import normalize
from bot.text.terms import Segmenter
from bot.text.word_frequencies import FrequencyStore, load_store

BUNDLED = sorted((Path(__file__).parent.parent / "knowledge" / "articles").iterdir())[0]
USER_WORDS = ("党代会", "急需紧缺人才", "揭榜挂帅")
# Words, prefixes that are no word (frequency 0 in jieba), and strings jieba has never seen.
PROBES = ("人才", "人", "急需", "紧缺", "引进", "博士服务团", "博士服", "中华人民共和", "中华人民共和国",
          "党代会", "党代", "揭榜挂", "9778", "qabot", "", "鑫鑫鑫", "\udc80")


@pytest.fixture(scope="module")
def segmenters() -> dict[str, tuple[Segmenter, Segmenter]]:
    """For no user words and for some: a segmenter on jieba's own dict and one on the store."""
    return {name: (Segmenter(words, full_dictionary_after=0), Segmenter(words))
            for name, words in (("plain", ()), ("user words", USER_WORDS))}


def real_text() -> list[str]:
    lines = [line for line in BUNDLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines + [normalize(line) for line in lines] + ["近三年引进了多少急需紧缺人才？", "Python 3.12 与 jieba 0.42"]


@pytest.mark.parametrize("name", ["plain", "user words"])
def test_the_store_cuts_real_text_into_the_same_words(segmenters, name):
    full, stored = segmenters[name]
    assert isinstance(stored._jieba.FREQ, FrequencyStore) and isinstance(full._jieba.FREQ, dict)
    for text in real_text():
        assert stored._jieba.lcut(text) == full._jieba.lcut(text), text
        assert stored._jieba.lcut(text, HMM=False) == full._jieba.lcut(text, HMM=False), text
    assert stored._jieba.total == full._jieba.total


@pytest.mark.parametrize("name", ["plain", "user words"])
def test_the_store_answers_every_lookup_as_jiebas_dict(segmenters, name):
    full, stored = segmenters[name]
    words = {w for text in real_text() for w in full._jieba.lcut(text)} | set(PROBES)
    for word in sorted(words):
        assert (word in stored._jieba.FREQ) == (word in full._jieba.FREQ), word
        assert stored._jieba.FREQ.get(word) == full._jieba.FREQ.get(word), word
        assert stored._jieba.FREQ.get(word, 1) == full._jieba.FREQ.get(word, 1), word
        assert stored.background_idf(word) == full.background_idf(word), word
        if word in full._jieba.FREQ:
            assert stored._jieba.FREQ[word] == full._jieba.FREQ[word]
        else:
            with pytest.raises(KeyError):
                stored._jieba.FREQ[word]


def test_after_enough_text_the_segmenter_loads_jiebas_dict_and_cuts_the_same(segmenters):
    lines = real_text()
    full = segmenters["user words"][0]
    switching = Segmenter(USER_WORDS, full_dictionary_after=len(lines[0]) + 1)
    assert isinstance(switching._jieba.FREQ, FrequencyStore)
    assert [switching.words(line) for line in lines] == [full.words(line) for line in lines]
    assert isinstance(switching._jieba.FREQ, dict)
    assert switching.background_idf("紧缺人才") == full.background_idf("紧缺人才")


@pytest.fixture(scope="module")
def made_store(tmp_path_factory) -> Path:
    """A cache directory in which load_store has just made the store."""
    cache = tmp_path_factory.mktemp("cache")
    assert load_store(cache) is not None
    return cache


def test_the_store_is_made_once_and_read_again(made_store):
    (folder,) = made_store.iterdir()
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    store, total = load_store(made_store)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    assert store["人才"] > 0 and total > store["人才"]


def test_a_damaged_store_means_jiebas_own_dictionary_not_an_error(made_store, tmp_path):
    (folder,) = made_store.iterdir()
    shutil.copytree(folder, tmp_path / folder.name)
    for file in (tmp_path / folder.name).iterdir():
        file.write_bytes(b"not a trie")
    assert load_store(tmp_path) is None


def test_an_unwritable_cache_means_jiebas_own_dictionary_not_an_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("in the way", encoding="utf-8")
    assert load_store(blocked) is None


def test_no_home_directory_means_jiebas_own_dictionary_not_an_error(monkeypatch):
    def no_such_user(uid: int):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    # A service account without a home: no $HOME and no passwd entry (this cannot be made for real here).
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr("pwd.getpwuid", no_such_user)
    assert load_store() is None
