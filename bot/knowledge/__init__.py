"""Article files in, parsed articles and passages out."""
