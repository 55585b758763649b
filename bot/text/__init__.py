"""Text normalisation and tokenisation shared by the index and the retriever."""
