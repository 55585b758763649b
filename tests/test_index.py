"""The saved index: round trip, BM25 against a plain reference, atomic swap, interruption, damage."""

import json
import math
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

from bot.errors import IndexInvalid, IndexMissing
from bot.index.arrays import FileArray
from bot.index.bm25 import build_sparse_index, count_terms
from bot.index.knowledge_base import KnowledgeBase
from bot.index.store import CURRENT, current_build_dir
from bot.knowledge.builder import build_knowledge_base
from tests.support.knowledge import config_for, make_knowledge
from tests.support.processes import REPO, clean_env


def test_bm25_matches_a_plain_reference():
    """Two fields (keys below 20, and the rest), each normalised by its own length, as BM25F does."""
    rng = np.random.default_rng(7)
    docs = [rng.integers(1, 40, size=rng.integers(1, 30)).astype(np.int64) for _ in range(60)]
    keys, counts, offsets = count_terms(docs)
    index = build_sparse_index(keys, counts, offsets, fields=(keys >= 20).astype(np.int8))
    field = lambda term: int(term >= 20)  # noqa: E731
    lengths = [[sum(1 for t in d.tolist() if field(t) == f) for f in (0, 1)] for d in docs]
    averages = [sum(length[f] for length in lengths) / len(docs) for f in (0, 1)]
    query = {3: 1.0, 17: 1.0, 39: 1.0}
    expected = []
    for doc, length in zip(docs, lengths):
        tf = Counter(doc.tolist())
        score = 0.0
        for term in query:
            df = sum(1 for d in docs if term in d.tolist())
            if tf[term]:
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                norm = 0.25 + 0.75 * length[field(term)] / averages[field(term)]
                score += idf * tf[term] * 2.2 / (tf[term] + 1.2 * norm)
        expected.append(score)
    assert np.allclose(index.score(query), expected, rtol=1e-5)
    found, doc_freq = index.lookup(np.array([3, 17, 39, 1000], dtype=np.int64))
    assert found.tolist() == [True, True, True, False]
    assert doc_freq[0] == sum(1 for d in docs if 3 in d.tolist())


def test_round_trip(tmp_path):
    config = config_for(make_knowledge(tmp_path, files={"b.md": "---\ntitle: 第二篇\n---\n第二篇的正文内容。"}))
    report = build_knowledge_base(config)
    kb = KnowledgeBase(config.index_path)
    assert report.articles == 2 and kb.passage_count == report.passages
    assert [a.key for a in kb.articles] == ["articles/000_be29e6b4f69db29d.txt", "articles/b.md"]
    view = kb.passage(kb.find_passage(kb.passage(3).passage_id))
    assert view.index == 3 and view.article.title.startswith("迎接省党代会")
    assert kb.passage(kb.passage_count - 1).text == "第二篇的正文内容。"
    # Arrays are memory-mapped, not copied into memory.
    assert isinstance(kb.passage_texts.blob.base, np.memmap) and not kb.passage_texts.blob.flags.owndata
    assert isinstance(kb.sparse.table.base, np.memmap) and not kb.sparse.table.flags.owndata


def test_large_arrays_read_with_pread_answer_the_same(tmp_path, monkeypatch):
    from bot.service import QAService

    config = config_for(make_knowledge(tmp_path))
    build_knowledge_base(config)
    questions = ["近三年引进了多少急需紧缺人才？", "党代会什么时候召开", "完全无关的问题：火星的天气"]
    mapped = QAService.open(config)
    monkeypatch.setattr("bot.index.store.MAP_WHOLE_BELOW", 0)
    read = QAService.open(config)
    assert isinstance(read.kb.sparse.table, FileArray) and isinstance(read.kb.sentence_terms.values, FileArray)
    assert not isinstance(mapped.kb.sparse.table, FileArray)
    for question in questions:
        a, b = mapped.ask(question), read.ask(question)
        assert [(r.passage.passage_id, r.snippet, r.score) for r in a.results] == \
               [(r.passage.passage_id, r.snippet, r.score) for r in b.results] and a.answered == b.answered
    assert mapped.ask(questions[0]).answered and "9778" in read.ask(questions[0]).results[0].snippet


def test_file_array_reads_what_numpy_wrote(tmp_path):
    values = np.arange(5000, dtype=np.int64) * 7
    np.save(tmp_path / "v1.npy", values)
    np.lib.format.write_array(open(tmp_path / "v2.npy", "wb"), values, version=(2, 0))
    for name in ("v1.npy", "v2.npy"):
        array = FileArray(tmp_path / name)
        assert len(array) == 5000 and array.dtype == values.dtype
        assert np.array_equal(array[10:20], values[10:20]) and len(array[4990:6000]) == 10 and len(array[7:7]) == 0
        assert array[0] == 0 and array[-1] == values[-1]
        positions = np.array([4999, 3, 3, 2000, 2001, 0, 1500])  # unsorted, repeated, near and far apart
        assert np.array_equal(array.take(positions), values[positions])
        with pytest.raises(IndexError):
            array[5000]


