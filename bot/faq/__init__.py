"""Curated answers: knowledge/faq.yaml, matched before any article passage."""
