"""Configuration: one YAML file plus environment overrides, loaded into frozen, validated values.

Nothing else in the package reads ``os.environ``; everything it needs is passed down from here.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bot.errors import ConfigError

DEFAULT_KNOWLEDGE_DIR = "knowledge"
CONFIG_FILE_NAME = "config.yaml"


@dataclass(frozen=True)
class PassageSettings:
    """How article bodies are cut into passages."""

    target_chars: int = 150
    max_chars: int = 300

    def validate(self) -> None:
        if self.target_chars < 20:
            raise ConfigError("passages.target_chars must be at least 20")
        if self.max_chars < self.target_chars:
            raise ConfigError("passages.max_chars must not be smaller than passages.target_chars")


@dataclass(frozen=True)
class KnowledgeSettings:
    """Where articles and the built index live, relative to the knowledge directory."""

    articles_dir: str = "articles"
    index_dir: str = ".index"
    max_file_mb: float = 5.0
    userdict: str = "userdict.txt"
    synonyms: str = "synonyms.yaml"

    def validate(self) -> None:
        if self.max_file_mb <= 0:
            raise ConfigError("knowledge.max_file_mb must be positive")


@dataclass(frozen=True)
class RetrievalSettings:
    """How questions are matched and answers shown."""

    top_k: int = 5
    candidates: int = 30  # passages of stage one that the rerank reads, with their neighbours
    snippet_chars: int = 200
    answer_threshold: float = 0.5  # `qabot fit-confidence` shifts the fitted bias so that 0.5 is the threshold

    def validate(self) -> None:
        if not 1 <= self.top_k <= 50:
            raise ConfigError("retrieval.top_k must be between 1 and 50")
        if not self.top_k <= self.candidates <= 500:
            raise ConfigError("retrieval.candidates must be between retrieval.top_k and 500")
        if not 40 <= self.snippet_chars <= 200:
            raise ConfigError("retrieval.snippet_chars must be between 40 and 200")
        if not 0.0 <= self.answer_threshold <= 1.0:
            raise ConfigError("retrieval.answer_threshold must be between 0 and 1")


_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramSettings:
    """Bot API connection, admins and chat limits."""

    token: str | None = field(default=None, repr=False)
    base_url: str | None = None
    admins: tuple[int, ...] = ()
    webhook_secret: str | None = field(default=None, repr=False)
    group_messages_per_minute: int = 20
    inline_cache_seconds: int = 60
    start_retries: int = 0
    flood_retries: int = 3  # resends after a 429 "retry after", waiting as long as Telegram asks
    poll_timeout: int = 30  # seconds a getUpdates long poll may wait for news
    request_timeout: float = 15.0  # seconds a Bot API request may take (a long poll gets poll_timeout more)

    def validate(self) -> None:
        if self.webhook_secret is not None and not _SECRET_TOKEN.match(self.webhook_secret):
            raise ConfigError("telegram.webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if not 1 <= self.group_messages_per_minute <= 20:
            raise ConfigError("telegram.group_messages_per_minute must be between 1 and 20")
        if self.inline_cache_seconds < 0:
            raise ConfigError("telegram.inline_cache_seconds must not be negative")
        if self.start_retries < -1:
            raise ConfigError("telegram.start_retries must be -1 (forever) or more")
        if not 0 <= self.flood_retries <= 10:
            raise ConfigError("telegram.flood_retries must be between 0 and 10")
        if not 1 <= self.poll_timeout <= 50:
            raise ConfigError("telegram.poll_timeout must be between 1 and 50 seconds")
        if not 1.0 <= self.request_timeout <= 300.0:
            raise ConfigError("telegram.request_timeout must be between 1 and 300 seconds")


@dataclass(frozen=True)
class StorageSettings:
    """The SQLite file that keeps questions, answers and feedback."""

    path: str = "qabot.sqlite"
    log_questions: bool = True


@dataclass(frozen=True)
class Config:
    """Everything the application needs, resolved to absolute paths."""

    knowledge_dir: Path
    passages: PassageSettings = PassageSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()

    # Where the files and folders the settings name lie: below the knowledge directory.
    articles_path = property(lambda self: self.knowledge_dir / self.knowledge.articles_dir)
    index_path = property(lambda self: self.knowledge_dir / self.knowledge.index_dir)
    userdict_path = property(lambda self: self.knowledge_dir / self.knowledge.userdict)
    synonyms_path = property(lambda self: self.knowledge_dir / self.knowledge.synonyms)
    storage_path = property(lambda self: self.knowledge_dir / self.storage.path)


# The config file's sections and the settings each one fills (the README's table lists every key).
SECTIONS: dict[str, type] = {
    "passages": PassageSettings,
    "knowledge": KnowledgeSettings,
    "retrieval": RetrievalSettings,
    "telegram": TelegramSettings,
    "storage": StorageSettings,
}


def load_config(
    config_file: str | Path | None = None,
    knowledge_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read the YAML file (if any) and the environment into a validated Config."""
    env = os.environ if environ is None else environ
    knowledge = Path(knowledge_dir or env.get("QABOT_KNOWLEDGE") or DEFAULT_KNOWLEDGE_DIR).expanduser()
    config_path = config_file or env.get("QABOT_CONFIG")
    raw: dict[str, Any] = {}
    if config_path:
        path = Path(config_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        raw = _read_yaml(path)
    elif (knowledge / CONFIG_FILE_NAME).is_file():
        raw = _read_yaml(knowledge / CONFIG_FILE_NAME)

    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"unknown config key '{unknown[0]}' (known sections: {', '.join(SECTIONS)})")
    sections = {name: _build_section(name, cls, raw.get(name)) for name, cls in SECTIONS.items()}
    sections["telegram"] = _apply_telegram_env(sections["telegram"], env)
    for section in sections.values():
        if hasattr(section, "validate"):
            section.validate()
    return Config(knowledge_dir=knowledge.resolve(), **sections)


