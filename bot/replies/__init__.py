"""Rendering answers for each front end: plain text, Telegram HTML and JSON."""
