"""The schema names every file of a build, and a build holds exactly those files with the dtypes it gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.index import schema
from bot.index.store import IndexWriter, current_build_dir


def schema_arrays() -> list[schema.Array]:
    specs = [value for value in vars(schema).values() if isinstance(value, (schema.Array, schema.Ragged))]
    return [array for spec in specs for array in (spec.arrays if isinstance(spec, schema.Ragged) else (spec,))]


def test_a_build_holds_the_files_the_schema_names_with_their_dtypes(built_knowledge: Path):
    build = current_build_dir(built_knowledge / ".index")
    arrays = schema_arrays()
    assert sorted(p.name for p in build.iterdir()) == sorted(
        [schema.MANIFEST, schema.ARTICLES.file] + [array.file for array in arrays])
    for array in arrays:
        values = np.load(build / array.file, mmap_mode="r", allow_pickle=False)
        assert (values.dtype, values.shape[1:]) == (array.dtype, array.row_shape), array.file


def test_every_array_but_bm25s_is_written_article_by_article():
    assert set(schema.ARTICLE_ARRAYS) | {schema.BM25_TERMS, schema.BM25_INDPTR, schema.BM25_POSTINGS} \
        == set(schema_arrays())


def test_the_writer_refuses_an_array_of_another_dtype(tmp_path: Path):
    writer = IndexWriter(tmp_path)
    with pytest.raises(ValueError, match="bm25.terms.npy holds int64 rows"):
        writer.array(schema.BM25_TERMS, np.zeros(3, dtype=np.int32))
    writer.abort()
