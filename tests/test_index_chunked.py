"""The index built a chunk at a time equals the one built in one go, and reused articles come back byte for byte."""

from __future__ import annotations

import numpy as np

from bot.index.bm25 import K1, POSTING, B, SparseIndex, build_sparse_index, count_terms, idf, term_saturation


def one_shot(keys, counts, offsets, fields):
    """The original all-in-memory build, kept as the reference."""
    n_docs = len(offsets) - 1
    docs = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(offsets))
    fields = fields.astype(np.int64)
    n_fields = int(fields.max()) + 1
    field_len = np.bincount(docs.astype(np.int64) * n_fields + fields, weights=counts,
                            minlength=n_docs * n_fields).reshape(n_docs, n_fields)
    field_avg = field_len.mean(axis=0)
    order = np.lexsort((docs, keys))
    keys_sorted, docs_sorted = keys[order], docs[order]
    tf = counts[order].astype(np.float32)
    doc_len = field_len[docs_sorted, fields[order]].astype(np.float32)
    avg = field_avg[fields[order]].astype(np.float32)
    new_term = np.ones(len(keys_sorted), dtype=bool)
    new_term[1:] = keys_sorted[1:] != keys_sorted[:-1]
    term_starts = np.flatnonzero(new_term)
    doc_freq = np.diff(np.append(term_starts, len(keys_sorted)))
    weights = term_saturation(tf, doc_len, avg, K1, B)
    weights *= np.repeat(idf(doc_freq.astype(np.float64), n_docs).astype(np.float32), doc_freq)
    term_of_posting = np.repeat(np.arange(len(term_starts)), doc_freq)
    order = np.lexsort((-weights, term_of_posting))
    table = np.empty(len(order), dtype=POSTING)
    table["doc"], table["weight"] = docs_sorted[order], weights[order]
    return SparseIndex(keys_sorted[term_starts], np.append(term_starts, len(keys_sorted)).astype(np.int64), table, n_docs)


def test_chunked_postings_equal_the_one_shot_build():
    rng = np.random.default_rng(3)
    # Some empty passages, one long one, and a term in nearly every passage.
    docs = [np.append(rng.integers(1, 300, size=rng.integers(0, 40)), 5).astype(np.int64) for _ in range(400)]
    docs[17] = rng.integers(1, 300, size=500).astype(np.int64)
    keys, counts, offsets = count_terms(docs)
    fields = (keys >= 150).astype(np.int8)
    expected = one_shot(keys, counts, offsets, fields)
    for chunk in (1, 7, 100, 10_000_000):
        got = build_sparse_index(keys, counts, offsets, fields=fields, chunk_postings=chunk)
        for name in ("term_keys", "indptr", "table"):
            assert np.array_equal(getattr(got, name), getattr(expected, name)), (chunk, name)
            assert getattr(got, name).dtype == getattr(expected, name).dtype
        got = build_sparse_index(keys, counts, offsets, field_of=lambda a, b, k: (k >= 150).astype(np.int64),
                                 chunk_postings=chunk)
        assert np.array_equal(got.table, expected.table)


def test_reused_articles_give_the_same_arrays_as_a_fresh_build(tmp_path):
    import shutil

    from bot.index.store import current_build_dir
    from bot.knowledge.builder import build_knowledge_base
    from tests.support.knowledge import config_for, make_knowledge

    files = {f"k{i:02d}.txt": f"第{i}篇\n\n第{i}篇文章讲的是城市的第{i}个变化。它有两句话。" for i in range(12)}
    knowledge = make_knowledge(tmp_path, files=files)
    config = config_for(knowledge)
    build_knowledge_base(config)
    # Change one in the middle, remove one, add one and rename one: runs of reuse around them.
    (knowledge / "articles" / "k05.txt").write_text("第五篇\n\n内容改了。又加了一句。", encoding="utf-8")
    (knowledge / "articles" / "k07.txt").unlink()
    (knowledge / "articles" / "k20.txt").write_text("新的一篇\n\n新的内容。", encoding="utf-8")
    (knowledge / "articles" / "k09.txt").rename(knowledge / "articles" / "k30.txt")
    report = build_knowledge_base(config)
    assert report.analysed == 2
    incremental = current_build_dir(config.index_path).resolve()
    kept = tmp_path / "incremental"
    shutil.copytree(incremental, kept)
    shutil.rmtree(config.index_path)
    fresh_report = build_knowledge_base(config)
    fresh = current_build_dir(config.index_path).resolve()
    assert fresh_report.passages == report.passages and fresh_report.text_bytes == report.text_bytes
    names = sorted(p.name for p in fresh.iterdir() if p.name != "manifest.json")
    assert names == sorted(p.name for p in kept.iterdir() if p.name != "manifest.json")
    for name in names:
        assert (fresh / name).read_bytes() == (kept / name).read_bytes(), name


def test_cached_sentence_terms_equal_fresh_analysis():
    from bot.knowledge.analysis import ArticleAnalyzer

    articles = [("长江大桥", [(None, "长江大桥很长。南京的桥很多。")]),
                ("南京", [("概况", "南京的桥很多。长江大桥很长。")]),
                ("长江大桥", [(None, "南京的桥很多。长江大桥很长。")])]
    shared = ArticleAnalyzer([], 300)
    for title, passages in articles:
        cached, fresh = shared.analyse(title, passages), ArticleAnalyzer([], 300).analyse(title, passages)
        for a, b in zip(cached.sentence_terms + cached.passage_terms + cached.passage_counts,
                        fresh.sentence_terms + fresh.passage_terms + fresh.passage_counts):
            assert np.array_equal(a, b)
