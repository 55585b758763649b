"""The SQLite log of questions, answers, scores and feedback, for /stats and /unanswered."""

from bot.storage.log import LoggedQuestion, QuestionLog, Stats, StorageError, VoteChange

__all__ = ["LoggedQuestion", "QuestionLog", "Stats", "StorageError", "VoteChange"]
