"""Matching a question to passages and choosing what to show."""