def test_file_array_refuses_a_truncated_file(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(100, dtype=np.int32))
    data = (tmp_path / "a.npy").read_bytes()
    (tmp_path / "a.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="shorter"):
        FileArray(tmp_path / "a.npy")


def test_rebuild_reuses_unchanged_articles_and_reports_changes(tmp_path):
    knowledge = make_knowledge(tmp_path, files={"a.txt": "甲文章\n\n甲的内容是一百二十三。", "b.txt": "乙文章\n\n乙的内容。"})
    config = config_for(knowledge)
    first = build_knowledge_base(config)
    assert sorted(first.added) == ["articles/000_be29e6b4f69db29d.txt", "articles/a.txt", "articles/b.txt"]
    (knowledge / "articles" / "a.txt").write_text("甲文章\n\n甲的内容改成了四百五十六。", encoding="utf-8")
    (knowledge / "articles" / "b.txt").unlink()
    (knowledge / "articles" / "c.txt").write_text("丙文章\n\n丙的内容。", encoding="utf-8")
    second = build_knowledge_base(config)
    assert second.changed == ["articles/a.txt"]
    assert second.removed == ["articles/b.txt"]
    assert second.added == ["articles/c.txt"]
    assert second.analysed == 2  # the sample came from the previous build
    kb = KnowledgeBase(config.index_path)
    assert any("四百五十六" in kb.passage(i).text for i in range(kb.passage_count))


def test_swap_is_atomic_and_old_builds_are_removed(tmp_path):
    config = config_for(make_knowledge(tmp_path))
    build_knowledge_base(config)
    first = current_build_dir(config.index_path).resolve()
    old_reader = KnowledgeBase(config.index_path)
    build_knowledge_base(config)
    second = current_build_dir(config.index_path).resolve()
    assert first != second and not first.exists()
    assert (config.index_path / CURRENT).is_symlink()
    # A reader that opened the old build keeps working: its files stay mapped.
    assert old_reader.passage(0).text == KnowledgeBase(config.index_path).passage(0).text


def test_failed_build_keeps_the_old_index(tmp_path, monkeypatch):
    config = config_for(make_knowledge(tmp_path))
    build_knowledge_base(config)
    before = current_build_dir(config.index_path).resolve()
    (config.articles_path / "new.txt").write_text("新文章\n\n新的内容。", encoding="utf-8")

    import bot.knowledge.builder as builder

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builder, "build_sparse_index", explode)
    with pytest.raises(OSError):
        build_knowledge_base(config)
    assert current_build_dir(config.index_path).resolve() == before
    assert not [p for p in (config.index_path / "builds").iterdir() if p.name.startswith(".tmp")]
    assert KnowledgeBase(config.index_path).passage_count > 0


def test_killed_build_keeps_the_old_index(tmp_path):
    """A build killed outright (SIGKILL, no cleanup) leaves the served build untouched."""
    many = {f"bulk/{i:04d}.txt": f"文章{i}\n\n" + f"第{i}篇文章的内容，讲述了城市发展的第{i}个方面。" * 40 for i in range(600)}
    knowledge = make_knowledge(tmp_path)
    config = config_for(knowledge)
    build_knowledge_base(config)
    before = current_build_dir(config.index_path).resolve()
    make_knowledge(tmp_path, with_sample=False, files=many)
    child = subprocess.Popen([sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge), "--workers", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env(), cwd=REPO)
    deadline = time.monotonic() + 30
    builds = config.index_path / "builds"
    while time.monotonic() < deadline and not any(p.name.startswith(".tmp") for p in builds.iterdir()):
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert current_build_dir(config.index_path).resolve() == before
    assert KnowledgeBase(config.index_path).articles[0].key == "articles/000_be29e6b4f69db29d.txt"
    # The next build clears the leftovers and succeeds.
    report = build_knowledge_base(config, workers=1)
    assert report.articles == 601
    assert not [p for p in builds.iterdir() if p.name.startswith(".tmp")]


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissing, match="qabot build"):
        KnowledgeBase(tmp_path / "nothing")


def _corrupt(build_dir):
    path = build_dir / "bm25.postings.npy"
    path.write_bytes(path.read_bytes()[:-16])


def _other_version(build_dir):
    manifest = json.loads((build_dir / "manifest.json").read_text())
    manifest["version"] = 999
    (build_dir / "manifest.json").write_text(json.dumps(manifest))


def _garbage_array(build_dir):
    path = build_dir / "passages.text.offsets.npy"
    size = path.stat().st_size
    path.write_bytes(b"x" * size)


@pytest.mark.parametrize("damage, message", [
    (_corrupt, "is damaged"),
    (_other_version, "format version 999"),
    (_garbage_array, "is damaged"),
    (lambda d: (d / "manifest.json").unlink(), "is damaged"),
])
def test_damaged_index_gives_one_clear_error(qabot, tmp_path, damage, message):
    config = config_for(make_knowledge(tmp_path))
    build_knowledge_base(config)
    damage(current_build_dir(config.index_path))
    with pytest.raises(IndexInvalid, match=message) as error:
        KnowledgeBase(config.index_path)
    assert str(config.index_path) in str(error.value) and "qabot build" in str(error.value)
    result = qabot("ask", "--knowledge", str(config.knowledge_dir), "人才")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr
    # Rebuilding repairs it, and says what it replaced.
    report = build_knowledge_base(config)
    assert KnowledgeBase(config.index_path).passage_count > 0
    assert message in report.replaced_unusable and "run `qabot build`" not in report.replaced_unusable
    assert any(line.startswith("built anew: the previous index could not be read") for line in report.summary_lines())
    assert build_knowledge_base(config).replaced_unusable is None
