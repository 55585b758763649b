"""The saved knowledge base: arrays on disk, a sparse BM25 index, and atomic swaps."""