class YamlUnusable(Exception):
    """A YAML file that can't be read (`cause` an OSError or UnicodeDecodeError) or parsed (`line` set if known)."""

    def __init__(self, cause: Exception, syntax: bool, line: int | None = None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.syntax = syntax
        self.line = line


def read_yaml(path: Path) -> Any:
    """The YAML document in a UTF-8 file (a BOM allowed); YamlUnusable for what can't be used."""
    import yaml  # here: most runs read no YAML file at all, and importing yaml takes 0.013 s

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlUnusable(exc, syntax=False) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlUnusable(exc, syntax=True, line=mark.line + 1 if mark is not None else None) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except YamlUnusable as problem:
        if not problem.syntax:
            raise ConfigError(f"cannot read config file {path}: {problem.cause}") from None
        where = f" at line {problem.line}" if problem.line else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of sections")
    return data


def _build_section(name: str, cls: type, values: Any) -> Any:
    if values is None:
        return cls()
    if not isinstance(values, dict):
        raise ConfigError(f"config key '{name}' must be a mapping")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown config key '{name}.{key}'")
        kwargs[key] = _coerce(f"{name}.{key}", hints[key], value)
    return cls(**kwargs)


def _coerce(key: str, hint: Any, value: Any) -> Any:
    """Check a YAML value against a field's type; ints are accepted where floats are."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(key, inner, value)
    if origin is tuple:
        items = value if isinstance(value, list) else [value]
        return tuple(_coerce(key, args[0], item) for item in items)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if not isinstance(value, hint) or (hint is not bool and isinstance(value, bool)):
        raise ConfigError(f"config key '{key}' must be of type {hint.__name__}, not {type(value).__name__}")
    return value


def _apply_telegram_env(settings: TelegramSettings, env: Mapping[str, str]) -> TelegramSettings:
    changes: dict[str, Any] = {}
    if env.get("TELEGRAM_BOT_TOKEN"):
        changes["token"] = env["TELEGRAM_BOT_TOKEN"].strip()
    if env.get("TELEGRAM_BOT_API_URL"):
        changes["base_url"] = env["TELEGRAM_BOT_API_URL"].strip()
    if env.get("QABOT_WEBHOOK_SECRET"):
        changes["webhook_secret"] = env["QABOT_WEBHOOK_SECRET"].strip()
    if env.get("QABOT_ADMINS") is not None and env.get("QABOT_ADMINS", "").strip():
        changes["admins"] = parse_admin_ids(env["QABOT_ADMINS"])
    return dataclasses.replace(settings, **changes) if changes else settings


def parse_admin_ids(text: str) -> tuple[int, ...]:
    """Parse a comma-separated list of numeric Telegram user ids."""
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"QABOT_ADMINS must be numeric user ids separated by commas, not '{part}'")
        ids.append(int(part))
    return tuple(ids)
