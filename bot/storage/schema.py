"""The SQLite schema as a list of migrations; PRAGMA user_version counts the ones applied."""

from __future__ import annotations

import sqlite3

# Append only: never edit a migration that has shipped, add the next one instead.
MIGRATIONS: tuple[str, ...] = (
    # 1: questions, feedback, and a per-database salt for hashing voter ids
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE questions (
        id         INTEGER PRIMARY KEY,
        asked_at   REAL    NOT NULL,             -- unix time
        chat_type  TEXT    NOT NULL,             -- private, group, supergroup, console ...
        question   TEXT,                         -- NULL when storage.log_questions is false
        answered   INTEGER NOT NULL CHECK (answered IN (0, 1)),
        score      REAL,                         -- the best result's confidence, NULL without results
        passage_id TEXT                          -- the best result's passage
    );
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE TABLE feedback (
        question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        passage_id  TEXT    NOT NULL,
        voter       TEXT    NOT NULL,            -- salted hash of the Telegram user id
        helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        voted_at    REAL    NOT NULL,
        PRIMARY KEY (question_id, passage_id, voter)
    );
    """,
    # 2: voters are hashed with the install's key, kept outside this file (bot/install_key.py); the
    # salt stored here let anyone holding the file try every user id, so it goes
    """
    DELETE FROM meta WHERE key = 'voter_salt';
    """,
    # 3: a question an admin taught an answer for (教我 / 用这段) leaves /unanswered
    """
    ALTER TABLE questions ADD COLUMN taught_at REAL;  -- unix time, NULL until taught
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks; returns the version it had before.

    Raises ValueError for a database written by a newer qabot, which this one must not touch.
    """
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise ValueError(f"schema version {found} is newer than this qabot understands ({SCHEMA_VERSION})")
    for version in range(found, SCHEMA_VERSION):
        # One transaction per migration, version bump included: a failed one leaves no trace.
        try:
            conn.executescript(f"BEGIN;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return found
