"""`qabot eval`: measuring the retriever on SQuAD-format question sets, through the real builder."""
