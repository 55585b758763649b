"""The Telegram front end: updates in, QAService calls, messages out. No retrieval logic lives here."""
