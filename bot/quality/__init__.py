"""The admin's own checks (knowledge/questions.yaml), run before a new knowledge base is swapped in."""
